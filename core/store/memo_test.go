package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Intake's routing inputs are memoized per city: a change through any Store
// of the process is routed by at once; a change this process did not make
// (another server) is seen within RoutingMemoTTL.
func TestRoutingMemo(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "memo")
			tenanttest.Provision(t, b, "other")
			scope, err := b.Scope("memo")
			if err != nil {
				t.Fatal(err)
			}
			reader := store.New(scope)
			rules, err := reader.RoutingRules(ctx)
			if err != nil || len(rules) != 2 {
				t.Fatalf("starter rules %v, %v", rules, err)
			}
			// Another Store of the same city (the admin API's) adds a rule.
			scope2, _ := b.Scope("memo")
			writer := store.New(scope2)
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
			otherScope, _ := b.Scope("other")
			if rules, _ := store.New(otherScope).RoutingRules(ctx); len(rules) != 2 {
				t.Fatalf("the other city has %d rules, want its own 2", len(rules))
			}
			// A change made behind this process's back (another server)
			// shows within the TTL.
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM routing_rules WHERE group_code = 'wishes'")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(store.RoutingMemoTTL + 50*time.Millisecond)
			if rules, _ := reader.RoutingRules(ctx); len(rules) != 2 {
				t.Fatalf("%d rules %s after another server deleted one", len(rules), store.RoutingMemoTTL)
			}
			// Callers get copies: changing one does not change the next.
			rules, _ = reader.RoutingRules(ctx)
			rules[0].Name = "changed by a caller"
			if again, _ := reader.RoutingRules(ctx); again[0].Name == "changed by a caller" {
				t.Fatal("the memo was changed through a returned slice")
			}
		})
	}
}
