package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// recordEvents stores history events and, in the same transaction, their
// rows in the outboxes the webhook relay and the notifier read: an event
// is never stored without being relayed and looked at for notices, nor
// relayed without being stored.
func recordEvents(ctx context.Context, tx bun.IDB, evs ...*core.RequestEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&evs).Returning("id").Exec(ctx); err != nil {
		return err
	}
	rows := make([]outboxRow, len(evs))
	notices := make([]noticeOutboxRow, len(evs))
	for i, ev := range evs {
		rows[i] = outboxRow{EventID: ev.ID, RequestID: ev.RequestID}
		notices[i] = noticeOutboxRow{EventID: ev.ID, RequestID: ev.RequestID}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewInsert().Model(&notices).Exec(ctx)
	return err
}

// outboxRow is a history event not yet relayed.
type outboxRow struct {
	bun.BaseModel `bun:"table:event_outbox"`
	EventID       int64 `bun:"event_id,pk"`
	RequestID     int64 `bun:"request_id,notnull"`
}

// scopeEndpoints confines an endpoint query to what the actor may see.
func scopeEndpoints(q *bun.SelectQuery, a core.Actor) *bun.SelectQuery {
	if a.SeesAllRequests() {
		return q
	}
	if (a.Role == core.RoleOrgManager || a.Role == core.RoleOrgOperator) && a.OrganizationID != 0 {
		return q.Where("e.organization_id = ?", a.OrganizationID)
	}
	return q.Where("1 = 0")
}

func selectEndpoints(db bun.IDB, dest any) *bun.SelectQuery {
	return db.NewSelect().Model(dest).ModelTableExpr("webhook_endpoints AS e").ColumnExpr("e.*").
		ColumnExpr("coalesce(o.code, '') AS organization").Join("LEFT JOIN organizations AS o ON o.id = e.organization_id")
}

// CreateEndpoint implements core.WebhookStore.
func (s *Store) CreateEndpoint(ctx context.Context, e *core.WebhookEndpoint) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(e).ModelTableExpr("webhook_endpoints").Returning("id").Exec(ctx)
		return err
	})
}

// Endpoints implements core.WebhookStore.
func (s *Store) Endpoints(ctx context.Context, a core.Actor) (out []core.WebhookEndpoint, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeEndpoints(selectEndpoints(tx, &out), a).Order("e.id").Scan(ctx)
	})
	return out, err
}

func endpointFor(ctx context.Context, tx bun.Tx, a core.Actor, id int64) (*core.WebhookEndpoint, error) {
	e := new(core.WebhookEndpoint)
	err := scopeEndpoints(selectEndpoints(tx, e), a).Where("e.id = ?", id).Scan(ctx)
	return e, notFound(err, "webhook_endpoint")
}

// Deliveries implements core.WebhookStore.
func (s *Store) Deliveries(ctx context.Context, a core.Actor, endpointID int64, limit int) (out []core.WebhookDelivery, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := endpointFor(ctx, tx, a, endpointID); err != nil {
			return err
		}
		return tx.NewSelect().Model(&out).ModelTableExpr("webhook_deliveries AS d").ColumnExpr("d.*").
			ColumnExpr("coalesce(r.number, '') AS number").Join("LEFT JOIN requests AS r ON r.id = d.request_id").
			Where("d.endpoint_id = ?", endpointID).OrderExpr("d.id DESC").Limit(limit).Scan(ctx)
	})
	return out, err
}

// Redeliver implements core.WebhookStore.
func (s *Store) Redeliver(ctx context.Context, a core.Actor, deliveryID int64, now time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var endpointID int64
		err := tx.NewSelect().TableExpr("webhook_deliveries").Column("endpoint_id").Where("id = ?", deliveryID).Scan(ctx, &endpointID)
		if err != nil {
			return notFound(err, "webhook_delivery")
		}
		if _, err := endpointFor(ctx, tx, a, endpointID); err != nil {
			return core.NotFound("webhook_delivery")
		}
		if _, err := tx.NewRaw("UPDATE webhook_deliveries SET status = ?, delivered_at = NULL WHERE id = ?",
			core.DeliveryPending, deliveryID).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewRaw("UPDATE webhook_endpoints SET retry_at = NULL WHERE id = ?", endpointID).Exec(ctx)
		return err
	})
}

// EnableEndpoint implements core.WebhookStore.
func (s *Store) EnableEndpoint(ctx context.Context, a core.Actor, endpointID int64, now time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := endpointFor(ctx, tx, a, endpointID); err != nil {
			return err
		}
		_, err := tx.NewRaw("UPDATE webhook_endpoints SET status = ?, failures = 0, failing_since = NULL, retry_at = NULL, disabled_at = NULL WHERE id = ?",
			core.EndpointEnabled, endpointID).Exec(ctx)
		return err
	})
}

// FanOut implements core.RelayStore.
func (s *Store) FanOut(ctx context.Context, city string, now time.Time, limit int) (n int, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		q := tx.NewSelect().TableExpr("event_outbox").Column("event_id").Order("event_id").Limit(limit)
		if s.scope.Postgres() {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		var eps []core.WebhookEndpoint
		if err := tx.NewSelect().Model(&eps).ModelTableExpr("webhook_endpoints AS e").ColumnExpr("e.*").Order("e.id").Scan(ctx); err != nil {
			return err
		}
		if len(eps) > 0 {
			if err := s.fanOut(ctx, tx, city, ids, eps, now); err != nil {
				return err
			}
		}
		_, err := tx.NewRaw("DELETE FROM event_outbox WHERE event_id IN (?)", bun.In(ids)).Exec(ctx)
		return err
	})
	return n, err
}

func (s *Store) fanOut(ctx context.Context, tx bun.Tx, city string, ids []int64, eps []core.WebhookEndpoint, now time.Time) error {
	var evs []core.RequestEvent
	if err := tx.NewSelect().Model(&evs).ModelTableExpr("request_events AS e").ColumnExpr("e.*").
		Where("e.id IN (?)", bun.In(ids)).Order("e.id").Scan(ctx); err != nil {
		return err
	}
	reqIDs := map[int64]bool{}
	var rids []int64
	for _, ev := range evs {
		if !reqIDs[ev.RequestID] {
			reqIDs[ev.RequestID] = true
			rids = append(rids, ev.RequestID)
		}
	}
	var reqs []core.Request
	if err := selectRequests(tx, &reqs).Where("r.id IN (?)", bun.In(rids)).Scan(ctx); err != nil {
		return err
	}
	byID := make(map[int64]*core.Request, len(reqs))
	for i := range reqs {
		byID[reqs[i].ID] = &reqs[i]
	}
	var orgRows []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
	}
	if err := tx.NewSelect().TableExpr("organizations").Column("id", "code").Scan(ctx, &orgRows); err != nil {
		return err
	}
	orgs := make(map[int64]string, len(orgRows))
	for _, o := range orgRows {
		orgs[o.ID] = o.Code
	}
	var ds []core.WebhookDelivery
	for i := range evs {
		ev := &evs[i]
		r := byID[ev.RequestID]
		if r == nil {
			continue
		}
		for _, typ := range core.WebhookTypes(ev) {
			var body []byte
			for j := range eps {
				if !core.WebhookAudience(&eps[j], typ, ev, r) {
					continue
				}
				p := core.NewWebhookPayload(city, typ, ev, r, orgs)
				if body == nil {
					var err error
					if body, err = json.Marshal(p); err != nil {
						return err
					}
				}
				ds = append(ds, core.WebhookDelivery{EndpointID: eps[j].ID, EventID: p.ID, Type: typ, RequestID: r.ID,
					Payload: string(body), Status: core.DeliveryPending, CreatedAt: now})
			}
		}
	}
	if len(ds) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&ds).ModelTableExpr("webhook_deliveries").On("CONFLICT (endpoint_id, event_id) DO NOTHING").Exec(ctx)
	return err
}

// DueEndpoints implements core.RelayStore.
func (s *Store) DueEndpoints(ctx context.Context, now time.Time) (out []core.WebhookEndpoint, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).ModelTableExpr("webhook_endpoints AS e").ColumnExpr("e.*").
			Where("e.status = ?", core.EndpointEnabled).Where("e.retry_at IS NULL OR e.retry_at <= ?", now).
			Where("EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.endpoint_id = e.id AND d.status = ?)", core.DeliveryPending).
			Order("e.id").Scan(ctx)
	})
	return out, err
}

// LeaseEndpoint implements core.RelayStore.
func (s *Store) LeaseEndpoint(ctx context.Context, id int64, now, until time.Time) (ok bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE webhook_endpoints SET lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)",
			until, id, now).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// PendingDeliveries implements core.RelayStore.
func (s *Store) PendingDeliveries(ctx context.Context, endpointID int64, limit int) (out []core.WebhookDelivery, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).ModelTableExpr("webhook_deliveries AS d").ColumnExpr("d.*").
			Where("d.endpoint_id = ? AND d.status = ?", endpointID, core.DeliveryPending).Order("d.id").Limit(limit).Scan(ctx)
	})
	return out, err
}

// RecordAttempt implements core.RelayStore.
func (s *Store) RecordAttempt(ctx context.Context, d *core.WebhookDelivery, ep *core.WebhookEndpoint) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, attempted_at = ?, delivered_at = ? WHERE id = ?",
			d.Status, d.Attempts, d.LastStatus, d.LastError, d.AttemptedAt, d.DeliveredAt, d.ID).Exec(ctx)
		if err != nil {
			return err
		}
		_, err = tx.NewRaw("UPDATE webhook_endpoints SET status = ?, failures = ?, failing_since = ?, retry_at = ?, lease_until = ?, disabled_at = ? WHERE id = ?",
			ep.Status, ep.Failures, ep.FailingSince, ep.RetryAt, ep.LeaseUntil, ep.DisabledAt, ep.ID).Exec(ctx)
		return err
	})
}

// NextRetry implements core.RelayStore.
func (s *Store) NextRetry(ctx context.Context) (next *time.Time, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ts []time.Time
		err := tx.NewSelect().TableExpr("webhook_endpoints AS e").ColumnExpr("e.retry_at").
			Where("e.status = ? AND e.retry_at IS NOT NULL", core.EndpointEnabled).
			Where("EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.endpoint_id = e.id AND d.status = ?)", core.DeliveryPending).
			Order("e.retry_at").Limit(1).Scan(ctx, &ts)
		if len(ts) == 1 {
			next = &ts[0]
		}
		return err
	})
	return next, err
}
