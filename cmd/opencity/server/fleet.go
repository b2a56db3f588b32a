package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/tenants"
)

// FleetConfig makes a dedicated installation report to the vendor's
// console: URL is the vendor server's base address (OPENCITY_FLEET_URL),
// Token the installation's heartbeat token from the vendor's fleet page
// (OPENCITY_FLEET_TOKEN), Every the interval between heartbeats
// (OPENCITY_FLEET_EVERY, a Go duration, default 5m). On the vendor's own
// server, Silence (OPENCITY_FLEET_SILENCE, default 15m) is how long an
// installation may stay without a heartbeat before it is flagged silent.
type FleetConfig struct {
	URL, Token     string
	Every, Silence time.Duration
	Err            error // a malformed setting, reported by New
}

// FleetConfigFromEnv reads OPENCITY_FLEET_URL, _TOKEN, _EVERY and _SILENCE;
// a malformed duration sets Err.
func FleetConfigFromEnv(getenv func(string) string) FleetConfig {
	c := FleetConfig{URL: strings.TrimRight(getenv("OPENCITY_FLEET_URL"), "/"), Token: getenv("OPENCITY_FLEET_TOKEN")}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"OPENCITY_FLEET_EVERY", &c.Every}, {"OPENCITY_FLEET_SILENCE", &c.Silence}} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				c.Err = fmt.Errorf("%s=%q: want a positive duration such as 5m", d.name, v)
			}
			*d.to = x
		}
	}
	if (c.URL == "") != (c.Token == "") {
		c.Err = fmt.Errorf("OPENCITY_FLEET_URL and OPENCITY_FLEET_TOKEN go together")
	}
	return c
}

// countRequests counts the requests the server processed, for the heartbeat.
func (s *Server) countRequests(c *gin.Context) {
	s.requests.Add(1)
	c.Next()
}

// Heartbeat is the report this installation sends to the vendor now.
func (s *Server) Heartbeat(ctx context.Context) tenants.Heartbeat {
	hb := tenants.Heartbeat{Version: tenants.Version, Health: "ok", Requests: s.requests.Load(), SchemaVersions: map[string]int{}}
	if err := s.Backend.Ping(ctx); err != nil {
		hb.Health = "database: " + err.Error()
	}
	ts, err := s.Backend.Registry().List(ctx)
	if err != nil {
		hb.Health = "registry: " + err.Error()
	}
	for _, t := range ts {
		hb.SchemaVersions[t.Slug] = t.SchemaVersion
		if t.Serving() {
			hb.Cities++
		}
	}
	return hb
}

// SendHeartbeat posts one heartbeat to the vendor; an error for an answer
// other than 204.
func (s *Server) SendHeartbeat(ctx context.Context) error {
	body, _ := json.Marshal(s.Heartbeat(ctx))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.fleet.URL+"/api/v1/vendor/fleet/heartbeat", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.fleet.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("vendor answered %s", resp.Status)
	}
	return nil
}

// heartbeats sends a heartbeat at once and then every FleetConfig.Every
// until ctx ends; a failed one is logged and the next one tried in time.
func (s *Server) heartbeats(ctx context.Context) {
	every := s.fleet.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.SendHeartbeat(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("fleet heartbeat failed", "url", s.fleet.URL, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
