package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/plugins/host"
)

// Nizhny Novgorod's plugin routes by other rules than Kazan's, and both run
// in one host, each city configured inside its own process.
func TestNizhnyNovgorodPluginBesideKazan(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "postgres", host.Options{})
	f.install(t, kazanRef, buildPlugin(t, "plugins/cities/kazan"), nil)
	const nnRef = "nizhny-novgorod@1.0.0"
	if _, err := f.b.AddPlugin(ctx, "test", "nizhny-novgorod", "1.0.0", buildPlugin(t, "plugins/cities/nizhny-novgorod"), ""); err != nil {
		t.Fatal(err)
	}
	scope, err := f.b.Scope("nizhny-novgorod")
	if err != nil {
		t.Fatal(err)
	}
	nn := store.New(scope)
	if _, err := nn.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: nnRef}); err != nil {
		t.Fatal(err)
	}
	dir, err := nn.Directory(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	nf := &fixture{b: f.b, h: f.h, kazan: nn, dir: dir}
	for _, ref := range []string{kazanRef, nnRef} {
		if err := f.h.Prepare(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	r := f.h.CityRouter("nizhny-novgorod", moscow, nn)
	cases := []struct {
		category, district string
		month              time.Month
		org                string
		priority           core.Priority
	}{
		{"lift", "avtozavodsky", time.March, "liftservis-nn", ""},
		{"roof-leak", "sormovsky", time.March, "krovlya-nn", ""},
		{"entrance-cleaning", "kanavinsky", time.March, "uk-kanavino", ""},
		{"street-lighting", "leninsky", time.March, "roads-lighting", ""},
		{"hot-water", "leninsky", time.January, "teploset-nn", core.PriorityEmergency},
		{"hot-water", "leninsky", time.July, "teploset-nn", ""},
		{"wishes", "leninsky", time.March, "", ""},
	}
	for _, c := range cases {
		in := nf.input(t, c.category, c.district, 12)
		in.City = "nizhny-novgorod"
		in.At = time.Date(2026, c.month, 10, 12, 0, 0, 0, moscow)
		d, err := r.Route(ctx, in)
		if err != nil || d.Source != "plugin:"+nnRef {
			t.Fatalf("%s: %+v %v", c.category, d, err)
		}
		if c.org == "" {
			if !d.Triage {
				t.Errorf("%s: want triage, got %+v", c.category, d)
			}
			continue
		}
		if d.OrganizationID != nf.org(t, c.org) || d.Priority != c.priority {
			t.Errorf("%s in %s: got %+v, want %s priority %q", c.category, c.month, d, c.org, c.priority)
		}
	}
	// Kazan's lift still goes to the management company, through its own plugin.
	d, _ := f.h.CityRouter("kazan", moscow, f.kazan).Route(ctx, f.input(t, "lift", "aviastroitelny", 12))
	if d.OrganizationID != f.org(t, "uk-aviastroitel") || d.Source != "plugin:"+kazanRef {
		t.Errorf("kazan beside nizhny: %+v", d)
	}
}
