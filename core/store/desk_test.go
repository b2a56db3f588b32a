package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The desk's queues in SQL hold exactly the requests core.Request.InQueue
// puts in them, for every queue, order and a mix of filters: the keyset
// pages together give every row once (no repeats, no gaps) in the order of
// core.KeyOf, and the counts are the sizes of the queues. An operator's
// desk holds only its organization's rows.
func TestDeskQueuesPages(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			city := filledCity(t, kind, "desk", 6000, "2026-11-20", 5)
			scope, st := city.Scope, city.Store
			now := city.End
			// Thousands waiting, and escalation flags as the sweep leaves them.
			if _, err := bench.MakeWaiting(ctx, scope, 2400); err != nil {
				t.Fatal(err)
			}
			// Some wait for an outage to end, enough to page that queue.
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE requests SET status = 'outage', reaction_due_at = NULL, resolution_due_at = NULL WHERE id IN (SELECT id FROM requests WHERE status = 'new' ORDER BY id LIMIT 90)")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := st.Escalate(ctx, now); err != nil {
					t.Fatal(err)
				}
			}
			all := deskUniverse(t, st, scope, now)
			dispatcher := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			queues := st.DeskQueues()
			if want := core.Queues; !slices.Equal(queues, want) {
				t.Fatalf("queues %v, want %v", queues, want)
			}
			filters := []core.DeskFilter{
				{},
				{Category: "utilities", District: "kirovsky"},
				{Channel: core.ChannelCallCentre, Priority: core.PriorityEmergency},
				{Age: "1d", Category: "lift"},
			}
			sizes := map[core.Queue]int{}
			for _, f := range filters {
				counts, err := st.DeskCounts(ctx, dispatcher, f, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range queues {
					for _, sort := range core.DeskSorts {
						want := deskExpect(all, q, f, sort, now)
						got := deskWalk(t, st, dispatcher, core.DeskQuery{DeskFilter: f, Queue: q, Sort: sort, Limit: 37, Now: now})
						if !slices.Equal(got, want) {
							t.Errorf("%v %s by %s: %d rows through the pages, want %d in order", f, q, sort, len(got), len(want))
						}
						if counts[q] != len(want) {
							t.Errorf("%v %s: count %d, want %d", f, q, counts[q], len(want))
						}
					}
					if f == (core.DeskFilter{}) {
						sizes[q] = counts[q]
					}
				}
			}
			for _, q := range queues {
				if sizes[q] < 40 {
					t.Errorf("queue %s holds only %d requests: the case does not page", q, sizes[q])
				}
			}
			if sizes[core.QueueAll] < 1000 {
				t.Errorf("only %d waiting requests", sizes[core.QueueAll])
			}
			// An organization's operator sees its own rows only.
			var org int64
			for _, r := range all {
				if r.R.OrganizationID != nil && r.R.InQueue(core.QueueOverdue, false, now) {
					org = *r.R.OrganizationID
					break
				}
			}
			op := core.Actor{UserID: 2, Role: core.RoleOrgOperator, OrganizationID: org}
			for _, r := range deskItems(t, st, op, core.DeskQuery{Queue: core.QueueAll, Sort: core.SortUrgency, Limit: 100, Now: now}) {
				if r.OrganizationID == nil || *r.OrganizationID != org {
					t.Fatalf("operator of %d sees %s of %v", org, r.Number, r.OrganizationID)
				}
			}
		})
	}
}

type deskRow struct {
	R    *core.Request
	wish bool
	cat  core.Category
	dist string
}

// deskUniverse loads every request of the city with its category and
// district, to apply the domain's rules in Go.
func deskUniverse(t *testing.T, st *store.Store, scope store.Scope, now time.Time) []deskRow {
	t.Helper()
	ctx := context.Background()
	dir, err := st.Directory(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var rs []core.Request
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&rs).ModelTableExpr("requests AS r").ColumnExpr("r.*").Scan(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]deskRow, len(rs))
	for i := range rs {
		r := &rs[i]
		row := deskRow{R: r}
		for _, c := range dir.Categories {
			if c.ID == r.CategoryID {
				row.cat, row.wish = c, c.Wish()
			}
		}
		if r.DistrictID != nil {
			row.dist = dir.District(*r.DistrictID).Code
		}
		out[i] = row
	}
	return out
}

// deskExpect is the queue by the domain's rules: ids in core.KeyOf order.
func deskExpect(all []deskRow, q core.Queue, f core.DeskFilter, sort core.DeskSort, now time.Time) []int64 {
	var keep []core.DeskKey
	for _, r := range all {
		switch {
		case !r.R.InQueue(q, r.wish, now),
			f.Category != "" && r.cat.Code != f.Category && r.cat.GroupCode != f.Category,
			f.District != "" && r.dist != f.District,
			f.Channel != "" && r.R.Channel != f.Channel,
			f.Priority != "" && r.R.Priority != f.Priority,
			f.Age != "" && !r.R.CreatedAt.Before(now.Add(-f.Age.Duration())):
			continue
		}
		keep = append(keep, core.KeyOf(r.R, sort))
	}
	slices.SortFunc(keep, func(a, b core.DeskKey) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		if c := a.Key.Compare(b.Key); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	ids := make([]int64, len(keep))
	for i, k := range keep {
		ids[i] = k.ID
	}
	return ids
}

// deskWalk follows the pages of q to the end and returns the ids seen.
func deskWalk(t *testing.T, st *store.Store, a core.Actor, q core.DeskQuery) []int64 {
	t.Helper()
	var ids []int64
	for pages := 0; ; pages++ {
		items, next, err := st.DeskQueue(context.Background(), a, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range items {
			ids = append(ids, r.ID)
		}
		if next == nil {
			return ids
		}
		if pages > 1000 {
			t.Fatal(fmt.Sprint("pages never end: ", q))
		}
		q.After = next
	}
}

func deskItems(t *testing.T, st *store.Store, a core.Actor, q core.DeskQuery) []core.Request {
	t.Helper()
	items, _, err := st.DeskQueue(context.Background(), a, q)
	if err != nil {
		t.Fatal(err)
	}
	return items
}
