package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// A city's activity (the vendor console's columns) and the count billed for
// a period agree with the city's requests counted one by one.
func TestActivityAndCountCreated(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			loc, err := bench.PrepareCity(ctx, b, "busy", 20, "pw")
			if err != nil {
				t.Fatal(err)
			}
			end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
			if _, err := bench.Fill(ctx, b, "busy", bench.History{Requests: 600, Years: 1, End: end, Seed: 5, Buildings: 20}, nil); err != nil {
				t.Fatal(err)
			}
			st, _ := b.Store("busy")
			scope, _ := b.Scope("busy")
			var rows []struct {
				CreatedAt       time.Time  `bun:"created_at"`
				ResolvedAt      *time.Time `bun:"resolved_at"`
				ResolutionDueAt *time.Time `bun:"resolution_due_at"`
			}
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT created_at, resolved_at, resolution_due_at FROM requests").Scan(ctx, &rows)
			})
			if err != nil || len(rows) != 600 {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
			now := end.Add(-12 * time.Hour)
			var n24, n30, resolved, onTime int
			var last time.Time
			for _, r := range rows {
				if r.CreatedAt.After(last) {
					last = r.CreatedAt
				}
				if r.CreatedAt.Before(now.Add(-30 * 24 * time.Hour)) {
					continue
				}
				n30++
				if !r.CreatedAt.Before(now.Add(-24 * time.Hour)) {
					n24++
				}
				if r.ResolvedAt != nil {
					resolved++
					if r.ResolutionDueAt == nil || !r.ResolvedAt.After(*r.ResolutionDueAt) {
						onTime++
					}
				}
			}
			a, err := st.Activity(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if a.Requests24h != n24 || a.Requests30d != n30 || a.Resolved30d != resolved || a.OnTime30d != onTime ||
				a.LastRequest == nil || !a.LastRequest.Equal(last) {
				t.Errorf("activity %+v, want 24h %d, 30d %d, resolved %d, on time %d, last %s", a, n24, n30, resolved, onTime, last)
			}
			if n30 < 20 || resolved == 0 {
				t.Errorf("the fill left too little to count: 30d %d, resolved %d", n30, resolved)
			}
			from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
			want := 0
			for _, r := range rows {
				if !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
					want++
				}
			}
			if got, err := st.CountCreated(ctx, from, to); err != nil || got != int64(want) || want == 0 {
				t.Errorf("count in March: %d, %v; want %d", got, err, want)
			}
		})
	}
}
