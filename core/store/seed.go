package store

import (
	"context"
	"fmt"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// SeedOrganization is an organization with the codes of the districts it serves.
type SeedOrganization struct {
	core.Organization
	Districts []string
}

// SeedBuilding is a building that names its district and management company
// by code.
type SeedBuilding struct {
	core.Building
	District          string
	ManagementCompany string
}

// SeedUser is a user that names its organization by code ("" for none).
type SeedUser struct {
	core.User
	Organization string
}

// SeedData is directory data and users to add to a city. Seeding is
// idempotent: rows whose code, registry id or login exist are left as they are.
type SeedData struct {
	Districts     []core.District
	Groups        []core.CategoryGroup
	Categories    []core.Category
	Organizations []SeedOrganization
	Buildings     []SeedBuilding
	Users         []SeedUser
}

// StarterSeed returns the categories every new city starts with.
func StarterSeed() SeedData {
	d := SeedData{Groups: append([]core.CategoryGroup(nil), core.StarterGroups...)}
	for _, c := range core.StarterCategories {
		d.Categories = append(d.Categories, core.Category{
			Code: c.Code, GroupCode: c.Group, NameRU: c.NameRU, NameEN: c.NameEN,
			Emergency: c.Emergency, DefaultPriority: c.Priority,
			ReactionMinutes: c.ReactionMinutes, ResolutionMinutes: c.ResolutionMinutes,
			WorkingTime: c.WorkingTime, CitizenVisible: true, Active: true, Utility: c.Utility,
		})
	}
	return d
}

// Seed adds d in one transaction.
func (s *Store) Seed(ctx context.Context, d SeedData) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if len(d.Districts) > 0 {
			if _, err := tx.NewInsert().Model(&d.Districts).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("districts: %w", err)
			}
		}
		if len(d.Groups) > 0 {
			if _, err := tx.NewInsert().Model(&d.Groups).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("category groups: %w", err)
			}
		}
		if len(d.Categories) > 0 {
			if _, err := tx.NewInsert().Model(&d.Categories).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("categories: %w", err)
			}
		}
		districts, err := codeIDs(ctx, tx, "districts", "code")
		if err != nil {
			return err
		}
		for _, o := range d.Organizations {
			org := o.Organization
			if _, err := tx.NewInsert().Model(&org).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("organization %s: %w", o.Code, err)
			}
		}
		orgs, err := codeIDs(ctx, tx, "organizations", "code")
		if err != nil {
			return err
		}
		for _, o := range d.Organizations {
			for _, dc := range o.Districts {
				did, ok := districts[dc]
				if !ok {
					return fmt.Errorf("organization %s: unknown district %q", o.Code, dc)
				}
				_, err := tx.NewRaw("INSERT INTO organization_districts (organization_id, district_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
					orgs[o.Code], did).Exec(ctx)
				if err != nil {
					return err
				}
			}
		}
		now := s.now().UTC()
		for _, sb := range d.Buildings {
			b := sb.Building
			var ok bool
			if b.DistrictID, ok = districts[sb.District]; !ok {
				return fmt.Errorf("building %s: unknown district %q", b.RegistryID, sb.District)
			}
			if sb.ManagementCompany != "" {
				id, ok := orgs[sb.ManagementCompany]
				if !ok {
					return fmt.Errorf("building %s: unknown organization %q", b.RegistryID, sb.ManagementCompany)
				}
				b.ManagementCompanyID = &id
			}
			if b.CreatedAt.IsZero() {
				b.CreatedAt = now
			}
			b.Index()
			if _, err := tx.NewInsert().Model(&b).On("CONFLICT (registry_id) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("building %s: %w", b.RegistryID, err)
			}
		}
		for _, su := range d.Users {
			u := su.User
			if su.Organization != "" {
				id, ok := orgs[su.Organization]
				if !ok {
					return fmt.Errorf("user %s: unknown organization %q", u.Login, su.Organization)
				}
				u.OrganizationID = &id
			}
			if u.CreatedAt.IsZero() {
				u.CreatedAt = now
			}
			if _, err := tx.NewInsert().Model(&u).On("CONFLICT (login) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("user %s: %w", u.Login, err)
			}
		}
		return nil
	})
}

func codeIDs(ctx context.Context, tx bun.Tx, table, column string) (map[string]int64, error) {
	var rows []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
	}
	err := tx.NewSelect().TableExpr("?", bun.Ident(table)).ColumnExpr("id, ? AS code", bun.Ident(column)).Scan(ctx, &rows)
	m := make(map[string]int64, len(rows))
	for _, r := range rows {
		m[r.Code] = r.ID
	}
	return m, err
}

// Categories returns the city's categories, active ones only unless all.
func (s *Store) Categories(ctx context.Context, all bool) ([]core.Category, error) {
	var cs []core.Category
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&cs).Order("group_code", "code")
		if !all {
			q = q.Where("active")
		}
		return q.Scan(ctx)
	})
	return cs, err
}

// Counts returns the number of rows of the main city tables, for status pages
// and tests.
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, t := range []string{"districts", "categories", "organizations", "buildings", "users", "requests"} {
			q := tx.NewSelect().TableExpr("?", bun.Ident(t))
			if t == "users" {
				q = q.Where("login NOT LIKE '~%'") // system and API-token accounts are not people
			}
			n, err := q.Count(ctx)
			if err != nil {
				return err
			}
			out[t] = n
		}
		return nil
	})
	return out, err
}
