package tenants

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencity/opencity/core/store"
)

// MigrationResult is the outcome for one city.
type MigrationResult struct {
	Slug    string
	Applied int
	Version int
	Err     error
	Took    time.Duration
}

// MigrateOptions tunes a run over all cities.
type MigrateOptions struct {
	Parallel int                   // cities migrated at once; 4 when 0
	Progress func(MigrationResult) // called once per city as it finishes, serially
}

// MigrateAll brings every city to the latest schema with bounded
// parallelism. A city that fails does not stop the others; the returned error
// names every failed city, and running again resumes each from its ledger.
func (b *Backend) MigrateAll(ctx context.Context, opt MigrateOptions) ([]MigrationResult, error) {
	ts, err := b.Registry().List(ctx)
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
				res := b.migrateOne(ctx, ts[i], latest)
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
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Slug, r.Err))
		}
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return results, errors.Join(errs...)
}

func (b *Backend) migrateOne(ctx context.Context, t Tenant, latest int) (res MigrationResult) {
	start := time.Now()
	res.Slug = t.Slug
	defer func() { res.Took = time.Since(start) }()
	scope, err := b.Scope(t.Slug)
	if err != nil {
		res.Err = err
		return res
	}
	var pending int
	if res.Version, pending, res.Err = store.Status(ctx, scope); res.Err != nil || pending == 0 {
		return res
	}
	res.Applied, res.Err = store.Migrate(ctx, scope)
	if res.Err == nil {
		res.Version = latest
		res.Err = b.Registry().setSchemaVersion(ctx, t.Slug, latest)
	}
	return res
}
