package tenants

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/uptrace/bun"
)

// Backend does several jobs for the control plane; each is a small contract
// below, and a consumer depends on the ones it uses (the consoles, the
// vendor API, demo seeding) rather than on Backend itself. Only the binary's
// wiring holds the whole Backend.

// CityStorage gives each existing city's storage: its one Store (which owns
// the city's caches) and, for bulk work, its unit-of-work scope.
type CityStorage interface {
	Store(slug string) (*store.Store, error)
	Scope(slug string) (store.Scope, error)
}

// Registrar gives the tenant registry: the cities, their status, domains
// and audit log.
type Registrar interface {
	Registry() *Registry
}

// Provisioner creates cities: storage, migrations, seed data and the first
// admin, then the registered extra steps (policies, billing).
type Provisioner interface {
	Provision(ctx context.Context, n NewTenant, admin Admin) (*Provisioned, error)
	OnProvision(step func(ctx context.Context, slug string) error)
}

// PluginCatalog is the vendor's catalog of routing plugin binaries.
type PluginCatalog interface {
	AddPlugin(ctx context.Context, actor, name, version, binary, description string) (*PluginEntry, error)
	Plugin(ctx context.Context, name, version string) (*PluginEntry, error)
	Plugins(ctx context.Context) ([]PluginEntry, error)
}

// VendorAccounts are the vendor's own users and their bearer tokens.
type VendorAccounts interface {
	EnsureVendorUser(ctx context.Context, login, name, passwordHash string) error
	VendorUsers(ctx context.Context) ([]VendorUser, error)
	// VendorLogin checks a password under core.CheckLogin's lockout.
	VendorLogin(ctx context.Context, c core.Credentials, now time.Time) (token string, expires time.Time, err error)
	VendorUserByToken(ctx context.Context, token string, now time.Time) (*VendorUser, error)
	// VendorAuthenticate checks a password like VendorLogin without
	// issuing a token; the console's sessions use it.
	VendorAuthenticate(ctx context.Context, c core.Credentials, now time.Time) (*VendorUser, error)
	// VendorUserByID is an active vendor user, core.ErrNotFound otherwise.
	VendorUserByID(ctx context.Context, id int64) (*VendorUser, error)
}

// Deadlines is the per-city deadline work: escalations and auto-closing.
type Deadlines interface {
	Sweep(ctx context.Context, slug string, now time.Time) (escalated, closed int, err error)
	RegisterSweep(q *jobs.Queue, now func() time.Time)
}

// Migrations brings every city's schema to the latest version.
type Migrations interface {
	MigrateAll(ctx context.Context, opt MigrateOptions) ([]MigrationResult, error)
}

// ControlPlane is the control plane's database and durable job queue, for
// packages that keep their own tables there (billing, access policies).
type ControlPlane interface {
	// DB is the control plane's handle (on PostgreSQL also the pool city
	// scopes share); never use it for a city's tables.
	DB() *bun.DB
	// ControlTable names a control-plane table: schema-qualified on
	// PostgreSQL, plain in SQLite's control.db.
	ControlTable(name string) bun.Ident
	Queue() *jobs.Queue
}

// Health is the control plane's state, for the vendor's health page.
type Health interface {
	// Ping reports whether the control database answers.
	Ping(ctx context.Context) error
	// JobStats counts the durable jobs by state.
	JobStats(ctx context.Context) (map[string]int, error)
	// FailedJobs lists the dead-letter jobs, the most recent first.
	FailedJobs(ctx context.Context, limit int) ([]jobs.Job, error)
	// RetryJob makes a failed job due again; false when no failed job has id.
	RetryJob(ctx context.Context, id int64) (bool, error)
}

var (
	_ CityStorage    = (*Backend)(nil)
	_ Registrar      = (*Backend)(nil)
	_ Provisioner    = (*Backend)(nil)
	_ PluginCatalog  = (*Backend)(nil)
	_ VendorAccounts = (*Backend)(nil)
	_ Deadlines      = (*Backend)(nil)
	_ Migrations     = (*Backend)(nil)
	_ Health         = (*Backend)(nil)
	_ ControlPlane   = (*Backend)(nil)
)

// DB implements ControlPlane.
func (b *Backend) DB() *bun.DB { return b.Control }

// Queue implements ControlPlane.
func (b *Backend) Queue() *jobs.Queue { return b.Jobs }

// Ping implements Health.
func (b *Backend) Ping(ctx context.Context) error { return b.Control.PingContext(ctx) }

// JobStats implements Health.
func (b *Backend) JobStats(ctx context.Context) (map[string]int, error) { return b.Jobs.Stats(ctx) }

// FailedJobs implements Health.
func (b *Backend) FailedJobs(ctx context.Context, limit int) ([]jobs.Job, error) {
	return b.Jobs.Failed(ctx, limit)
}

// RetryJob implements Health.
func (b *Backend) RetryJob(ctx context.Context, id int64) (bool, error) { return b.Jobs.Retry(ctx, id) }
