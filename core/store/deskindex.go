package store

import (
	"context"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// deskColumns are the columns a desk query reads besides the key of its
// order: the queue rules (deskQueueExpr), the filters (deskBase) and the
// actor's scope. The desk's PostgreSQL indexes carry them, so the queues,
// their counts and the walk in either order are read from the index alone
// wherever the visibility map allows.
const deskColumns = "status, priority, category_id, district_id, channel, organization_id, executor_id, " +
	"accepted_at, resolved_at, reaction_due_at, resolution_due_at, reaction_escalated_at, resolution_escalated_at"

// deskIndexes gives the desk its PostgreSQL indexes over the waiting
// requests only (the predicate of requests_waiting_idx): the creation-time
// index carrying deskColumns for the counts and the age filter, and one
// index per order (core.KeyOf) whose key is deskOrder's rank and key
// expressions written as the queries write them, so a page walks its
// order and stops after its rows instead of sorting every waiting request.
// SQLite keeps requests_waiting_idx as it is.
func deskIndexes(ctx context.Context, tx bun.Tx, postgres bool) error {
	if !postgres {
		return nil
	}
	waiting := tx.NewRaw("status IN (?)", bun.In(core.WaitingStatuses)).String()
	stmts := []string{
		"DROP INDEX requests_waiting_idx",
		"CREATE INDEX requests_waiting_idx ON requests (created_at, id) INCLUDE (" + deskColumns + ") WHERE " + waiting,
	}
	for _, o := range []struct {
		name string
		sort core.DeskSort
	}{{"requests_desk_urgency_idx", core.SortUrgency}, {"requests_desk_deadline_idx", core.SortDeadline}} {
		rank, key := deskOrder(o.sort)
		stmts = append(stmts, "CREATE INDEX "+o.name+" ON requests (("+
			tx.NewRaw(rank.expr, rank.args...).String()+"), ("+tx.NewRaw(key.expr, key.args...).String()+
			"), id) INCLUDE ("+deskColumns+") WHERE "+waiting)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, strings.ReplaceAll(q, "r.", "")); err != nil {
			return err
		}
	}
	return nil
}
