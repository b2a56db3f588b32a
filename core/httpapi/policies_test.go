package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A city admin manages the city's policies, custom roles included, but can
// never grant vendor rights, objects outside the city, or reach another city.
func TestPolicyAdministration(t *testing.T) {
	inspector := apitest.Account("inspector", "inspector pw")
	policy := func(role, obj, act string) map[string]string {
		return map[string]string{"role": role, "obj": obj, "act": act}
	}
	refused := func(name string, body map[string]string, field string) apitest.Scenario {
		return apitest.Scenario{Name: name, Method: "POST", Path: "/policies", As: apitest.CityAdmin, Body: body,
			ExpectedStatus: 422, ExpectedFields: []string{field}}
	}
	scenarios := []apitest.Scenario{
		{Name: "list", Path: "/policies", As: apitest.CityAdmin, ExpectedStatus: 200,
			After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
				if items, _ := r.JSON(t)["items"].([]any); len(items) < 20 {
					t.Errorf("policies: %d %s", len(items), apitest.Truncate(r.Body))
				}
			}},
		refused("vendor rights", policy("vendor_admin", "requests", "read"), "role"),
		refused("control-plane object", policy("inspector", "tenants", "read"), "obj"),
		refused("any action", policy("inspector", "requests", "*"), "act"),
		refused("role not in lower case", policy("Inspector", "requests", "read"), "role"),
		refused("another city's domain", map[string]string{"role": "inspector", "obj": "requests", "act": "read", "dom": "nizhnekamsk"}, "dom"),
		refused("any object", policy("inspector", "*", "read"), "obj"),
		{Name: "the admin keeps its right to manage policies", Method: "DELETE", Path: "/policies", As: apitest.CityAdmin,
			Body: policy("city_admin", "policies", "create"), ExpectedStatus: 409},
		// A custom role: invite a user with it, grant it a right.
		{Name: "custom role without policies", Path: "/categories", As: inspector, ExpectedStatus: 403,
			Before: func(t testing.TB, c *apitest.Client) {
				c.Invite("kazan", "inspector", "inspector pw", map[string]any{"role": "inspector"})
			}},
		// nizhnekamsk granting "inspector" changes nothing in kazan.
		{Name: "nizhnekamsk grants its own inspector", Method: "POST", Path: "/t/nizhnekamsk/api/v1/policies", As: apitest.CityAdmin.Of("nizhnekamsk"),
			Body: policy("inspector", "categories", "read"), ExpectedStatus: 201},
		{Name: "nizhnekamsk's policy does not apply in kazan", Path: "/categories", As: inspector, ExpectedStatus: 403},
		{Name: "grant", Method: "POST", Path: "/policies", As: apitest.CityAdmin, Body: policy("inspector", "categories", "read"), ExpectedStatus: 201},
		{Name: "same grant twice", Method: "POST", Path: "/policies", As: apitest.CityAdmin, Body: policy("inspector", "categories", "read"), ExpectedStatus: 200},
		{Name: "custom role after the grant", Path: "/categories", As: inspector, ExpectedStatus: 200},
		// Row scoping still holds: a custom role sees no requests even if allowed the route.
		{Name: "grant reading requests", Method: "POST", Path: "/policies", As: apitest.CityAdmin, Body: policy("inspector", "requests", "read"), ExpectedStatus: 201},
		{Name: "custom role's request list is empty", Path: "/requests?total=true", As: inspector, ExpectedStatus: 200,
			Before: func(t testing.TB, c *apitest.Client) {
				c.Submit("kazan", c.Token(apitest.Citizen), "not for inspectors")
			},
			After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
				if r.JSON(t)["total"] != float64(0) {
					t.Errorf("custom role's request list: %s", r.Body)
				}
			}},
		{Name: "remove", Method: "DELETE", Path: "/policies", As: apitest.CityAdmin, Body: policy("inspector", "categories", "read"), ExpectedStatus: 204},
		{Name: "custom role after the removal", Path: "/categories", As: inspector, ExpectedStatus: 403},
		{Name: "remove a missing policy", Method: "DELETE", Path: "/policies", As: apitest.CityAdmin, Body: policy("inspector", "categories", "read"), ExpectedStatus: 404},
		// A removed default stays removed after a restart-like reload.
		{Name: "remove a default", Method: "DELETE", Path: "/policies", As: apitest.CityAdmin, Body: policy("analyst", "categories", "read"), ExpectedStatus: 204},
		{Name: "analyst after the removal of a default", Path: "/categories", As: apitest.Analyst, ExpectedStatus: 403},
		{Name: "kazan's removal does not apply in nizhnekamsk", Path: "/t/nizhnekamsk/api/v1/categories", As: apitest.Analyst.Of("nizhnekamsk"), ExpectedStatus: 200},
	}
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			servertest.Start(t, kind).Run(t, scenarios...)
		})
	}
}

// A custom role created through process A is enforced by process B, over
// the same PostgreSQL database, within about a second; so is a lockout.
func TestPolicyChangeAcrossProcesses(t *testing.T) {
	db := tenanttest.New(t, "postgres")
	start := func(demo bool) *apitest.Client {
		return servertest.StartConfig(t, db, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: demo}).Client
	}
	a, b := start(true), start(false)
	base := "/t/kazan/api/v1"
	admin := a.Login("kazan", "admin")
	r := a.Call("POST", base+"/users", admin, map[string]string{"login": "auditor", "role": "auditor"})
	if r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	b.Call("POST", base+"/auth/invite", "", map[string]string{"token": r.JSON(t)["invite_token"].(string), "password": "auditor pw"})
	tok := b.LoginPassword("kazan", "auditor", "auditor pw")
	if r := b.Call("GET", base+"/categories", tok, nil); r.Status != 403 {
		t.Fatalf("B before the grant: %d", r.Status)
	}
	if r := a.Call("POST", base+"/policies", admin, map[string]string{"role": "auditor", "obj": "categories", "act": "read"}); r.Status != 201 {
		t.Fatalf("grant on A: %d %s", r.Status, r.Body)
	}
	granted := time.Now()
	if r := a.Call("GET", base+"/categories", tok, nil); r.Status != 200 {
		t.Errorf("A right after its own grant: %d", r.Status)
	}
	took := waitStatus(t, b, base+"/categories", tok, http.StatusOK, granted)
	t.Logf("process B enforced the new policy %v after process A stored it", took.Round(time.Millisecond))

	if r := a.Call("DELETE", base+"/policies", admin, map[string]string{"role": "auditor", "obj": "categories", "act": "read"}); r.Status != 204 {
		t.Fatalf("revoke on A: %d", r.Status)
	}
	took = waitStatus(t, b, base+"/categories", tok, http.StatusForbidden, time.Now())
	t.Logf("process B enforced the removal %v after process A stored it", took.Round(time.Millisecond))

	// Failed logins counted by A lock the login on B.
	for i := 0; i < 5; i++ {
		a.Call("POST", base+"/auth/token", "", map[string]string{"login": "analyst", "password": "guess"})
	}
	if r := b.Call("POST", base+"/auth/token", "", map[string]string{"login": "analyst", "password": "demo"}); r.Status != http.StatusTooManyRequests {
		t.Errorf("lock set on A not seen on B: %d", r.Status)
	}
}

// waitStatus polls until path answers want, failing after 2 s (the
// recheck interval is 1 s; the rest is slack for a loaded machine).
func waitStatus(t *testing.T, c *apitest.Client, path, tok string, want int, since time.Time) time.Duration {
	t.Helper()
	for {
		r := c.Call("GET", path, tok, nil)
		if r.Status == want {
			return time.Since(since)
		}
		if time.Since(since) > 2*time.Second {
			t.Fatalf("B still answers %d after %v", r.Status, time.Since(since))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
