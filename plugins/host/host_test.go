package host_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/tenants/tenanttest"
)

const kazanRef = "kazan@1.0.0"

func TestKazanPluginRoutesThroughARealProcess(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, kind, host.Options{})
			f.install(t, kazanRef, buildPlugin(t, "plugins/cities/kazan"), map[string]any{})
			if err := f.h.Prepare(context.Background(), kazanRef); err != nil {
				t.Fatal(err)
			}
			r := f.h.CityRouter("kazan", moscow, f.kazan)
			cases := []struct {
				name, category, district string
				hour                     int
				org                      string // "" means triage
			}{
				{"lift inside a building", "lift", "aviastroitelny", 12, "uk-aviastroitel"},
				{"hot water inside a building", "hot-water", "aviastroitelny", 12, "uk-aviastroitel"},
				{"power network fault", "power-supply", "vakhitovsky", 12, "energosbyt-kazan"},
				{"water network fault", "water-network-fault", "kirovsky", 12, "vodokanal-kazan"},
				{"yard in the north", "yard-improvement", "aviastroitelny", 12, "blago-sever"},
				{"yard in the centre", "yard-improvement", "vakhitovsky", 12, "zeleny-dvor"},
				{"emergency at night", "lift", "aviastroitelny", 23, "emergency-service"},
				{"emergency before dawn", "heating", "sovetsky", 6, "emergency-service"},
				{"not an emergency at night", "roof-leak", "aviastroitelny", 23, "uk-aviastroitel"},
				{"wishes", "wishes", "aviastroitelny", 12, ""},
			}
			for _, c := range cases {
				d, err := r.Route(context.Background(), f.input(t, c.category, c.district, c.hour))
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if d.Source != "plugin:"+kazanRef || d.Reason.IsZero() {
					t.Errorf("%s: decided by %q (%s), want the plugin with a reason", c.name, d.Source, d.Reason)
				}
				if c.org == "" {
					if !d.Triage {
						t.Errorf("%s: want triage, got org %d (%s)", c.name, d.OrganizationID, d.Reason)
					}
					continue
				}
				if d.Triage || d.OrganizationID != f.org(t, c.org) {
					t.Errorf("%s: got org %d triage=%v (%s), want %s", c.name, d.OrganizationID, d.Triage, d.Reason, c.org)
				}
			}
			if !strings.Contains(f.logs.String(), "city configured") {
				t.Errorf("the plugin's hclog lines did not reach the host's log:\n%s", f.logs.String())
			}
		})
	}
}

func TestTamperedBinaryIsRefused(t *testing.T) {
	var mu sync.Mutex
	var refused []string
	f := newFixture(t, "postgres", host.Options{OnRefused: func(ref string, err error) {
		mu.Lock()
		refused = append(refused, ref+": "+err.Error())
		mu.Unlock()
	}})
	bin := buildPlugin(t, "plugins/cities/kazan")
	f.install(t, kazanRef, bin, nil)
	// Tamper after the catalog pinned the checksum: one byte appended.
	fh, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write([]byte{0})
	fh.Close()

	err = f.h.Prepare(context.Background(), kazanRef)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a tampered binary started: %v", err)
	}
	if pid := f.h.Pid(kazanRef); pid != 0 {
		t.Fatalf("a tampered binary runs as pid %d", pid)
	}
	mu.Lock()
	if len(refused) != 1 || !strings.Contains(refused[0], kazanRef) {
		t.Errorf("the refusal was not reported: %v", refused)
	}
	mu.Unlock()
	// Requests still get a decision, from the built-in rules, saying why.
	d, err := f.h.CityRouter("kazan", moscow, f.kazan).Route(context.Background(), f.input(t, "lift", "aviastroitelny", 12))
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != host.SourceFallbackRules || !strings.Contains(d.Reason.Text("en"), "checksum") || d.OrganizationID != f.org(t, "uk-aviastroitel") {
		t.Errorf("fallback decision: %+v", d)
	}
}

func TestHangingPluginHitsItsDeadline(t *testing.T) {
	f := newFixture(t, "sqlite", host.Options{CallTimeout: 200 * time.Millisecond})
	f.install(t, "test@1.0.0", buildPlugin(t, "plugins/host/testdata/testplugin"), map[string]any{"mode": "hang"})
	if err := f.h.Prepare(context.Background(), "test@1.0.0"); err != nil {
		t.Fatal(err)
	}
	r := f.h.CityRouter("kazan", moscow, f.kazan)
	in := f.input(t, "lift", "aviastroitelny", 12)
	r.Route(context.Background(), in) // the first call also configures the city, and hangs too
	// That hang replaced the process; the measured call goes to a started
	// one, however long the restart took on a loaded machine.
	if err := f.h.Prepare(context.Background(), "test@1.0.0"); err != nil {
		t.Fatal(err)
	}
	pid := f.h.Pid("test@1.0.0")
	start := time.Now()
	d, err := r.Route(context.Background(), in)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	// 200 ms for the call itself; the rest is slack for a loaded CI machine
	// restarting the process (the reason below proves the deadline fired).
	if took > 4*time.Second {
		t.Errorf("a hung plugin held the request for %s", took)
	}
	if d.Source != host.SourceFallbackRules || !strings.Contains(d.Reason.Text("en"), "DeadlineExceeded") || d.OrganizationID != f.org(t, "uk-aviastroitel") {
		t.Errorf("decision: %+v", d)
	}
	// The hung process is killed and a new one takes its place.
	waitGone(t, pid)
	if err := f.h.Prepare(context.Background(), "test@1.0.0"); err != nil {
		t.Fatal(err)
	}
	if p := f.h.Pid("test@1.0.0"); p == 0 || p == pid {
		t.Errorf("no new process after the hang: %d (was %d)", p, pid)
	}
}

func TestKilledPluginLosesNoRequest(t *testing.T) {
	f := newFixture(t, "postgres", host.Options{})
	f.install(t, kazanRef, buildPlugin(t, "plugins/cities/kazan"), nil)
	if err := f.h.Prepare(context.Background(), kazanRef); err != nil {
		t.Fatal(err)
	}
	r := f.h.CityRouter("kazan", moscow, f.kazan)
	in := f.input(t, "power-supply", "kirovsky", 12)
	firstPid := f.h.Pid(kazanRef)
	want := f.org(t, "energosbyt-kazan")
	const workers, calls = 4, 60
	var mu sync.Mutex
	sources := map[string]int{}
	var lost []string
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				if w == 0 && i == calls/3 {
					syscall.Kill(f.h.Pid(kazanRef), syscall.SIGKILL)
					close(killed)
				}
				d, err := r.Route(context.Background(), in)
				mu.Lock()
				if err != nil || d.Triage || d.OrganizationID != want {
					lost = append(lost, d.Source+": "+d.Reason.Text("en"))
				}
				sources[d.Source]++
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}(w)
	}
	wg.Wait()
	<-killed
	if len(lost) > 0 {
		t.Fatalf("%d requests were not placed: %v", len(lost), lost[:min(3, len(lost))])
	}
	if sources["plugin:"+kazanRef]+sources[host.SourceFallbackRules] != workers*calls {
		t.Errorf("sources: %v", sources)
	}
	t.Logf("decisions by source: %v", sources)
	// The plugin is back after the crash.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, _ := r.Route(context.Background(), in)
		if d.Source == "plugin:"+kazanRef {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin never came back: %+v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p := f.h.Pid(kazanRef); p == firstPid || p == 0 || alive(firstPid) {
		t.Errorf("the killed process %d was not replaced (now %d)", firstPid, p)
	}
}

func TestPluginStopsWithTheHost(t *testing.T) {
	f := newFixture(t, "sqlite", host.Options{})
	f.install(t, kazanRef, buildPlugin(t, "plugins/cities/kazan"), nil)
	if err := f.h.Prepare(context.Background(), kazanRef); err != nil {
		t.Fatal(err)
	}
	pid := f.h.Pid(kazanRef)
	if pid == 0 {
		t.Fatal("no plugin process")
	}
	f.h.Close()
	waitGone(t, pid)
	d, err := f.h.CityRouter("kazan", moscow, f.kazan).Route(context.Background(), f.input(t, "lift", "aviastroitelny", 12))
	if err != nil || d.Source != host.SourceFallbackRules {
		t.Errorf("after Close: %+v %v", d, err)
	}
}

// waitGone waits until pid has exited (and been reaped, or is a zombie).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d is still running", pid)
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// A plugin that crashes on every call is not restarted once per request:
// requests fall back to the rules meanwhile, and restarts stay near one a
// second.
func TestCrashLoopIsBounded(t *testing.T) {
	f := newFixture(t, "sqlite", host.Options{})
	f.install(t, "test@1.0.0", buildPlugin(t, "plugins/host/testdata/testplugin"), map[string]any{"mode": "crash"})
	r := f.h.CityRouter("kazan", moscow, f.kazan)
	in := f.input(t, "lift", "aviastroitelny", 12)
	start := time.Now()
	calls := 0
	for time.Since(start) < 2*time.Second {
		d, err := r.Route(context.Background(), in)
		if err != nil || d.Source != host.SourceFallbackRules || d.OrganizationID != f.org(t, "uk-aviastroitel") {
			t.Fatalf("call %d: %+v %v", calls, d, err)
		}
		calls++
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.h.Starts("test@1.0.0"); n < 1 || n > 5 || calls < 50 {
		t.Errorf("%d starts for %d calls in 2 s", n, calls)
	}
}
