package tenants_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

func TestValidSlug(t *testing.T) {
	good := []string{"kazan", "nizhny-novgorod", "k2", "a0-b1"}
	bad := []string{"", "k", "Kazan", "1kazan", "-kazan", "kazan_1", "kazan\"; drop schema x;--", "../kazan",
		"kazan\x00", "казань", strings.Repeat("a", 41), "kazan ", "city.kazan"}
	for _, s := range good {
		if !tenants.ValidSlug(s) {
			t.Errorf("ValidSlug(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if tenants.ValidSlug(s) {
			t.Errorf("ValidSlug(%q) = true, want false", s)
		}
	}
}

func TestProvision(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			p, err := b.Provision(ctx, tenants.NewTenant{Slug: "almetyevsk", Name: "Альметьевск"}, tenants.Admin{Login: "Admin"})
			if err != nil {
				t.Fatal(err)
			}
			if p.Tenant.Status != tenants.StatusActive || p.AdminPassword == "" {
				t.Fatalf("provisioned %+v, generated password %q", p.Tenant, p.AdminPassword)
			}
			scope, err := b.Scope("almetyevsk")
			if err != nil {
				t.Fatal(err)
			}
			st := store.New(scope)
			counts, err := st.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if counts["categories"] != len(core.StarterCategories) || counts["users"] != 1 || counts["requests"] != 0 {
				t.Errorf("new city holds %v", counts)
			}
			if _, err := (&core.Accounts{Store: st, Now: func() time.Time { return p.Tenant.CreatedAt }}).Login(ctx, core.Credentials{Login: "admin", Password: p.AdminPassword}); err != nil {
				t.Errorf("first admin cannot log in with the generated password: %v", err)
			}

			// The same slug again is a conflict with a field message, and
			// changes nothing.
			_, err = b.Provision(ctx, tenants.NewTenant{Slug: "almetyevsk", Name: "Другой"}, tenants.Admin{})
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.ECONFLICT || e.Fields["slug"].Code == "" {
				t.Fatalf("second provision: %v, want a conflict on slug", err)
			}
			if got, _ := b.Registry().Get(ctx, "almetyevsk"); got.Name != "Альметьевск" {
				t.Errorf("name changed to %q", got.Name)
			}

			// Invalid input is refused before anything is created.
			_, err = b.Provision(ctx, tenants.NewTenant{Slug: `kazan"; drop schema x;--`, Name: "x", Timezone: "Mars/Olympus"}, tenants.Admin{})
			if !errors.As(err, &e) || e.Fields["slug"].Code == "" || e.Fields["timezone"].Code == "" {
				t.Fatalf("bad tenant: %v, want field errors for slug and timezone", err)
			}
			ts, _ := b.Registry().List(ctx)
			if len(ts) != 1 {
				t.Errorf("registry holds %d cities, want 1", len(ts))
			}
		})
	}
}

// A provisioning that died half-way is finished by running it again.
func TestProvisionResumes(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "zainsk")
			// Put the city back into provisioning and drop its categories, as if
			// the process had died after migrating.
			scope, _ := b.Scope("zainsk")
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM categories")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Control.NewRaw("UPDATE " + controlTable(b, "tenants") + " SET status = 'provisioning'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			p, err := b.Provision(ctx, tenants.NewTenant{Slug: "zainsk", Name: "Заинск"}, tenants.Admin{Password: "other"})
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			counts, _ := store.New(scope).Counts(ctx)
			if p.Tenant.Status != tenants.StatusActive || counts["categories"] != len(core.StarterCategories) || counts["users"] != 1 {
				t.Errorf("after resume: status %s, counts %v", p.Tenant.Status, counts)
			}
		})
	}
}

func controlTable(b *tenants.Backend, name string) string {
	if b.Postgres() {
		return "control." + name
	}
	return name
}

// A city-scoped query run outside a city's transaction must fail, also on a
// pooled connection that just served a city transaction.
func TestQueryOutsideCityFails(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "kazan")
			scope, _ := b.Scope("kazan")
			for i := 0; i < 30; i++ {
				err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewSelect().TableExpr("categories").Count(ctx)
					return err
				})
				if err != nil {
					t.Fatalf("inside the city: %v", err)
				}
				for _, table := range []string{"categories", "requests", "users"} {
					if _, err := b.Control.NewSelect().TableExpr(table).Count(ctx); err == nil {
						t.Fatalf("SELECT FROM %s outside a city transaction succeeded", table)
					}
				}
			}
			if b.Postgres() {
				var path string
				if err := b.Control.NewRaw("SHOW search_path").Scan(ctx, &path); err != nil || strings.Contains(path, "city_") {
					t.Fatalf("pool search_path %q (%v) leaks a city", path, err)
				}
			}
		})
	}
}

// Each city has its own ledger; a failed migration keeps the steps before it
// and a rerun resumes at the failed one.
func TestLedgerResumes(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "kazan")
			tenanttest.Provision(t, b, "yelabuga")
			scope, _ := b.Scope("kazan")
			l := store.Ledger{Table: "extra_ledger", Postgres: b.Postgres()}
			ms := []store.Migration{
				{Version: 1, Name: "one", SQL: "CREATE TABLE extra_one (id INTEGER)"},
				{Version: 2, Name: "two", SQL: "CREATE TABLE extra_two (id INTEGER);\nINSERT INTO no_such_table VALUES (1)"},
				{Version: 3, Name: "three", SQL: "CREATE TABLE extra_three (id INTEGER)"},
			}
			applied, err := l.Apply(ctx, scope.RunInTx, ms)
			if err == nil || applied != 1 {
				t.Fatalf("first run: applied %d, err %v; want 1 and an error", applied, err)
			}
			ms[1].SQL = "CREATE TABLE extra_two (id INTEGER)"
			applied, err = l.Apply(ctx, scope.RunInTx, ms)
			if err != nil || applied != 2 {
				t.Fatalf("rerun: applied %d, err %v; want 2", applied, err)
			}
			var v int
			_ = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				v, err = l.Version(ctx, tx)
				return err
			})
			if v != 3 {
				t.Errorf("ledger version %d, want 3", v)
			}
			// The other city never saw these tables.
			other, _ := b.Scope("yelabuga")
			err = other.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewSelect().TableExpr("extra_one").Count(ctx)
				return err
			})
			if err == nil {
				t.Error("a migration of kazan created a table in yelabuga")
			}
		})
	}
}

func TestMigrateAll(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			for i := 0; i < 12; i++ {
				tenanttest.Provision(t, b, fmt.Sprintf("city%02d", i))
			}
			// Roll one city back by a migration, as after a deploy with a new one.
			scope, _ := b.Scope("city07")
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				for _, table := range []string{"attachments", "request_events", "requests", "counters"} {
					drop := "DROP TABLE " + table
					if tx.Dialect().Name() == dialect.PG {
						drop += " CASCADE" // later migrations' tables refer to requests
					}
					if _, err := tx.ExecContext(ctx, drop); err != nil {
						return err
					}
				}
				// 3 is the migration that creates these tables (0003_requests).
				_, err := tx.NewRaw("DELETE FROM schema_migrations WHERE version = ?", 3).Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var seen []string
			res, err := b.MigrateAll(ctx, tenants.MigrateOptions{Parallel: 3, Progress: func(r tenants.MigrationResult) { seen = append(seen, r.Slug) }})
			if err != nil {
				t.Fatal(err)
			}
			applied := 0
			for _, r := range res {
				applied += r.Applied
				if r.Version != store.Latest() {
					t.Errorf("%s at version %d", r.Slug, r.Version)
				}
			}
			if applied != 1 || len(seen) != 12 {
				t.Errorf("applied %d migrations, reported %d cities; want 1 and 12", applied, len(seen))
			}
			if n, err := store.New(scope).Counts(ctx); err != nil || n["requests"] != 0 {
				t.Errorf("city07 after migrate: %v %v", n, err)
			}
			res, err = b.MigrateAll(ctx, tenants.MigrateOptions{})
			for _, r := range res {
				if r.Applied != 0 {
					t.Errorf("no-op run applied %d in %s", r.Applied, r.Slug)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCitiesResolve(t *testing.T) {
	ctx := context.Background()
	b := tenanttest.Open(t, "sqlite")
	tenanttest.Provision(t, b, "kazan")
	tenanttest.Provision(t, b, "nizhnekamsk")
	if err := b.Registry().AddDomain(ctx, "kazan", "open.kzn.example.ru"); err != nil {
		t.Fatal(err)
	}
	c := tenants.NewCities(b, "opencity.example.org")
	cases := []struct{ host, want string }{
		{"kazan.opencity.example.org", "kazan"},
		{"NIZHNEKAMSK.opencity.example.org", "nizhnekamsk"},
		{"open.kzn.example.ru", "kazan"},
		{"samara.opencity.example.org", ""},
		{"opencity.example.org", ""},
		{"kazan.evil.example.org", ""},
		{"x.kazan.opencity.example.org", ""},
		{"localhost", ""},
	}
	for _, tc := range cases {
		city, err := c.ByHost(ctx, strings.ToLower(tc.host))
		got := ""
		if err == nil {
			got = city.Slug
		} else if core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("ByHost(%q): %v", tc.host, err)
		}
		if got != tc.want {
			t.Errorf("ByHost(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
	if _, err := c.BySlug(ctx, `kazan"; drop schema x;--`); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("forged slug: %v", err)
	}
	if _, err := b.Registry().SetStatus(ctx, "test", "kazan", tenants.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	c.Invalidate()
	city, err := c.BySlug(ctx, "kazan")
	if err != nil || !city.ReadOnly {
		t.Fatalf("suspended kazan: %+v %v", city, err)
	}
	if _, err := b.Registry().SetStatus(ctx, "test", "kazan", tenants.StatusPastDue); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("suspended → past_due: %v, want a conflict", err)
	}
	log, _ := b.Registry().AuditLog(ctx, "kazan", 10)
	if len(log) == 0 || log[0].Action != "tenant.suspended" {
		t.Errorf("audit log %+v", log)
	}
}

// One city never blocks the others: a signup without storage is skipped, a
// city whose migration fails is marked and kept out of service while the
// others migrate and serve, and the next successful run puts it back.
func TestMigrateAllIsolatesCities(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "alpha")
			tenanttest.Provision(t, b, "beta")
			tenanttest.Provision(t, b, "delta")
			if _, err := b.Registry().CreatePending(ctx, tenants.NewTenant{Slug: "gamma", Name: "Гамма"}); err != nil {
				t.Fatal(err)
			}
			// beta's ledger forgets its first migration, whose CREATE TABLE
			// then fails on the table that exists.
			beta, _ := b.Scope("beta")
			forget := func() error {
				return beta.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewRaw("DELETE FROM schema_migrations WHERE version = 1").Exec(ctx)
					return err
				})
			}
			if err := forget(); err != nil {
				t.Fatal(err)
			}
			res, err := b.MigrateAll(ctx, tenants.MigrateOptions{Parallel: 2})
			var failures tenants.MigrationFailures
			if !errors.As(err, &failures) || len(failures) != 1 || failures[0].Slug != "beta" {
				t.Fatalf("MigrateAll error %v, want beta's failure alone", err)
			}
			got := map[string]tenants.MigrationResult{}
			for _, r := range res {
				got[r.Slug] = r
			}
			if r := got["gamma"]; r.Err != nil || !strings.Contains(r.Skipped, "no storage") || r.Serving() {
				t.Errorf("pending gamma: %+v", r)
			}
			if r := got["beta"]; r.Err == nil || !r.Serving() || !strings.Contains(r.Err.Error(), "0001") {
				t.Errorf("broken beta: %+v", r)
			}
			for _, slug := range []string{"alpha", "delta"} {
				if r := got[slug]; r.Err != nil || r.Skipped != "" || r.Version != store.Latest() {
					t.Errorf("%s: %+v", slug, r)
				}
			}
			tb, err := b.Registry().Get(ctx, "beta")
			if err != nil || tb.MigrationError == "" || tb.Serving() {
				t.Fatalf("beta after the failure: %+v %v", tb, err)
			}
			if log, _ := b.Registry().AuditLog(ctx, "beta", 1); len(log) != 1 || log[0].Action != "tenant.migration_failed" {
				t.Errorf("beta's audit log: %+v", log)
			}
			cities := tenants.NewCities(b, "")
			for _, slug := range []string{"alpha", "delta"} {
				if _, err := cities.BySlug(ctx, slug); err != nil {
					t.Errorf("%s is not served: %v", slug, err)
				}
			}
			for _, slug := range []string{"beta", "gamma"} {
				if _, err := cities.BySlug(ctx, slug); core.ErrorCode(err) != core.ENOTFOUND {
					t.Errorf("%s is served: %v", slug, err)
				}
			}
			// Repaired: the next run migrates beta, clears the mark, and it serves.
			err = beta.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewRaw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'restored', ?)", time.Now().UTC()).Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.MigrateAll(ctx, tenants.MigrateOptions{}); err != nil {
				t.Fatal(err)
			}
			if tb, _ := b.Registry().Get(ctx, "beta"); tb.MigrationError != "" || !tb.Serving() {
				t.Errorf("beta after repair: %+v", tb)
			}
			cities.Invalidate()
			if _, err := cities.BySlug(ctx, "beta"); err != nil {
				t.Errorf("repaired beta is not served: %v", err)
			}
		})
	}
}

// A city registered as live whose storage is gone is refused and reported
// as failed, and the others still resolve.
func TestCityWithoutStorage(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := tenanttest.New(t, kind)
			b, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			tenanttest.Provision(t, b, "kazan")
			tenanttest.Provision(t, b, "zainsk")
			if kind == "postgres" {
				_, err = b.Control.ExecContext(ctx, `DROP SCHEMA city_zainsk CASCADE`)
			} else {
				b.Close()
				err = os.Remove(filepath.Join(db.DataDir, "cities", "zainsk.db"))
				if err == nil {
					b, err = tenants.Open(ctx, db.DatabaseURL, db.DataDir)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			res, err := b.MigrateAll(ctx, tenants.MigrateOptions{})
			var failures tenants.MigrationFailures
			if !errors.As(err, &failures) || len(failures) != 1 || failures[0].Slug != "zainsk" || len(res) != 2 {
				t.Errorf("MigrateAll: %v", err)
			}
			c := tenants.NewCities(b, "")
			if _, err := c.BySlug(ctx, "kazan"); err != nil {
				t.Errorf("kazan: %v", err)
			}
			if _, err := c.BySlug(ctx, "zainsk"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("zainsk without storage: %v", err)
			}
		})
	}
}

// Start-up on PostgreSQL creates the control schema once and then leaves it
// alone: on Citus a CREATE SCHEMA of an existing schema would make control a
// distributed schema. An event trigger records every CREATE SCHEMA the
// database sees, IF NOT EXISTS included.
func TestStartLeavesControlSchemaAlone(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.New(t, "postgres")
	b, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	tenanttest.Provision(t, b, "kazan")
	for _, q := range []string{
		`CREATE TABLE public.ddl_seen (tag TEXT NOT NULL, query TEXT NOT NULL)`,
		`CREATE FUNCTION public.note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
		 BEGIN INSERT INTO public.ddl_seen VALUES (tg_tag, current_query()); END $$`,
		`CREATE EVENT TRIGGER note_create_schema ON ddl_command_start WHEN TAG IN ('CREATE SCHEMA') EXECUTE FUNCTION public.note_ddl()`,
	} {
		if _, err := b.Control.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	// Two more starts, with a migration run over the cities each.
	for i := 0; i < 2; i++ {
		b, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.MigrateAll(ctx, tenants.MigrateOptions{}); err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
	b, err = tenants.Open(ctx, db.DatabaseURL, db.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var seen []string
	if err := b.Control.NewRaw("SELECT query FROM public.ddl_seen").Scan(ctx, &seen); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Errorf("start-up with an existing control schema ran %d CREATE SCHEMA: %q", len(seen), seen)
	}
	// The trigger does see a CREATE SCHEMA IF NOT EXISTS of an existing schema.
	if _, err := b.Control.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS control"); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Control.NewSelect().TableExpr("public.ddl_seen").Count(ctx); n != 1 {
		t.Errorf("the event trigger saw %d statements, want 1: the check proves nothing", n)
	}
}
