package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
)

// get fetches url with the bearer token (none when "") and returns the
// status and the body as the server sent them.
func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	resp, body := webtest.RawGet(t, url, header...)
	return resp.StatusCode, body
}

// Go's profiles are served only where they are asked for, only beside the
// metrics and only to holders of the metrics token: a citizen's or an
// operator's token, a wrong token or none at all get nothing.
func TestProfilingBehindTheMetricsToken(t *testing.T) {
	const token = "scraper-secret"
	s := servertest.StartOne(t, func(c *server.Config) {
		c.Metrics = server.MetricsConfig{Token: token, Profiling: true}
	})
	citizen := s.Login("kazan", "citizen")
	for _, tc := range []struct {
		name, token string
	}{{"no token", ""}, {"a wrong token", token + "x"}, {"a citizen's API token", citizen}} {
		if code, body := get(t, s.URL()+"/debug/pprof/", tc.token); code != http.StatusUnauthorized {
			t.Errorf("/debug/pprof/ with %s: %d %.200s", tc.name, code, body)
		}
		if code, _ := get(t, s.URL()+"/debug/pprof/profile?seconds=1", tc.token); code != http.StatusUnauthorized {
			t.Errorf("CPU profile with %s: %d", tc.name, code)
		}
	}
	code, body := get(t, s.URL()+"/debug/pprof/", token)
	if code != http.StatusOK || !strings.Contains(string(body), "goroutine") || !strings.Contains(string(body), "heap") {
		t.Fatalf("/debug/pprof/ index with the token: %d %.300s", code, body)
	}
	if code, body := get(t, s.URL()+"/debug/pprof/goroutine?debug=1", token); code != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Errorf("goroutine profile: %d %.200s", code, body)
	}
	// A CPU profile is a gzipped protocol buffer (pprof's format).
	code, body = get(t, s.URL()+"/debug/pprof/profile?seconds=1", token)
	if code != http.StatusOK || !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		t.Errorf("CPU profile: %d, %d bytes starting %x", code, len(body), body[:min(len(body), 4)])
	}

	// Without Profiling the metrics are served and the profiles are not.
	plain := servertest.StartOne(t, func(c *server.Config) {
		c.Metrics = server.MetricsConfig{Token: token}
	})
	if code, _ := get(t, plain.URL()+"/metrics", token); code != http.StatusOK {
		t.Errorf("/metrics without profiling: %d", code)
	}
	if code, _ := get(t, plain.URL()+"/debug/pprof/", token); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without profiling: %d", code)
	}
}

// OPENCITY_PPROF turns profiling on or off; a value that is neither, like
// a city limit that is not a number of cities, stops the server from
// starting with a message naming the setting.
func TestMetricsSettings(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		profiling   bool
		refused     string
	}{
		{"OPENCITY_PPROF", "true", true, ""},
		{"OPENCITY_PPROF", "1", true, ""},
		{"OPENCITY_PPROF", "", false, ""},
		{"OPENCITY_PPROF", "false", false, ""},
		{"OPENCITY_PPROF", "yes-please", false, `OPENCITY_PPROF "yes-please"`},
		{"OPENCITY_METRICS_CITY_LIMIT", "many", false, `OPENCITY_METRICS_CITY_LIMIT "many"`},
		{"OPENCITY_METRICS_CITY_LIMIT", "0", false, `OPENCITY_METRICS_CITY_LIMIT "0"`},
	} {
		cfg := server.MetricsConfigFromEnv(func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		if cfg.Profiling != tc.profiling {
			t.Errorf("%s=%q: profiling %v, want %v", tc.name, tc.value, cfg.Profiling, tc.profiling)
		}
		if tc.refused == "" {
			if cfg.Err != nil {
				t.Errorf("%s=%q refused: %v", tc.name, tc.value, cfg.Err)
			}
			continue
		}
		_, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Metrics: cfg})
		if err == nil || !strings.Contains(err.Error(), tc.refused) {
			t.Errorf("server with %s=%q: %v, want a refusal naming %s", tc.name, tc.value, err, tc.refused)
		}
	}
}
