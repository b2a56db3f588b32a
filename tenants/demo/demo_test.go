package demo_test

import (
	"context"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/demo"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	b := tenanttest.Open(t, "postgres")
	for run := 0; run < 2; run++ { // the second run changes nothing
		if err := demo.Seed(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	wantDistricts := map[string]int{"kazan": 7, "nizhnekamsk": 5, "nizhny-novgorod": 8}
	for _, slug := range demo.Slugs {
		scope, err := b.Scope(slug)
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(scope)
		n, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n["districts"] != wantDistricts[slug] || n["categories"] != 12 || n["buildings"] != 50 || n["users"] != 5 || n["organizations"] < 10 {
			t.Errorf("%s: %v", slug, n)
		}
		for _, login := range []string{"admin", "dispatcher", "operator", "analyst", "citizen"} {
			if _, err := (&core.Accounts{Store: st}).Login(ctx, core.Credentials{Login: login, Password: demo.Password}); err != nil {
				t.Errorf("%s@%s cannot log in: %v", login, slug, err)
			}
		}
		u, _ := st.UserByLogin(ctx, "operator")
		if u.OrganizationID == nil {
			t.Errorf("%s: the demo operator belongs to no organization", slug)
		}
	}
	ts, _ := b.Registry().List(ctx)
	if len(ts) != 3 || !ts[0].Demo {
		t.Errorf("registry: %+v", ts)
	}
	vs, _ := b.VendorUsers(ctx)
	if len(vs) != 1 || vs[0].Login != "vendor" {
		t.Errorf("vendor users: %+v", vs)
	}
}
