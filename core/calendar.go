package core

import (
	"fmt"
	"strconv"
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
	return c.workingOn(civilDay(t.In(c.Location)))
}

// workingOn reports whether the civil day (a midnight in UTC standing for
// the city's calendar date) is a working day.
func (c *Calendar) workingOn(day time.Time) bool {
	if w, ok := c.Days[day.Format(time.DateOnly)]; ok {
		return w
	}
	return !c.Weekend[day.Weekday()]
}

// civilDay returns the calendar date of t in t's own location as a
// midnight in UTC. Days are counted on these dates, never on local
// midnights, which some days do not have.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayAt returns the instant of minute m on the calendar day of t.
func (c *Calendar) dayAt(t time.Time, m int) time.Time {
	return c.wallClock(civilDay(t.In(c.Location)).Add(time.Duration(m) * time.Minute))
}

// wallClock returns the earliest instant at which the city's clocks show
// the wall time w (a civil time written in UTC), or, when the clocks skip
// it (the hour lost when daylight saving time starts, at midnight in zones
// such as America/Santiago or Asia/Beirut), the instant they jump over it.
// It is monotone in w: a later wall time never gives an earlier instant.
func (c *Calendar) wallClock(w time.Time) time.Time {
	guess := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, c.Location)
	start, end := guess.ZoneBounds()
	probes := []time.Time{guess}
	if !start.IsZero() {
		probes = append(probes, start.Add(-time.Second))
	}
	if !end.IsZero() {
		probes = append(probes, end)
	}
	var best time.Time
	for _, p := range probes {
		_, off := p.Zone()
		at := w.Add(-time.Duration(off) * time.Second)
		if wall(at.In(c.Location)).Equal(w) && (best.IsZero() || at.Before(best)) {
			best = at
		}
	}
	switch {
	case !best.IsZero():
		return best.In(c.Location)
	case wall(guess).Before(w) && !end.IsZero(): // the guess lies before the jump
		return end.In(c.Location)
	case !start.IsZero(): // the guess lies after the jump
		return start.In(c.Location)
	}
	return guess
}

// wall returns the wall-clock reading of t as the same civil time in UTC.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// AddWorking returns the instant that lies d of working time after from.
// Time outside working hours, on weekends and on holidays does not count.
// Days are walked as calendar dates, so a day whose midnight the clocks
// skip (daylight saving time starting at 00:00) is still one day; a
// working day is the real time between its opening and closing instants.
func (c *Calendar) AddWorking(from time.Time, d time.Duration) time.Time {
	t := from.In(c.Location)
	day := civilDay(t)
	for i := 0; i < 3660; i++ { // at most ten years of days; a calendar always has working days
		if c.workingOn(day) {
			start := c.wallClock(day.Add(time.Duration(c.WorkStart) * time.Minute))
			end := c.wallClock(day.Add(time.Duration(c.WorkEnd) * time.Minute))
			if t.Before(start) {
				t = start
			}
			if t.Before(end) {
				if left := end.Sub(t); d <= left {
					return t.Add(d)
				}
				d -= end.Sub(t)
				t = end
			}
		}
		day = day.AddDate(0, 0, 1)
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
