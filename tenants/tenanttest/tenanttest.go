// Package tenanttest gives tests a real, empty database of either backend:
// a fresh PostgreSQL database (dropped afterwards) or a fresh SQLite folder.
package tenanttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Kinds are the backends every isolation test runs on: SQLite and
// PostgreSQL, or those of them that BackendsEnv selects.
var Kinds = selected([]string{"sqlite", "postgres"})

// KindsWithPgBouncer adds "pgbouncer": PostgreSQL reached through a
// PgBouncer in transaction pooling mode that the test starts, as in a
// production deployment. The isolation, idempotency, provisioning and
// migration tests run on it too. BackendsEnv narrows it as it does Kinds.
var KindsWithPgBouncer = selected([]string{"sqlite", "postgres", "pgbouncer"})

// BackendsEnv names the environment variable that narrows the backends the
// tests run on: a comma-separated list of kinds ("sqlite", "postgres",
// "pgbouncer"); unset or empty means every backend. It lets one run take
// PostgreSQL under the race detector while another takes SQLite without it
// (the detector would instrument the SQLite engine itself, which is Go code
// transpiled from C and several times slower under it). A value naming an
// unknown kind, or selecting neither SQLite nor PostgreSQL, stops the tests.
const BackendsEnv = "OPENCITY_TEST_BACKENDS"

// selected returns the kinds of all that BackendsEnv selects, in order.
func selected(all []string) []string {
	v := strings.TrimSpace(os.Getenv(BackendsEnv))
	if v == "" {
		return all
	}
	want := map[string]bool{}
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if k != "sqlite" && k != "postgres" && k != "pgbouncer" {
			panic(fmt.Sprintf("%s=%q: %q is not a backend; use a comma-separated list of sqlite, postgres and pgbouncer", BackendsEnv, v, k))
		}
		want[k] = true
	}
	if !want["sqlite"] && !want["postgres"] {
		panic(fmt.Sprintf("%s=%q selects neither sqlite nor postgres, so the tests over both would test nothing", BackendsEnv, v))
	}
	var kinds []string
	for _, k := range all {
		if want[k] {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// DefaultAdminURL is where tests find PostgreSQL unless
// OPENCITY_TEST_DATABASE_URL says otherwise.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// adminTimeout bounds each statement on the admin connection (creating,
// dropping a test database).
const adminTimeout = 3 * time.Minute

// DB is a test database: DatabaseURL for PostgreSQL, DataDir for SQLite.
type DB struct {
	Kind        string
	DatabaseURL string
	DataDir     string
	// PgBouncer is the pooler in front of the database of kind "pgbouncer".
	PgBouncer *PgBouncer
}

// New creates an empty database of the kind ("sqlite", "postgres" or
// "pgbouncer") and removes it when the test ends. A missing PostgreSQL or
// PgBouncer fails the test with instructions; it is never skipped.
func New(tb testing.TB, kind string) DB {
	tb.Helper()
	db := DB{Kind: kind, DataDir: tb.TempDir()}
	if kind == "sqlite" {
		return db
	}
	admin := os.Getenv("OPENCITY_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultAdminURL
	}
	// CREATE and DROP DATABASE wait for PostgreSQL's checkpoints, which
	// take far longer than the driver's 10-second default read timeout
	// while the whole suite writes on two cores.
	conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(admin),
		pgdriver.WithReadTimeout(adminTimeout), pgdriver.WithWriteTimeout(adminTimeout)))
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := conn.PingContext(ctx); err != nil {
		conn.Close()
		tb.Fatalf("these tests need PostgreSQL at %s (%v).\n"+
			"Install and start it: apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect 15 main start,\n"+
			"or point OPENCITY_TEST_DATABASE_URL at a server where the user may create databases.", admin, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "opencity_test_" + hex.EncodeToString(b)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		conn.Close()
		tb.Fatalf("create test database: %v", err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	db.DatabaseURL = u.String()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
		conn.Close()
	})
	if kind == "pgbouncer" {
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			port = 5432
		}
		// Stopped before the database is dropped (cleanups run last first).
		db.PgBouncer = StartPgBouncer(tb, u.Hostname(), port)
		db.DatabaseURL = db.PgBouncer.URL(name)
	}
	return db
}

// Open returns a backend over a new test database, closed when the test ends.
func Open(tb testing.TB, kind string) *tenants.Backend {
	tb.Helper()
	db := New(tb, kind)
	b, err := tenants.Open(context.Background(), db.DatabaseURL, db.DataDir)
	if err != nil {
		tb.Fatalf("open %s backend: %v", kind, err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

// Provision creates an active city with an admin whose password is "secret".
func Provision(tb testing.TB, b *tenants.Backend, slug string) *tenants.Tenant {
	tb.Helper()
	p, err := b.Provision(context.Background(), tenants.NewTenant{Slug: slug, Name: "City " + slug}, tenants.Admin{Login: "admin", Password: "secret"})
	if err != nil {
		tb.Fatalf("provision %s: %v", slug, err)
	}
	return p.Tenant
}
