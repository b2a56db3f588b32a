package access_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/access"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func TestAdapter(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			z := access.ForBackend(b)
			ad := z.Adapter()
			if err := ad.AddPolicies("p", "p", [][]string{{"r1", "alpha", "requests", "read"}, {"r1", "beta", "requests", "read"}}); err != nil {
				t.Fatal(err)
			}
			// The same rule twice is one row; the unique index refuses a raw duplicate.
			if n, err := ad.Add(ctx, "p", [][]string{{"r1", "alpha", "requests", "read"}}); err != nil || n != 0 {
				t.Errorf("duplicate add: %d %v", n, err)
			}
			_, err := b.Control.NewRaw("INSERT INTO ? (ptype, v0, v1, v2, v3) VALUES ('p', 'r1', 'alpha', 'requests', 'read')",
				b.ControlTable("casbin_rule")).Exec(ctx)
			if err == nil {
				t.Error("the database took a duplicate rule")
			}
			if err := ad.AddPolicy("g", "g", []string{"junior", "r1", "alpha"}); err != nil {
				t.Fatal(err)
			}
			m, _ := model.NewModelFromString(access.ModelText)
			e, err := casbin.NewEnforcer(m)
			if err != nil {
				t.Fatal(err)
			}
			e.SetAdapter(ad)
			if err := e.LoadFilteredPolicy(access.Filter{Domain: "alpha"}); err != nil {
				t.Fatal(err)
			}
			if ok, _ := e.Enforce("junior", "alpha", "requests", "read"); !ok {
				t.Error("inherited role not enforced")
			}
			if ok, _ := e.Enforce("r1", "beta", "requests", "read"); ok {
				t.Error("the filtered enforcer holds another domain's rule")
			}
			if p, _ := e.GetPolicy(); len(p) != 1 {
				t.Errorf("filtered load: %v", p)
			}
			if err := e.SavePolicy(); err == nil {
				t.Error("a filtered policy was saved over every domain")
			}
			if err := ad.RemoveFilteredPolicy("p", "p", 1, "beta"); err != nil {
				t.Fatal(err)
			}
			rules, _ := ad.Rules(ctx, b.Control, &access.Filter{Domain: "beta"})
			if len(rules) != 0 {
				t.Errorf("beta after RemoveFilteredPolicy: %v", rules)
			}
		})
	}
}

func TestAuthorizerSeedsDefaultsOnce(t *testing.T) {
	ctx := context.Background()
	b := tenanttest.Open(t, "sqlite")
	z := access.ForBackend(b)
	for _, p := range core.DefaultPolicies {
		if ok, err := z.Allowed(ctx, "kazan", p.Role, p.Obj, p.Act); err != nil || !ok {
			t.Fatalf("default %v: %v %v", p, ok, err)
		}
	}
	if ok, _ := z.Allowed(ctx, "kazan", core.RoleCitizen, core.ObjUsers, core.ActRead); ok {
		t.Error("citizen may read users")
	}
	if ok, _ := z.Allowed(ctx, "kazan", core.RoleVendorAdmin, "tenants", core.ActRead); ok {
		t.Error("vendor rights inside a city")
	}
	if ok, _ := z.AllowedGlobal(ctx, string(core.RoleVendorAdmin), "tenants", core.ActRead); !ok {
		t.Error("vendor_admin may not list tenants")
	}
	if ok, _ := z.AllowedGlobal(ctx, string(core.RoleCityAdmin), "tenants", core.ActRead); ok {
		t.Error("city_admin has global rights")
	}
	// A removed default is not seeded again by a fresh process.
	gone := core.Policy{Role: core.RoleAnalyst, Obj: core.ObjCategories, Act: core.ActRead}
	if ok, err := z.RemoveCityPolicy(ctx, "kazan", gone); err != nil || !ok {
		t.Fatal(ok, err)
	}
	fresh := access.ForBackend(b)
	if ok, _ := fresh.Allowed(ctx, "kazan", gone.Role, gone.Obj, gone.Act); ok {
		t.Error("a removed default came back")
	}
	ps, err := fresh.CityPolicies(ctx, "kazan")
	if err != nil || len(ps) != len(core.DefaultPolicies)-1 {
		t.Errorf("kazan policies: %d %v", len(ps), err)
	}
}

// BenchmarkAllowed measures the authorization check of a city holding 1,000
// policies, beside casbin without the result cache and a plain map lookup.
func BenchmarkAllowed(b *testing.B) {
	ctx := context.Background()
	be := tenanttest.Open(b, "sqlite")
	z := access.ForBackend(be)
	var rules [][]string
	want := map[[3]string]bool{}
	for i := 0; i < 1000; i++ {
		role := fmt.Sprintf("role_%03d", i/(len(core.CityObjects())*len(core.PolicyActions())))
		obj := core.CityObjects()[i%len(core.CityObjects())]
		act := core.PolicyActions()[(i/len(core.CityObjects()))%len(core.PolicyActions())]
		rules = append(rules, []string{role, "kazan", obj, act})
		want[[3]string{role, obj, act}] = true
	}
	if _, err := z.Adapter().Add(ctx, "p", rules); err != nil {
		b.Fatal(err)
	}
	n, _ := z.CityPolicies(ctx, "kazan")
	if len(n) < 1000 {
		b.Fatalf("%d policies", len(n))
	}
	probe := func(i int) (core.Role, string, string) {
		r := rules[(i*7919)%len(rules)]
		if i%2 == 1 { // half the checks are denials
			return core.Role(r[0] + "x"), r[2], r[3]
		}
		return core.Role(r[0]), r[2], r[3]
	}
	b.Run("authorizer", func(b *testing.B) {
		for i := 0; i < 1000; i++ { // steady state: every probe seen once
			role, obj, act := probe(i)
			_, _ = z.Allowed(ctx, "kazan", role, obj, act)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			role, obj, act := probe(i % 1000)
			if _, err := z.Allowed(ctx, "kazan", role, obj, act); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authorizer-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				role, obj, act := probe(i % 1000)
				if _, err := z.Allowed(ctx, "kazan", role, obj, act); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("casbin-uncached", func(b *testing.B) {
		m, _ := model.NewModelFromString(access.ModelText)
		e, _ := casbin.NewEnforcer(m)
		e.SetAdapter(z.Adapter())
		if err := e.LoadFilteredPolicy(access.Filter{Domain: "kazan"}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			role, obj, act := probe(i % 1000)
			if _, err := e.Enforce(string(role), "kazan", obj, act); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map-baseline", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			role, obj, act := probe(i % 1000)
			_ = want[[3]string{string(role), obj, act}]
		}
	})
}

// Provisioning writes a new city's default policies before it is active.
func TestProvisionWritesPolicies(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			access.ForBackend(b)
			tenanttest.Provision(t, b, "zainsk")
			n, err := b.Control.NewSelect().TableExpr("?", b.ControlTable("casbin_rule")).
				Where("ptype = 'p' AND v1 = ?", "zainsk").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(core.DefaultPolicies) {
				t.Errorf("zainsk has %d stored policies after provisioning, want %d", n, len(core.DefaultPolicies))
			}
		})
	}
}

// Enforcers of many cities load at the same time through one authorizer,
// while their policies change: every check still answers from its own
// city's rules (run under -race, this is where a shared adapter raced).
func TestEnforcersLoadConcurrently(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			z := access.ForBackend(b)
			cities := []string{"alpha", "beta", "gamma", "delta", "omega", "sigma"}
			errs := make(chan error, 4*len(cities))
			var wg sync.WaitGroup
			for round := 0; round < 3; round++ {
				for i, city := range cities {
					wg.Add(2)
					go func() {
						defer wg.Done()
						if _, err := z.Adapter().Add(ctx, "p", [][]string{{fmt.Sprintf("r%d", i), city, "requests", "read"}}); err != nil {
							errs <- err
						}
						z.Invalidate(city)
					}()
					go func() {
						defer wg.Done()
						ok, err := z.Allowed(ctx, city, core.RoleCitizen, core.ObjUsers, core.ActRead)
						if err != nil || ok {
							errs <- fmt.Errorf("%s: citizen reads users: %v %v", city, ok, err)
						}
					}()
				}
				wg.Wait()
			}
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for i, city := range cities {
				z.Invalidate(city)
				if ok, err := z.Allowed(ctx, city, core.Role(fmt.Sprintf("r%d", i)), "requests", "read"); err != nil || !ok {
					t.Errorf("%s: own rule not enforced: %v %v", city, ok, err)
				}
				other := core.Role(fmt.Sprintf("r%d", (i+1)%len(cities)))
				if ok, _ := z.Allowed(ctx, city, other, "requests", "read"); ok {
					t.Errorf("%s enforces another city's rule", city)
				}
			}
		})
	}
}

// An unfiltered load by one enforcer does not make another enforcer's
// filtered picture savable over every domain.
func TestFilteredFlagPerEnforcer(t *testing.T) {
	b := tenanttest.Open(t, "sqlite")
	ad := access.ForBackend(b).Adapter()
	if err := ad.AddPolicy("p", "p", []string{"r1", "alpha", "requests", "read"}); err != nil {
		t.Fatal(err)
	}
	enforcer := func() *casbin.Enforcer {
		m, _ := model.NewModelFromString(access.ModelText)
		e, err := casbin.NewEnforcer(m)
		if err != nil {
			t.Fatal(err)
		}
		e.SetAdapter(ad.ForEnforcer())
		return e
	}
	one, all := enforcer(), enforcer()
	if err := one.LoadFilteredPolicy(access.Filter{Domain: "alpha"}); err != nil {
		t.Fatal(err)
	}
	if err := all.LoadPolicy(); err != nil {
		t.Fatal(err)
	}
	if !one.IsFiltered() || all.IsFiltered() {
		t.Errorf("filtered: one %v, all %v", one.IsFiltered(), all.IsFiltered())
	}
	if err := one.SavePolicy(); err == nil {
		t.Error("a filtered policy was saved over every domain")
	}
}
