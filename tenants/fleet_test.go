package tenants_test

import (
	"slices"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants"
)

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.10.0", "1.9.3", 1}, {"v1.2", "1.2.0", 0}, {"0.9.0", "1.0.0", -1}, {"garbage", "0.0.1", -1}, {"2", "1.99.99", 1}} {
		if got := tenants.CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestInstallationAlerts(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	beat := t0.Add(time.Minute)
	in := tenants.Installation{CreatedAt: t0}
	for _, c := range []struct {
		name string
		in   tenants.Installation
		now  time.Time
		want []string
	}{
		{"registered, no heartbeat yet", in, t0.Add(10 * time.Minute), nil},
		{"never heard from", in, t0.Add(16 * time.Minute), []string{tenants.AlertSilent}},
		{"current", tenants.Installation{CreatedAt: t0, LastHeartbeatAt: &beat, Heartbeat: tenants.Heartbeat{Version: "1.1.0"}}, beat.Add(time.Minute), nil},
		{"old and silent", tenants.Installation{CreatedAt: t0, LastHeartbeatAt: &beat, Heartbeat: tenants.Heartbeat{Version: "0.9.0"}}, beat.Add(time.Hour),
			[]string{tenants.AlertSilent, tenants.AlertOutdated}},
		{"revoked", tenants.Installation{CreatedAt: t0, RevokedAt: &beat}, beat.Add(time.Hour), nil},
	} {
		if got := c.in.Alerts(c.now, 15*time.Minute, "1.1.0"); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
