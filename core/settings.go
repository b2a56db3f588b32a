package core

import (
	"context"
	"github.com/opencity/opencity/core/clock"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SettingsStore is what Settings needs from a city's storage: the city's
// key-value settings and its calendar of holidays and working days.
type SettingsStore interface {
	Settings(ctx context.Context) (map[string]string, error)
	// PutSettings writes kv and replaces the calendar days, in one transaction.
	PutSettings(ctx context.Context, kv map[string]string, days []CalendarDay) error
	CityCalendar(ctx context.Context, loc *time.Location) (*Calendar, []CalendarDay, error)
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// Settings is the use cases of a city's settings: the working calendar,
// holidays, auto-close, and the settings of access.
type Settings struct {
	Store    SettingsStore
	Gate     Gate
	Location *time.Location // the city's time zone
}

// CitySettings are the working calendar, auto-close, reopen window and
// escalation delay of a city. Weekend lists days of the week, 0 (Sunday) to
// 6 (Saturday); WorkStart and WorkEnd are "HH:MM" in the city's time zone;
// AutoCloseDays (1 to 60) is how long a resolved request waits for the
// citizen's confirmation; ReopenDays (1 to 365, default 30) how long after
// closing the citizen may reopen; SecondLevelMinutes (5 to 10080, default
// 120) how long after the first level of an overdue request's escalation
// the second is raised. A zero ReopenDays or SecondLevelMinutes in Put keeps
// the stored value. PhoneRegion (SettingPhoneRegion, "RU" by default)
// reads phone numbers written without a country code, and an empty one in
// Put leaves it as it is.
type CitySettings struct {
	Timezone      string        `json:"timezone"`
	WorkStart     string        `json:"work_start"`
	WorkEnd       string        `json:"work_end"`
	Weekend       []int         `json:"weekend"`
	Days          []CalendarDay `json:"days"`
	AutoCloseDays int           `json:"auto_close_days"`
	PhoneRegion   string        `json:"phone_region"`
	ReopenDays    int           `json:"reopen_days"`
	// SecondLevelMinutes is the delay of the second escalation level.
	SecondLevelMinutes int `json:"escalation_second_level_minutes"`
	// MapTileURL is HQ's map's tile server (SettingMapTiles); in Put, nil
	// keeps it and "" removes it.
	MapTileURL *string `json:"map_tile_url"`
	// MapTileCredit is the map data's credit shown with the tiles
	// (SettingMapCredit, at most MaxMapCredit characters); in Put, nil
	// keeps it and "" gives OpenStreetMap's.
	MapTileCredit *string `json:"map_tile_credit"`
}

// Limits of the city settings.
const (
	MaxAutoCloseDays = 60
	maxDayName       = 100
)

// Get returns the city's settings.
func (s *Settings) Get(ctx context.Context, actor Actor) (*CitySettings, error) {
	if err := s.Gate.Allow(ctx, actor, ObjSettings, ActRead); err != nil {
		return nil, err
	}
	cal, days, err := s.Store.CityCalendar(ctx, s.Location)
	if err != nil {
		return nil, err
	}
	kv, err := s.Store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &CitySettings{Timezone: s.Location.String(), WorkStart: FormatClock(cal.WorkStart),
		WorkEnd: FormatClock(cal.WorkEnd), Weekend: []int{}, Days: days, AutoCloseDays: AutoCloseDays(kv),
		PhoneRegion: PhoneRegion(kv),
		ReopenDays:  ReopenDays(kv), SecondLevelMinutes: int(SecondLevelDelay(kv) / time.Minute)}
	tiles, credit := kv[SettingMapTiles], kv[SettingMapCredit]
	out.MapTileURL, out.MapTileCredit = &tiles, &credit
	for d := range cal.Weekend {
		out.Weekend = append(out.Weekend, int(d))
	}
	sort.Ints(out.Weekend)
	if out.Days == nil {
		out.Days = []CalendarDay{}
	}
	return out, nil
}

// Put validates and stores the working hours, weekend, calendar days (each
// date once, names up to 100 characters), auto-close days and phone region, and returns
// the settings as stored. The time zone is the city's profile, not changed
// here.
func (s *Settings) Put(ctx context.Context, actor Actor, in CitySettings) (*CitySettings, error) {
	if err := s.Gate.Allow(ctx, actor, ObjSettings, ActUpdate); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	cal := DefaultCalendar(s.Location)
	var err error
	if cal.WorkStart, err = clock.Parse(in.WorkStart); err != nil {
		f.Add("work_start", "error.time_of_day")
	}
	if cal.WorkEnd, err = clock.Parse(in.WorkEnd); err != nil {
		f.Add("work_end", "error.time_of_day")
	}
	cal.Weekend = map[time.Weekday]bool{}
	weekend := ""
	for i, d := range in.Weekend {
		if d < 0 || d > 6 {
			f.Add("weekend", "error.weekday_range")
			continue
		}
		cal.Weekend[time.Weekday(d)] = true
		if i > 0 {
			weekend += ","
		}
		weekend += strconv.Itoa(d)
	}
	if len(f) == 0 {
		if err := cal.Validate(); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i := range in.Days {
		d := &in.Days[i]
		if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
			f.Add("days", "error.not_date", "Value", d.Day)
		} else if seen[d.Day] {
			f.Add("days", "error.listed_twice", "Value", d.Day)
		}
		seen[d.Day] = true
		if utf8.RuneCountInString(d.Name) > maxDayName {
			f.Add("days", "error.holiday_name_len")
		}
	}
	if in.AutoCloseDays < 1 || in.AutoCloseDays > MaxAutoCloseDays {
		f.Add("auto_close_days", "error.days_1_60")
	}
	region := strings.ToUpper(strings.TrimSpace(in.PhoneRegion))
	if region != "" && !ValidPhoneRegion(region) {
		f.Add("phone_region", "error.phone_region")
	}
	kv := map[string]string{}
	if in.ReopenDays != 0 {
		if in.ReopenDays < 1 || in.ReopenDays > MaxReopenDays {
			f.Add("reopen_days", "error.range", "Min", 1, "Max", MaxReopenDays)
		}
		kv[SettingReopenDays] = strconv.Itoa(in.ReopenDays)
	}
	if in.SecondLevelMinutes != 0 {
		if in.SecondLevelMinutes < MinSecondLevelMinutes || in.SecondLevelMinutes > MaxSecondLevelMinutes {
			f.Add("escalation_second_level_minutes", "error.range", "Min", MinSecondLevelMinutes, "Max", MaxSecondLevelMinutes)
		}
		kv[SettingSecondLevelMinutes] = strconv.Itoa(in.SecondLevelMinutes)
	}
	if in.MapTileURL != nil {
		u := strings.TrimSpace(*in.MapTileURL)
		if u != "" && (!ValidTileURL(u) || len(u) > 500) {
			f.Add("map_tile_url", "error.tile_url")
		}
		kv[SettingMapTiles] = u
	}
	if in.MapTileCredit != nil {
		credit := strings.TrimSpace(*in.MapTileCredit)
		if n := utf8.RuneCountInString(credit); n > MaxMapCredit || strings.ContainsAny(credit, "\r\n") {
			f.Add("map_tile_credit", "error.max_len", "Count", MaxMapCredit)
		}
		kv[SettingMapCredit] = credit
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	days := in.Days
	if days == nil {
		days = []CalendarDay{}
	}
	for k, v := range map[string]string{
		SettingWorkStart: FormatClock(cal.WorkStart), SettingWorkEnd: FormatClock(cal.WorkEnd),
		SettingWeekend: weekend, SettingAutoCloseDays: strconv.Itoa(in.AutoCloseDays),
	} {
		kv[k] = v
	}
	if region != "" {
		kv[SettingPhoneRegion] = region
	}
	err = s.Store.PutSettings(ctx, kv, days)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, actor)
}

// SettingAnonymous is the city setting of anonymous submissions: "on" or
// "off" (the default).
const SettingAnonymous = "anonymous_submissions"

// AccessSettings are the city's settings of accounts and access; a nil
// field is left as it is by PutAccess.
type AccessSettings struct {
	// AnonymousSubmissions lets people without an account submit requests
	// and follow them by a tracking code.
	AnonymousSubmissions *bool `json:"anonymous_submissions"`
}

// Access returns the settings of accounts and access.
func (s *Settings) Access(ctx context.Context, actor Actor) (AccessSettings, error) {
	if err := s.Gate.Allow(ctx, actor, ObjCity, ActRead); err != nil {
		return AccessSettings{}, err
	}
	v, err := s.Store.Setting(ctx, SettingAnonymous)
	on := v == "on"
	return AccessSettings{AnonymousSubmissions: &on}, err
}

// PutAccess changes the settings of accounts and access given in in.
func (s *Settings) PutAccess(ctx context.Context, actor Actor, in AccessSettings) (AccessSettings, error) {
	if err := s.Gate.Allow(ctx, actor, ObjCity, ActUpdate); err != nil {
		return AccessSettings{}, err
	}
	if in.AnonymousSubmissions != nil {
		v := "off"
		if *in.AnonymousSubmissions {
			v = "on"
		}
		if err := s.Store.SetSetting(ctx, SettingAnonymous, v); err != nil {
			return AccessSettings{}, err
		}
	}
	return s.Access(ctx, actor)
}
