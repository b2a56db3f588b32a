package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// fileSeasons files the trends fixture: the heating season's start in
// October 2026 brings six utilities requests (five heating, one hot
// water), against one or two in other months; roofs leak twice in April.
func (c *hqCity) fileSeasons(t *testing.T) {
	t.Helper()
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, c.loc) }
	const cit = "hq-citizen"
	for _, r := range []struct {
		at       time.Time
		category string
	}{
		{at(2025, 11, 12, 23, 0), "heating"}, // the day before the year: left out
		{at(2025, 11, 13, 0, 30), "heating"}, // 12 November in UTC, 13th in Moscow: in
		{at(2026, 1, 15, 9, 0), "heating"},
		{at(2026, 4, 6, 9, 0), "roof-leak"},
		{at(2026, 4, 7, 9, 0), "roof-leak"},
		{at(2026, 6, 10, 9, 0), "hot-water"},
		{at(2026, 10, 1, 0, 30), "heating"},
		{at(2026, 10, 2, 9, 0), "heating"},
		{at(2026, 10, 3, 9, 0), "hot-water"},
		{at(2026, 10, 5, 9, 0), "heating"},
		{at(2026, 10, 12, 9, 0), "heating"},
		{at(2026, 10, 31, 23, 59), "heating"},
		{at(2026, 11, 2, 9, 0), "heating"},
		{at(2026, 11, 9, 9, 0), "heating"},
	} {
		c.file(t, r.at, cit, "b1", r.category)
	}
}

// seriesLine writes a trend as the test expects it.
func seriesLine(tr *core.Trends) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d points %s–%s", tr.Step, len(tr.Points), tr.Points[0].From, tr.Points[len(tr.Points)-1].To)
	for _, s := range tr.Series {
		fmt.Fprintf(&b, "; %s %v total=%d peak=%d", s.Group, s.Counts, s.Total, s.Peak)
	}
	return b.String()
}

// Daily, weekly and monthly series per category group equal the hand
// count of the fixture on both backends: a year of months by default,
// with the heating season's October the utilities' peak; weeks run from
// Monday and are cut to the period; days are Moscow's.
func TestTrends(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqtrend")
			c.fileSeasons(t)
			analyst := c.people["hq-analyst"]
			for _, tc := range []struct {
				f    core.HQFilter
				step string
				want string
			}{
				{core.HQFilter{}, "", "month 13 points 2025-11-13–2026-11-12; " +
					"utilities [1 0 1 0 0 0 0 1 0 0 0 6 2] total=11 peak=11; building [0 0 0 0 0 2 0 0 0 0 0 0 0] total=2 peak=5"},
				{core.HQFilter{From: "2026-09-30", To: "2026-10-13"}, core.StepWeek, "week 3 points 2026-09-30–2026-10-13; " +
					"utilities [3 1 1] total=5 peak=0"},
				{core.HQFilter{From: "2026-09-30", To: "2026-10-03"}, core.StepDay, "day 4 points 2026-09-30–2026-10-03; " +
					"utilities [0 1 1 1] total=3 peak=1"},
				{core.HQFilter{From: "2026-09-30", To: "2026-10-03", Category: "heating"}, core.StepDay, "day 4 points 2026-09-30–2026-10-03; " +
					"utilities [0 1 1 0] total=2 peak=1"},
				{core.HQFilter{From: "2026-07-01", To: "2026-07-02"}, core.StepDay, "day 2 points 2026-07-01–2026-07-02"},
			} {
				tr, err := c.hq.Trends(ctx, analyst, tc.f, tc.step)
				if err != nil {
					t.Fatal(err)
				}
				if got := seriesLine(tr); got != tc.want {
					t.Errorf("%+v %s:\n got %s\nwant %s", tc.f, tc.step, got, tc.want)
				}
			}
			// Through the cache of past days: the same series, and a
			// request filed today (HQ's clock: 12 November) counts at once.
			cached := *c.hq
			cached.City, cached.Baselines = "hqtrend", core.NewBaselineCache(4)
			year := core.HQFilter{From: "2026-10-01", To: "2026-11-12"}
			want, err := c.hq.Trends(ctx, analyst, year, core.StepDay)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				got, err := cached.Trends(ctx, analyst, year, core.StepDay)
				if err != nil {
					t.Fatal(err)
				}
				if seriesLine(got) != seriesLine(want) {
					t.Errorf("cached trends:\n got %s\nwant %s", seriesLine(got), seriesLine(want))
				}
			}
			c.file(t, time.Date(2026, 11, 12, 10, 0, 0, 0, c.loc), "hq-citizen", "b1", "heating")
			got, err := cached.Trends(ctx, analyst, year, core.StepDay)
			if err != nil {
				t.Fatal(err)
			}
			if last := got.Series[0].Counts[len(got.Points)-1]; last != want.Series[0].Counts[len(want.Points)-1]+1 {
				t.Errorf("today through the cache: %s", seriesLine(got))
			}
			tr, _ := c.hq.Trends(ctx, analyst, core.HQFilter{From: "2026-09-30", To: "2026-10-13"}, core.StepWeek)
			if p := tr.Points[1]; p != (core.Period{From: "2026-10-05", To: "2026-10-11"}) {
				t.Errorf("second week %+v", p)
			}
			if _, err := c.hq.Trends(ctx, analyst, core.HQFilter{}, "hour"); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("bad step: %v", err)
			}
			if _, err := c.hq.Trends(ctx, c.people["op-mc-a"], core.HQFilter{}, ""); err == nil {
				t.Error("an operator read trends")
			}
		})
	}
}
