package host_test

import (
	"context"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/plugins/host"
)

// Two cities on the same plugin version share one process; each city's
// snapshot is kept apart inside it, so each gets its own organizations.
func TestCitiesShareOneProcessPerVersion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "sqlite", host.Options{})
	f.install(t, kazanRef, buildPlugin(t, "plugins/cities/kazan"), nil)
	scope, err := f.b.Scope("nizhnekamsk")
	if err != nil {
		t.Fatal(err)
	}
	nk := store.New(scope)
	if _, err := nk.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: kazanRef}); err != nil {
		t.Fatal(err)
	}
	dir, err := nk.Directory(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	nf := &fixture{b: f.b, h: f.h, kazan: nk, dir: dir}
	if err := f.h.Prepare(ctx, kazanRef); err != nil {
		t.Fatal(err)
	}
	pid := f.h.Pid(kazanRef)
	nkPower := dir.ResourceSupplier("power", 0)
	if nkPower == nil {
		t.Fatal("nizhnekamsk has no power supplier")
	}
	b := nf.dir.Buildings[0]
	nkIn := core.RouteInput{City: "nizhnekamsk", Category: nf.category(t, "power-supply"), Building: &b, At: f.input(t, "lift", "aviastroitelny", 12).At,
		Request: &core.Request{Priority: core.PriorityEmergency}}
	for i := 0; i < 3; i++ {
		d, err := f.h.CityRouter("nizhnekamsk", moscow, nk).Route(ctx, nkIn)
		if err != nil || d.OrganizationID != nkPower.ID || d.Source != "plugin:"+kazanRef {
			t.Fatalf("nizhnekamsk: %+v %v", d, err)
		}
		d, err = f.h.CityRouter("kazan", moscow, f.kazan).Route(ctx, f.input(t, "power-supply", "kirovsky", 12))
		if err != nil || d.OrganizationID != f.org(t, "energosbyt-kazan") {
			t.Fatalf("kazan: %+v %v", d, err)
		}
	}
	if p := f.h.Pid(kazanRef); p != pid {
		t.Errorf("the cities did not share the process: %d then %d", pid, p)
	}
}
