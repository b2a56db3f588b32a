package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Backfill computes the deadlines of a stored history (requests without a
// cycle) batch by batch until none is left; on PostgreSQL a second backfill
// of the city does nothing while the first holds the city, instead of
// waiting on the same rollup rows, and another city is not held by it.
func TestBackfillOneAtATime(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			left := func(slug string) (n int) {
				t.Helper()
				scope, err := b.Scope(slug)
				if err != nil {
					t.Fatal(err)
				}
				err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT count(*) FROM requests WHERE cycle_started_at IS NULL").Scan(ctx, &n)
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			var loc *time.Location
			for _, slug := range []string{"first", "second"} {
				l, err := bench.PrepareCity(ctx, b, slug, 5, "demo")
				if err != nil {
					t.Fatal(err)
				}
				loc = l
				end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
				if _, err := bench.Fill(ctx, b, slug, bench.History{Requests: 300, Years: 1, End: end, Seed: 3, Buildings: 5}, nil); err != nil {
					t.Fatal(err)
				}
				// As requests stored before cycles existed: no cycle, no
				// deadlines (the generator writes them as intake does).
				scope, err := b.Scope(slug)
				if err != nil {
					t.Fatal(err)
				}
				if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					if _, err := tx.NewRaw(`UPDATE requests SET cycle_started_at = NULL, reaction_due_at = NULL, resolution_due_at = NULL,
						reaction_seconds = NULL, resolution_seconds = NULL`).Exec(ctx); err != nil {
						return err
					}
					_, err := tx.NewRaw("DELETE FROM request_cycles").Exec(ctx)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if n := left(slug); n != 300 {
					t.Fatalf("%s: %d requests without deadlines after the fill, want 300", slug, n)
				}
			}
			first, err := b.Store("first")
			if err != nil {
				t.Fatal(err)
			}
			second, err := b.Store("second")
			if err != nil {
				t.Fatal(err)
			}

			if kind == "postgres" {
				// Another backfill holds the first city.
				scope, err := b.Scope("first")
				if err != nil {
					t.Fatal(err)
				}
				held, release := make(chan struct{}), make(chan struct{})
				done := make(chan error, 1)
				go func() {
					done <- scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
						if _, err := tx.NewRaw("SELECT pg_advisory_xact_lock(hashtext('opencity.backfill.' || current_schema()))").Exec(ctx); err != nil {
							close(held)
							return err
						}
						close(held)
						<-release
						return nil
					})
				}()
				<-held
				n, err := first.Backfill(ctx, loc, 100)
				if err != nil || n != 0 || left("first") != 300 {
					t.Errorf("backfill beside another: %d done, %v, %d left; want none done, 300 left", n, err, left("first"))
				}
				if n, err := second.Backfill(ctx, loc, 100); err != nil || n != 100 {
					t.Errorf("another city beside the first's backfill: %d done, %v; want 100", n, err)
				}
				close(release)
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}

			for _, st := range []*store.Store{first, second} {
				for {
					n, err := st.Backfill(ctx, loc, 100)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
			}
			if a, b := left("first"), left("second"); a != 0 || b != 0 {
				t.Errorf("%d and %d requests still without deadlines", a, b)
			}
		})
	}
}
