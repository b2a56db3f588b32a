package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

func decodeConnectors(cs []core.ImportConnector) {
	for i := range cs {
		_ = json.Unmarshal([]byte(cs[i].MappingJSON), &cs[i].Mapping)
	}
}

// ImportConnectors implements core.ImportStore.
func (s *Store) ImportConnectors(ctx context.Context) (out []core.ImportConnector, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).ModelTableExpr("import_connectors AS import_connector").Order("id").Scan(ctx)
	})
	decodeConnectors(out)
	return out, err
}

// ImportConnector implements core.ImportStore.
func (s *Store) ImportConnector(ctx context.Context, id int64) (*core.ImportConnector, error) {
	c := new(core.ImportConnector)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return notFound(tx.NewSelect().Model(c).ModelTableExpr("import_connectors AS import_connector").Where("id = ?", id).Scan(ctx), "import_connector")
	})
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(c.MappingJSON), &c.Mapping)
	return c, nil
}

// SaveImportConnector implements core.ImportStore.
func (s *Store) SaveImportConnector(ctx context.Context, c *core.ImportConnector, secret string, now time.Time) (made bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		made = false
		switch {
		case c.CallbackURL != "" && c.EndpointID == nil:
			e := &core.WebhookEndpoint{URL: c.CallbackURL, Events: core.EventRequestStatusChanged, Secret: secret,
				ExternalSource: c.Code, Status: core.EndpointEnabled, CreatedAt: now}
			if _, err := tx.NewInsert().Model(e).ModelTableExpr("webhook_endpoints").Returning("id").Exec(ctx); err != nil {
				return err
			}
			c.EndpointID, made = &e.ID, true
		case c.CallbackURL != "":
			if _, err := tx.NewRaw(`UPDATE webhook_endpoints SET url = ?, status = ?, disabled_at = NULL,
				failures = CASE WHEN url = ? THEN failures ELSE 0 END WHERE id = ?`,
				c.CallbackURL, core.EndpointEnabled, c.CallbackURL, *c.EndpointID).Exec(ctx); err != nil {
				return err
			}
		case c.EndpointID != nil:
			if _, err := tx.NewRaw("UPDATE webhook_endpoints SET status = ?, disabled_at = ? WHERE id = ?",
				core.EndpointDisabled, now, *c.EndpointID).Exec(ctx); err != nil {
				return err
			}
		}
		var err error
		if c.ID == 0 {
			_, err = tx.NewInsert().Model(c).ModelTableExpr("import_connectors").Returning("id").Exec(ctx)
		} else {
			_, err = tx.NewUpdate().Model(c).ModelTableExpr("import_connectors AS import_connector").WherePK().
				ExcludeColumn("id", "code", "created_at", "lease_until").Exec(ctx)
		}
		if IsUniqueViolation(err) {
			return core.ErrConflict
		}
		return err
	})
	if err != nil && c.ID == 0 {
		c.EndpointID = nil
	}
	return made, err
}

// LeaseImportConnectors implements core.ImportStore.
func (s *Store) LeaseImportConnectors(ctx context.Context, now, until time.Time) (out []core.ImportConnector, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&out).ModelTableExpr("import_connectors AS import_connector").
			Where("every_minutes > 0 AND feed_url <> '' AND next_run_at <= ?", now).
			Where("(lease_until IS NULL OR lease_until < ?)", now).Order("id")
		if s.scope.Postgres() {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		for i := range out {
			ids[i] = out[i].ID
		}
		_, err := tx.NewRaw("UPDATE import_connectors SET lease_until = ? WHERE id IN (?)", until, bun.In(ids)).Exec(ctx)
		return err
	})
	decodeConnectors(out)
	return out, err
}

// LeaseImportConnector implements core.ImportStore.
func (s *Store) LeaseImportConnector(ctx context.Context, id int64, now, until time.Time) (ok bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE import_connectors SET lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)",
			until, id, now).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, err
}

// ImportRecord implements core.ImportStore.
func (s *Store) ImportRecord(ctx context.Context, connectorID int64, externalID string) (*core.ImportRecord, error) {
	r := new(core.ImportRecord)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return notFound(tx.NewSelect().Model(r).ModelTableExpr("import_records AS import_record").
			Where("connector_id = ? AND external_id = ?", connectorID, externalID).Scan(ctx), "import_record")
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SaveImportRecord implements core.ImportStore.
func (s *Store) SaveImportRecord(ctx context.Context, r *core.ImportRecord) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(r).ModelTableExpr("import_records").
			On("CONFLICT (connector_id, external_id) DO UPDATE").
			Set("request_id = EXCLUDED.request_id, digest = EXCLUDED.digest, updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
}

// FinishImportRun implements core.ImportStore.
func (s *Store) FinishImportRun(ctx context.Context, run *core.ImportRun, next *time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(run).ModelTableExpr("import_runs").Returning("id").Exec(ctx); err != nil {
			return err
		}
		for i := range run.Refusals {
			run.Refusals[i].RunID = run.ID
		}
		if len(run.Refusals) > 0 {
			if _, err := tx.NewInsert().Model(&run.Refusals).ModelTableExpr("import_refusals").Returning("id").Exec(ctx); err != nil {
				return err
			}
		}
		_, err := tx.NewRaw("UPDATE import_connectors SET lease_until = NULL, next_run_at = ? WHERE id = ?", next, run.ConnectorID).Exec(ctx)
		return err
	})
}

// ImportRuns implements core.ImportStore.
func (s *Store) ImportRuns(ctx context.Context, connectorID int64, limit int) (out []core.ImportRun, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&out).ModelTableExpr("import_runs AS import_run").Where("connector_id = ?", connectorID).
			Order("id DESC").Limit(limit).Scan(ctx); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		byID := map[int64]*core.ImportRun{}
		for i := range out {
			ids[i] = out[i].ID
			byID[out[i].ID] = &out[i]
		}
		var rs []core.ImportRefusal
		if err := tx.NewSelect().Model(&rs).ModelTableExpr("import_refusals AS import_refusal").Where("run_id IN (?)", bun.In(ids)).
			Order("id").Scan(ctx); err != nil {
			return err
		}
		for _, r := range rs {
			byID[r.RunID].Refusals = append(byID[r.RunID].Refusals, r)
		}
		return nil
	})
	return out, err
}

// ImportBuilding implements core.ImportStore.
func (s *Store) ImportBuilding(ctx context.Context, registryID, address string) (*core.Building, error) {
	b := new(core.Building)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if registryID != "" {
			err := tx.NewSelect().Model(b).Where("registry_id = ?", registryID).Limit(1).Scan(ctx)
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		address = strings.Join(strings.Fields(address), " ")
		if address == "" {
			return sql.ErrNoRows
		}
		return tx.NewSelect().Model(b).Where("address_ru = ? OR address_en = ?", address, address).Order("id").Limit(1).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// ImportActor implements core.ImportStore: the system account "~import",
// which cannot log in.
func (s *Store) ImportActor(ctx context.Context) (core.Actor, error) {
	var id int64
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw("SELECT id FROM users WHERE login = '~import'").Scan(ctx, &id)
	})
	return core.Actor{UserID: id, Role: core.RoleDispatcher, Name: "Import"}, err
}
