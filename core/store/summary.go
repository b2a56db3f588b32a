package store

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// SummarySubscribed implements core.AnalyticsStore.
func (s *Store) SummarySubscribed(ctx context.Context, userID int64) (on bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		on, err = tx.NewSelect().TableExpr("summary_subscriptions").Where("user_id = ?", userID).Exists(ctx)
		return err
	})
	return on, err
}

// SetSummarySubscription implements core.AnalyticsStore.
func (s *Store) SetSummarySubscription(ctx context.Context, userID int64, on bool, at time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if !on {
			_, err := tx.NewDelete().TableExpr("summary_subscriptions").Where("user_id = ?", userID).Exec(ctx)
			return err
		}
		_, err := tx.NewRaw("INSERT INTO summary_subscriptions (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
			userID, at.UTC()).Exec(ctx)
		return err
	})
}

// SummarySubscribers implements core.AnalyticsStore.
func (s *Store) SummarySubscribers(ctx context.Context) (us []core.User, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&us).ModelTableExpr("users AS u").ColumnExpr("u.*").
			Where("u.active = ? AND u.id IN (SELECT ss.user_id FROM summary_subscriptions AS ss)", true).OrderExpr("u.id").Scan(ctx)
	})
	return us, err
}

// SummarySent implements core.AnalyticsStore.
func (s *Store) SummarySent(ctx context.Context, week string, userID int64) (sent bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sent, err = tx.NewSelect().TableExpr("summary_mailings").Where("week = ? AND user_id = ?", week, userID).Exists(ctx)
		return err
	})
	return sent, err
}

// MarkSummarySent implements core.AnalyticsStore.
func (s *Store) MarkSummarySent(ctx context.Context, week string, userID int64, at time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("INSERT INTO summary_mailings (week, user_id, sent_at) VALUES (?, ?, ?) ON CONFLICT (week, user_id) DO NOTHING",
			week, userID, at.UTC()).Exec(ctx)
		return err
	})
}
