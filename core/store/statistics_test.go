package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The public statistics of the HQ fixture (fileFixture) equal what was
// computed by hand from its comments, on both backends: months are local
// months in Moscow (R1, filed on 1 November at 00:30 Moscow time, is
// November's), districts come from the buildings, management companies
// from the responsible organization (R4 is the contractor's after mc-b
// returned it, so no management company's), and medians are nearest-rank.
func TestPublicStatistics(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "stats")
			c.fileFixture(t)
			now := time.Date(2026, 11, 12, 12, 0, 0, 0, c.loc)
			ps := &core.PublicStatistics{Store: c.st, City: "stats", Location: c.loc, Now: func() time.Time { return now },
				Cache: core.NewStatisticsCache(8)}
			s, err := ps.Get(ctx, core.StatisticsQuery{From: "2025-11", To: "2026-11"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range s.Rows {
				got = append(got, fmt.Sprintf("%s %s %s %s received=%d resolved=%d on_time=%d share=%s median=%s",
					r.Month, r.Kind, r.Code, r.NameEN, r.Received, r.Resolved, r.ResolvedOnTime, show(r.ResolvedOnTimeShare), show(r.ResolutionMedianSeconds)))
			}
			want := []string{
				// R14, never accepted.
				"2025-11 district north North received=1 resolved=0 on_time=0 share=- median=-",
				"2025-11 management_company mc-a Organization mc-a received=1 resolved=0 on_time=0 share=- median=-",
				// R13.
				"2026-10 district north North received=1 resolved=1 on_time=1 share=1.0000 median=36000",
				"2026-10 management_company mc-a Organization mc-a received=1 resolved=1 on_time=1 share=1.0000 median=36000",
				// North: R1 R2 R3 R6 R7 R9 R10 R12; resolved R1 (39600, on time), R2 (90000, late),
				// R3 (12000, on time), R10 (72000, on time): median of four is the second.
				"2026-11 district north North received=8 resolved=4 on_time=3 share=0.7500 median=39600",
				// South: R4 R5 R11; resolved R4 (120000, late) and R5 (60000, on time).
				"2026-11 district south South received=3 resolved=2 on_time=1 share=0.5000 median=60000",
				// mc-a: R1 R2 R7 R10 R12; resolved R1, R2, R10.
				"2026-11 management_company mc-a Organization mc-a received=5 resolved=3 on_time=2 share=0.6667 median=72000",
				// mc-b: R5 (delegated, still mc-b's) and R11.
				"2026-11 management_company mc-b Organization mc-b received=2 resolved=1 on_time=1 share=1.0000 median=60000",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("statistics:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			if s.From != "2025-11" || s.To != "2026-11" {
				t.Errorf("months %s–%s, want 2025-11–2026-11", s.From, s.To)
			}

			// The default is the twelve months up to the current one: R14
			// (November 2025) falls outside.
			d, err := ps.Get(ctx, core.StatisticsQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if d.From != "2025-12" || d.To != "2026-11" || len(d.Rows) != 6 {
				t.Errorf("default months %s–%s with %d rows, want 2025-12–2026-11 with 6", d.From, d.To, len(d.Rows))
			}

			// A repeated question within the cache's life is answered from
			// the cache: a request filed since does not show yet, and the
			// answer says when it was counted.
			c.file(t, time.Date(2026, 11, 12, 9, 0, 0, 0, c.loc), "hq-citizen", "b3", "roof-leak")
			now = now.Add(time.Minute)
			again, err := ps.Get(ctx, core.StatisticsQuery{From: "2025-11", To: "2026-11"})
			if err != nil {
				t.Fatal(err)
			}
			if again != s || !again.GeneratedAt.Equal(time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("a repeated question was counted again (generated at %v)", again.GeneratedAt)
			}
			fresh := &core.PublicStatistics{Store: c.st, City: "stats", Location: c.loc, Now: func() time.Time { return now }}
			if f, err := fresh.Get(ctx, core.StatisticsQuery{From: "2026-11", To: "2026-11"}); err != nil {
				t.Fatal(err)
			} else if f.Rows[1].Code != "south" || f.Rows[1].Received != 4 {
				t.Errorf("without a cache, South has %+v, want 4 received", f.Rows[1])
			}

			for _, tc := range []struct {
				q     core.StatisticsQuery
				field string
			}{
				{core.StatisticsQuery{From: "2026-13"}, "from"},
				{core.StatisticsQuery{To: "ноябрь"}, "to"},
				{core.StatisticsQuery{From: "2026-11", To: "2026-10"}, "from"},
				{core.StatisticsQuery{From: "2023-11", To: "2026-11"}, "from"},
			} {
				_, err := ps.Get(ctx, tc.q)
				var ce *core.Error
				if !errors.As(err, &ce) || ce.Code != core.EINVALID || ce.Fields[tc.field].Code == "" {
					t.Errorf("%+v: %v, want a field error on %s", tc.q, err, tc.field)
				}
			}
		})
	}
}
