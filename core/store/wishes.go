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
