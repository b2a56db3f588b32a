package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
)

// get fetches url with the bearer token (none when "") and returns the
// status and the body.
func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// Go's profiles are served only where they are asked for, only beside the
// metrics and only to holders of the metrics token: a citizen's or an
// operator's token, a wrong token or none at all get nothing.
func TestProfilingBehindTheMetricsToken(t *testing.T) {
	const token = "scraper-secret"
	s := servertest.Start(t, "sqlite", func(c *server.Config) {
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
	plain := servertest.Start(t, "sqlite", func(c *server.Config) {
		c.Metrics = server.MetricsConfig{Token: token}
	})
	if code, _ := get(t, plain.URL()+"/metrics", token); code != http.StatusOK {
		t.Errorf("/metrics without profiling: %d", code)
	}
	if code, _ := get(t, plain.URL()+"/debug/pprof/", token); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without profiling: %d", code)
	}
}

// OPENCITY_PPROF turns profiling on; anything but a true value leaves it off.
func TestProfilingSetting(t *testing.T) {
	for value, want := range map[string]bool{"true": true, "1": true, "": false, "false": false, "yes-please": false} {
		cfg := server.MetricsConfigFromEnv(func(k string) string {
			if k == "OPENCITY_PPROF" {
				return value
			}
			return ""
		})
		if cfg.Profiling != want {
			t.Errorf("OPENCITY_PPROF=%q: profiling %v, want %v", value, cfg.Profiling, want)
		}
	}
}
