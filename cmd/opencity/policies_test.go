package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants/tenanttest"
)

// A city admin manages the city's policies, custom roles included, but can
// never grant vendor rights, objects outside the city, or reach another city.
func TestPolicyAdministration(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			base := "/t/kazan/api/v1"
			admin := s.login("kazan", "admin")
			list := s.call("GET", base+"/policies", admin, nil)
			if list.Status != 200 || len(list.json(t)["items"].([]any)) < 20 {
				t.Fatalf("policies: %d %s", list.Status, list.Body)
			}
			for _, tc := range []struct {
				body  any
				field string
			}{
				{map[string]string{"role": "vendor_admin", "obj": "requests", "act": "read"}, "role"},
				{map[string]string{"role": "inspector", "obj": "tenants", "act": "read"}, "obj"},
				{map[string]string{"role": "inspector", "obj": "requests", "act": "*"}, "act"},
				{map[string]string{"role": "Inspector", "obj": "requests", "act": "read"}, "role"},
				{map[string]string{"role": "inspector", "obj": "requests", "act": "read", "dom": "nizhnekamsk"}, "dom"},
				{map[string]string{"role": "inspector", "obj": "*", "act": "read"}, "obj"},
			} {
				r := s.call("POST", base+"/policies", admin, tc.body)
				if r.Status != 422 || problemFields(t, r)[tc.field] == nil {
					t.Errorf("policy %v: %d %s", tc.body, r.Status, r.Body)
				}
			}
			if r := s.call("DELETE", base+"/policies", admin, map[string]string{"role": "city_admin", "obj": "policies", "act": "create"}); r.Status != 409 {
				t.Errorf("admin removed its own right to manage policies: %d %s", r.Status, r.Body)
			}
			// A custom role: invite a user with it, grant it a right.
			r := s.call("POST", base+"/users", admin, map[string]string{"login": "inspector", "role": "inspector"})
			if r.Status != 201 {
				t.Fatalf("invite with a custom role: %d %s", r.Status, r.Body)
			}
			s.call("POST", base+"/auth/invite", "", map[string]string{"token": r.json(t)["invite_token"].(string), "password": "inspector pw"})
			insp := s.loginPassword("kazan", "inspector", "inspector pw")
			if r := s.call("GET", base+"/categories", insp, nil); r.Status != 403 {
				t.Errorf("custom role without policies: %d", r.Status)
			}
			// nizhnekamsk granting "inspector" changes nothing in kazan.
			nkm := s.login("nizhnekamsk", "admin")
			if r := s.call("POST", "/t/nizhnekamsk/api/v1/policies", nkm, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 201 {
				t.Fatalf("nizhnekamsk policy: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", base+"/categories", insp, nil); r.Status != 403 {
				t.Errorf("nizhnekamsk's policy applied in kazan: %d", r.Status)
			}
			if r := s.call("POST", base+"/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 201 {
				t.Fatalf("add policy: %d %s", r.Status, r.Body)
			}
			if r := s.call("POST", base+"/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 200 {
				t.Errorf("same policy twice: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", base+"/categories", insp, nil); r.Status != 200 {
				t.Errorf("custom role after the grant: %d %s", r.Status, r.Body)
			}
			// Row scoping still holds: a custom role sees no requests even if allowed the route.
			s.call("POST", base+"/policies", admin, map[string]string{"role": "inspector", "obj": "requests", "act": "read"})
			s.submit("kazan", s.login("kazan", "citizen"), "not for inspectors")
			if r := s.call("GET", base+"/requests?total=true", insp, nil); r.Status != 200 || r.json(t)["total"] != float64(0) {
				t.Errorf("custom role's request list: %d %s", r.Status, r.Body)
			}
			if r := s.call("DELETE", base+"/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 204 {
				t.Fatalf("remove policy: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", base+"/categories", insp, nil); r.Status != 403 {
				t.Errorf("custom role after the removal: %d", r.Status)
			}
			if r := s.call("DELETE", base+"/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 404 {
				t.Errorf("remove a missing policy: %d", r.Status)
			}
			// A removed default stays removed after a restart-like reload.
			if r := s.call("DELETE", base+"/policies", admin, map[string]string{"role": "analyst", "obj": "categories", "act": "read"}); r.Status != 204 {
				t.Fatalf("remove default: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", base+"/categories", s.login("kazan", "analyst"), nil); r.Status != 403 {
				t.Errorf("analyst after the removal of a default: %d", r.Status)
			}
			if r := s.call("GET", "/t/nizhnekamsk/api/v1/categories", s.login("nizhnekamsk", "analyst"), nil); r.Status != 200 {
				t.Errorf("kazan's removal applied in nizhnekamsk: %d", r.Status)
			}
		})
	}
}

// A custom role created through process A is enforced by process B, over
// the same PostgreSQL database, within about a second; so is a lockout.
func TestPolicyChangeAcrossProcesses(t *testing.T) {
	db := tenanttest.New(t, "postgres")
	start := func(demo bool) *testServer {
		srv, err := NewServer(context.Background(), Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: demo})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return &testServer{Server: srv, t: t, db: db}
	}
	a, b := start(true), start(false)
	base := "/t/kazan/api/v1"
	admin := a.login("kazan", "admin")
	r := a.call("POST", base+"/users", admin, map[string]string{"login": "auditor", "role": "auditor"})
	if r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	b.call("POST", base+"/auth/invite", "", map[string]string{"token": r.json(t)["invite_token"].(string), "password": "auditor pw"})
	tok := b.loginPassword("kazan", "auditor", "auditor pw")
	if r := b.call("GET", base+"/categories", tok, nil); r.Status != 403 {
		t.Fatalf("B before the grant: %d", r.Status)
	}
	if r := a.call("POST", base+"/policies", admin, map[string]string{"role": "auditor", "obj": "categories", "act": "read"}); r.Status != 201 {
		t.Fatalf("grant on A: %d %s", r.Status, r.Body)
	}
	granted := time.Now()
	if r := a.call("GET", base+"/categories", tok, nil); r.Status != 200 {
		t.Errorf("A right after its own grant: %d", r.Status)
	}
	took := waitStatus(t, b, base+"/categories", tok, http.StatusOK, granted)
	t.Logf("process B enforced the new policy %v after process A stored it", took.Round(time.Millisecond))

	if r := a.call("DELETE", base+"/policies", admin, map[string]string{"role": "auditor", "obj": "categories", "act": "read"}); r.Status != 204 {
		t.Fatalf("revoke on A: %d", r.Status)
	}
	took = waitStatus(t, b, base+"/categories", tok, http.StatusForbidden, time.Now())
	t.Logf("process B enforced the removal %v after process A stored it", took.Round(time.Millisecond))

	// Failed logins counted by A lock the login on B.
	for i := 0; i < 5; i++ {
		a.call("POST", base+"/auth/token", "", map[string]string{"login": "analyst", "password": "guess"})
	}
	if r := b.call("POST", base+"/auth/token", "", map[string]string{"login": "analyst", "password": "demo"}); r.Status != http.StatusTooManyRequests {
		t.Errorf("lock set on A not seen on B: %d", r.Status)
	}
}

// waitStatus polls until path answers want, failing after 2 s (the
// recheck interval is 1 s; the rest is slack for a loaded machine).
func waitStatus(t *testing.T, s *testServer, path, tok string, want int, since time.Time) time.Duration {
	t.Helper()
	for {
		r := s.call("GET", path, tok, nil)
		if r.Status == want {
			return time.Since(since)
		}
		if time.Since(since) > 2*time.Second {
			t.Fatalf("B still answers %d after %v", r.Status, time.Since(since))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
