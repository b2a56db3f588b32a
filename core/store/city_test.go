package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// migrationNamed returns the city migration called name; the test fails
// when there is none.
func migrationNamed(t *testing.T, name string) store.Migration {
	t.Helper()
	for _, m := range store.Migrations() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no %s migration", name)
	return store.Migration{}
}

// testCity is a city provisioned by tenanttest.Provision: its store, the
// scope of its schema (for what a test writes or reads directly) and its
// requests' use cases under the default policies, in UTC, on the wall clock.
type testCity struct {
	Store    *store.Store
	Scope    store.Scope
	Requests *core.Requests
}

// provisionCity provisions the city slug on a fresh database of kind.
func provisionCity(t *testing.T, kind, slug string) testCity {
	t.Helper()
	return cityOf(t, tenanttest.Open(t, kind), slug)
}

// cityOf provisions the city slug on b, which may hold others.
func cityOf(t *testing.T, b *tenants.Backend, slug string) testCity {
	t.Helper()
	tenanttest.Provision(t, b, slug)
	st, err := b.Store(slug)
	if err != nil {
		t.Fatal(err)
	}
	scope, err := b.Scope(slug)
	if err != nil {
		t.Fatal(err)
	}
	return testCity{Store: st, Scope: scope, Requests: &core.Requests{Store: st,
		Gate: core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: slug}, City: slug, Location: time.UTC, Now: time.Now}}
}

// benchCity is a bench city (bench.PrepareCity, 40 buildings) on a fresh
// database of kind, filled with a year of requests ending at End.
type benchCity struct {
	Scope store.Scope
	Store *store.Store
	// End is the first moment after the history: midnight of the day given
	// to filledCity, in the city's zone.
	End time.Time
}

// filledCity prepares the bench city slug on a fresh database of kind and
// fills it with requests generated from seed over the year before day
// ("2006-01-02", the day after the last generated one).
func filledCity(t *testing.T, kind, slug string, requests int, day string, seed uint64) benchCity {
	t.Helper()
	ctx := context.Background()
	b := tenanttest.Open(t, kind)
	loc, err := bench.PrepareCity(ctx, b, slug, 40, "pw")
	if err != nil {
		t.Fatal(err)
	}
	end, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		t.Fatal(err)
	}
	h := bench.History{Requests: requests, Years: 1, End: end, Seed: seed, Buildings: 40}
	if _, err := bench.Fill(ctx, b, slug, h, nil); err != nil {
		t.Fatal(err)
	}
	scope, err := b.Scope(slug)
	if err != nil {
		t.Fatal(err)
	}
	return benchCity{Scope: scope, Store: store.New(scope), End: end}
}
