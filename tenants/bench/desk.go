package bench

import (
	"context"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// DeskWaiting is how many requests wait at the desk in the peak scenario:
// a heating-season day of Kazan leaves about 5,000 with the dispatchers and
// the organizations at once.
const DeskWaiting = 5000

// DeskFilters are the desk pages the load asks for: every queue, the
// deadline order and the filters dispatchers combine at peak.
var DeskFilters = []string{
	"", "queue=new", "queue=returned", "queue=overdue", "queue=escalated", "queue=emergency",
	"queue=overdue&sort=deadline", "queue=all&category=utilities", "queue=all&district=kirovsky&channel=call_centre",
	"queue=overdue&age=1d&priority=normal", "queue=emergency&category=lift",
}

// Desk reads one 50-row page of a desk queue with the count of every queue
// (GET /desk) per operation: the first page of each of DeskFilters and the
// pages after it, up to five deep, collected by following the cursors.
func (c *Client) Desk(ctx context.Context) (func(ctx context.Context, i int) error, error) {
	return c.pageWalk(ctx, "/desk?limit=50", DeskFilters, 5)
}

// Waiting counts the city's requests in core.WaitingStatuses.
func Waiting(ctx context.Context, scope store.Scope) (n int, err error) {
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err = tx.NewSelect().TableExpr("requests").Where("status IN (?)", bun.In(core.WaitingStatuses)).Count(ctx)
		return err
	})
	return n, err
}
