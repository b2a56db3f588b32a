package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/demo"
	"github.com/opencity/opencity/tenants/tenanttest"
)

var (
	binDir   string
	builds   sync.Map // package → *buildResult
	moduleRT = "../.."
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHostHelper()
		return
	}
	dir, err := os.MkdirTemp("", "opencity-plugins-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildPlugin compiles the plugin package once per test run and returns a
// fresh copy of the binary in the test's own temp dir, so a test may tamper
// with it.
func buildPlugin(tb testing.TB, pkg string) string {
	tb.Helper()
	v, _ := builds.LoadOrStore(pkg, &buildResult{})
	r := v.(*buildResult)
	r.once.Do(func() {
		r.path = filepath.Join(binDir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", r.path, "./"+pkg)
		cmd.Dir = moduleRT
		if out, err := cmd.CombinedOutput(); err != nil {
			r.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if r.err != nil {
		tb.Fatal(r.err)
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		tb.Fatal(err)
	}
	dst := filepath.Join(tb.TempDir(), filepath.Base(pkg))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dst
}

// catalog is the real control-plane catalog seen through host.Catalog.
func catalog(b *tenants.Backend) host.Catalog {
	return host.CatalogFunc(func(ctx context.Context, ref string) (host.Entry, error) {
		name, version, err := tenants.ParsePluginRef(ref)
		if err != nil {
			return host.Entry{}, err
		}
		e, err := b.Plugin(ctx, name, version)
		if err != nil {
			return host.Entry{}, err
		}
		return host.Entry{Name: e.Name, Version: e.Version, Path: e.BinaryPath, SHA256: e.SHA256}, nil
	})
}

// fixture is a backend with the demo cities, a host over its catalog, and
// the Kazan city store.
type fixture struct {
	b     *tenants.Backend
	h     *host.Host
	kazan *store.Store
	dir   *core.Directory
	logs  *logBuffer
}

func newFixture(tb testing.TB, kind string, opts host.Options) *fixture {
	tb.Helper()
	ctx := context.Background()
	b := tenanttest.Open(tb, kind)
	if err := demo.Seed(ctx, b); err != nil {
		tb.Fatal(err)
	}
	scope, err := b.Scope("kazan")
	if err != nil {
		tb.Fatal(err)
	}
	opts.Catalog = catalog(b)
	logs := &logBuffer{}
	if opts.Output == nil {
		opts.Output = logs
	}
	h := host.New(opts)
	tb.Cleanup(func() { h.Close() })
	st := store.New(scope)
	dir, err := st.Directory(ctx, true)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{b: b, h: h, kazan: st, dir: dir, logs: logs}
}

// install adds the plugin binary to the catalog and selects it for Kazan.
func (f *fixture) install(tb testing.TB, ref, binary string, config any) {
	tb.Helper()
	ctx := context.Background()
	name, version, _ := tenants.ParsePluginRef(ref)
	if _, err := f.b.AddPlugin(ctx, "test", name, version, binary, ""); err != nil {
		tb.Fatal(err)
	}
	raw, _ := json.Marshal(config)
	if _, err := f.kazan.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: ref, Config: raw}); err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) org(tb testing.TB, code string) int64 {
	for _, o := range f.dir.Organizations {
		if o.Code == code {
			return o.ID
		}
	}
	tb.Fatalf("no organization %s", code)
	return 0
}

func (f *fixture) category(tb testing.TB, code string) core.Category {
	for _, k := range f.dir.Categories {
		if k.Code == code {
			return k
		}
	}
	tb.Fatalf("no category %s", code)
	return core.Category{}
}

// building returns the first building of district.
func (f *fixture) building(tb testing.TB, district string) *core.Building {
	for _, d := range f.dir.Districts {
		if d.Code != district {
			continue
		}
		for i := range f.dir.Buildings {
			if f.dir.Buildings[i].DistrictID == d.ID {
				return &f.dir.Buildings[i]
			}
		}
	}
	tb.Fatalf("no building in %s", district)
	return nil
}

var moscow, _ = time.LoadLocation("Europe/Moscow")

func (f *fixture) input(tb testing.TB, category, district string, hour int) core.RouteInput {
	cat := f.category(tb, category)
	b := f.building(tb, district)
	at := time.Date(2026, 3, 10, hour, 15, 0, 0, moscow)
	return core.RouteInput{City: "kazan", Category: cat, Building: b, At: at,
		Request: &core.Request{Priority: cat.DefaultPriority, BuildingID: &b.ID, DistrictID: &b.DistrictID, Channel: core.ChannelPortal}}
}

// logBuffer collects the host's and plugins' hclog lines.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (w *logBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *logBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
