package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// selectOutages selects outages with the code of their organization and
// their counts (buildings covered, requests attached, requests waiting),
// aliased o.
func selectOutages(db bun.IDB, dest any) *bun.SelectQuery {
	return db.NewSelect().Model(dest).ModelTableExpr("outages AS o").ColumnExpr("o.*").
		ColumnExpr("coalesce(g.code, '') AS organization_code").
		ColumnExpr("(SELECT count(*) FROM outage_buildings AS ob WHERE ob.outage_id = o.id) AS buildings").
		ColumnExpr("(SELECT count(*) FROM requests AS r WHERE r.outage_id = o.id) AS linked").
		ColumnExpr("(SELECT count(*) FROM requests AS r WHERE r.outage_id = o.id AND r.status = ?) AS waiting", core.StatusOutage).
		Join("LEFT JOIN organizations AS g ON g.id = o.organization_id")
}

// scopeOutages confines an outage query to what the actor may see: an
// organization's people their organization's, everyone else (past the
// gate) every outage of the city.
func scopeOutages(q *bun.SelectQuery, a core.Actor) *bun.SelectQuery {
	if a.Role == core.RoleOrgOperator || a.Role == core.RoleOrgManager {
		if a.OrganizationID == 0 {
			return q.Where("1 = 0")
		}
		return q.Where("o.organization_id = ?", a.OrganizationID)
	}
	return q
}

// CreateOutage implements core.OutageStore: the outage and its buildings in
// one transaction; an id that is no building of the city undoes it all
// (core.ErrNotFound).
func (s *Store) CreateOutage(ctx context.Context, city string, o *core.Outage, buildings []int64) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(o).Returning("id").Exec(ctx); err != nil {
			return err
		}
		for start := 0; start < len(buildings); start += 500 {
			batch := buildings[start:min(start+500, len(buildings))]
			res, err := tx.NewRaw("INSERT INTO outage_buildings (outage_id, building_id) SELECT ?, b.id FROM buildings AS b WHERE b.id IN (?)",
				o.ID, bun.In(batch)).Exec(ctx)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if int(n) != len(batch) {
				return core.ErrNotFound
			}
		}
		return outageDeliveries(ctx, tx, city, o, len(buildings))
	})
}

// outageDeliveries queues the outage.declared event of o for every
// endpoint that takes it.
func outageDeliveries(ctx context.Context, tx bun.Tx, city string, o *core.Outage, n int) error {
	var eps []core.WebhookEndpoint
	if err := tx.NewSelect().Model(&eps).ModelTableExpr("webhook_endpoints AS e").ColumnExpr("e.*").Order("e.id").Scan(ctx); err != nil {
		return err
	}
	var ds []core.WebhookDelivery
	var body []byte
	for i := range eps {
		if !core.OutageAudience(&eps[i], o) {
			continue
		}
		p := core.NewOutagePayload(city, o, n)
		if body == nil {
			var err error
			if body, err = json.Marshal(p); err != nil {
				return err
			}
		}
		ds = append(ds, core.WebhookDelivery{EndpointID: eps[i].ID, EventID: p.ID, Type: core.EventOutageDeclared,
			Payload: string(body), Status: core.DeliveryPending, CreatedAt: o.CreatedAt})
	}
	if len(ds) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&ds).ModelTableExpr("webhook_deliveries").On("CONFLICT (endpoint_id, event_id) DO NOTHING").Exec(ctx)
	return err
}

// Outage implements core.OutageStore.
func (s *Store) Outage(ctx context.Context, a core.Actor, id int64) (*core.Outage, error) {
	o := new(core.Outage)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeOutages(selectOutages(tx, o), a).Where("o.id = ?", id).Scan(ctx)
	})
	return o, notFound(err, "outage")
}

// Outages implements core.OutageStore.
func (s *Store) Outages(ctx context.Context, a core.Actor, q core.OutageQuery) (out []core.Outage, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := scopeOutages(selectOutages(tx, &out), a).OrderExpr("o.id DESC").Limit(q.Limit)
		if q.Open {
			sel = sel.Where("o.closed_at IS NULL")
		}
		if q.BuildingID != 0 {
			sel = sel.Where("o.id IN (SELECT ob.outage_id FROM outage_buildings AS ob WHERE ob.building_id = ?)", q.BuildingID)
		}
		return sel.Scan(ctx)
	})
	return out, err
}

// OutageBuildings implements core.OutageStore.
func (s *Store) OutageBuildings(ctx context.Context, id int64, limit int) (out []core.Building, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return selectBuildings(tx, &out).Join("JOIN outage_buildings AS ob ON ob.building_id = b.id AND ob.outage_id = ?", id).
			Order("b.address_ru", "b.id").Limit(limit).Scan(ctx)
	})
	return out, err
}

// OutageRequests implements core.OutageStore.
func (s *Store) OutageRequests(ctx context.Context, a core.Actor, id int64, limit int) (out []core.Request, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeRequests(selectRequests(tx, &out), a).Where("r.outage_id = ?", id).OrderExpr("r.id DESC").Limit(limit).Scan(ctx)
	})
	return out, err
}

// ActiveOutage implements core.OutageStore.
func (s *Store) ActiveOutage(ctx context.Context, utility string, buildingID int64, now time.Time) (*core.Outage, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(m.outages, func(o openOutage) bool { return o.Utility == utility && !o.StartsAt.After(now) }) {
		return nil, nil // no open outage of the utility has begun: no query
	}
	var out []core.Outage
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).ModelTableExpr("outages AS o").ColumnExpr("o.*").
			ColumnExpr("coalesce(g.code, '') AS organization_code").
			Join("LEFT JOIN organizations AS g ON g.id = o.organization_id").
			Join("JOIN outage_buildings AS ob ON ob.outage_id = o.id AND ob.building_id = ?", buildingID).
			Where("o.closed_at IS NULL AND o.utility = ? AND o.starts_at <= ?", utility, now.UTC()).
			Order("o.id").Limit(1).Scan(ctx)
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// CloseOutage implements core.OutageStore: the outage, its waiting requests
// (through rewriteRequests, so HQ's rollups follow), their cycles and
// events change in one transaction.
func (s *Store) CloseOutage(ctx context.Context, a core.Actor, id int64, note string, now time.Time,
	resolve func(o *core.Outage, r *core.Request) (*core.RequestEvent, error)) (*core.Outage, int, error) {
	var out *core.Outage
	n := 0
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o := new(core.Outage)
		q := scopeOutages(tx.NewSelect().Model(o).ModelTableExpr("outages AS o").ColumnExpr("o.*"), a).Where("o.id = ?", id)
		if s.scope.Postgres() {
			q = q.For("UPDATE OF o")
		}
		if err := q.Scan(ctx); err != nil {
			return notFound(err, "outage")
		}
		if o.ClosedAt != nil {
			return core.ErrConflict
		}
		var by *int64
		if a.UserID != 0 {
			by = &a.UserID
		}
		_, err := tx.NewRaw("UPDATE outages SET closed_at = ?, closed_by = ?, close_note = ? WHERE id = ?", now, by, note, id).Exec(ctx)
		if err != nil {
			return err
		}
		var rs []core.Request
		sel := selectRequests(tx, &rs).Where("r.outage_id = ? AND r.status = ?", id, core.StatusOutage).Order("r.id")
		if s.scope.Postgres() {
			sel = sel.For("UPDATE OF r")
		}
		if err := sel.Scan(ctx); err != nil {
			return err
		}
		ids := make([]int64, len(rs))
		evs := make([]*core.RequestEvent, len(rs))
		for i := range rs {
			ids[i] = rs[i].ID
			if evs[i], err = resolve(o, &rs[i]); err != nil {
				return err
			}
		}
		err = rewriteRequests(ctx, tx, ids, func() error {
			for i := range rs {
				if _, err := tx.NewUpdate().Model(&rs[i]).WherePK().Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range rs {
			if err := saveCycle(ctx, tx, &rs[i]); err != nil {
				return err
			}
		}
		if len(evs) > 0 {
			if _, err := tx.NewInsert().Model(&evs).Exec(ctx); err != nil {
				return err
			}
		}
		n = len(rs)
		out = new(core.Outage)
		return selectOutages(tx, out).Where("o.id = ?", id).Scan(ctx)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, n, nil
}
