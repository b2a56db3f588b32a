package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Activity is how busy a city has been, as the vendor's console lists it.
type Activity struct {
	Requests24h int // requests created in the 24 hours before now
	Requests30d int // requests created in the 30 days before now
	// Resolved30d counts those of Requests30d that are resolved, and
	// OnTime30d those of them resolved by their resolution due time (or
	// without one).
	Resolved30d, OnTime30d int
	LastRequest            *time.Time // the newest request's creation; nil without requests
}

// OnTimeShare is OnTime30d / Resolved30d, 0 when nothing was resolved.
func (a Activity) OnTimeShare() float64 {
	if a.Resolved30d == 0 {
		return 0
	}
	return float64(a.OnTime30d) / float64(a.Resolved30d)
}

// Activity counts the city's requests of the last day and the last 30 days
// before now, in one transaction.
func (s *Store) Activity(ctx context.Context, now time.Time) (Activity, error) {
	now = now.UTC()
	var out Activity
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var row struct {
			N24      int `bun:"n24"`
			N30      int `bun:"n30"`
			Resolved int `bun:"resolved"`
			OnTime   int `bun:"ontime"`
		}
		err := tx.NewRaw(`SELECT
			COALESCE(SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), 0) AS n24,
			COUNT(*) AS n30,
			COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS resolved,
			COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL AND (resolution_due_at IS NULL OR resolved_at <= resolution_due_at) THEN 1 ELSE 0 END), 0) AS ontime
			FROM requests WHERE created_at >= ?`, now.Add(-24*time.Hour), now.Add(-30*24*time.Hour)).Scan(ctx, &row)
		if err != nil {
			return err
		}
		out.Requests24h, out.Requests30d, out.Resolved30d, out.OnTime30d = row.N24, row.N30, row.Resolved, row.OnTime
		var last struct {
			At bun.NullTime `bun:"at"`
		}
		if err := tx.NewRaw("SELECT MAX(created_at) AS at FROM requests").Scan(ctx, &last); err != nil {
			return err
		}
		if !last.At.IsZero() {
			t := last.At.Time
			out.LastRequest = &t
		}
		return nil
	})
	return out, err
}

// CountCreated counts the requests created in [from, to).
func (s *Store) CountCreated(ctx context.Context, from, to time.Time) (int64, error) {
	var n int
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
		n, err = tx.NewSelect().Table("requests").Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).Count(ctx)
		return err
	})
	return int64(n), err
}
