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

var _ core.RoutingStore = (*Store)(nil)

// CreateRoutingRule validates r against the city's directory and appends it
// to the end of the table.
func (s *Store) CreateRoutingRule(ctx context.Context, r *core.RoutingRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkRuleRefs(ctx, tx, r); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT COALESCE(MAX(position), 0) + 1 FROM routing_rules").Scan(ctx, &r.Position); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(r).Returning("id").Exec(ctx)
		return err
	})
}

// UpdateRoutingRule replaces the rule with r.ID, keeping its position.
func (s *Store) UpdateRoutingRule(ctx context.Context, r *core.RoutingRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var pos int
		err := tx.NewRaw("SELECT position FROM routing_rules WHERE id = ?", r.ID).Scan(ctx, &pos)
		if err != nil {
			return notFound(err, "routing rule")
		}
		if err := checkRuleRefs(ctx, tx, r); err != nil {
			return err
		}
		r.Position = pos
		_, err = tx.NewUpdate().Model(r).WherePK().Exec(ctx)
		return err
	})
}

// DeleteRoutingRule removes one rule.
func (s *Store) DeleteRoutingRule(ctx context.Context, id int64) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().TableExpr("routing_rules").Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(core.ENOTFOUND, "error.rule_not_found")
		}
		return nil
	})
}

// ReorderRoutingRules sets the order of the table; ids must name every rule
// exactly once.
func (s *Store) ReorderRoutingRules(ctx context.Context, ids []int64) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var have []int64
		if err := tx.NewRaw("SELECT id FROM routing_rules").Scan(ctx, &have); err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range have {
			seen[id] = false
		}
		for _, id := range ids {
			used, ok := seen[id]
			if !ok || used {
				return &core.Error{Code: core.EINVALID, Message: "error.rule_order",
					Fields: core.FieldErrors{"ids": core.M("error.rule_unknown_or_repeated", "ID", id)}}
			}
			seen[id] = true
		}
		if len(ids) != len(have) {
			return &core.Error{Code: core.EINVALID, Message: "error.rule_order",
				Fields: core.FieldErrors{"ids": core.M("error.name_all_rules", "Count", len(have))}}
		}
		for i, id := range ids {
			if _, err := tx.NewRaw("UPDATE routing_rules SET position = ? WHERE id = ?", i+1, id).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkRuleRefs reports, per field, the codes and ids of r unknown in the city.
func checkRuleRefs(ctx context.Context, tx bun.Tx, r *core.RoutingRule) error {
	f := core.FieldErrors{}
	exists := func(field, query string, arg any, msg core.Msg) error {
		var n int
		if err := tx.NewRaw(query, arg).Scan(ctx, &n); err != nil {
			return err
		}
		if n == 0 {
			f.AddMsg(field, msg)
		}
		return nil
	}
	checks := []struct {
		on           bool
		field, query string
		arg          any
		msg          core.Msg
	}{
		{r.Category != "", "category", "SELECT count(*) FROM categories WHERE code = ?", r.Category, core.M("error.unknown_category", "Code", r.Category)},
		{r.Group != "", "group", "SELECT count(*) FROM categories WHERE group_code = ?", r.Group, core.M("error.empty_group", "Code", r.Group)},
		{r.District != "", "district", "SELECT count(*) FROM districts WHERE code = ?", r.District, core.M("error.no_district", "Code", r.District)},
		{r.BuildingID != nil, "building_id", "SELECT count(*) FROM buildings WHERE id = ?", r.BuildingID, core.M("error.no_building")},
		{r.OrganizationID != nil, "organization_id", "SELECT count(*) FROM organizations WHERE id = ? AND active", r.OrganizationID, core.M("error.no_active_organization")},
	}
	for _, c := range checks {
		if !c.on {
			continue
		}
		if err := exists(c.field, c.query, c.arg, c.msg); err != nil {
			return err
		}
	}
	return f.Err()
}

// directory reads the city's directory in tx (see Store.Directory).
func directory(ctx context.Context, tx bun.Tx, withBuildings bool) (*core.Directory, error) {
	d := &core.Directory{OrgDistricts: map[int64][]int64{}}
	err := func() error {
		if err := tx.NewSelect().Model(&d.Categories).Order("id").Scan(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&d.Groups).Order("position", "id").Scan(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&d.Districts).Order("id").Scan(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&d.Organizations).Order("id").Scan(ctx); err != nil {
			return err
		}
		var links []struct {
			OrganizationID int64 `bun:"organization_id"`
			DistrictID     int64 `bun:"district_id"`
		}
		if err := tx.NewRaw("SELECT organization_id, district_id FROM organization_districts ORDER BY organization_id, district_id").Scan(ctx, &links); err != nil {
			return err
		}
		for _, l := range links {
			d.OrgDistricts[l.OrganizationID] = append(d.OrgDistricts[l.OrganizationID], l.DistrictID)
		}
		if withBuildings {
			return tx.NewSelect().Model(&d.Buildings).Order("id").Scan(ctx)
		}
		return nil
	}()
	return d, err
}

// BuildingByAddress returns the registry building whose Russian or English
// address equals address, ignoring surrounding spaces (and case, where the
// database lowers that alphabet: SQLite lowers only ASCII).
func (s *Store) BuildingByAddress(ctx context.Context, address string) (*core.Building, error) {
	b := new(core.Building)
	exact := strings.TrimSpace(address)
	lower := strings.ToLower(exact)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(b).
			Where("address_ru = ? OR address_en = ? OR lower(address_ru) = ? OR lower(address_en) = ?", exact, exact, lower, lower).
			Order("id").Limit(1).Scan(ctx)
	})
	return b, notFound(err, "building")
}

type routingSettingsRow struct {
	bun.BaseModel `bun:"table:routing_settings"`
	ID            int64     `bun:"id,pk"`
	Plugin        string    `bun:"plugin,notnull"`
	Config        string    `bun:"config,notnull"`
	UpdatedAt     time.Time `bun:"updated_at,notnull"`
}

// routingSettings reads which router the city uses.
func routingSettings(ctx context.Context, tx bun.Tx) (core.RoutingSettings, error) {
	var row routingSettingsRow
	err := tx.NewSelect().Model(&row).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return core.RoutingSettings{Config: json.RawMessage("{}")}, nil
	}
	return core.RoutingSettings{Plugin: row.Plugin, Config: json.RawMessage(row.Config), UpdatedAt: row.UpdatedAt}, err
}

// SetRoutingSettings saves which router the city uses. The caller checks
// that the plugin is in the catalog.
func (s *Store) SetRoutingSettings(ctx context.Context, set core.RoutingSettings) (core.RoutingSettings, error) {
	if len(set.Config) == 0 {
		set.Config = json.RawMessage("{}")
	}
	if !json.Valid(set.Config) {
		return set, &core.Error{Code: core.EINVALID, Message: "error.plugin_config_json", Fields: core.FieldErrors{"config": core.M("error.json_value")}}
	}
	row := routingSettingsRow{ID: 1, Plugin: set.Plugin, Config: string(set.Config), UpdatedAt: s.now().UTC()}
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&row).On("CONFLICT (id) DO UPDATE").
			Set("plugin = EXCLUDED.plugin, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	set.UpdatedAt = row.UpdatedAt
	return set, err
}
