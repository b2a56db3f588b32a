package core

import (
	"testing"
	"time"
)

func TestAddWorking(t *testing.T) {
	msk, _ := time.LoadLocation("Europe/Moscow")
	c := DefaultCalendar(msk)
	c.Days["2026-11-04"] = false // National Unity Day, a Wednesday
	c.Days["2026-11-07"] = true  // a transferred working Saturday
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, msk)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"inside one day", "2026-11-02 10:00", 2 * time.Hour, "2026-11-02 12:00"},
		{"ends exactly at closing", "2026-11-02 16:00", 2 * time.Hour, "2026-11-02 18:00"},
		{"runs over midnight into the next morning", "2026-11-02 17:00", 2 * time.Hour, "2026-11-03 10:00"},
		{"submitted at night", "2026-11-02 23:30", 30 * time.Minute, "2026-11-03 09:30"},
		{"submitted just after midnight", "2026-11-03 00:05", time.Hour, "2026-11-03 10:00"},
		{"skips a holiday", "2026-11-03 17:00", 2 * time.Hour, "2026-11-05 10:00"},
		{"Friday evening over the weekend", "2026-11-13 17:00", 3 * time.Hour, "2026-11-16 11:00"},
		{"Saturday counts from Monday", "2026-11-14 12:00", time.Hour, "2026-11-16 10:00"},
		{"a transferred working Saturday", "2026-11-06 17:30", time.Hour, "2026-11-07 09:30"},
		{"24 working hours span several days", "2026-11-09 09:00", 24 * time.Hour, "2026-11-11 15:00"},
		{"zero duration before opening", "2026-11-02 07:00", 0, "2026-11-02 09:00"},
	}
	for _, tc := range cases {
		got := c.AddWorking(at(tc.from), tc.d)
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s: %s + %s = %s, want %s", tc.name, tc.from, tc.d, got.In(msk).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
	// The city's time zone decides what "night" is: 20:30 UTC is 23:30 in Moscow.
	utc := time.Date(2026, 11, 2, 20, 30, 0, 0, time.UTC)
	if got := c.AddWorking(utc, 30*time.Minute); !got.Equal(at("2026-11-03 09:30")) {
		t.Errorf("UTC input: %s", got.In(msk))
	}
	// Calendar time ignores the calendar.
	if got := c.Due(at("2026-11-13 23:50"), 30*time.Minute, false); !got.Equal(at("2026-11-14 00:20")) {
		t.Errorf("calendar time: %s", got)
	}
}
