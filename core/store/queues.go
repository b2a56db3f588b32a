package store

import (
	"context"
	"slices"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// overdueExpr is core.Request.Overdue in SQL: true for a request in one of
// the statuses of its first argument (core.UnfinishedStatuses) past its reaction
// or resolution time; its other two arguments are the current time.
const overdueExpr = `(r.status IN (?) AND ((r.accepted_at IS NULL AND r.reaction_due_at < ?) OR (r.resolved_at IS NULL AND r.resolution_due_at < ?)))`

// MaxQueue bounds the rows of a queue page and of a CSV export.
const MaxQueue = 5000

// WorkQueue returns an organization's queue: the requests the actor sees
// that match q, those waiting to be accepted first (assigned, reopened), then
// accepted, then in progress, then the rest; the most urgent deadline first
// within each, then the newest. Without statuses it lists the open ones.
func (s *Store) WorkQueue(ctx context.Context, a core.Actor, q core.RequestQuery) (out []core.Request, err error) {
	if q.Limit <= 0 || q.Limit > MaxQueue {
		q.Limit = MaxQueue
	}
	if len(q.Statuses) == 0 {
		q.Statuses = slices.Clone(core.OpenStatuses)
	}
	ids, err := s.filterIDs(ctx, q)
	if err != nil {
		return nil, err
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return filterRequests(scopeRequests(selectRequests(tx, &out), a), q, ids).
			OrderExpr("CASE r.status WHEN ? THEN 0 WHEN ? THEN 0 WHEN ? THEN 1 WHEN ? THEN 2 ELSE 3 END",
				core.StatusAssigned, core.StatusReopened, core.StatusAccepted, core.StatusInProgress).
			OrderExpr("CASE WHEN r.resolution_due_at IS NULL THEN 1 ELSE 0 END").
			Order("r.resolution_due_at", "r.id DESC").Limit(q.Limit).Scan(ctx)
	})
	return out, err
}

// RecentPublic returns the city's most recent requests for the public list,
// leaving out rejected ones (spam) and duplicates.
func (s *Store) RecentPublic(ctx context.Context, limit int) (out []core.PublicItem, err error) {
	if limit <= 0 || limit > core.MaxPage {
		limit = core.MaxPage
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("requests AS r").
			ColumnExpr("r.number, r.status, r.created_at, c.code AS category_code, c.name_ru AS category_ru, c.name_en AS category_en").
			ColumnExpr("coalesce(b.address_ru, '') AS address, coalesce(d.code, '') AS district_code").
			Join("JOIN categories AS c ON c.id = r.category_id").
			Join("LEFT JOIN buildings AS b ON b.id = r.building_id").
			Join("LEFT JOIN districts AS d ON d.id = r.district_id").
			Where("r.status NOT IN (?)", bun.In([]core.Status{core.StatusRejected, core.StatusDuplicate})).
			Order("r.id DESC").Limit(limit).Scan(ctx, &out)
	})
	return out, err
}

// QueueCounts counts the city's overdue requests (core.Request.Overdue at
// now) and those waiting in the dispatcher's triage queue for a placement
// (new or returned, wishes left out), for the server's metrics.
func (s *Store) QueueCounts(ctx context.Context, now time.Time) (overdue, waiting int, err error) {
	now = now.UTC()
	var row struct {
		Overdue int `bun:"overdue"`
		Waiting int `bun:"waiting"`
	}
	refs, err := s.deskRefs(ctx, core.DeskFilter{})
	if err != nil {
		return 0, 0, err
	}
	nw := refs.notWish()
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("requests AS r").
			ColumnExpr("count(CASE WHEN "+overdueExpr+" THEN 1 END) AS overdue", bun.In(core.UnfinishedStatuses), now, now).
			ColumnExpr("count(CASE WHEN r.status IN (?) AND "+nw.expr+" THEN 1 END) AS waiting",
				append([]any{bun.In(core.TriageStatuses)}, nw.args...)...).
			Scan(ctx, &row)
	})
	return row.Overdue, row.Waiting, err
}
