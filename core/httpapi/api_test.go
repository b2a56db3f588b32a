package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Bad input gets a problem document naming the field, never a 500, and
// stores nothing.
func TestBadInput(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			tok := s.Login("kazan", "dispatcher")
			bad := func(name string, body any, status int, field string, header ...string) apitest.Scenario {
				sc := apitest.Scenario{Name: name, Method: "POST", Path: "/requests", As: apitest.Dispatcher, Body: body,
					ExpectedStatus: status, ExpectedFields: []string{field}}
				if len(header) == 2 {
					sc.Headers = map[string]string{header[0]: header[1]}
				}
				return sc
			}
			s.Run(t,
				bad("broken JSON", `{"category": "lift",`, 422, "body"),
				bad("empty body", ``, 422, "body"),
				bad("array", `[1,2]`, 422, "body"),
				bad("two values", `{"category":"lift"} {}`, 422, "body"),
				bad("trailing brace", `{"category":"lift"}}`, 422, "body"),
				bad("trailing bracket", `{"category":"lift"}]`, 422, "body"),
				bad("unknown field", `{"category":"lift","colour":"red"}`, 422, "colour"),
				bad("wrong type", `{"category":"lift","building_id":"first"}`, 422, "building_id"),
				bad("missing everything", `{}`, 422, "category"),
				bad("no description", map[string]any{"category": "lift", "building_id": 1, "applicant": map[string]string{"phone": "+79171234567"}}, 422, "description"),
				bad("unknown category", map[string]any{"category": "teleport", "building_id": 1, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "category"),
				bad("foreign building", map[string]any{"category": "lift", "building_id": 987654, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "building_id"),
				bad("no place", map[string]any{"category": "lift", "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "address"),
				bad("bad phone", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"phone": "call me"}}, 422, "applicant.phone"),
				bad("bad email", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"email": "nope@"}}, 422, "applicant.email"),
				bad("bad priority", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "priority": "asap", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "priority"),
				bad("bad location", map[string]any{"category": "lift", "location": map[string]float64{"lat": 95, "lon": 49}, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "location.lat"),
				bad("long description", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": strings.Repeat("я", 4001), "applicant": map[string]string{"phone": "+79171234567"}}, 422, "description"),
				bad("huge body", `{"description":"`+strings.Repeat("x", 2<<20)+`"}`, 413, "body"),
				bad("long key", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, 422, "Idempotency-Key", "Idempotency-Key", strings.Repeat("k", 201)),
				bad("form post", `category=lift`, 422, "Content-Type", "Content-Type", "application/x-www-form-urlencoded"),
			)
			// Every route with a JSON body reads it with the one strict
			// decoder: a stray closing brace is refused before anything else.
			logins := []struct {
				login string
				role  core.Role
			}{{"admin", core.RoleCityAdmin}, {"dispatcher", core.RoleDispatcher}, {"operator", core.RoleOrgOperator}, {"citizen", core.RoleCitizen}}
			tokens := map[string]string{}
			for _, rt := range (&httpapi.API{}).Routes() {
				if rt.In == nil {
					continue
				}
				who := logins[0].login // routes open to anyone, or to the caller's own account
				for _, l := range logins {
					if ok, _ := core.StaticAuthorizer(core.DefaultPolicies).Allowed(context.Background(), "kazan", l.role, rt.Obj, rt.Act); ok {
						who = l.login
						break
					}
				}
				if tokens[who] == "" {
					tokens[who] = s.Login("kazan", who)
				}
				path := "/t/kazan/api/v1" + strings.NewReplacer(":number", "2026-000001", ":code", "lift", ":id", "1").Replace(rt.Path)
				r := s.Call(rt.Method, path, tokens[who], `{}}`)
				if errs, _ := r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs["body"] == nil {
					t.Errorf("%s %s with a trailing brace: %d %s", rt.Method, rt.Path, r.Status, r.Body)
				}
			}
			for _, q := range []string{"limit=0", "limit=abc", "limit=1000", "cursor=zzz", "cursor=aWQ6LTE", "total=maybe"} {
				if r := s.Call("GET", "/t/kazan/api/v1/requests?"+q, tok, nil); r.Status != 422 {
					t.Errorf("list ?%s: %d %s", q, r.Status, r.Body)
				}
			}
			for _, c := range []struct{ body, field string }{
				{`{"login":"","password":""}`, "login"},
				{`{"login":"admin"}`, "password"},
				{`{"login":1}`, "login"},
			} {
				r := s.Call("POST", "/t/kazan/api/v1/auth/token", "", c.body)
				if errs, _ := r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs[c.field] == nil {
					t.Errorf("token %s: %d %s", c.body, r.Status, r.Body)
				}
			}
			if r := s.Call("POST", "/t/kazan/api/v1/auth/token", "", map[string]string{"login": "admin", "password": "wrong"}); r.Status != 401 {
				t.Errorf("wrong password: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests", "forged-token", nil); r.Status != 401 {
				t.Errorf("forged token: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests/2026-999999", tok, nil); r.Status != 404 {
				t.Errorf("unknown number: %d %s", r.Status, r.Body)
			}
			if r := s.Call("DELETE", "/t/kazan/api/v1/requests", tok, nil); r.Status != 405 {
				t.Errorf("DELETE: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests?total=true", tok, nil).JSON(t); r["total"] != float64(0) {
				t.Errorf("bad input stored requests: %v", r["total"])
			}
		})
	}
}

// Rows are scoped in the queries: a citizen sees their own requests, an
// operator their organization's, an analyst no personal data.
func TestRowScoping(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			ctx := context.Background()
			scope, _ := s.Backend.Scope("kazan")
			hash, _ := core.HashPassword("demo")
			err := store.New(scope).Seed(ctx, store.SeedData{Users: []store.SeedUser{{User: core.User{
				Login: "neighbour", Name: "Сосед", Phone: "+7 900 111-22-33", PasswordHash: hash, Role: core.RoleCitizen, Active: true}}}})
			if err != nil {
				t.Fatal(err)
			}
			mine := s.Submit("kazan", s.Login("kazan", "citizen"), "mine") // building 1: routed to the operator's company
			neighbour := s.Login("kazan", "neighbour")
			theirs := s.Call("POST", "/t/kazan/api/v1/requests", neighbour, map[string]any{"category": "lift", "building_id": 8, "description": "theirs"}).JSON(t)["number"].(string)
			if r := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, neighbour, nil); r.Status != 404 || bytes.Contains(r.Body, []byte("mine")) {
				t.Errorf("neighbour reads another citizen's request: %d %s", r.Status, r.Body)
			}
			list := s.Call("GET", "/t/kazan/api/v1/requests?total=true", neighbour, nil).JSON(t)
			if list["total"] != float64(1) || !strings.Contains(fmt.Sprint(list["items"]), theirs) {
				t.Errorf("neighbour's list: %v", list)
			}
			op := s.Login("kazan", "operator")
			if r := s.Call("GET", "/t/kazan/api/v1/requests?total=true", op, nil).JSON(t); r["total"] != float64(1) || !strings.Contains(fmt.Sprint(r["items"]), mine) {
				t.Errorf("operator's queue: %v", r)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests/"+theirs, op, nil); r.Status != 404 || bytes.Contains(r.Body, []byte("theirs")) {
				t.Errorf("operator reads another company's request: %d", r.Status)
			}
			an := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, s.Login("kazan", "analyst"), nil)
			if an.Status != 200 || bytes.Contains(an.Body, []byte("+7917")) || bytes.Contains(an.Body, []byte("+7 917")) || bytes.Contains(an.Body, []byte("applicant")) {
				t.Errorf("analyst: %d %s", an.Status, an.Body)
			}
			disp := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, s.Login("kazan", "dispatcher"), nil)
			if disp.Status != 200 || !bytes.Contains(disp.Body, []byte("+7917")) || !bytes.Contains(disp.Body, []byte(`"kind":"created"`)) {
				t.Errorf("dispatcher: %d %s", disp.Status, disp.Body)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/requests", op, map[string]any{"category": "lift", "address": "x", "description": "x"}); r.Status != 403 {
				t.Errorf("operator submits: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Keyset pages walk every request once, newest first.
func TestListPages(t *testing.T) {
	s := servertest.StartOne(t)
	tok := s.Login("kazan", "dispatcher")
	var want []string
	for i := 0; i < 7; i++ {
		want = append([]string{s.Submit("kazan", tok, fmt.Sprint("r", i))}, want...)
	}
	var got []string
	path := "/t/kazan/api/v1/requests?limit=3"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		m := s.Call("GET", path, tok, nil).JSON(t)
		for _, it := range m["items"].([]any) {
			got = append(got, it.(map[string]any)["number"].(string))
		}
		path = ""
		if c, ok := m["next_cursor"].(string); ok {
			path = "/t/kazan/api/v1/requests?limit=3&cursor=" + c
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages %v, want %v", got, want)
	}
}

// A suspended city reads but does not write.
func TestSuspendedCity(t *testing.T) {
	s := servertest.Start(t, "postgres")
	tok := s.Login("kazan", "citizen")
	number := s.Submit("kazan", tok, "before")
	if _, err := s.Backend.Registry().SetStatus(context.Background(), "test", "kazan", tenants.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	s.Cities.Invalidate()
	r := s.Call("POST", "/t/kazan/api/v1/requests", tok, map[string]any{"category": "lift", "building_id": 1, "description": "after"})
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "город Казань приостановлен") {
		t.Errorf("write to a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.Call("GET", "/t/kazan/api/v1/requests/"+number, tok, nil); r.Status != 200 {
		t.Errorf("read from a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.Call("GET", "/t/kazan/api/v1", "", nil).JSON(t); r["city"].(map[string]any)["read_only"] != true {
		t.Errorf("index does not say read-only: %v", r)
	}
	// Logging in and out still works.
	if r := s.Call("POST", "/t/kazan/api/v1/auth/logout", s.Login("kazan", "citizen"), nil); r.Status != http.StatusNoContent {
		t.Errorf("logout in a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.Call("POST", "/t/nizhnekamsk/api/v1/requests", s.Login("nizhnekamsk", "citizen"),
		map[string]any{"category": "lift", "building_id": 1, "description": "x"}); r.Status != 201 {
		t.Errorf("other city while kazan is suspended: %d %s", r.Status, r.Body)
	}
}
