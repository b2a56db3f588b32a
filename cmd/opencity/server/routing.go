package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/tenants"
)

// newPluginHost returns the plugin host over the control plane's catalog.
// A binary that fails its checksum is logged and written to the audit log;
// calls and restarts are counted in m.
func newPluginHost(b *tenants.Backend, m *metrics) *host.Host {
	return host.New(m.pluginHooks(host.Options{
		Catalog: host.CatalogFunc(func(ctx context.Context, ref string) (host.Entry, error) {
			name, version, err := tenants.ParsePluginRef(ref)
			if err != nil {
				return host.Entry{}, err
			}
			e, err := b.Plugin(ctx, name, version)
			if err != nil {
				return host.Entry{}, err
			}
			return host.Entry{Name: e.Name, Version: e.Version, Path: e.BinaryPath, SHA256: e.SHA256}, nil
		}),
		OnRefused: func(ref string, err error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if aerr := b.Registry().Audit(ctx, "plugin-host", "plugin.refused", "", ref+": "+err.Error()); aerr != nil {
				slog.Error("audit plugin refusal", "plugin", ref, "err", aerr)
			}
		},
	}))
}

// routing implements httpapi.Routing: each city's router is its plugin, then
// its built-in rules, then triage. Intake gets a city's router the same way.
type routing struct {
	host    *host.Host
	backend *tenants.Backend
}

var _ httpapi.Routing = routing{}

// Router implements httpapi.Routing.
func (r routing) Router(city *httpapi.City) core.Router {
	return r.host.CityRouter(city.Slug, city.Location, city.Store)
}

// CheckPlugin implements httpapi.Routing.
func (r routing) CheckPlugin(ctx context.Context, ref string) error {
	name, version, err := tenants.ParsePluginRef(ref)
	if err != nil {
		return err
	}
	_, err = r.backend.Plugin(ctx, name, version)
	return err
}

// DemoKazanRef is the catalog entry the demo city Kazan selects.
const DemoKazanRef = "kazan@1.0.0"

// demoKazanPlugin finds Kazan's plugin binary for demo mode: the path in
// OPENCITY_KAZAN_PLUGIN, or opencity-kazan next to the running executable
// (what `make build` produces). "" when there is none: Kazan then keeps its
// built-in rules.
func demoKazanPlugin(configured string) string {
	if configured != "" {
		return configured
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(exe), "opencity-kazan")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return p
	}
	return ""
}

// useDemoKazanPlugin registers Kazan's plugin binary in the catalog (pinning
// its current checksum) and selects it for the demo city Kazan, unless Kazan
// already selected another plugin. The process is started in the background.
func useDemoKazanPlugin(ctx context.Context, b *tenants.Backend, h *host.Host, binary string) error {
	name, version, _ := tenants.ParsePluginRef(DemoKazanRef)
	if _, err := b.AddPlugin(ctx, "demo", name, version, binary, "Kazan's routing rules (demo)"); err != nil {
		return fmt.Errorf("register %s: %w", binary, err)
	}
	st, err := b.Store("kazan")
	if err != nil {
		return err
	}
	set, err := st.RoutingSettings(ctx)
	if err != nil {
		return err
	}
	if set.Plugin == "" {
		if _, err := st.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: DemoKazanRef, Config: set.Config}); err != nil {
			return err
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.Prepare(ctx, DemoKazanRef); err != nil {
			slog.Error("demo Kazan plugin did not start; Kazan routes by its built-in rules", "err", err)
		}
	}()
	slog.Info("demo city kazan routes through its plugin", "plugin", DemoKazanRef, "binary", binary)
	return nil
}
