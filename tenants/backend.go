// Package tenants is the control plane: the registry of cities, the storage
// that isolates them (a schema per city on PostgreSQL, a file per city on
// SQLite), provisioning, migrations across all cities and city resolution.
package tenants

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// ValidSlug reports whether s is a well-formed city slug (core.SlugPattern).
// Schema names are derived from it and quoted, so a slug can never carry SQL.
func ValidSlug(s string) bool { return core.ValidSlug(s) }

// ErrInvalidSlug is returned for any slug that is not core.SlugPattern.
var ErrInvalidSlug = errors.New("invalid city slug: " + core.SlugRule)

// Backend is the database behind the control plane and all cities.
type Backend struct {
	// Control is the control plane's handle. On PostgreSQL it is also the one
	// shared pool that city scopes use.
	Control *bun.DB
	// Jobs is the durable job queue of the control plane.
	Jobs *jobs.Queue
	// Now is the clock of the cities' stores (see Store); nil is time.Now.
	// Set it before the first Store.
	Now func() time.Time
	// Batching is the cities' intake group commit (nil:
	// store.DefaultBatching); set it before the first Store.
	Batching *store.Batching

	postgres bool
	dataDir  string
	sent     statementCounter
	// notifying is set by RegisterNotify: NudgeNotify does nothing before.
	notifying bool
	nudges    nudges

	mu             sync.Mutex
	cities         map[string]*bun.DB // SQLite: one handle per city file
	stores         map[string]*store.Store
	reserved       map[string]bool // slugs the server's own routes use
	provisionHooks []func(ctx context.Context, slug string) error
}

//go:embed migrations/*.sql
var controlMigrationFS embed.FS

// Open connects to PostgreSQL when databaseURL is set, otherwise to SQLite
// files under dataDir, and migrates the control plane.
func Open(ctx context.Context, databaseURL, dataDir string) (*Backend, error) {
	b := &Backend{dataDir: dataDir, cities: map[string]*bun.DB{}}
	if databaseURL != "" {
		if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
			return nil, errors.New("DATABASE_URL must be a postgres:// URL")
		}
		b.Control = bun.NewDB(openPostgres(databaseURL), pgdialect.New())
		b.Control.AddQueryHook(&b.sent)
		b.postgres = true
	} else {
		if err := os.MkdirAll(filepath.Join(dataDir, "cities"), 0o750); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
		db, err := openSQLite(filepath.Join(dataDir, "control.db"))
		if err != nil {
			return nil, err
		}
		b.Control = db
	}
	if err := b.Control.PingContext(ctx); err != nil {
		b.Control.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	if err := b.migrateControl(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("control plane migration: %w", err)
	}
	b.Jobs = jobs.New(b.Control, string(b.table("jobs")), b.postgres)
	return b, nil
}

func openSQLite(path string) (*bun.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-1024)&_txlock=immediate"
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return nil, err
	}
	// One connection per file: SQLite has one writer anyway, and a single
	// connection keeps write transactions from failing with SQLITE_BUSY.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxIdleTime(0)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// Postgres reports whether the backend is PostgreSQL.
func (b *Backend) Postgres() bool { return b.postgres }

// table names a control-plane table: schema-qualified on PostgreSQL, plain in
// SQLite's control.db.
func (b *Backend) table(name string) bun.Ident {
	if b.postgres {
		return bun.Ident("control." + name)
	}
	return bun.Ident(name)
}

func (b *Backend) migrateControl(ctx context.Context) error {
	prefix := ""
	ledger := store.Ledger{Table: "schema_migrations", Postgres: b.postgres}
	if b.postgres {
		prefix = "control."
		ledger.Table = "control.schema_migrations"
		ledger.Lock = func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('opencity.control'))")
			return err
		}
		if err := b.ensureControlSchema(ctx); err != nil {
			return err
		}
	}
	ms := store.ParseMigrations(controlMigrationFS, "migrations")
	for i := range ms {
		ms[i].SQL = strings.ReplaceAll(ms[i].SQL, "{{C}}", prefix)
	}
	_, err := ledger.Apply(ctx, func(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
		return b.Control.RunInTx(ctx, nil, fn)
	}, ms)
	return err
}

// SchemaName is the PostgreSQL schema of a city, unquoted.
func SchemaName(slug string) string { return "city_" + slug }

// quotedSchema is the schema name as a quoted identifier, for search_path.
func quotedSchema(slug string) string {
	return `"` + strings.ReplaceAll(SchemaName(slug), `"`, `""`) + `"`
}

// pgScope confines each transaction to one city's schema on the shared pool.
type pgScope struct {
	db   *bun.DB
	path string
}

func (s pgScope) Postgres() bool { return true }

// RunInTx starts a transaction whose first statement sets the
// transaction-local search_path, so the setting ends with the transaction
// and is safe behind PgBouncer in transaction mode. A connection found
// broken at BEGIN or at that first statement is replaced and the unit of
// work run once more (see runInTxRetrying).
func (s pgScope) RunInTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return runInTxRetrying(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT set_config('search_path', ?, true)", s.path)
		return err
	}, fn)
}

// sqliteScope is a city's own database file.
type sqliteScope struct{ db *bun.DB }

func (s sqliteScope) Postgres() bool { return false }

func (s sqliteScope) RunInTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, fn)
}

// errNoStorage means a city has no schema or file (yet).
var errNoStorage = errors.New("the city has no storage")

// Scope returns the unit-of-work scope of an existing city.
func (b *Backend) Scope(slug string) (store.Scope, error) {
	if !ValidSlug(slug) {
		return nil, ErrInvalidSlug
	}
	if b.postgres {
		return pgScope{db: b.Control, path: quotedSchema(slug)}, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if db, ok := b.cities[slug]; ok {
		return sqliteScope{db}, nil
	}
	path := b.cityFile(slug)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %w", slug, errNoStorage)
	}
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	b.cities[slug] = db
	return sqliteScope{db}, nil
}

func (b *Backend) cityFile(slug string) string {
	return filepath.Join(b.dataDir, "cities", slug+".db")
}

// createStorage makes the city's schema or file; it is idempotent.
func (b *Backend) createStorage(ctx context.Context, slug string) error {
	if !ValidSlug(slug) {
		return ErrInvalidSlug
	}
	if b.postgres {
		_, err := b.Control.NewRaw("CREATE SCHEMA IF NOT EXISTS ?", bun.Ident(SchemaName(slug))).Exec(ctx)
		return err
	}
	f, err := os.OpenFile(b.cityFile(slug), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return err
	}
	return f.Close()
}

// Close releases every connection.
func (b *Backend) Close() error {
	b.nudges.stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for slug, db := range b.cities {
		db.Close()
		delete(b.cities, slug)
	}
	b.stores = nil
	return b.Control.Close()
}
