package clock

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]int{"09:00": 540, "18:30": 1110, "24:00": 1440, "00:05": 5, " 07:00 ": 420} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v", s, got, err)
		}
		if !Valid(s) {
			t.Errorf("Valid(%q) is false", s)
		}
	}
	for _, s := range []string{"", "9", "0:05", "9:00", "25:00", "12:60", "24:01", "ab:cd", "-1:00", "+1:00", "12:+5", "12.30"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
		if Valid(s) {
			t.Errorf("Valid(%q) is true", s)
		}
	}
}

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
		{at(23, 59), "18:00", "24:00", true},
		{at(0, 0), "18:00", "24:00", false},
		{at(12, 0), "9:00", "18:00", false},
		{at(12, 0), "09:00", "nonsense", false},
	}
	for _, c := range cases {
		if got := InWindow(c.t, c.from, c.to); got != c.want {
			t.Errorf("%s in [%s, %s): %v, want %v", c.t.Format("15:04"), c.from, c.to, got, c.want)
		}
	}
}
