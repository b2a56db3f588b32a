package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The building_points migration makes a city's buildings' coordinates
// nullable and their 0,0 unknown, on a city whose requests refer to its
// buildings; a building with a point keeps it.
func TestBuildingPointsMigration(t *testing.T) {
	mig := migrationNamed(t, "building_points")
	nullable := regexp.MustCompile(`(?i)\b(lat|lon) DOUBLE PRECISION\b`)
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := provisionCity(t, kind, "points")
			st, scope, reqs := c.Store, c.Scope, c.Requests
			err := st.Seed(ctx, store.SeedData{Districts: []core.District{{Code: "centre", NameRU: "Центр", NameEN: "Centre"}},
				Buildings: []store.SeedBuilding{
					{Building: core.Building{RegistryID: "P-1", AddressRU: "ул. Где-то, 1", Lat: core.Coord(55.79), Lon: core.Coord(49.12)}, District: "centre"},
					{Building: core.Building{RegistryID: "P-2", AddressRU: "ул. Нигде, 2"}, District: "centre"},
				}})
			if err != nil {
				t.Fatal(err)
			}
			bs, err := st.Buildings(ctx, core.BuildingQuery{Limit: 10})
			if err != nil || len(bs) != 2 || bs[1].Lat != nil {
				t.Fatalf("buildings %+v, %v", bs, err)
			}
			if _, _, err := reqs.Submit(ctx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, core.NewRequest{Category: "lift", BuildingID: &bs[1].ID,
				Description: "Лифт стоит", Applicant: core.Applicant{Phone: "+79171234567"}}, ""); err != nil {
				t.Fatal(err)
			}
			// The city as it was: NOT NULL DEFAULT 0, unknown points as 0,0.
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "UPDATE buildings SET lat = 0, lon = 0 WHERE lat IS NULL"); err != nil {
					return err
				}
				if scope.Postgres() {
					_, err := tx.ExecContext(ctx, "ALTER TABLE buildings ALTER COLUMN lat SET NOT NULL, ALTER COLUMN lon SET NOT NULL")
					return err
				}
				return store.RebuildSQLiteTable(ctx, tx, "buildings", nullable, "$1 DOUBLE PRECISION NOT NULL DEFAULT 0")
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error { return mig.Step(ctx, tx, scope.Postgres()) }); err != nil {
				t.Fatal(err)
			}
			bs, err = st.Buildings(ctx, core.BuildingQuery{Limit: 10})
			if err != nil || len(bs) != 2 {
				t.Fatalf("buildings %+v, %v", bs, err)
			}
			if lat, lon, ok := bs[0].Point(); !ok || lat != 55.79 || lon != 49.12 {
				t.Errorf("P-1 lost its point: %v %v %v", lat, lon, ok)
			}
			if _, _, ok := bs[1].Point(); ok {
				t.Errorf("P-2's 0,0 is still a point: %v %v", *bs[1].Lat, *bs[1].Lon)
			}
			page, err := st.ListRequests(ctx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, core.RequestQuery{Limit: 10})
			if err != nil || len(page.Items) != 1 || page.Items[0].BuildingID == nil || *page.Items[0].BuildingID != bs[1].ID {
				t.Fatalf("the request lost its building: %+v, %v", page, err)
			}
			// And the table takes an unknown point, and its foreign keys hold.
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "UPDATE buildings SET lat = NULL, lon = NULL WHERE registry_id = 'P-1'"); err != nil {
					return err
				}
				if !scope.Postgres() {
					var n int
					if err := tx.NewRaw("SELECT count(*) FROM pragma_foreign_key_check").Scan(ctx, &n); err != nil || n != 0 {
						t.Errorf("foreign key check: %d, %v", n, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
