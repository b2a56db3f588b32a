package core

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed
)

// fuzzZones are the time zones the calendar is tried in: the cities' own,
// one with daylight saving time, one whose offset is not whole hours, and
// two whose clocks skip midnight when daylight saving time starts.
var fuzzZones = []string{"Europe/Moscow", "Europe/Berlin", "Asia/Kolkata", "UTC", "America/Santiago", "Asia/Beirut"}

// workingBetween is an independent count of the working time between a
// and b: the overlap of [a, b] with each working day's hours.
func workingBetween(c *Calendar, a, b time.Time) time.Duration {
	var sum time.Duration
	for day := civilDay(a.In(c.Location)); !c.wallClock(day).After(b); day = day.AddDate(0, 0, 1) {
		if c.workingOn(day) {
			start := c.wallClock(day.Add(time.Duration(c.WorkStart) * time.Minute))
			end := c.wallClock(day.Add(time.Duration(c.WorkEnd) * time.Minute))
			if start.Before(a) {
				start = a
			}
			if end.After(b) {
				end = b
			}
			if end.After(start) {
				sum += end.Sub(start)
			}
		}
	}
	return sum
}

// FuzzCalendarDue tries deadlines in working time with any working hours,
// weekend, holiday, transferred working day, start instant and duration:
// the deadline is never before the start, exactly d of working time after
// it (counted independently), inside a working day's hours, and a longer
// duration never gives an earlier deadline. Calendar time is from + d.
func FuzzCalendarDue(f *testing.F) {
	// start (Unix seconds), minutes, work start, work end, weekend bits
	// (bit 0 = Sunday), holiday and working-day offsets in days, zone.
	f.Add(int64(1767225600), int64(30), 9*60, 18*60, uint8(0b1000001), int16(0), int16(-1), uint8(0))
	f.Add(int64(1774745400), int64(24*60), 0, 24*60, uint8(0), int16(1), int16(5), uint8(1))          // Berlin, the night clocks go forward
	f.Add(int64(1761436800), int64(3*60), 1*60, 3*60, uint8(0b1000001), int16(0), int16(2), uint8(1)) // Berlin, the night clocks go back
	f.Add(int64(1767279599), int64(1), 8*60+30, 17*60, uint8(0b0111110), int16(-3), int16(3), uint8(2))
	f.Add(int64(978307199), int64(100000), 23*60+59, 24*60, uint8(0b0111111), int16(0), int16(0), uint8(3))
	f.Fuzz(func(t *testing.T, from int64, minutes int64, start, end int, weekend uint8, holiday, workday int16, zone uint8) {
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		c := &Calendar{Location: loc, WorkStart: start, WorkEnd: end, Weekend: map[time.Weekday]bool{}, Days: map[string]bool{}}
		for d := time.Sunday; d <= time.Saturday; d++ {
			if weekend&(1<<d) != 0 {
				c.Weekend[d] = true
			}
		}
		if c.Validate() != nil {
			return // the settings API refuses such hours
		}
		// 2000 … 2100, up to a year of minutes.
		const y2000, span = 946684800, 100 * 365 * 86400
		t0 := time.Unix(y2000+((from-y2000)%span+span)%span, 0) // an instant in range stays itself
		d := time.Duration(minutes%(365*24*60)+365*24*60) % (365 * 24 * 60) * time.Minute
		c.Days[t0.In(loc).AddDate(0, 0, int(holiday)%30).Format(time.DateOnly)] = false
		c.Days[t0.In(loc).AddDate(0, 0, int(workday)%30).Format(time.DateOnly)] = true

		if got := c.Due(t0, d, false); !got.Equal(t0.Add(d)) {
			t.Fatalf("calendar time: %s + %s = %s", t0, d, got)
		}
		due := c.Due(t0, d, true)
		if due.Before(t0) {
			t.Fatalf("due %s before the start %s", due, t0)
		}
		if due.Sub(t0) > 9*365*24*time.Hour {
			return // beyond the ten years AddWorking looks ahead
		}
		if w := workingBetween(c, t0, due); w != d {
			t.Fatalf("from %s (%s) + %s of working time = %s, but %s of working time lies between", t0.In(loc), loc, d, due.In(loc), w)
		}
		if d > 0 {
			day := due.Add(-time.Nanosecond)
			if !c.Working(day) || day.Before(c.dayAt(day, c.WorkStart)) || !day.Before(c.dayAt(day, c.WorkEnd)) {
				t.Fatalf("due %s is outside working hours", due.In(loc))
			}
		}
		if shorter := c.Due(t0, d/2, true); shorter.After(due) {
			t.Fatalf("half of %s is due %s, after the whole (%s)", d, shorter.In(loc), due.In(loc))
		}
	})
}
