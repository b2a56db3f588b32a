package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The weekly summary of the fixture's week 45 (2–8 November 2026) counts
// its seven requests beside week 44's two (R1 and R2), and lists exactly
// the requests overdue at the HQ's clock, the one late the longest first,
// each with the deadline it missed. On both backends.
func TestWeeklySummary(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqweek")
			c.fileFixture(t)
			analyst := c.people["hq-analyst"]
			s, err := c.hq.WeeklySummary(ctx, analyst, "")
			if err != nil {
				t.Fatal(err)
			}
			if s.Week != "2026-W45" || s.Prev != "2026-W44" || s.Next != "2026-W46" {
				t.Errorf("weeks %s %s %s", s.Week, s.Prev, s.Next)
			}
			if s.Current.Period != (core.Period{From: "2026-11-02", To: "2026-11-08"}) || s.Previous.Period != (core.Period{From: "2026-10-26", To: "2026-11-01"}) {
				t.Errorf("periods %+v %+v", s.Current.Period, s.Previous.Period)
			}
			if s.Current.Figures.Received != 7 || s.Previous.Figures.Received != 2 {
				t.Errorf("received %d beside %d, want 7 beside 2", s.Current.Figures.Received, s.Previous.Figures.Received)
			}
			if s.HotSpots == nil || s.HotSpots.Period != s.Current.Period {
				t.Errorf("hot spots %+v", s.HotSpots)
			}
			// Overdue: recounted from every request as the desk's overdue
			// queue and HQ's overdue figure count them: with an
			// organization and past a due time.
			now := c.hq.Now()
			all, err := c.st.HQRequests(ctx, core.DaysQuery{From: "2000-01-01", To: "2100-01-01"}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range all {
				if r.Status.Open() && r.Overdue(now) {
					want = append(want, r.Number)
				}
			}
			var got []string
			for i, it := range s.Overdue {
				got = append(got, it.Number)
				if it.LateSeconds != int64(now.Sub(it.Due)/time.Second) || it.LateSeconds <= 0 {
					t.Errorf("%s: due %v, late %d s", it.Number, it.Due, it.LateSeconds)
				}
				if i > 0 && it.Due.Before(s.Overdue[i-1].Due) {
					t.Errorf("%s before %s: not the longest late first", s.Overdue[i-1].Number, it.Number)
				}
				if it.Category == "" || it.Organization == "" {
					t.Errorf("%s: category %q, organization %q", it.Number, it.Category, it.Organization)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if len(want) < 4 || !slices.Equal(got, want) || s.OverdueTotal != int64(len(want)) {
				t.Errorf("overdue %v (total %d), want %v", got, s.OverdueTotal, want)
			}
			// A bad week is the field's error; others than HQ are refused.
			for _, w := range []string{"2026-W54", "2026-48", "week", "2026-W00"} {
				_, err := c.hq.WeeklySummary(ctx, analyst, w)
				var e *core.Error
				if !errors.As(err, &e) || e.Code != core.EINVALID || e.Fields["week"].Code != "error.week" {
					t.Errorf("week %q: %v", w, err)
				}
			}
			for _, who := range []string{"hq-citizen", "hq-dispatcher", "op-mc-a"} {
				if _, err := c.hq.WeeklySummary(ctx, c.people[who], "2026-W45"); core.ErrorCode(err) != core.EFORBIDDEN {
					t.Errorf("%s: %v, want forbidden", who, err)
				}
			}
		})
	}
}
