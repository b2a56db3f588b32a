package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Keyset pages of the queue give every matching request once, newest
// first, for code filters (resolved to ids) and for creation-time ranges
// (which walk the creation-time index), and unknown codes match nothing.
func TestListRequestsPages(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			city := filledCity(t, kind, "pages", 1500, "2026-11-01", 3)
			scope, st := city.Scope, city.Store
			staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			loc := city.End.Location()
			from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, loc), time.Date(2026, 5, 1, 0, 0, 0, 0, loc)
			cases := []struct {
				name  string
				q     core.RequestQuery
				where string
				args  []any
			}{
				{"created range", core.RequestQuery{CreatedFrom: &from, CreatedTo: &to, Statuses: []core.Status{core.StatusClosed}},
					"r.created_at >= ? AND r.created_at < ? AND r.status = 'closed'", []any{from.UTC(), to.UTC()}},
				{"district and category group", core.RequestQuery{District: "kirovsky", Category: "utilities"},
					"r.district_id = (SELECT id FROM districts WHERE code = 'kirovsky') AND r.category_id IN (SELECT id FROM categories WHERE group_code = 'utilities')", nil},
				{"organization", core.RequestQuery{Organization: "supplier-water"},
					"(r.organization_id = (SELECT id FROM organizations WHERE code = 'supplier-water') OR r.executor_id = (SELECT id FROM organizations WHERE code = 'supplier-water'))", nil},
				{"unknown district", core.RequestQuery{District: "atlantis"}, "1 = 0", nil},
			}
			for _, c := range cases {
				var want []int64
				err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw(fmt.Sprintf("SELECT r.id FROM requests AS r WHERE %s ORDER BY r.created_at DESC, r.id DESC", c.where), c.args...).Scan(ctx, &want)
				})
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				q := c.q
				q.Limit = 50
				for pages := 0; ; pages++ {
					page, err := st.ListRequests(ctx, staff, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range page.Items {
						got = append(got, r.ID)
					}
					if page.NextID == 0 || pages > 100 {
						break
					}
					q.BeforeID = page.NextID
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: %d requests through the pages, want %d newest first", c.name, len(got), len(want))
				}
				if c.name != "unknown district" && len(want) < 60 {
					t.Errorf("%s: only %d requests match: the case does not page", c.name, len(want))
				}
			}
		})
	}
}
