package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// show writes a figure as the test expects it: "-" for none.
func show(v any) string {
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return "-"
		}
		return fmt.Sprintf("%.4f", *x)
	case *int64:
		if x == nil {
			return "-"
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprint(v)
}

// line writes the figures the fixture checks, in one line.
func line(f core.Figures) string {
	return strings.Join([]string{
		"received=" + show(f.Received), "apartments=" + show(f.Apartments), "per1000=" + show(f.PerThousand),
		"open=" + show(f.Open), "overdue=" + show(f.Overdue),
		"reaction=" + show(f.ReactionOnTime) + "/" + show(f.ReactionDone), "resolution=" + show(f.ResolutionOnTime) + "/" + show(f.ResolutionDone),
		"reaction_share=" + show(f.ReactionShare), "resolution_share=" + show(f.ResolutionShare), "met=" + show(f.DeadlinesMet),
		"reaction_median=" + show(f.ReactionMedian), "reaction_p90=" + show(f.ReactionP90),
		"resolution_median=" + show(f.ResolutionMedian), "resolution_p90=" + show(f.ResolutionP90),
		"reopened=" + show(f.ReopenedShare), "returned=" + show(f.ReturnedShare), "rating=" + show(f.RatingAverage),
	}, " ")
}

// Every figure of the dashboard, the league tables and the drill-down
// equals what was computed by hand from the fixture (fileFixture), on both
// backends: periods are local days in Moscow, the previous period and the
// year before sit beside the period, and the filters narrow both the
// requests and the housing stock.
func TestHQFigures(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqfix")
			c.fileFixture(t)
			analyst := c.people["hq-analyst"]
			period := core.HQFilter{From: "2026-11-01", To: "2026-11-10"}

			d, err := c.hq.Dashboard(ctx, analyst, period)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				got  core.PeriodFigures
				from string
				want string
			}{
				{"current", d.Current, "2026-11-01", "received=11 apartments=200 per1000=55.0000 open=4 overdue=4 reaction=6/8 resolution=4/6 " +
					"reaction_share=0.7500 resolution_share=0.6667 met=0.7143 reaction_median=5400 reaction_p90=12000 " +
					"resolution_median=60000 resolution_p90=120000 reopened=0.0909 returned=0.0909 rating=3.5000"},
				{"previous", d.Previous, "2026-10-22", "received=1 apartments=200 per1000=5.0000 open=0 overdue=0 reaction=1/1 resolution=1/1 " +
					"reaction_share=1.0000 resolution_share=1.0000 met=1.0000 reaction_median=3600 reaction_p90=3600 " +
					"resolution_median=36000 resolution_p90=36000 reopened=0.0000 returned=0.0000 rating=-"},
				{"year ago", d.YearAgo, "2025-11-01", "received=1 apartments=200 per1000=5.0000 open=1 overdue=1 reaction=0/0 resolution=0/0 " +
					"reaction_share=- resolution_share=- met=- reaction_median=- reaction_p90=- " +
					"resolution_median=- resolution_p90=- reopened=0.0000 returned=0.0000 rating=-"},
			} {
				if got := line(tc.got.Figures); got != tc.want {
					t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
				}
				if tc.got.Period.From != tc.from {
					t.Errorf("%s starts %s, want %s", tc.name, tc.got.Period.From, tc.from)
				}
			}

			// For a year's period the period before it is the year before:
			// both columns are the figures of that year, as its own
			// dashboard counts them.
			year, err := c.hq.Dashboard(ctx, analyst, core.HQFilter{From: "2025-11-11", To: "2026-11-10"})
			if err != nil {
				t.Fatal(err)
			}
			before, err := c.hq.Dashboard(ctx, analyst, core.HQFilter{From: "2024-11-11", To: "2025-11-10"})
			if err != nil {
				t.Fatal(err)
			}
			want := line(before.Current.Figures)
			for name, got := range map[string]core.PeriodFigures{"previous": year.Previous, "year ago": year.YearAgo} {
				if line(got.Figures) != want || got.Period != before.Current.Period {
					t.Errorf("a year's %s: %v %s, want the year before: %v %s", name, got.Period, line(got.Figures), before.Current.Period, want)
				}
			}
			if line(year.Current.Figures) == line(before.Current.Figures) {
				t.Errorf("the fixture's year and the year before count alike: %s", line(year.Current.Figures))
			}

			filtered := map[string]struct {
				f                 core.HQFilter
				received, open    int64
				apartments        int64
				overdue, reopened int64
			}{
				"north":       {core.HQFilter{District: "north"}, 7, 2, 160, 2, 1},
				"mc-a":        {core.HQFilter{ManagementCompany: "mc-a"}, 4, 1, 160, 1, 0},
				"contractor":  {core.HQFilter{Contractor: "ctr"}, 2, 0, 40, 0, 0},
				"supplier":    {core.HQFilter{Supplier: "sup-heat"}, 2, 1, 160, 1, 1},
				"utilities":   {core.HQFilter{Category: "utilities"}, 4, 3, 200, 3, 1},
				"call centre": {core.HQFilter{Channel: string(core.ChannelCallCentre)}, 5, 2, 200, 2, 0},
				"mc-b south":  {core.HQFilter{ManagementCompany: "mc-b", District: "south"}, 2, 1, 40, 1, 0},
			}
			for name, tc := range filtered {
				f := tc.f
				f.From, f.To = period.From, period.To
				d, err := c.hq.Dashboard(ctx, analyst, f)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				g := d.Current.Figures
				if g.Received != tc.received || g.Open != tc.open || g.Apartments != tc.apartments || g.Overdue != tc.overdue || g.Reopened != tc.reopened {
					t.Errorf("%s: received %d open %d apartments %d overdue %d reopened %d, want %d %d %d %d %d", name,
						g.Received, g.Open, g.Apartments, g.Overdue, g.Reopened, tc.received, tc.open, tc.apartments, tc.overdue, tc.reopened)
				}
			}

			leagues := map[string]string{
				core.OrgManagementCompany + "/" + core.RankPerThousand: "1 mc-b 2 50.0000 0.6667 prev=0; 2 mc-a 4 25.0000 0.7143 prev=1",
				core.OrgManagementCompany + "/" + core.RankDeadlines:   "1 mc-b 2 50.0000 0.6667 prev=0; 2 mc-a 4 25.0000 0.7143 prev=1",
				core.OrgContractor + "/":                               "1 ctr 2 50.0000 0.7500 prev=0",
				core.OrgResourceSupplier + "/":                         "1 sup-heat 2 12.5000 1.0000 prev=0",
				core.LeagueDistricts + "/":                             "1 south 3 75.0000 0.6000 prev=0; 2 north 7 43.7500 0.7778 prev=1",
			}
			for key, want := range leagues {
				kind, rank, _ := strings.Cut(key, "/")
				l, err := c.hq.League(ctx, analyst, kind, rank, period)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				var rows []string
				for _, r := range l.Rows {
					rows = append(rows, fmt.Sprintf("%d %s %d %s %s prev=%d", r.Rank, r.Code, r.Figures.Received, show(r.Figures.PerThousand),
						show(r.Figures.DeadlinesMet), r.Previous.Received))
				}
				if got := strings.Join(rows, "; "); got != want {
					t.Errorf("league %s:\n got %s\nwant %s", key, got, want)
				}
			}

			bs, err := c.hq.Buildings(ctx, analyst, "mc-a", period)
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range bs.Rows {
				rows = append(rows, fmt.Sprintf("%s %d %s", r.RegistryID, r.Figures.Received, show(r.Figures.PerThousand)))
			}
			if got, want := strings.Join(rows, "; "), "b1 2 20.0000; b2 2 33.3333"; got != want || bs.Total.Received != 4 {
				t.Errorf("mc-a's buildings: %s (total %d), want %s (total 4)", got, bs.Total.Received, want)
			}
			list, err := c.hq.Requests(ctx, analyst, "mc-a", c.bld["b1"], period)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Requests) != 2 || list.Requests[0].CreatedAt.Before(list.Requests[1].CreatedAt) {
				t.Errorf("mc-a's requests at b1: %+v, want R2 then R1", list.Requests)
			}
		})
	}
}
