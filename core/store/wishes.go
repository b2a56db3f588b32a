package store

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// Wishes implements core.WishStore. The wish categories are resolved from
// the routing memo, so the week's range walks the creation-time index.
func (s *Store) Wishes(ctx context.Context, a core.Actor, from, to time.Time, limit int) (out []core.Request, err error) {
	refs, err := s.deskRefs(ctx, core.DeskFilter{})
	if err != nil || len(refs.wishes) == 0 {
		return nil, err
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeRequests(selectRequests(tx, &out), a).
			Where("r.created_at >= ? AND r.created_at < ?", from.UTC(), to.UTC()).
			Where("r.category_id IN (?)", bun.In(refs.wishes)).
			OrderExpr("r.category_id, coalesce(r.district_id, 0), r.id").Limit(limit).Scan(ctx)
	})
	return out, err
}

var _ core.WishDecisionStore = (*Store)(nil)

// SaveWishDecision implements core.WishDecisionStore: the decision replaces
// the wish's earlier one, and the event joins its history.
func (s *Store) SaveWishDecision(ctx context.Context, d *core.WishDecision, ev *core.RequestEvent) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := new(core.Request)
		if err := tx.NewSelect().Model(r).Column("id", "status").Where("id = ?", d.RequestID).Scan(ctx); err != nil {
			return notFound(err, "request")
		}
		if _, err := tx.NewInsert().Model(d).On("CONFLICT (request_id) DO UPDATE").
			Set("decision = EXCLUDED.decision, plan_date = EXCLUDED.plan_date, organization_id = EXCLUDED.organization_id").
			Set("reason = EXCLUDED.reason, week = EXCLUDED.week, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at").
			Exec(ctx); err != nil {
			return err
		}
		ev.FromState, ev.ToState = string(r.Status), string(r.Status)
		return recordEvents(ctx, tx, ev)
	})
}

// WishDecisions implements core.WishDecisionStore.
func (s *Store) WishDecisions(ctx context.Context, ids []int64) (map[int64]*core.WishDecision, error) {
	out := map[int64]*core.WishDecision{}
	if len(ids) == 0 {
		return out, nil
	}
	var ds []*core.WishDecision
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&ds).ModelTableExpr("wish_decisions AS wd").ColumnExpr("wd.*").ColumnExpr("u.name AS decided_by_name").
			Join("JOIN users AS u ON u.id = wd.decided_by").Where("wd.request_id IN (?)", bun.In(ids)).Scan(ctx)
	})
	for _, d := range ds {
		out[d.RequestID] = d
	}
	return out, err
}

// WishesDecidedIn implements core.WishDecisionStore.
func (s *Store) WishesDecidedIn(ctx context.Context, a core.Actor, week string) (out []core.Request, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeRequests(selectRequests(tx, &out), a).
			Where("r.id IN (SELECT request_id FROM wish_decisions WHERE week = ?)", week).
			OrderExpr("r.category_id, r.id").Limit(core.MaxWishes).Scan(ctx)
	})
	return out, err
}
