package host_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/plugins/proto/routingv1"
)

// BenchmarkRoute measures, in one run on one machine, a Route call through
// the Kazan plugin process beside the built-in rules: the rules as a pure
// function, and each city router path with its database reads.
func BenchmarkRoute(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, "sqlite", host.Options{})
	f.install(b, kazanRef, buildPlugin(b, "plugins/cities/kazan"), nil)
	if err := f.h.Prepare(ctx, kazanRef); err != nil {
		b.Fatal(err)
	}
	in := f.input(b, "power-supply", "kirovsky", 12)
	rules, err := f.kazan.RoutingRules(ctx)
	if err != nil {
		b.Fatal(err)
	}
	dir, err := f.kazan.Directory(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	plugin := f.h.CityRouter("kazan", moscow, f.kazan)
	if d, _ := plugin.Route(ctx, in); d.Source != "plugin:"+kazanRef {
		b.Fatalf("warm-up: %+v", d)
	}
	run := func(name string, route func() core.Decision, want string) {
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				start := time.Now()
				d := route()
				lat = append(lat, time.Since(start))
				if d.Source != want {
					b.Fatalf("decided by %q: %s", d.Source, d.Reason)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
	run("rules-pure", func() core.Decision { return core.ApplyRules(rules, dir, in) }, "rules")
	full, err := f.kazan.Directory(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	conf := host.ConfigureRequest("kazan", moscow, core.RoutingSettings{Plugin: kazanRef}, full)
	run("plugin-call", func() core.Decision {
		resp, err := f.h.Route(ctx, kazanRef, conf, &routingv1.RouteRequest{Category: "power-supply", BuildingId: in.Building.ID,
			Priority: "emergency", At: in.At.Format(time.RFC3339)})
		if err != nil {
			b.Fatal(err)
		}
		if resp.GetOrganization() != "energosbyt-kazan" {
			b.Fatalf("plugin answered %v", resp)
		}
		return core.Decision{Source: "plugin:" + kazanRef}
	}, "plugin:"+kazanRef)
	run("plugin-city-router", func() core.Decision { d, _ := plugin.Route(ctx, in); return d }, "plugin:"+kazanRef)
	if _, err := f.kazan.SetRoutingSettings(ctx, core.RoutingSettings{}); err != nil {
		b.Fatal(err)
	}
	run("rules-city-router", func() core.Decision { d, _ := plugin.Route(ctx, in); return d }, "rules")
}
