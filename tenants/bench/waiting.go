package bench

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// MakeWaiting turns the city's n newest closed requests into requests
// waiting at the dispatcher's desk, a third of each kind: new (routing
// could not place them), returned by their organization, and in progress
// past their resolution time (overdue). It writes straight through the
// city's scope, so a test or the bench gets thousands of waiting requests
// in a second; it returns how many it changed.
func MakeWaiting(ctx context.Context, scope store.Scope, n int) (changed int, err error) {
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewSelect().TableExpr("requests").Column("id").Where("status = ?", core.StatusClosed).
			OrderExpr("id DESC").Limit(n).Scan(ctx, &ids); err != nil {
			return err
		}
		var groups [3][]int64
		for _, id := range ids {
			groups[id%3] = append(groups[id%3], id)
		}
		for i, status := range []core.Status{core.StatusNew, core.StatusReturned} {
			if len(groups[i]) == 0 {
				continue
			}
			if _, err := tx.NewRaw(`UPDATE requests SET status = ?, organization_id = NULL, executor_id = NULL,
				assigned_at = NULL, accepted_at = NULL, resolved_at = NULL, closed_at = NULL, reaction_due_at = NULL,
				resolution_due_at = NULL, reaction_seconds = NULL, resolution_seconds = NULL, rating = NULL WHERE id IN (?)`,
				status, bun.In(groups[i])).Exec(ctx); err != nil {
				return err
			}
		}
		if len(groups[2]) > 0 {
			if _, err := tx.NewRaw(`UPDATE requests SET status = ?, resolved_at = NULL, closed_at = NULL,
				resolution_seconds = NULL, rating = NULL WHERE id IN (?) AND resolution_due_at IS NOT NULL`,
				core.StatusInProgress, bun.In(groups[2])).Exec(ctx); err != nil {
				return err
			}
		}
		changed = len(ids)
		return nil
	})
	return changed, err
}

// CloseWaiting closes the city's n newest requests waiting at the desk
// (core.WaitingStatuses): the bench's own intake leaves thousands of new
// ones in the big city, and the desk is measured with DeskWaiting waiting.
// Like MakeWaiting it writes straight through the city's scope; it returns
// how many it closed.
func CloseWaiting(ctx context.Context, scope store.Scope, n int) (closed int, err error) {
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewSelect().TableExpr("requests").Column("id").Where("status IN (?)", bun.In(core.WaitingStatuses)).
			OrderExpr("id DESC").Limit(n).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.NewRaw(`UPDATE requests SET status = ?, closed_at = coalesce(closed_at, ?) WHERE id IN (?)`,
			core.StatusClosed, time.Now().UTC(), bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
		closed = len(ids)
		return nil
	})
	return closed, err
}
