package sdk

import (
	"testing"
	"time"
)

func TestInWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 1, h, m, 0, 0, time.UTC) }
	cases := []struct {
		t        time.Time
		from, to string
		want     bool
	}{
		{at(22, 0), "22:00", "07:00", true},
		{at(23, 59), "22:00", "07:00", true},
		{at(0, 0), "22:00", "07:00", true},
		{at(6, 59), "22:00", "07:00", true},
		{at(7, 0), "22:00", "07:00", false},
		{at(21, 59), "22:00", "07:00", false},
		{at(12, 0), "09:00", "18:00", true},
		{at(18, 0), "09:00", "18:00", false},
		{at(12, 0), "9:00", "18:00", false},
		{at(12, 0), "09:00", "nonsense", false},
	}
	for _, c := range cases {
		if got := InWindow(c.t, c.from, c.to); got != c.want {
			t.Errorf("%s in [%s, %s): %v, want %v", c.t.Format("15:04"), c.from, c.to, got, c.want)
		}
	}
	if ValidClock("7:00") || ValidClock("24:01") || !ValidClock("07:00") || !ValidClock("24:00") {
		t.Error("ValidClock")
	}
}
