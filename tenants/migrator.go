package tenants

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// MigrationResult is the outcome for one city.
type MigrationResult struct {
	Slug string
	// Status is the city's registry status when the run started.
	Status  string
	Applied int
	Version int
	// Skipped says why the city was left alone (it has no storage yet: a
	// signup that is not paid for, a provisioning that has not created its
	// schema or file); empty when the city was migrated or failed.
	Skipped string
	// Err is why the city's migration failed; the city is then marked
	// (Tenant.MigrationError) and kept out of service.
	Err  error
	Took time.Duration
}

// Serving reports whether the city was in service (active, past due or
// suspended) when the run started: its failure is an outage for its people,
// while a failed pending or provisioning city is resumed by its provisioning.
func (r MigrationResult) Serving() bool {
	return r.Status == StatusActive || r.Status == StatusPastDue || r.Status == StatusSuspended
}

// MigrateOptions tunes a run over all cities.
type MigrateOptions struct {
	Parallel int                   // cities migrated at once; 4 when 0
	Progress func(MigrationResult) // called once per city as it finishes, serially
	// Cities, when not empty, limits the run to these slugs, so an upgrade
	// rolls out city by city; a slug that is no city (or a deleted one) is
	// an EINVALID error and nothing is migrated.
	Cities []string
}

// MigrationFailures is the error of a run in which some cities failed; the
// other cities were migrated and serve.
type MigrationFailures []MigrationResult

func (f MigrationFailures) Error() string {
	parts := make([]string, len(f))
	for i, r := range f {
		parts[i] = fmt.Sprintf("%s: %v", r.Slug, r.Err)
	}
	return fmt.Sprintf("%d cities failed to migrate: %s", len(f), strings.Join(parts, "; "))
}

// Unwrap gives errors.Is and errors.As each city's error.
func (f MigrationFailures) Unwrap() []error {
	errs := make([]error, len(f))
	for i, r := range f {
		errs[i] = r.Err
	}
	return errs
}

// MigrateAll brings every city (but deleted ones) to the latest schema with
// bounded parallelism, one result per city in slug order. A city without
// storage yet is skipped. A city that fails does not stop the others: it is
// marked with its error and kept out of service (Tenant.Serving) until a
// later run migrates it, which resumes from the city's ledger and clears the
// mark. The error is MigrationFailures when cities failed, and any other
// error (the registry unreadable, ctx ended) when the run itself did not
// finish.
func (b *Backend) MigrateAll(ctx context.Context, opt MigrateOptions) ([]MigrationResult, error) {
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return nil, err
	}
	if ts, err = onlyCities(ts, opt.Cities); err != nil {
		return nil, err
	}
	hasStorage, err := b.storageCheck(ctx)
	if err != nil {
		return nil, err
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 4
	}
	latest := store.Latest()
	results := make([]MigrationResult, len(ts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < opt.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res := b.migrateOne(ctx, ts[i], latest, hasStorage(ts[i].Slug))
				mu.Lock()
				results[i] = res
				if opt.Progress != nil {
					opt.Progress(res)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range ts {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, err
	}
	var failed MigrationFailures
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return results, failed
	}
	return results, nil
}

// onlyCities keeps the cities named in slugs (all when slugs is empty).
func onlyCities(ts []Tenant, slugs []string) ([]Tenant, error) {
	if len(slugs) == 0 {
		return ts, nil
	}
	want := map[string]bool{}
	for _, s := range slugs {
		want[s] = true
	}
	var kept []Tenant
	for _, t := range ts {
		if want[t.Slug] {
			kept = append(kept, t)
			delete(want, t.Slug)
		}
	}
	if len(want) > 0 {
		unknown := make([]string, 0, len(want))
		for s := range want {
			unknown = append(unknown, s)
		}
		sort.Strings(unknown)
		return nil, core.E(core.EINVALID, "error.no_such_cities", "Cities", strings.Join(unknown, ", "))
	}
	return kept, nil
}

// storageCheck reads once which cities have storage: the city_ schemas on
// PostgreSQL (one query, not one per city), the files on SQLite.
func (b *Backend) storageCheck(ctx context.Context) (func(slug string) bool, error) {
	if !b.postgres {
		return func(slug string) bool {
			_, err := os.Stat(b.cityFile(slug))
			return err == nil
		}, nil
	}
	var names []string
	err := b.Control.NewRaw(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'city\_%'`).Scan(ctx, &names)
	if err != nil {
		return nil, fmt.Errorf("list city schemas: %w", err)
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	return func(slug string) bool { return have[SchemaName(slug)] }, nil
}

func (b *Backend) migrateOne(ctx context.Context, t Tenant, latest int, hasStorage bool) (res MigrationResult) {
	start := time.Now()
	res.Slug, res.Status, res.Version = t.Slug, t.Status, t.SchemaVersion
	defer func() { res.Took = time.Since(start) }()
	if !hasStorage {
		if t.Status == StatusPending || t.Status == StatusProvisioning {
			res.Skipped = "no storage yet (" + t.Status + ")"
			return res
		}
		res.Err = errNoStorage
	} else {
		res.Applied, res.Version, res.Err = b.migrateCity(ctx, t.Slug, latest)
	}
	if ctx.Err() != nil {
		return res // stopped, not failed: nothing to mark
	}
	mark := ""
	if res.Err != nil {
		mark = res.Err.Error()
	}
	if mark != t.MigrationError {
		if err := b.Registry().setMigrationError(ctx, t.Slug, mark); err != nil && res.Err == nil {
			res.Err = err
		}
	}
	return res
}

// migrateCity applies the city's pending migrations.
func (b *Backend) migrateCity(ctx context.Context, slug string, latest int) (applied, version int, err error) {
	scope, err := b.Scope(slug)
	if err != nil {
		return 0, 0, err
	}
	version, pending, err := store.Status(ctx, scope)
	if err != nil || pending == 0 {
		return 0, version, err
	}
	if applied, err = store.Migrate(ctx, scope); err != nil {
		return applied, version, err
	}
	return applied, latest, b.Registry().setSchemaVersion(ctx, slug, latest)
}

// ensureControlSchema creates PostgreSQL's control schema when it is missing
// and leaves an existing one alone: on Citus with schema-based sharding, a
// CREATE SCHEMA of an existing schema (IF NOT EXISTS or not) would register
// it as a distributed schema, and control must stay a regular schema on the
// coordinator (deploy/POSTGRES.md). The schema is also created with the
// transaction's citus.enable_schema_based_sharding off, so a first start on
// a cluster where the setting is on already still keeps control regular; on
// PostgreSQL without Citus that setting is an unused placeholder.
func (b *Backend) ensureControlSchema(ctx context.Context) error {
	var exists bool
	if err := b.Control.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'control')").Scan(ctx, &exists); err != nil {
		return fmt.Errorf("look for the control schema: %w", err)
	}
	if exists {
		return nil
	}
	return b.Control.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('citus.enable_schema_based_sharding', 'off', true)"); err != nil {
			return err
		}
		// IF NOT EXISTS: another process may be starting at the same time.
		_, err := tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS control")
		return err
	})
}
