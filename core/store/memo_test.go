package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openCities opens a backend whose stores read clk, with two provisioned
// cities "memo" and "other".
func openCities(t *testing.T, kind string, clk *fakeClock) *tenants.Backend {
	t.Helper()
	b := tenanttest.Open(t, kind)
	b.Now = clk.Now
	tenanttest.Provision(t, b, "memo")
	tenanttest.Provision(t, b, "other")
	return b
}

// Intake's routing inputs are memoized by the city's one Store: a change
// through it is routed by at once; a change it did not make (another server)
// is seen once RoutingMemoTTL has passed on the Store's clock.
func TestRoutingMemo(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
			b := openCities(t, kind, clk)
			reader, err := b.Store("memo")
			if err != nil {
				t.Fatal(err)
			}
			rules, err := reader.RoutingRules(ctx)
			if err != nil || len(rules) != 2 {
				t.Fatalf("starter rules %v, %v", rules, err)
			}
			// The admin API asks for the city's store and gets the same one.
			writer, _ := b.Store("memo")
			if writer != reader {
				t.Fatal("two Stores for one city in one process")
			}
			if err := writer.CreateRoutingRule(ctx, &core.RoutingRule{Name: "wishes to triage", Active: true, Group: "wishes", Target: core.TargetTriage}); err != nil {
				t.Fatal(err)
			}
			if rules, _ := reader.RoutingRules(ctx); len(rules) != 3 {
				t.Fatalf("after a rule was added through this process: %d rules, want 3 at once", len(rules))
			}
			set, err := writer.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: "kazan@1.0.0"})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := reader.RoutingSettings(ctx); got.Plugin != "kazan@1.0.0" || got.UpdatedAt.Sub(set.UpdatedAt).Abs() > time.Millisecond {
				t.Fatalf("settings %+v after the plugin was selected", got)
			}
			o := core.Organization{Code: "vodokanal", Kind: core.OrgResourceSupplier, Utility: "water", NameRU: "Водоканал", NameEN: "Vodokanal", Active: true}
			if err := writer.SaveOrganization(ctx, "", &o); err != nil {
				t.Fatal(err)
			}
			dir, _ := reader.Directory(ctx, false)
			if dir.ResourceSupplier("water", 0) == nil {
				t.Fatal("a new organization is not in the routing directory at once")
			}
			// The memo is per city: the other city keeps its own rules.
			other, _ := b.Store("other")
			if rules, _ := other.RoutingRules(ctx); len(rules) != 2 {
				t.Fatalf("the other city has %d rules, want its own 2", len(rules))
			}
			// A change made behind the Store's back (another server) is not
			// seen while the memo is fresh by the Store's clock, and is once
			// the TTL has passed on it; real time plays no part.
			scope, _ := b.Scope("memo")
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM routing_rules WHERE group_code = 'wishes'")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			reader.RoutingRules(ctx) // loads at the clock's time
			clk.Add(store.RoutingMemoTTL - time.Millisecond)
			if rules, _ := reader.RoutingRules(ctx); len(rules) != 3 {
				t.Fatalf("%d rules within the TTL of the Store's clock, want the memoized 3", len(rules))
			}
			clk.Add(time.Millisecond)
			if rules, _ := reader.RoutingRules(ctx); len(rules) != 2 {
				t.Fatalf("%d rules %s after another server deleted one", len(rules), store.RoutingMemoTTL)
			}
			// A clock set back does not keep a memo alive.
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM routing_rules")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(-time.Hour)
			if rules, _ := reader.RoutingRules(ctx); len(rules) != 0 {
				t.Fatalf("%d rules after the clock went back, want a fresh read", len(rules))
			}
			// A Store made on its own has caches of its own.
			if rules, _ := store.New(scope).RoutingRules(ctx); len(rules) != 0 {
				t.Fatalf("a new Store read %d rules", len(rules))
			}
			// Callers get copies: changing one does not change the next.
			if err := writer.CreateRoutingRule(ctx, &core.RoutingRule{Name: "again", Active: true, Target: core.TargetTriage}); err != nil {
				t.Fatal(err)
			}
			rules, _ = reader.RoutingRules(ctx)
			rules[0].Name = "changed by a caller"
			if again, _ := reader.RoutingRules(ctx); again[0].Name == "changed by a caller" {
				t.Fatal("the memo was changed through a returned slice")
			}
		})
	}
}

// A checked token is answered from the city Store's cache until
// TokenCacheTTL on the caller's clock; the Store's own account writes forget
// it at once; each city has its own cache.
func TestTokenCache(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
			b := openCities(t, kind, clk)
			st, _ := b.Store("memo")
			scope, _ := b.Scope("memo")
			admin, err := st.UserByLogin(ctx, "admin")
			if err != nil {
				t.Fatal(err)
			}
			now := clk.Now()
			for _, h := range []string{"token-a", "token-b"} {
				if err := st.CreateToken(ctx, &core.Token{Hash: h, UserID: admin.ID, ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			if a, err := st.ActorByToken(ctx, "token-a", now); err != nil || a.UserID != admin.ID {
				t.Fatalf("actor %+v, %v", a, err)
			}
			// Revoked behind the Store's back: still trusted within the TTL.
			revoke := func(hash string) {
				t.Helper()
				err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_at = ? WHERE hash = ?", now.UTC(), hash)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			revoke("token-a")
			if _, err := st.ActorByToken(ctx, "token-a", now.Add(store.TokenCacheTTL-time.Millisecond)); err != nil {
				t.Fatalf("a cached token asked the database again within the TTL: %v", err)
			}
			if _, err := st.ActorByToken(ctx, "token-a", now.Add(store.TokenCacheTTL)); err == nil {
				t.Fatal("a revoked token still works after the TTL")
			}
			// The other city neither sees nor shares the token.
			other, _ := b.Store("other")
			if _, err := other.ActorByToken(ctx, "token-b", now); err == nil {
				t.Fatal("a token of one city works in another")
			}
			// Revoked through the Store: forgotten at once.
			if _, err := st.ActorByToken(ctx, "token-b", now); err != nil {
				t.Fatal(err)
			}
			if err := st.RevokeToken(ctx, "token-b", now); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ActorByToken(ctx, "token-b", now); err == nil {
				t.Fatal("a token revoked through the Store still works")
			}
		})
	}
}
