package core

import (
	"archive/zip"
	"hash/fnv"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ianaZones lists every zone of the IANA database that Go ships
// ($GOROOT/lib/time/zoneinfo.zip), so no city's choice is left untried.
func ianaZones(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v (the zone list is read from the Go installation; put the go command on PATH)", err)
	}
	name := filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip")
	z, err := zip.OpenReader(name)
	if err != nil {
		t.Fatalf("%v (a complete Go installation from go.dev/dl has it)", err)
	}
	defer z.Close()
	var zones []string
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, "/") {
			zones = append(zones, f.Name)
		}
	}
	if len(zones) < 300 {
		t.Fatalf("%s lists only %d zones", name, len(zones))
	}
	slices.Sort(zones)
	return zones
}

// TestCalendarEveryZone checks working-time deadlines as properties in
// every IANA zone over two years: a deadline is never before its start,
// lies inside working hours (read from the clock on the wall, not from the
// calendar's own arithmetic), holds exactly the working time asked for,
// and a later start never gives an earlier deadline. Start times are drawn
// per zone from a seeded generator, plus hours around every change of the
// zone's offset, so the run is the same each time and stays short.
func TestCalendarEveryZone(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(2, 0, 0)
	durations := []time.Duration{30 * time.Minute, 8 * time.Hour, 24 * time.Hour}
	checked := 0
	for _, zone := range ianaZones(t) {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatalf("%s: %v", zone, err)
		}
		h := fnv.New64a()
		h.Write([]byte(zone))
		rng := rand.New(rand.NewPCG(h.Sum64(), 2026))
		starts := make([]time.Time, 0, 64)
		for range 12 {
			starts = append(starts, from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))))
		}
		for at := from; at.Before(to); {
			_, end := at.In(loc).ZoneBounds()
			if end.IsZero() || !end.Before(to) {
				break
			}
			for k := -27; k <= 27; k += 6 {
				starts = append(starts, end.Add(time.Duration(k)*time.Hour+time.Duration(rng.IntN(3600))*time.Second))
			}
			at = end
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })

		office := DefaultCalendar(loc)
		allDay := &Calendar{Location: loc, WorkStart: 0, WorkEnd: 24 * 60,
			Weekend: map[time.Weekday]bool{time.Sunday: true}, Days: map[string]bool{}}
		for _, c := range []*Calendar{office, allDay} {
			for _, d := range durations {
				var prev time.Time
				for i, start := range starts {
					due := c.Due(start, d, true)
					checked++
					if due.Before(start) {
						t.Fatalf("%s: %s + %s of working time is due %s, before its start", zone, start.In(loc), d, due.In(loc))
					}
					last := due.Add(-time.Nanosecond).In(loc)
					if minute := last.Hour()*60 + last.Minute(); !c.Working(last) || minute < c.WorkStart || minute >= c.WorkEnd {
						t.Fatalf("%s: %s + %s of working time is due %s, outside working hours %s–%s",
							zone, start.In(loc), d, due.In(loc), FormatClock(c.WorkStart), FormatClock(c.WorkEnd))
					}
					if w := workingBetween(c, start, due); w != d {
						t.Fatalf("%s: %s + %s of working time is due %s, but %s of working time lies between",
							zone, start.In(loc), d, due.In(loc), w)
					}
					if i > 0 && due.Before(prev) {
						t.Fatalf("%s: starting %s is due %s, earlier than %s for the start before it (%s)",
							zone, start.In(loc), due.In(loc), prev.In(loc), starts[i-1].In(loc))
					}
					prev = due
				}
			}
		}
	}
	t.Logf("%d deadlines checked", checked)
}

// TestAddWorkingMidnightSkipped: in Santiago the clocks go from 00:00 to
// 01:00 on the first Sunday of September; a Friday-evening request still
// falls due on Monday morning, not days off in the weekend night.
func TestAddWorkingMidnightSkipped(t *testing.T) {
	for _, tc := range []struct {
		zone, from, want string
		d                time.Duration
	}{
		{"America/Santiago", "2026-09-04 17:00", "2026-09-07 10:00", 2 * time.Hour}, // Chile: 6 September starts at 01:00
		{"America/Havana", "2026-03-06 17:00", "2026-03-09 10:00", 2 * time.Hour},   // Cuba: 8 March starts at 01:00
		{"Asia/Beirut", "2026-03-27 17:00", "2026-03-30 10:00", 2 * time.Hour},      // Lebanon: 29 March starts at 01:00
		{"Atlantic/Azores", "2026-03-27 17:30", "2026-03-30 09:30", time.Hour},      // Azores: 29 March starts at 01:00
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if got := DefaultCalendar(loc).AddWorking(at(tc.from), tc.d); !got.Equal(at(tc.want)) {
			t.Errorf("%s: %s + %s = %s, want %s", tc.zone, tc.from, tc.d, got.In(loc).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
}
