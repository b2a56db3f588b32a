package core_test

import (
	"testing"
	"time"

	"github.com/opencity/opencity/core"
)

func TestRequestOverdueAndNextDue(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	before, after := now.Add(-time.Minute), now.Add(time.Minute)
	cases := []struct {
		name    string
		r       core.Request
		overdue bool
		due     *time.Time
	}{
		{"new: the clock runs in triage", core.Request{Status: core.StatusNew, ReactionDueAt: &before, ResolutionDueAt: &after}, true, &before},
		{"returned: still the cycle's deadline", core.Request{Status: core.StatusReturned, ReactionDueAt: &after, ResolutionDueAt: &after}, false, &after},
		{"rejected: nothing runs", core.Request{Status: core.StatusRejected, ReactionDueAt: &before, ResolutionDueAt: &before}, false, nil},
		{"assigned, reaction passed", core.Request{Status: core.StatusAssigned, ReactionDueAt: &before, ResolutionDueAt: &after}, true, &before},
		{"assigned, reaction to come", core.Request{Status: core.StatusAssigned, ReactionDueAt: &after, ResolutionDueAt: &after}, false, &after},
		{"accepted in time, resolution passed", core.Request{Status: core.StatusInProgress, AcceptedAt: &before, ReactionDueAt: &before, ResolutionDueAt: &before}, true, &before},
		{"accepted, resolution to come", core.Request{Status: core.StatusAccepted, AcceptedAt: &before, ReactionDueAt: &before, ResolutionDueAt: &after}, false, &after},
		{"due exactly now is not late", core.Request{Status: core.StatusReopened, ReactionDueAt: &now}, false, &now},
		{"resolved: nothing runs", core.Request{Status: core.StatusResolved, AcceptedAt: &before, ResolvedAt: &before, ResolutionDueAt: &before}, false, nil},
		{"closed", core.Request{Status: core.StatusClosed, ResolutionDueAt: &before}, false, nil},
		{"no deadlines", core.Request{Status: core.StatusAssigned}, false, nil},
	}
	for _, c := range cases {
		if got := c.r.Overdue(now); got != c.overdue {
			t.Errorf("%s: Overdue = %v, want %v", c.name, got, c.overdue)
		}
		got := c.r.NextDue()
		if (got == nil) != (c.due == nil) || (got != nil && !got.Equal(*c.due)) {
			t.Errorf("%s: NextDue = %v, want %v", c.name, got, c.due)
		}
	}
}

func TestOpenStatuses(t *testing.T) {
	open, running := map[core.Status]bool{}, map[core.Status]bool{}
	for _, s := range core.OpenStatuses {
		open[s] = true
	}
	for _, s := range core.UnfinishedStatuses {
		running[s] = true
	}
	for _, s := range core.Statuses {
		if s.Open() != open[s] {
			t.Errorf("%s: Open() = %v, but OpenStatuses says %v", s, s.Open(), open[s])
		}
		if s.Running() != running[s] {
			t.Errorf("%s: Running() = %v, but UnfinishedStatuses says %v", s, s.Running(), running[s])
		}
		if open[s] && !running[s] {
			t.Errorf("%s: open but its deadlines do not run", s)
		}
	}
}

func TestValidSlug(t *testing.T) {
	for _, s := range []string{"kazan", "nizhny-novgorod", "uk-1", "ab", "a012345678901234567890123456789012345678"} {
		if !core.ValidSlug(s) {
			t.Errorf("ValidSlug(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a", "1kazan", "-kazan", "Kazan", "ka_zan", "kazan;drop", "казань", "a0123456789012345678901234567890123456789"} {
		if core.ValidSlug(s) {
			t.Errorf("ValidSlug(%q) = true", s)
		}
	}
}

func TestFormatMinutesReadsBackAsDuration(t *testing.T) {
	for m, want := range map[int]string{30: "30m", 60: "1h", 120: "2h", 150: "2h30m", 2880: "48h", 61: "1h1m"} {
		got := core.FormatMinutes(m)
		if got != want {
			t.Errorf("FormatMinutes(%d) = %q, want %q", m, got, want)
		}
		if d, err := time.ParseDuration(got); err != nil || d != time.Duration(m)*time.Minute {
			t.Errorf("FormatMinutes(%d) = %q reads back as %v, %v", m, got, d, err)
		}
	}
}
