package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

var heartbeatTokenRE = regexp.MustCompile(`id="heartbeat-token">([^<]+)<`)

// postHeartbeat sends a heartbeat (body encoded as JSON) to the vendor's server.
func postHeartbeat(vendor *testServer, token string, body any) response {
	buf, _ := json.Marshal(body)
	return vendor.call("POST", "/api/v1/vendor/fleet/heartbeat", token, buf)
}

// A dedicated installation (a real second server) reports to the vendor's
// real server; only its own heartbeat token is accepted, and only for
// heartbeats; the fleet page shows the report and flags silent and outdated
// installations by the vendor's clock.
func TestFleetHeartbeat(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			clock := servertest.NewClock(time.Now())
			vendor := startServerAt(t, kind, clock.Now)
			r := vendor.call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "demo"})
			vtok, _ := r.json(t)["token"].(string)
			if vtok == "" {
				t.Fatalf("vendor login: %d %s", r.Status, r.Body)
			}
			register := func(name string) (string, int64) {
				r := vendor.page("POST", "/admin/fleet", vtok, map[string]string{"name": name}, nil)
				m := heartbeatTokenRE.FindSubmatch(r.Body)
				if r.Status != http.StatusCreated || m == nil {
					t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
				}
				ins, _ := vendor.Backend.Installations(ctx)
				for _, in := range ins {
					if in.Name == name {
						return string(m[1]), in.ID
					}
				}
				t.Fatalf("%s not stored", name)
				return "", 0
			}
			token, _ := register("Казань, свои серверы")
			revokedTok, revokedID := register("retired")
			if r := vendor.page("POST", "/admin/fleet", vtok, map[string]string{"name": "retired"}, nil); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusConflict && r.Status != http.StatusBadRequest {
				t.Errorf("a taken name: %d", r.Status)
			}
			if r := vendor.page("POST", fmt.Sprintf("/admin/fleet/%d/revoke", revokedID), vtok, map[string]string{}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}

			// Refused, and nothing stored: no token, a wrong one, a vendor
			// user's, a city administrator's, a revoked installation's.
			city := vendor.call("POST", cityToken, "", map[string]string{"login": "admin", "password": "demo"})
			cityTok, _ := city.json(t)["token"].(string)
			good := map[string]any{"version": "9.9.9", "health": "ok", "cities": 1}
			for name, tok := range map[string]string{"none": "", "wrong": "hb_" + strings.Repeat("x", 40), "vendor user's": vtok,
				"city admin's": cityTok, "revoked": revokedTok} {
				if r := postHeartbeat(vendor, tok, good); r.Status != http.StatusUnauthorized ||
					!strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s token: %d %s", name, r.Status, r.Body)
				}
			}
			if r := postHeartbeat(vendor, "wrong", "not an object"); r.Status != http.StatusUnauthorized {
				t.Errorf("bad body with a wrong token: %d %s", r.Status, r.Body)
			}
			ins, _ := vendor.Backend.Installations(ctx)
			for _, in := range ins {
				if in.LastHeartbeatAt != nil || in.Version != "" {
					t.Errorf("a refused heartbeat was stored: %+v", in)
				}
			}
			// The heartbeat token authenticates nothing else.
			if r := vendor.call("GET", "/api/v1/vendor/tenants", token, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("heartbeat token on the vendor API: %d", r.Status)
			}
			if r := vendor.page("GET", "/admin/fleet", token, nil, nil); r.Status == http.StatusOK {
				t.Errorf("heartbeat token on the vendor console: %d", r.Status)
			}
			// Bad input: field messages, nothing stored.
			if r := postHeartbeat(vendor, token, map[string]any{"version": "", "cities": -1}); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity ||
				!bytes.Contains(r.Body, []byte(`"version"`)) || !bytes.Contains(r.Body, []byte(`"cities"`)) {
				t.Errorf("invalid heartbeat: %d %s", r.Status, r.Body)
			}

			// The dedicated installation: its own database, heartbeats at start.
			db2 := tenanttest.New(t, kind)
			ded := servertest.StartConfig(t, db2, server.Config{DatabaseURL: db2.DatabaseURL, DataDir: db2.DataDir, Demo: true,
				Fleet: server.FleetConfig{URL: vendor.URL(), Token: token, Every: time.Hour}})
			var got tenants.Installation
			deadline := time.Now().Add(30 * time.Second)
			for got.LastHeartbeatAt == nil && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				ins, _ := vendor.Backend.Installations(ctx)
				for _, in := range ins {
					if in.TokenHash != "" && in.Name == "Казань, свои серверы" {
						got = in
					}
				}
			}
			ts, _ := ded.Backend.Registry().List(ctx)
			if got.LastHeartbeatAt == nil || got.Version != tenants.Version || got.Health != "ok" || got.Cities != len(ts) ||
				got.SchemaVersions["kazan"] != store.Latest() {
				t.Fatalf("first heartbeat: %+v (cities %d, latest schema %d)", got.Heartbeat, len(ts), store.Latest())
			}
			for i := 0; i < 3; i++ {
				http.Get(ded.URL() + "/healthz")
			}
			if err := ded.SendHeartbeat(ctx); err != nil {
				t.Fatal(err)
			}
			ins, _ = vendor.Backend.Installations(ctx)
			for _, in := range ins {
				if in.Name == got.Name && in.Requests < 3 {
					t.Errorf("requests processed: %d, want at least 3", in.Requests)
				}
			}

			fleet := func() string {
				r := vendor.page("GET", "/admin/fleet", vtok, nil, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("fleet page: %d %s", r.Status, r.Body)
				}
				return string(r.Body)
			}
			row := func(page, name string) string {
				i := strings.Index(page, `data-name="`+name+`"`)
				if i < 0 {
					t.Fatalf("no row %s in\n%s", name, page)
				}
				return page[i : i+strings.Index(page[i:], "</tr>")]
			}
			p := row(fleet(), got.Name)
			if !strings.Contains(p, tenants.Version) || !strings.Contains(p, " UTC") || strings.Contains(p, "data-alert") {
				t.Errorf("fresh installation row: %s", p)
			}
			clock.Add(16 * time.Minute)
			if p := row(fleet(), got.Name); !strings.Contains(p, `data-alert="silent"`) || strings.Contains(p, `data-alert="outdated"`) {
				t.Errorf("silent installation row: %s", p)
			}
			if r := postHeartbeat(vendor, token, map[string]any{"version": "0.9.0", "health": "ok"}); r.Status != http.StatusNoContent {
				t.Fatalf("old version heartbeat: %d %s", r.Status, r.Body)
			}
			if p := row(fleet(), got.Name); !strings.Contains(p, `data-alert="outdated"`) || strings.Contains(p, `data-alert="silent"`) {
				t.Errorf("outdated installation row: %s", p)
			}
			if p := row(fleet(), "retired"); strings.Contains(p, "data-alert") {
				t.Errorf("a revoked installation has no alerts: %s", p)
			}

			// The city's schema version in the city's own console.
			ct := ded
			cr := wrap(t, ct).call("POST", cityToken, "", map[string]string{"login": "admin", "password": "demo"})
			atok, _ := cr.json(t)["token"].(string)
			sp := wrap(t, ct).page("GET", "/t/kazan/admin/settings", atok, nil, nil)
			if want := fmt.Sprintf(`id="schema-version">%d<`, store.Latest()); sp.Status != http.StatusOK || !strings.Contains(string(sp.Body), want) {
				t.Errorf("city settings page: %d, want %s", sp.Status, want)
			}
		})
	}
}

// `migrate --cities` migrates only the cities it names; an unknown name
// migrates nothing.
func TestMigrateOnlyNamedCities(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			ctx := context.Background()
			cli := runner(db)
			slugs := []string{"alpha", "beta", "gamma"}
			for _, slug := range slugs {
				if out, err := cli("tenant", "create", "--slug", slug, "--name", slug, "--admin-password", "s3cret-pass"); err != nil {
					t.Fatalf("create %s: %v\n%s", slug, err, out)
				}
			}
			b, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			// Roll every city back by a migration, as before an upgrade.
			for _, slug := range slugs {
				scope, _ := b.Scope(slug)
				err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					for _, table := range []string{"attachments", "request_events", "requests", "counters"} {
						drop := "DROP TABLE " + table
						if tx.Dialect().Name() == dialect.PG {
							drop += " CASCADE" // later migrations' tables refer to requests
						}
						if _, err := tx.ExecContext(ctx, drop); err != nil {
							return err
						}
					}
					// 3 is the migration that creates these tables (0003_requests).
					_, err := tx.NewRaw("DELETE FROM schema_migrations WHERE version = ?", 3).Exec(ctx)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			version := func(slug string) int {
				scope, _ := b.Scope(slug)
				v, pending, err := store.Status(ctx, scope)
				if err != nil {
					t.Fatal(err)
				}
				if pending > 0 {
					return -pending
				}
				return v
			}
			if out, err := cli("migrate", "--cities", "alpha,nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") {
				t.Errorf("an unknown city: %v\n%s", err, out)
			}
			if version("alpha") != -1 {
				t.Errorf("a refused run migrated alpha")
			}
			out, err := cli("migrate", "--cities", "alpha, beta")
			if err != nil || !strings.Contains(out, "2 cities, 2 migrations applied, 0 failed") || strings.Contains(out, "gamma") {
				t.Fatalf("migrate --cities alpha,beta: %v\n%s", err, out)
			}
			for slug, want := range map[string]int{"alpha": store.Latest(), "beta": store.Latest(), "gamma": -1} {
				if got := version(slug); got != want {
					t.Errorf("%s: version %d, want %d (negative: pending)", slug, got, want)
				}
			}
			if out, err := cli("migrate", "--cities", "gamma"); err != nil || version("gamma") != store.Latest() {
				t.Errorf("migrate --cities gamma: %v\n%s", err, out)
			}
		})
	}
}
