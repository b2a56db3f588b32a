package core

import "testing"

// The dashboard's hot spots cover at most HQ's default period: a longer
// period's last DashboardHotSpotDays days, both ends included.
func TestRecentHotSpotPeriod(t *testing.T) {
	for _, c := range []struct {
		in, want Period
		ok       bool
	}{
		{Period{"2026-11-02", "2026-12-01"}, Period{"2026-11-02", "2026-12-01"}, false}, // 30 days
		{Period{"2026-11-01", "2026-12-01"}, Period{"2026-11-02", "2026-12-01"}, true},  // 31 days
		{Period{"2025-12-02", "2026-12-01"}, Period{"2026-11-02", "2026-12-01"}, true},  // a year
		{Period{"2024-02-01", "2024-03-31"}, Period{"2024-03-02", "2024-03-31"}, true},  // over a leap day
		{Period{"2026-12-01", "2026-12-01"}, Period{"2026-12-01", "2026-12-01"}, false},
		{Period{"", "2026-12-01"}, Period{"", "2026-12-01"}, false},
	} {
		got, ok := RecentHotSpotPeriod(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("RecentHotSpotPeriod(%v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
