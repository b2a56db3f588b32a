package store

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// saveCycle writes the request's current cycle to request_cycles, and the
// return or recall it records; the organization of a cycle stays the last
// one that held the request when none holds it now.
func saveCycle(ctx context.Context, tx bun.IDB, r *core.Request) error {
	if r.Handoff != nil {
		r.Handoff.RequestID = r.ID
		if _, err := tx.NewInsert().Model(r.Handoff).Exec(ctx); err != nil {
			return err
		}
	}
	c := r.CurrentCycle()
	if c == nil {
		return nil
	}
	_, err := tx.NewInsert().Model(c).
		On("CONFLICT (request_id, cycle) DO UPDATE").
		Set("started_at = EXCLUDED.started_at").
		Set("organization_id = coalesce(EXCLUDED.organization_id, ?TableAlias.organization_id)").
		Set("reaction_due_at = EXCLUDED.reaction_due_at, resolution_due_at = EXCLUDED.resolution_due_at").
		Set("accepted_at = EXCLUDED.accepted_at, resolved_at = EXCLUDED.resolved_at, closed_at = EXCLUDED.closed_at").
		Set("reaction_seconds = EXCLUDED.reaction_seconds, resolution_seconds = EXCLUDED.resolution_seconds").
		Set("reaction_late = EXCLUDED.reaction_late, resolution_late = EXCLUDED.resolution_late").
		Set("escalation_level = EXCLUDED.escalation_level").
		Exec(ctx)
	return err
}

// Cycles returns the cycles of a request the actor can see, the first
// first, with the code of the organization that held each last.
func (s *Store) Cycles(ctx context.Context, a core.Actor, requestID int64) (out []core.RequestCycle, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		visible := scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a).Where("r.id = ?", requestID)
		return tx.NewSelect().Model(&out).ModelTableExpr("request_cycles AS y").ColumnExpr("y.*").
			ColumnExpr("coalesce(o.code, '') AS organization_code").
			Join("LEFT JOIN organizations AS o ON o.id = y.organization_id").
			Where("y.request_id IN (?)", visible).Order("y.cycle").Scan(ctx)
	})
	return out, err
}

// Backfill computes the deadlines and cycle of up to limit requests stored
// before cycles existed (cycle_started_at unset), from their intake or last
// reopen in the city's calendar, and returns how many it did. On
// PostgreSQL it does nothing while another backfill of the city runs, so 0
// means none was left for this call, not that every request is done.
func (s *Store) Backfill(ctx context.Context, loc *time.Location, limit int) (n int, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.scope.Postgres() {
			// One backfill at a time per city: two would update the same
			// rollup rows and wait on each other's locks.
			var mine bool
			err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(hashtext('opencity.backfill.' || current_schema()))").Scan(ctx, &mine)
			if err != nil || !mine {
				return err
			}
		}
		var rs []core.Request
		if err := selectRequests(tx, &rs).Where("r.cycle_started_at IS NULL").Order("r.id").Limit(limit).Scan(ctx); err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		cal, err := loadCalendar(ctx, tx, loc)
		if err != nil {
			return err
		}
		cats := map[int64]*core.Category{}
		for i := range rs {
			r := &rs[i]
			cat, ok := cats[r.CategoryID]
			if !ok {
				cat = new(core.Category)
				if err := tx.NewSelect().Model(cat).Where("id = ?", r.CategoryID).Scan(ctx); err != nil {
					return err
				}
				cats[r.CategoryID] = cat
			}
			start := r.CreatedAt
			if r.Cycle > 1 {
				var last []core.RequestEvent
				err := tx.NewSelect().Model(&last).Column("created_at").
					Where("request_id = ? AND kind = ?", r.ID, string(core.ActionReopen)).
					Order("id DESC").Limit(1).Scan(ctx)
				if err != nil {
					return err
				}
				if len(last) > 0 {
					start = last[0].CreatedAt
				}
			}
			r.ComputeCycle(cat, cal, start.UTC())
			err := rewriteRequests(ctx, tx, []int64{r.ID}, func() error {
				_, err := tx.NewUpdate().Model(r).
					Column("cycle_started_at", "reaction_due_at", "resolution_due_at", "reaction_seconds", "resolution_seconds",
						"reaction_escalated_at", "resolution_escalated_at", "escalation_level", "escalated_at").
					WherePK().Exec(ctx)
				return err
			})
			if err != nil {
				return err
			}
			if err := saveCycle(ctx, tx, r); err != nil {
				return err
			}
		}
		n = len(rs)
		return nil
	})
	return n, err
}
