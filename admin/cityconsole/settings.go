package cityconsole

import (
	"context"
	"github.com/opencity/opencity/core/i18n"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

type settingsData struct {
	Weekdays   []int
	Weekend    map[int]bool
	CanProfile bool
	Locales    []string
	// SchemaVersion is the city's latest applied migration.
	SchemaVersion int
}

// formatDays writes holidays and working days one a line:
// "2026-01-07 Рождество" or "2026-11-01 working Рабочая суббота".
func formatDays(days []core.CalendarDay) string {
	var b strings.Builder
	for _, d := range days {
		b.WriteString(d.Day)
		if d.Working {
			b.WriteString(" working")
		}
		if d.Name != "" {
			b.WriteString(" " + d.Name)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func parseDays(s string) []core.CalendarDay {
	out := []core.CalendarDay{}
	for _, line := range strings.Split(s, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		d := core.CalendarDay{Day: fields[0]}
		rest := fields[1:]
		if len(rest) > 0 && (rest[0] == "working" || rest[0] == "рабочий") {
			d.Working, rest = true, rest[1:]
		}
		d.Name = strings.Join(rest, " ")
		out = append(out, d)
	}
	return out
}

func (cs *Console) showSettings(c *gin.Context, p *web.Page, status int) {
	if p.Form == nil {
		k := callOf(c)
		s, err := cs.svc.Settings(k.city).Get(k.ctx, k.actor)
		if err != nil {
			cs.views.Fail(c, "settings.html", p, err)
			return
		}
		city := k.city
		p.Form = url.Values{"work_start": {s.WorkStart}, "work_end": {s.WorkEnd}, "days": {formatDays(s.Days)},
			"auto_close_days": {strconv.Itoa(s.AutoCloseDays)}, "reopen_days": {strconv.Itoa(s.ReopenDays)},
			"escalation_second_level_minutes": {strconv.Itoa(s.SecondLevelMinutes)}, "name": {city.Name}, "locale": {city.Locale},
			"timezone": {s.Timezone}, "phone_region": {s.PhoneRegion}, "map_tile_url": {deref(s.MapTileURL)},
			"map_tile_credit": {deref(s.MapTileCredit)}}
		for _, d := range s.Weekend {
			p.Form.Add("weekend", strconv.Itoa(d))
		}
	}
	d := settingsData{Weekdays: []int{1, 2, 3, 4, 5, 6, 0}, Weekend: map[int]bool{}, CanProfile: cs.profile != nil, Locales: i18n.Languages}
	k := callOf(c)
	if sv, ok := k.city.Store.(interface {
		SchemaVersion(context.Context) (int, error)
	}); ok {
		v, err := sv.SchemaVersion(k.ctx)
		if err != nil {
			cs.views.Fail(c, "settings.html", p, err)
			return
		}
		d.SchemaVersion = v
	}
	for _, w := range p.Form["weekend"] {
		if n, err := strconv.Atoi(w); err == nil {
			d.Weekend[n] = true
		}
	}
	p.Data = d
	cs.views.Render(c, status, "settings.html", p)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// settings shows the working calendar, holidays, auto-close days, the
// phone region, HQ's map tiles and their credit, and the city's profile
// (name, locale, time zone).
func (cs *Console) settings(c *gin.Context) {
	cs.showSettings(c, cs.page(c, "settings_title", "settings"), http.StatusOK)
}

func (cs *Console) saveSettings(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "settings_title", "settings")
	p.Form = f.Values
	in := core.CitySettings{WorkStart: f.String("work_start"), WorkEnd: f.String("work_end"), Weekend: []int{},
		Days: parseDays(f.Values.Get("days")), AutoCloseDays: int(f.Int64("auto_close_days")),
		PhoneRegion: f.String("phone_region"),
		ReopenDays:  int(f.Int64("reopen_days")), SecondLevelMinutes: int(f.Int64("escalation_second_level_minutes"))}
	if f.Values.Has("map_tile_url") {
		tiles, credit := f.Values.Get("map_tile_url"), f.Values.Get("map_tile_credit")
		in.MapTileURL, in.MapTileCredit = &tiles, &credit
	}
	for _, w := range f.Values["weekend"] {
		n, err := strconv.Atoi(w)
		if err != nil {
			f.Errors.Add("weekend", "error.weekday_range")
			continue
		}
		in.Weekend = append(in.Weekend, n)
	}
	err := f.Err()
	if err == nil {
		k := callOf(c)
		_, err = cs.svc.Settings(k.city).Put(k.ctx, k.actor, in)
	}
	if err != nil {
		cs.showSettings(c, p, p.SetError(c, err))
		return
	}
	done(c, "/settings")
}

// saveProfile changes the city's name, locale and time zone in the control
// plane (the registry validates them as when the city was created).
func (cs *Console) saveProfile(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "settings_title", "settings")
	if cs.profile == nil {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	ctx := c.Request.Context()
	actor := httpapi.ActorFromContext(ctx)
	err := cs.profile.SetCityProfile(ctx, "city-admin:"+strconv.FormatInt(actor.UserID, 10), c.Param("slug"),
		f.String("name"), f.String("locale"), f.String("timezone"))
	if err != nil {
		status := p.SetError(c, err)
		p.Form = nil
		errs := p.Errors
		cs.showSettingsWith(c, p, status, f, errs)
		return
	}
	done(c, "/settings")
}

// showSettingsWith shows the stored settings with the profile fields as
// they were sent and their errors.
func (cs *Console) showSettingsWith(c *gin.Context, p *web.Page, status int, f *web.Form, errs core.FieldErrors) {
	k := callOf(c)
	s, err := cs.svc.Settings(k.city).Get(k.ctx, k.actor)
	if err != nil {
		cs.views.Fail(c, "settings.html", p, err)
		return
	}
	p.Form = url.Values{"work_start": {s.WorkStart}, "work_end": {s.WorkEnd}, "days": {formatDays(s.Days)},
		"auto_close_days": {strconv.Itoa(s.AutoCloseDays)}, "reopen_days": {strconv.Itoa(s.ReopenDays)},
		"escalation_second_level_minutes": {strconv.Itoa(s.SecondLevelMinutes)}, "name": {f.String("name")}, "locale": {f.String("locale")},
		"timezone": {f.String("timezone")}, "phone_region": {s.PhoneRegion}, "map_tile_url": {deref(s.MapTileURL)},
		"map_tile_credit": {deref(s.MapTileCredit)}}
	for _, d := range s.Weekend {
		p.Form.Add("weekend", strconv.Itoa(d))
	}
	p.Errors = errs
	cs.showSettings(c, p, status)
}
