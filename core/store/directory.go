package store

import (
	"context"
	"errors"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	var pg interface{ Field(byte) string }
	if errors.As(err, &pg) {
		return pg.Field('C') == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// writeErr translates constraint failures of directory writes into domain
// errors that name the field; what names the kind of thing ("category":
// the catalog's "thing.category").
func writeErr(err error, field, what string) error {
	switch {
	case err == nil:
		return nil
	case IsUniqueViolation(err):
		return &core.Error{Code: core.ECONFLICT, Message: "error.exists", Args: core.Thing(what),
			Fields: core.FieldErrors{field: core.M("error.taken")}}
	case IsForeignKeyViolation(err):
		return &core.Error{Code: core.ECONFLICT, Message: "error.still_referenced", Args: core.Thing(what)}
	}
	return err
}

// list returns all rows of T ordered by order.
func list[T any](ctx context.Context, s *Store, order string) ([]T, error) {
	var out []T
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).Order(order).Scan(ctx)
	})
	return out, err
}

// byCode returns the row of T with the code.
func byCode[T any](ctx context.Context, db bun.IDB, code, what string) (*T, error) {
	v := new(T)
	err := db.NewSelect().Model(v).Where("code = ?", code).Scan(ctx)
	return v, notFound(err, what)
}

// one returns the row of T with the code, in its own transaction.
func one[T any](ctx context.Context, s *Store, code, what string) (v *T, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		v, err = byCode[T](ctx, tx, code, what)
		return err
	})
	return v, err
}

// save inserts v, or updates the row with the code when code is not empty.
// It refuses to change a code.
func save[T any](ctx context.Context, tx bun.Tx, v *T, code, newCode, what string) error {
	if code == "" {
		_, err := tx.NewInsert().Model(v).Returning("id").Exec(ctx)
		return writeErr(err, "code", what)
	}
	if newCode != code {
		return &core.Error{Code: core.EINVALID, Message: "error.code_fixed", Fields: core.FieldErrors{"code": core.M("error.must_stay", "Code", code)}}
	}
	res, err := tx.NewUpdate().Model(v).ExcludeColumn("id").Where("code = ?", code).Returning("id").Exec(ctx)
	if err != nil {
		return writeErr(err, "code", what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.NotFound(what)
	}
	return nil
}

// remove deletes the row of T with the code.
func remove[T any](ctx context.Context, s *Store, code, what string) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*T)(nil)).Where("code = ?", code).Exec(ctx)
		if err != nil {
			return writeErr(err, "code", what)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.NotFound(what)
		}
		return nil
	})
}

// Districts lists the districts.
func (s *Store) Districts(ctx context.Context) ([]core.District, error) {
	return list[core.District](ctx, s, "code")
}

// District returns one district.
func (s *Store) District(ctx context.Context, code string) (*core.District, error) {
	return one[core.District](ctx, s, code, "district")
}

// SaveDistrict creates (code "") or updates a district.
func (s *Store) SaveDistrict(ctx context.Context, code string, d *core.District) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return save(ctx, tx, d, code, d.Code, "district")
	})
}

// DeleteDistrict deletes a district no building or request uses.
func (s *Store) DeleteDistrict(ctx context.Context, code string) error {
	return remove[core.District](ctx, s, code, "district")
}

// CategoryGroups lists the category groups.
func (s *Store) CategoryGroups(ctx context.Context) ([]core.CategoryGroup, error) {
	return list[core.CategoryGroup](ctx, s, "position")
}

// CategoryGroup returns one group.
func (s *Store) CategoryGroup(ctx context.Context, code string) (*core.CategoryGroup, error) {
	return one[core.CategoryGroup](ctx, s, code, "category group")
}

// SaveCategoryGroup creates or updates a group.
func (s *Store) SaveCategoryGroup(ctx context.Context, code string, g *core.CategoryGroup) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return save(ctx, tx, g, code, g.Code, "category group")
	})
}

// DeleteCategoryGroup deletes a group no category belongs to.
func (s *Store) DeleteCategoryGroup(ctx context.Context, code string) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*core.Category)(nil)).Where("group_code = ?", code).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return core.E(core.ECONFLICT, "error.group_not_empty", "Count", n)
		}
		res, err := tx.NewDelete().Model((*core.CategoryGroup)(nil)).Where("code = ?", code).Exec(ctx)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return core.E(core.ENOTFOUND, "error.group_not_found")
			}
		}
		return err
	})
}

// Category returns one category.
func (s *Store) Category(ctx context.Context, code string) (*core.Category, error) {
	return one[core.Category](ctx, s, code, "category")
}

// SaveCategory creates or updates a category; its group must exist.
func (s *Store) SaveCategory(ctx context.Context, code string, c *core.Category) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if c.GroupCode != "" {
			if _, err := byCode[core.CategoryGroup](ctx, tx, c.GroupCode, "group"); errors.Is(err, core.ErrNotFound) {
				return &core.Error{Code: core.EINVALID, Message: "error.category_invalid",
					Fields: core.FieldErrors{"group": core.M("error.no_group", "Code", c.GroupCode)}}
			} else if err != nil {
				return err
			}
		}
		return save(ctx, tx, c, code, c.Code, "category")
	})
}

// DeleteCategory deletes a category that no request uses.
func (s *Store) DeleteCategory(ctx context.Context, code string) error {
	return remove[core.Category](ctx, s, code, "category")
}

// Organizations lists organizations with the codes of what they serve.
func (s *Store) Organizations(ctx context.Context) (out []core.Organization, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&out).Order("kind", "code").Scan(ctx); err != nil {
			return err
		}
		return attachServed(ctx, tx, out)
	})
	return out, err
}

// Organization returns one organization.
func (s *Store) Organization(ctx context.Context, code string) (o *core.Organization, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if o, err = byCode[core.Organization](ctx, tx, code, "organization"); err != nil {
			return err
		}
		one := []core.Organization{*o}
		err = attachServed(ctx, tx, one)
		*o = one[0]
		return err
	})
	return o, err
}

func attachServed(ctx context.Context, tx bun.Tx, orgs []core.Organization) error {
	type link struct {
		OrgID int64  `bun:"organization_id"`
		Code  string `bun:"code"`
	}
	var ds, cs []link
	if err := tx.NewSelect().TableExpr("organization_districts AS od").ColumnExpr("od.organization_id, d.code").
		Join("JOIN districts AS d ON d.id = od.district_id").Order("d.code").Scan(ctx, &ds); err != nil {
		return err
	}
	if err := tx.NewSelect().TableExpr("organization_categories AS oc").ColumnExpr("oc.organization_id, c.code").
		Join("JOIN categories AS c ON c.id = oc.category_id").Order("c.code").Scan(ctx, &cs); err != nil {
		return err
	}
	idx := map[int64]int{}
	for i := range orgs {
		idx[orgs[i].ID] = i
		orgs[i].Districts, orgs[i].Categories = []string{}, []string{}
	}
	for _, l := range ds {
		if i, ok := idx[l.OrgID]; ok {
			orgs[i].Districts = append(orgs[i].Districts, l.Code)
		}
	}
	for _, l := range cs {
		if i, ok := idx[l.OrgID]; ok {
			orgs[i].Categories = append(orgs[i].Categories, l.Code)
		}
	}
	return nil
}

// SaveOrganization creates or updates an organization and replaces the
// districts and categories it serves.
func (s *Store) SaveOrganization(ctx context.Context, code string, o *core.Organization) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		districts, err := codeIDs(ctx, tx, "districts", "code")
		if err != nil {
			return err
		}
		cats, err := codeIDs(ctx, tx, "categories", "code")
		if err != nil {
			return err
		}
		f := core.FieldErrors{}
		for _, d := range o.Districts {
			if _, ok := districts[d]; !ok {
				f.Add("districts", "error.no_district", "Code", d)
			}
		}
		for _, c := range o.Categories {
			if _, ok := cats[c]; !ok {
				f.Add("categories", "error.no_category", "Code", c)
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := save(ctx, tx, o, code, o.Code, "organization"); err != nil {
			return err
		}
		if code != "" {
			got, err := byCode[core.Organization](ctx, tx, code, "organization")
			if err != nil {
				return err
			}
			o.ID = got.ID
		}
		for _, t := range []string{"organization_districts", "organization_categories"} {
			if _, err := tx.NewRaw("DELETE FROM ? WHERE organization_id = ?", bun.Ident(t), o.ID).Exec(ctx); err != nil {
				return err
			}
		}
		for _, d := range o.Districts {
			if _, err := tx.NewRaw("INSERT INTO organization_districts (organization_id, district_id) VALUES (?, ?) ON CONFLICT DO NOTHING", o.ID, districts[d]).Exec(ctx); err != nil {
				return err
			}
		}
		for _, c := range o.Categories {
			if _, err := tx.NewRaw("INSERT INTO organization_categories (organization_id, category_id) VALUES (?, ?) ON CONFLICT DO NOTHING", o.ID, cats[c]).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteOrganization deletes an organization nothing refers to.
func (s *Store) DeleteOrganization(ctx context.Context, code string) error {
	return remove[core.Organization](ctx, s, code, "organization")
}

func selectBuildings(db bun.IDB, dest any) *bun.SelectQuery {
	return db.NewSelect().Model(dest).ModelTableExpr("buildings AS b").ColumnExpr("b.*").
		ColumnExpr("d.code AS district_code").ColumnExpr("coalesce(o.code, '') AS management_company_code").
		Join("JOIN districts AS d ON d.id = b.district_id").
		Join("LEFT JOIN organizations AS o ON o.id = b.management_company_id")
}

// Buildings returns a page of buildings by id.
func (s *Store) Buildings(ctx context.Context, q core.BuildingQuery) (out []core.Building, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := selectBuildings(tx, &out).Where("b.id > ?", q.AfterID).Order("b.id").Limit(q.Limit)
		if q.District != "" {
			sel = sel.Where("d.code = ?", q.District)
		}
		if q.RegistryID != "" {
			sel = sel.Where("b.registry_id = ?", q.RegistryID)
		}
		if q.IDs != nil {
			sel = sel.Where("b.id IN (?)", bun.In(orNone(q.IDs)))
		}
		for _, word := range strings.Fields(strings.ToLower(q.Text)) {
			sel = sel.Where("b.search_text LIKE ? ESCAPE '\\'", "%"+escapeLike(word)+"%")
		}
		return sel.Scan(ctx)
	})
	return out, err
}

// Building returns one building.
func (s *Store) Building(ctx context.Context, id int64) (b *core.Building, err error) {
	b = new(core.Building)
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return selectBuildings(tx, b).Where("b.id = ?", id).Scan(ctx)
	})
	return b, notFound(err, "building")
}

// resolveBuilding fills the ids of a building from its codes.
func resolveBuilding(b *core.Building, districts, orgs map[string]int64) error {
	f := core.FieldErrors{}
	if id, ok := byCodeOrName(districts, b.District); ok {
		b.DistrictID = id
	} else {
		f.Add("district", "error.no_district", "Code", b.District)
	}
	b.ManagementCompanyID = nil
	if b.ManagementCompany != "" {
		if id, ok := byCodeOrName(orgs, b.ManagementCompany); ok {
			b.ManagementCompanyID = &id
		} else {
			f.Add("management_company", "error.no_management_company", "Code", b.ManagementCompany)
		}
	}
	return f.Err()
}

func managementCompanies(ctx context.Context, tx bun.Tx) (map[string]int64, error) {
	return namedIDs(ctx, tx, "organizations", "kind = ?", core.OrgManagementCompany)
}

// namedIDs maps the codes of a table's rows to their ids, and their
// Russian and English names too, folded (core.FoldName): a registry file
// may name a district or a company either way. A code wins over a name
// written alike; a name two rows share names neither.
func namedIDs(ctx context.Context, tx bun.Tx, table, where string, args ...any) (map[string]int64, error) {
	var rows []struct {
		ID     int64  `bun:"id"`
		Code   string `bun:"code"`
		NameRU string `bun:"name_ru"`
		NameEN string `bun:"name_en"`
	}
	sel := tx.NewSelect().TableExpr("?", bun.Ident(table)).Column("id", "code", "name_ru", "name_en")
	if where != "" {
		sel = sel.Where(where, args...)
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	m := map[string]int64{}
	names := map[string]int64{}
	for _, r := range rows {
		m[r.Code] = r.ID
		for _, n := range []string{core.FoldName(r.NameRU), core.FoldName(r.NameEN)} {
			if prev, ok := names[n]; n != "" && ok && prev != r.ID {
				names[n] = 0 // ambiguous
			} else if n != "" {
				names[n] = r.ID
			}
		}
	}
	for n, id := range names {
		if _, isCode := m[n]; !isCode && id != 0 {
			m["name:"+n] = id
		}
	}
	return m, nil
}

// byCodeOrName finds the id of a code, else of a name (namedIDs).
func byCodeOrName(m map[string]int64, s string) (int64, bool) {
	if id, ok := m[s]; ok {
		return id, true
	}
	id, ok := m["name:"+core.FoldName(s)]
	return id, ok
}

// SaveBuilding creates (id 0) or updates a building.
func (s *Store) SaveBuilding(ctx context.Context, id int64, b *core.Building) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		districts, err := codeIDs(ctx, tx, "districts", "code")
		if err != nil {
			return err
		}
		orgs, err := managementCompanies(ctx, tx)
		if err != nil {
			return err
		}
		if err := resolveBuilding(b, districts, orgs); err != nil {
			return err
		}
		b.Index()
		if id == 0 {
			b.CreatedAt = s.now().UTC()
			_, err = tx.NewInsert().Model(b).Returning("id").Exec(ctx)
			return writeErr(err, "registry_id", "building_registry_id")
		}
		res, err := tx.NewUpdate().Model(b).ExcludeColumn("id", "created_at").Where("id = ?", id).Exec(ctx)
		if err != nil {
			return writeErr(err, "registry_id", "building_registry_id")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(core.ENOTFOUND, "error.building_not_found")
		}
		b.ID = id
		return nil
	})
}

// DeleteBuilding deletes a building no request refers to.
func (s *Store) DeleteBuilding(ctx context.Context, id int64) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*core.Building)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return writeErr(err, "id", "building")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(core.ENOTFOUND, "error.building_not_found")
		}
		return nil
	})
}

// ImportBuildings adds new buildings and updates changed ones by registry
// id, in one transaction. Rows naming unknown districts or companies are
// reported and skipped; importing the same file again changes nothing.
func (s *Store) ImportBuildings(ctx context.Context, rows []core.BuildingRow) (*core.ImportReport, error) {
	rep := &core.ImportReport{Errors: []core.RowError{}}
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		districts, err := namedIDs(ctx, tx, "districts", "")
		if err != nil {
			return err
		}
		orgs, err := managementCompanies(ctx, tx)
		if err != nil {
			return err
		}
		var existing []core.Building
		if err := tx.NewSelect().Model(&existing).Scan(ctx); err != nil {
			return err
		}
		byRegistry := make(map[string]*core.Building, len(existing))
		for i := range existing {
			byRegistry[existing[i].RegistryID] = &existing[i]
		}
		now := s.now().UTC()
		var fresh []core.Building
		for _, row := range rows {
			b := row.Building
			if err := resolveBuilding(&b, districts, orgs); err != nil {
				var e *core.Error
				errors.As(err, &e)
				for field, msg := range e.Fields {
					rep.Errors = append(rep.Errors, core.RowError{Row: row.Row, Field: field, Msg: msg})
				}
				continue
			}
			b.Index()
			prev, ok := byRegistry[b.RegistryID]
			switch {
			case !ok:
				b.CreatedAt = now
				fresh = append(fresh, b)
			case sameBuilding(prev, &b):
				rep.Unchanged++
			default:
				_, err := tx.NewUpdate().Model(&b).ExcludeColumn("id", "created_at").Where("id = ?", prev.ID).Exec(ctx)
				if err != nil {
					return err
				}
				rep.Updated++
			}
		}
		for i := 0; i < len(fresh); i += 500 {
			batch := fresh[i:min(i+500, len(fresh))]
			if _, err := tx.NewInsert().Model(&batch).Exec(ctx); err != nil {
				return err
			}
		}
		rep.Created = len(fresh)
		return nil
	})
	return rep, err
}

func sameCoord(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func sameBuilding(a, b *core.Building) bool {
	same := a.AddressRU == b.AddressRU && a.AddressEN == b.AddressEN && a.DistrictID == b.DistrictID &&
		a.Apartments == b.Apartments && sameCoord(a.Lat, b.Lat) && sameCoord(a.Lon, b.Lon)
	switch {
	case a.ManagementCompanyID == nil || b.ManagementCompanyID == nil:
		return same && a.ManagementCompanyID == nil && b.ManagementCompanyID == nil
	default:
		return same && *a.ManagementCompanyID == *b.ManagementCompanyID
	}
}

// AllBuildings returns every building with its codes, for export.
func (s *Store) AllBuildings(ctx context.Context) (out []core.Building, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return selectBuildings(tx, &out).Order("b.id").Scan(ctx)
	})
	return out, err
}
