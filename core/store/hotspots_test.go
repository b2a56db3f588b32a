package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// fileBulbs files the hot-spot fixture: the north district (b1 and b2 on
// ул. Тестовая) gets nine street-lighting requests in the 30 days from
// 12 October to 10 November 2026 (b1 six, b2 three) against three in the
// year before — burnt-out bulbs from poor power quality; the quiet south
// (b3, moved to ул. Южная) gets five in the period against its usual
// twenty-three a year, plus a roof leak.
func (c *hqCity) fileBulbs(t *testing.T) {
	t.Helper()
	err := c.scope.RunInTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE buildings SET address_ru = ? WHERE registry_id = ?", "ул. Южная, 3", "b3").Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	msk := func(m time.Month, d, h int) time.Time {
		y := 2026
		if m > time.November {
			y = 2025
		}
		return time.Date(y, m, d, h, 0, 0, 0, c.loc)
	}
	const cit = "hq-citizen"
	for i := range 6 {
		c.file(t, msk(time.October, 14+4*i, 9), cit, "b1", "street-lighting")
	}
	for i := range 3 {
		c.file(t, msk(time.October, 20+5*i, 18), cit, "b2", "street-lighting")
	}
	c.file(t, msk(time.March, 10, 9), cit, "b1", "street-lighting")
	c.file(t, msk(time.June, 15, 9), cit, "b2", "street-lighting")
	c.file(t, msk(time.October, 11, 23), cit, "b1", "street-lighting") // the day before the period: baseline
	// The south: 23 in the year before, 2 a month but 1 in the baseline's
	// last month; 5 in the period.
	for i := range 23 {
		c.file(t, time.Date(2025, 10, 15, 9, 0, 0, 0, c.loc).AddDate(0, i/2, 3*(i%2)), cit, "b3", "street-lighting")
	}
	for i := range 5 {
		c.file(t, msk(time.October, 13+6*i, 9), cit, "b3", "street-lighting")
	}
	c.file(t, msk(time.November, 2, 9), cit, "b3", "roof-leak")
	c.file(t, msk(time.November, 11, 9), cit, "b1", "street-lighting") // after the period
}

// The district with many burnt-out bulbs surfaces by itself, with its
// street and its worst building, and the evidence computed by hand;
// the quiet district, with as many requests against its own higher
// normal, does not. On both backends.
func TestHotSpots(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqhot")
			c.fileBulbs(t)
			analyst := c.people["hq-analyst"]
			period := core.HQFilter{From: "2026-10-12", To: "2026-11-10"}
			hs, err := c.hq.HotSpots(ctx, analyst, period, core.HotSpotLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if hs.Baseline != (core.Period{From: "2025-10-12", To: "2026-10-11"}) || hs.MinCount != 5 || hs.MinRatio != 3 {
				t.Errorf("baseline %+v, limits %d %v", hs.Baseline, hs.MinCount, hs.MinRatio)
			}
			// Expected = (baseline + 1) × 30 / 365: north and its street
			// (three in the baseline: March, June and 11 October)
			// 4 × 30 / 365 = 0.3288, ratio 9 / 0.3288 = 27.38; b1 (March
			// and 11 October) 3 × 30 / 365 = 0.2466, ratio 6 / 0.2466 =
			// 24.33. The south: 5 / (24 × 30 / 365) = 2.53, under 3.
			var got []string
			for _, h := range hs.Rows {
				got = append(got, fmt.Sprintf("%s %s %s group=%v count=%d base=%d expected=%.4f ratio=%.2f",
					h.Level, h.Name("ru"), h.Category, h.Group, h.Count, h.BaselineCount, h.Expected, h.Ratio))
			}
			want := []string{
				"district Северный street-lighting group=false count=9 base=3 expected=0.3288 ratio=27.38",
				"street ул. Тестовая street-lighting group=false count=9 base=3 expected=0.3288 ratio=27.38",
				"building ул. Тестовая, b1 street-lighting group=false count=6 base=2 expected=0.2466 ratio=24.33",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("hot spots:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, h := range hs.Rows {
				if h.Lat == nil || *h.Lat != 55.79 {
					t.Errorf("%s %s: lat %v", h.Level, h.Place, h.Lat)
				}
			}

			// A lower threshold lets the quiet south in at its true ratio.
			low, err := c.hq.HotSpots(ctx, analyst, period, core.HotSpotLimits{MinCount: 5, MinRatio: 2.5})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, h := range low.Rows {
				if h.Level == core.PlaceDistrict && h.Place == "south" {
					found = fmt.Sprintf("%d %d %.4f", h.Count, h.BaselineCount, h.Ratio) == "5 23 2.5347"
				}
			}
			if !found {
				t.Errorf("south at ratio 2.5: %+v", low.Rows)
			}

			// The evidence links to the requests: the north's bulbs.
			f := period
			f.Category = "street-lighting"
			for _, tc := range []struct {
				level, place string
				n            int
			}{{core.PlaceDistrict, "north", 9}, {core.PlaceStreet, "ул. Тестовая", 9}, {core.PlaceBuilding, fmt.Sprint(c.bld["b1"]), 6}} {
				rs, err := c.hq.PlaceRequests(ctx, analyst, tc.level, tc.place, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(rs.Requests) != tc.n {
					t.Errorf("%s %s: %d requests, want %d", tc.level, tc.place, len(rs.Requests), tc.n)
				}
			}
			// Bad thresholds and places are the caller's mistakes; a
			// citizen never sees hot spots.
			if _, err := c.hq.HotSpots(ctx, analyst, period, core.HotSpotLimits{MinCount: -1, MinRatio: 0.5}); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("bad limits: %v", err)
			}
			if _, err := c.hq.PlaceRequests(ctx, analyst, "planet", "earth", f); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("bad level: %v", err)
			}
			if _, err := c.hq.HotSpots(ctx, c.people["hq-citizen"], period, core.HotSpotLimits{}); err == nil {
				t.Error("a citizen read hot spots")
			}

			// Through the baselines' cache: the same hot spots; a request
			// filed in the period counts at once, the kept baseline with it.
			cached := *c.hq
			cached.City, cached.Baselines = "hqhot", core.NewBaselineCache(4)
			for range 2 {
				again, err := cached.HotSpots(ctx, analyst, period, core.HotSpotLimits{})
				if err != nil {
					t.Fatal(err)
				}
				if spots(again.Rows) != spots(hs.Rows) {
					t.Errorf("cached hot spots:\n%s\nwant\n%s", spots(again.Rows), spots(hs.Rows))
				}
			}
			// One more request in the period and one in the baseline: the
			// period is counted afresh against the kept baseline; counted
			// without the cache, both show.
			c.file(t, time.Date(2026, 11, 1, 9, 0, 0, 0, c.loc), "hq-citizen", "b2", "street-lighting")
			c.file(t, time.Date(2026, 6, 20, 9, 0, 0, 0, c.loc), "hq-citizen", "b2", "street-lighting")
			later, err := cached.HotSpots(ctx, analyst, period, core.HotSpotLimits{MinCount: 5, MinRatio: 2.9})
			if err != nil {
				t.Fatal(err)
			}
			if len(later.Rows) == 0 || later.Rows[0].Level != core.PlaceDistrict || later.Rows[0].Count != 10 || later.Rows[0].BaselineCount != 3 {
				t.Errorf("through the kept baseline: %s", spots(later.Rows))
			}
			fresh, err := c.hq.HotSpots(ctx, analyst, period, core.HotSpotLimits{MinCount: 5, MinRatio: 2.9})
			if err != nil {
				t.Fatal(err)
			}
			if len(fresh.Rows) == 0 || fresh.Rows[0].Count != 10 || fresh.Rows[0].BaselineCount != 4 {
				t.Errorf("counted afresh: %s", spots(fresh.Rows))
			}
		})
	}
}

// spots is hot spots' evidence, one line each.
func spots(rows []core.HotSpot) string {
	var b strings.Builder
	for _, h := range rows {
		fmt.Fprintf(&b, "%s %s %s %v %d %d %.4f %.4f\n", h.Level, h.Place, h.Category, h.Group, h.Count, h.BaselineCount, h.Expected, h.Ratio)
	}
	return b.String()
}
