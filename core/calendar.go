package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar is a city's working calendar: working hours on working days, in
// the city's time zone, with holidays and transferred working days.
type Calendar struct {
	Location  *time.Location
	WorkStart int // minutes after midnight, e.g. 9*60
	WorkEnd   int // minutes after midnight, e.g. 18*60
	Weekend   map[time.Weekday]bool
	// Days overrides the weekly pattern: true marks a working day (a
	// transferred Saturday), false a holiday.
	Days map[string]bool // "2006-01-02" → working?
}

// DefaultCalendar is Monday to Friday, 9:00 to 18:00, no holidays.
func DefaultCalendar(loc *time.Location) *Calendar {
	return &Calendar{Location: loc, WorkStart: 9 * 60, WorkEnd: 18 * 60,
		Weekend: map[time.Weekday]bool{time.Saturday: true, time.Sunday: true}, Days: map[string]bool{}}
}

// Validate checks the working hours.
func (c *Calendar) Validate() error {
	f := FieldErrors{}
	if c.WorkStart < 0 || c.WorkStart >= 24*60 {
		f.Add("work_start", "error.time_of_day")
	}
	if c.WorkEnd <= c.WorkStart || c.WorkEnd > 24*60 {
		f.Add("work_end", "error.work_end")
	}
	if len(c.Weekend) >= 7 {
		f.Add("weekend", "error.no_working_day")
	}
	return f.Err()
}

// Working reports whether the calendar day of t (in the city) is a working day.
func (c *Calendar) Working(t time.Time) bool {
	t = t.In(c.Location)
	if w, ok := c.Days[t.Format(time.DateOnly)]; ok {
		return w
	}
	return !c.Weekend[t.Weekday()]
}

// dayAt returns the instant of minute m on the calendar day of t.
func (c *Calendar) dayAt(t time.Time, m int) time.Time {
	t = t.In(c.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), m/60, m%60, 0, 0, c.Location)
}

// AddWorking returns the instant that lies d of working time after from.
// Time outside working hours, on weekends and on holidays does not count.
func (c *Calendar) AddWorking(from time.Time, d time.Duration) time.Time {
	t := from.In(c.Location)
	for i := 0; i < 3660; i++ { // at most ten years of days; a calendar always has working days
		if c.Working(t) {
			start, end := c.dayAt(t, c.WorkStart), c.dayAt(t, c.WorkEnd)
			if t.Before(start) {
				t = start
			}
			if t.Before(end) {
				if left := end.Sub(t); d <= left {
					return t.Add(d)
				} else {
					d -= left
				}
			}
		}
		// Next calendar day at midnight, safe across DST changes.
		y, m, day := t.Date()
		t = time.Date(y, m, day+1, 0, 0, 0, 0, c.Location)
	}
	return t
}

// Due returns the deadline d after from: in working time when working is
// set, otherwise in calendar time.
func (c *Calendar) Due(from time.Time, d time.Duration, working bool) time.Time {
	if working {
		return c.AddWorking(from, d)
	}
	return from.Add(d)
}

// City settings keys, stored in the city's settings table.
const (
	SettingWorkStart     = "work_start"
	SettingWorkEnd       = "work_end"
	SettingWeekend       = "weekend"
	SettingAutoCloseDays = "auto_close_days"
)

// DefaultAutoCloseDays is how long a resolved request waits for the
// citizen's confirmation before it closes by itself.
const DefaultAutoCloseDays = 3

// AutoCloseDays reads the auto-close setting, with its default.
func AutoCloseDays(settings map[string]string) int {
	if n, err := strconv.Atoi(settings[SettingAutoCloseDays]); err == nil && n > 0 {
		return n
	}
	return DefaultAutoCloseDays
}

// ParseClock reads a clock time "HH:MM" (two digits each, 00:00 to 24:00,
// where 24:00 is the end of the day) into minutes after midnight, 0 to
// 1440. Working hours and the time windows of routing rules are read by it.
func ParseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	digit := func(i int) bool { return s[i] >= '0' && s[i] <= '9' }
	if len(s) != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// FormatMinutes writes a span of minutes (a category's deadline) the way the
// consoles' duration fields read it back: "30m", "2h", "2h30m".
func FormatMinutes(m int) string {
	switch {
	case m%60 == 0:
		return fmt.Sprintf("%dh", m/60)
	case m > 60:
		return fmt.Sprintf("%dh%dm", m/60, m%60)
	}
	return fmt.Sprintf("%dm", m)
}

// FormatClock writes minutes after midnight as "HH:MM".
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
