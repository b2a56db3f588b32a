package store

import (
	"context"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// The dispatcher's desk reads only the requests in core.WaitingStatuses:
// every query starts with that condition written exactly as the partial
// index requests_waiting_idx (migration 0070) states it, so both databases
// walk the few thousand waiting rows, never the city's history. On
// PostgreSQL the waiting rows have an index per order besides (deskIndexes).

// deskSQL is a piece of SQL with its arguments.
type deskSQL struct {
	expr string
	args []any
}

// deskRefs are the ids a desk query needs, resolved from the routing memo
// so the planner sees plain values: the wish categories (left out of
// triage) and the filter's category, district.
type deskRefs struct {
	wishes     []int64
	categories []int64
	districts  []int64
}

func (s *Store) deskRefs(ctx context.Context, f core.DeskFilter) (*deskRefs, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	refs := &deskRefs{}
	for i := range m.dir.Categories {
		c := &m.dir.Categories[i]
		if c.Wish() {
			refs.wishes = append(refs.wishes, c.ID)
		}
		if f.Category != "" && (c.Code == f.Category || c.GroupCode == f.Category) {
			refs.categories = append(refs.categories, c.ID)
		}
	}
	for _, d := range m.dir.Districts {
		if f.District != "" && d.Code == f.District {
			refs.districts = append(refs.districts, d.ID)
		}
	}
	return refs, nil
}

// notWish is the SQL of "not a wish" (core.Category.Wish).
func (r *deskRefs) notWish() deskSQL {
	if len(r.wishes) == 0 {
		return deskSQL{"1 = 1", nil}
	}
	return deskSQL{"r.category_id NOT IN (?)", []any{bun.In(r.wishes)}}
}

// deskQueueExpr is core.Request.InQueue in SQL; ok is false for a queue this
// storage cannot tell.
func (r *deskRefs) deskQueueExpr(q core.Queue, now time.Time) (sql deskSQL, ok bool) {
	nw := r.notWish()
	switch q {
	case core.QueueNew, core.QueueReturned:
		return deskSQL{"(r.status = ? AND " + nw.expr + ")", append([]any{core.Status(q)}, nw.args...)}, true
	case core.QueueOverdue:
		return deskSQL{overdueExpr, []any{bun.In(core.UnfinishedStatuses), now, now}}, true
	case core.QueueEscalated:
		return deskSQL{`(r.status IN (?) AND ((r.reaction_escalated_at IS NOT NULL AND r.accepted_at IS NULL) OR
			(r.resolution_escalated_at IS NOT NULL AND r.resolved_at IS NULL)))`, []any{bun.In(core.UnfinishedStatuses)}}, true
	case core.QueueEmergency:
		return deskSQL{"(r.priority = ? AND " + nw.expr + " AND (r.status IN (?) OR (r.status IN (?) AND r.accepted_at IS NULL)))",
			append(append([]any{core.PriorityEmergency}, nw.args...), bun.In(core.TriageStatuses), bun.In(core.OpenStatuses))}, true
	case core.QueueOutage:
		return deskSQL{"(r.status = ?)", []any{core.StatusOutage}}, true
	case core.QueueAll:
		var parts []string
		var args []any
		for _, x := range core.AllQueues() {
			e, _ := r.deskQueueExpr(x, now)
			parts = append(parts, e.expr)
			args = append(args, e.args...)
		}
		return deskSQL{"(" + strings.Join(parts, " OR ") + ")", args}, true
	}
	return deskSQL{}, false
}

// DeskQueues implements core.DeskStore: every queue this storage can tell.
func (s *Store) DeskQueues() []core.Queue {
	var out []core.Queue
	refs := &deskRefs{}
	for _, q := range core.Queues {
		if _, ok := refs.deskQueueExpr(q, time.Time{}); ok {
			out = append(out, q)
		}
	}
	return out
}

// deskBase confines a desk query to the actor's rows among the waiting ones
// under the filter f.
func (r *deskRefs) deskBase(sel *bun.SelectQuery, a core.Actor, f core.DeskFilter, now time.Time) *bun.SelectQuery {
	sel = scopeRequests(sel, a).Where("r.status IN (?)", bun.In(core.WaitingStatuses))
	for _, c := range r.filters(f, now) {
		sel = sel.Where(c.expr, c.args...)
	}
	return sel
}

// filters are the conditions of the filter f (deskColumns and the
// creation time only).
func (r *deskRefs) filters(f core.DeskFilter, now time.Time) []deskSQL {
	var out []deskSQL
	if f.Category != "" {
		out = append(out, inIDs("r.category_id", r.categories))
	}
	if f.District != "" {
		out = append(out, inIDs("r.district_id", r.districts))
	}
	if f.Channel != "" {
		out = append(out, deskSQL{"r.channel = ?", []any{f.Channel}})
	}
	if f.Priority != "" {
		out = append(out, deskSQL{"r.priority = ?", []any{f.Priority}})
	}
	if d := f.Age.Duration(); d > 0 {
		out = append(out, deskSQL{"r.created_at < ?", []any{now.UTC().Add(-d)}})
	}
	return out
}

// inIDs keeps the rows whose column is one of ids; none when ids is empty.
func inIDs(col string, ids []int64) deskSQL {
	if len(ids) == 0 {
		return deskSQL{"1 = 0", nil}
	}
	return deskSQL{"? IN (?)", []any{bun.Safe(col), bun.In(ids)}}
}

// deskOrder is core.KeyOf in SQL: the rank and key expressions of an order.
func deskOrder(s core.DeskSort) (rank, key deskSQL) {
	if s == core.SortDeadline {
		due := deskSQL{`CASE WHEN r.status IN (?) AND r.accepted_at IS NULL AND r.reaction_due_at IS NOT NULL THEN r.reaction_due_at
			WHEN r.status IN (?) AND r.resolved_at IS NULL THEN r.resolution_due_at END`,
			[]any{bun.In(core.UnfinishedStatuses), bun.In(core.UnfinishedStatuses)}}
		return deskSQL{"CASE WHEN (" + due.expr + ") IS NULL THEN 1 ELSE 0 END", due.args},
			deskSQL{"coalesce(" + due.expr + ", r.created_at)", due.args}
	}
	return deskSQL{"CASE WHEN r.priority = ? THEN 0 ELSE 1 END", []any{core.PriorityEmergency}}, deskSQL{"r.created_at", nil}
}

// DeskQueue implements core.DeskStore.
func (s *Store) DeskQueue(ctx context.Context, a core.Actor, q core.DeskQuery) (out []core.Request, next *core.DeskKey, err error) {
	refs, err := s.deskRefs(ctx, q.DeskFilter)
	if err != nil {
		return nil, nil, err
	}
	queue, ok := refs.deskQueueExpr(q.Queue, q.Now.UTC())
	if !ok {
		return nil, nil, nil
	}
	rank, key := deskOrder(q.Sort)
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.scope.Postgres() {
			ids, err := refs.walk(ctx, tx, a, q, queue)
			if err != nil || len(ids) == 0 {
				return err
			}
			return selectRequests(tx, &out).Where("r.id IN (?)", bun.In(ids)).
				OrderExpr(rank.expr, rank.args...).OrderExpr(key.expr, key.args...).Order("r.id").Scan(ctx)
		}
		// The page's ids first, from the waiting rows' index, then their
		// rows.
		ids := refs.deskBase(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a, q.DeskFilter, q.Now).
			Where(queue.expr, queue.args...)
		if k := q.After; k != nil {
			args := append(append(append([]any{}, rank.args...), key.args...), k.Rank, k.Key.UTC(), k.ID)
			ids = ids.Where("("+rank.expr+", "+key.expr+", r.id) > (?, ?, ?)", args...)
		}
		ids = ids.OrderExpr(rank.expr, rank.args...).OrderExpr(key.expr, key.args...).Order("r.id").Limit(q.Limit + 1)
		return selectRequests(tx, &out).Where("r.id IN (?)", ids).
			OrderExpr(rank.expr, rank.args...).OrderExpr(key.expr, key.args...).Order("r.id").Scan(ctx)
	})
	if err != nil {
		return nil, nil, err
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
		k := core.KeyOf(&out[q.Limit-1], q.Sort)
		next = &k
	}
	return out, next, nil
}

// deskChunk is the number of waiting rows the first step of a page's walk
// reads per row of the page; each next step reads twice as many.
const deskChunk = 4

// walk returns the ids of a page of the queue on PostgreSQL: it walks the
// waiting rows in the page's order (the order's index, deskIndexes) in
// growing steps from the cursor and keeps those in the queue under the
// filter, until the page is full or the rows end. The planner cannot tell
// how many waiting rows a queue holds (its conditions are not
// independent), so it is given walks it cannot get wrong.
func (r *deskRefs) walk(ctx context.Context, tx bun.Tx, a core.Actor, q core.DeskQuery, queue deskSQL) ([]int64, error) {
	rank, key := deskOrder(q.Sort)
	cond := append([]deskSQL{queue}, r.filters(q.DeskFilter, q.Now)...)
	var parts []string
	var args []any
	for _, c := range cond {
		parts = append(parts, "("+c.expr+")")
		args = append(args, c.args...)
	}
	hit := deskSQL{"CASE WHEN " + strings.Join(parts, " AND ") + " THEN 1 ELSE 0 END", args}
	want, step := q.Limit+1, (q.Limit+1)*deskChunk
	after := q.After
	var ids []int64
	for {
		inner := scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id", "r.created_at").
			ColumnExpr(deskColumnsOf("r.")).
			ColumnExpr(rank.expr+" AS desk_rank", rank.args...).ColumnExpr(key.expr+" AS desk_key", key.args...), a).
			Where("r.status IN (?)", bun.In(core.WaitingStatuses))
		if k := after; k != nil {
			kargs := append(append(append([]any{}, rank.args...), key.args...), k.Rank, k.Key.UTC(), k.ID)
			inner = inner.Where("("+rank.expr+", "+key.expr+", r.id) > (?, ?, ?)", kargs...)
		}
		inner = inner.OrderExpr(rank.expr, rank.args...).OrderExpr(key.expr, key.args...).Order("r.id").Limit(step)
		var rows []struct {
			ID   int64     `bun:"id"`
			Rank int       `bun:"desk_rank"`
			Key  time.Time `bun:"desk_key"`
			Hit  int       `bun:"hit"`
		}
		if err := tx.NewSelect().TableExpr("(?) AS r", inner).Column("r.id", "r.desk_rank", "r.desk_key").
			ColumnExpr(hit.expr+" AS hit", hit.args...).OrderExpr("r.desk_rank, r.desk_key, r.id").Scan(ctx, &rows); err != nil {
			return nil, err
		}
		for _, x := range rows {
			if x.Hit == 1 && len(ids) < want {
				ids = append(ids, x.ID)
			}
		}
		if len(ids) >= want || len(rows) < step {
			return ids, nil
		}
		last := rows[len(rows)-1]
		after = &core.DeskKey{Rank: last.Rank, Key: last.Key, ID: last.ID}
		step *= 2
	}
}

// deskColumnsOf is deskColumns with each column prefixed.
func deskColumnsOf(prefix string) string {
	cols := strings.Split(deskColumns, ", ")
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}

// DeskCounts implements core.DeskStore: one pass over the waiting rows.
func (s *Store) DeskCounts(ctx context.Context, a core.Actor, f core.DeskFilter, now time.Time) (core.DeskCounts, error) {
	refs, err := s.deskRefs(ctx, f)
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	queues := s.DeskQueues()
	counts := make([]int, len(queues))
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := refs.deskBase(tx.NewSelect().TableExpr("requests AS r"), a, f, now)
		dest := make([]any, len(queues))
		for i, q := range queues {
			e, _ := refs.deskQueueExpr(q, now)
			sel = sel.ColumnExpr("count(CASE WHEN "+e.expr+" THEN 1 END)", e.args...)
			dest[i] = &counts[i]
		}
		return sel.Scan(ctx, dest...)
	})
	if err != nil {
		return nil, err
	}
	out := make(core.DeskCounts, len(queues))
	for i, q := range queues {
		out[q] = counts[i]
	}
	return out, nil
}
