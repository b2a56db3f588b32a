package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads url's metrics with the token ("" for none).
func scrape(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics are not in Prometheus' text format: %v", err)
	}
	return resp.StatusCode, fams
}

// value is the sample of family whose labels include want; -1 when none.
func value(fams map[string]*dto.MetricFamily, family string, want map[string]string) float64 {
	f := fams[family]
	if f == nil {
		return -1
	}
	sum, found := 0.0, false
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return sum
}

// labelValues lists the values label takes in family.
func labelValues(fams map[string]*dto.MetricFamily, family, label string) []string {
	var out []string
	for _, m := range fams[family].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// /metrics after real traffic: requests by route template and status,
// intake by channel and routing source, each city's overdue and waiting
// counts as the API reports them, job outcomes and queue depth, plugin
// calls and a restart, the database pool. Only with the token.
func TestMetrics(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			clock := servertest.NewClock(time.Now())
			cfg := server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true, Now: clock.Now,
				KazanPlugin: servertest.KazanPlugin(t), Metrics: server.MetricsConfig{Token: "scrape-secret"}}
			s := servertest.StartConfig(t, db, cfg)

			for _, token := range []string{"", "wrong"} {
				if code, _ := scrape(t, s.URL()+"/metrics", token); code != http.StatusUnauthorized {
					t.Errorf("/metrics with token %q: %d", token, code)
				}
			}

			// Traffic: citizens submit in kazan (through Kazan's plugin) and
			// nizhnekamsk (its rules), a dispatcher takes a call, a page is
			// missing.
			if err := s.Plugins.Prepare(context.Background(), server.DemoKazanRef); err != nil {
				t.Fatal(err)
			}
			kznCitizen, nkmCitizen := s.Login("kazan", "citizen"), s.Login("nizhnekamsk", "citizen")
			for i := range 3 {
				s.Submit("kazan", kznCitizen, fmt.Sprintf("metrics %d", i))
			}
			s.Submit("kazan", kznCitizen, "metrics 0 again", "Idempotency-Key", "m-1")
			replay := map[string]any{"category": "lift", "building_id": 1, "description": "metrics 0 again",
				"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}}
			if r := s.Call("POST", "/t/kazan/api/v1/requests", kznCitizen, replay, "Idempotency-Key", "m-1"); r.Status != http.StatusOK {
				t.Fatalf("replay: %d %s", r.Status, r.Body) // a replay: no intake
			}
			s.Submit("nizhnekamsk", nkmCitizen, "metrics nkm")
			s.Submit("nizhnekamsk", s.Login("nizhnekamsk", "dispatcher"), "by phone")
			if r := s.Call("GET", "/t/kazan/api/v1/no-such-thing", kznCitizen, nil); r.Status != http.StatusNotFound {
				t.Fatalf("missing route: %d", r.Status)
			}
			// The plugin crashes; the next request restarts it.
			if pid := s.Plugins.Pid(server.DemoKazanRef); pid == 0 {
				t.Fatal("Kazan's plugin is not running")
			} else if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for s.Plugins.Starts(server.DemoKazanRef) < 2 && time.Now().Before(deadline) {
				s.Submit("kazan", kznCitizen, "after the crash")
				time.Sleep(200 * time.Millisecond)
			}
			// A job that fails twice: retried, then failed.
			s.Backend.Jobs.Handle("test.flaky", func(ctx context.Context, j *jobs.Job) error { return fmt.Errorf("flaky") })
			if _, _, err := s.Backend.Jobs.Enqueue(context.Background(), nil, jobs.NewJob{Kind: "test.flaky", Attempts: 2}); err != nil {
				t.Fatal(err)
			}
			// Two days on, kazan's assigned requests are overdue.
			clock.Add(48 * time.Hour)

			var fams map[string]*dto.MetricFamily
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				var code int
				code, fams = scrape(t, s.URL()+"/metrics", "scrape-secret")
				if code != http.StatusOK {
					t.Fatalf("/metrics with the token: %d", code)
				}
				if value(fams, "opencity_job_runs_total", map[string]string{"kind": "test.flaky", "outcome": "failed"}) == 1 ||
					time.Now().After(deadline) {
					break
				}
			}

			submits := map[string]string{"method": "POST", "route": "/t/:slug/api/v1/requests"}
			if got := value(fams, "opencity_http_requests_total", map[string]string{"method": "POST", "route": "/t/:slug/api/v1/requests", "status": "200"}); got != 1 {
				t.Errorf("replayed submits (200): %v, want 1", got)
			}
			created := value(fams, "opencity_http_requests_total", map[string]string{"method": "POST", "route": "/t/:slug/api/v1/requests", "status": "201"})
			if timed, answered := value(fams, "opencity_http_request_duration_seconds", submits), value(fams, "opencity_http_requests_total", submits); timed != answered || answered < created+1 {
				t.Errorf("submits timed %v, answered %v (%v created)", timed, answered, created)
			}
			if got := value(fams, "opencity_http_requests_total", map[string]string{"route": "unmatched", "status": "404"}); got < 1 {
				t.Errorf("the missing route is not counted: %v", got)
			}
			for _, route := range labelValues(fams, "opencity_http_requests_total", "route") {
				if strings.Contains(route, "kazan") || strings.Contains(route, "no-such-thing") {
					t.Errorf("a raw path as a route label: %q", route)
				}
			}
			// Intake: every created request once, by channel and source.
			intake := value(fams, "opencity_intake_total", nil)
			if intake != created {
				t.Errorf("intake counted %v, the API created %v", intake, created)
			}
			plugin := value(fams, "opencity_intake_total", map[string]string{"city": "kazan", "channel": "portal", "source": "plugin:" + server.DemoKazanRef})
			fallback := value(fams, "opencity_intake_total", map[string]string{"city": "kazan", "channel": "portal"}) - plugin
			if plugin < 4 {
				t.Errorf("kazan's intake through its plugin: %v, want at least 4", plugin)
			}
			if got := value(fams, "opencity_intake_total", map[string]string{"city": "nizhnekamsk", "channel": "portal", "source": "rules"}); got != 1 {
				t.Errorf("nizhnekamsk's portal intake by rules: %v", got)
			}
			if got := value(fams, "opencity_intake_total", map[string]string{"city": "nizhnekamsk", "channel": "call_centre"}); got != 1 {
				t.Errorf("nizhnekamsk's call-centre intake: %v", got)
			}
			t.Logf("kazan's intake: %v through the plugin, %v by a fallback while it restarted", plugin, fallback)
			// Plugins: calls, latency, the restart.
			if calls := value(fams, "opencity_plugin_calls_total", map[string]string{"plugin": server.DemoKazanRef, "outcome": "ok"}); calls < plugin {
				t.Errorf("plugin calls %v < intake through the plugin %v", calls, plugin)
			}
			if got := value(fams, "opencity_plugin_call_duration_seconds", map[string]string{"plugin": server.DemoKazanRef}); got < plugin {
				t.Errorf("plugin calls timed: %v", got)
			}
			if got := value(fams, "opencity_plugin_restarts_total", map[string]string{"plugin": server.DemoKazanRef}); got != float64(s.Plugins.Starts(server.DemoKazanRef)-1) || got < 1 {
				t.Errorf("plugin restarts %v, the host started it %d times", got, s.Plugins.Starts(server.DemoKazanRef))
			}
			// Jobs.
			if got := value(fams, "opencity_job_runs_total", map[string]string{"kind": "test.flaky", "outcome": "retried"}); got != 1 {
				t.Errorf("flaky job retried %v times, want 1", got)
			}
			if got := value(fams, "opencity_job_runs_total", map[string]string{"kind": "test.flaky", "outcome": "failed"}); got != 1 {
				t.Errorf("flaky job failed %v times, want 1", got)
			}
			stats, err := s.Backend.Jobs.Stats(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := value(fams, "opencity_job_queue_jobs", map[string]string{"state": "failed"}); got != float64(stats["failed"]) || got < 1 {
				t.Errorf("failed jobs in the queue: %v, the queue says %d", got, stats["failed"])
			}
			// Each city's overdue and waiting requests, as the API counts them.
			for _, city := range []string{"kazan", "nizhnekamsk", "nizhny-novgorod"} {
				disp := s.Login(city, "dispatcher")
				overdue := s.Call("GET", "/t/"+city+"/api/v1/requests?overdue=true&total=true&limit=1", disp, nil).JSON(t)["total"].(float64)
				waiting := 0.0
				for _, status := range []string{"new", "returned"} {
					waiting += s.Call("GET", "/t/"+city+"/api/v1/requests?status="+status+"&total=true&limit=1", disp, nil).JSON(t)["total"].(float64)
				}
				if got := value(fams, "opencity_requests_overdue", map[string]string{"city": city}); got != overdue {
					t.Errorf("%s overdue: metrics %v, API %v", city, got, overdue)
				}
				if got := value(fams, "opencity_requests_waiting", map[string]string{"city": city}); got != waiting {
					t.Errorf("%s waiting: metrics %v, API %v", city, got, waiting)
				}
				if city == "kazan" && overdue < 1 {
					t.Errorf("kazan has no overdue request two days later")
				}
			}
			// The database pool.
			if got := value(fams, "go_sql_open_connections", map[string]string{"db_name": "control"}); got < 1 {
				t.Errorf("open connections of the pool: %v", got)
			}
			if kind == "postgres" {
				if got := value(fams, "go_sql_max_open_connections", map[string]string{"db_name": "control"}); got != 20 {
					t.Errorf("pool limit: %v", got)
				}
			}
		})
	}
}

// Metrics on an address of their own are not on the main one; with neither a
// token nor an address they are not served at all; above the city limit the
// city labels collapse into "all".
func TestMetricsAddressAndCityLimit(t *testing.T) {
	s := servertest.StartOne(t, func(c *server.Config) {
		c.Metrics = server.MetricsConfig{Addr: "127.0.0.1:0", CityLimit: 2}
	})
	if r := s.Call("GET", "/metrics", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("/metrics on the main address: %d", r.Status)
	}
	s.Submit("kazan", s.Login("kazan", "citizen"), "counted under all")
	code, fams := scrape(t, "http://"+s.MetricsAddr()+"/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics on its own address: %d", code)
	}
	for _, family := range []string{"opencity_intake_total", "opencity_requests_overdue", "opencity_requests_waiting"} {
		if cities := labelValues(fams, family, "city"); len(cities) == 0 || strings.Join(cities, ",") != strings.Repeat("all,", len(cities)-1)+"all" {
			t.Errorf("%s city labels with 3 cities and a limit of 2: %v", family, cities)
		}
	}
	if got := value(fams, "opencity_intake_total", map[string]string{"city": "all"}); got != 1 {
		t.Errorf("intake under all: %v", got)
	}

	plain := servertest.StartOne(t)
	if r := plain.Call("GET", "/metrics", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("/metrics without a token or an address: %d", r.Status)
	}
}
