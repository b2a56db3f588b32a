package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Bad input gets a problem document naming the field, never a 500, and
// stores nothing.
func TestBadInput(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			tok := s.login("kazan", "dispatcher")
			cases := []struct {
				name   string
				body   any
				header []string
				status int
				field  string
			}{
				{"broken JSON", `{"category": "lift",`, nil, 422, "body"},
				{"empty body", ``, nil, 422, "body"},
				{"array", `[1,2]`, nil, 422, "body"},
				{"two values", `{"category":"lift"} {}`, nil, 422, "body"},
				{"trailing brace", `{"category":"lift"}}`, nil, 422, "body"},
				{"trailing bracket", `{"category":"lift"}]`, nil, 422, "body"},
				{"unknown field", `{"category":"lift","colour":"red"}`, nil, 422, "colour"},
				{"wrong type", `{"category":"lift","building_id":"first"}`, nil, 422, "building_id"},
				{"missing everything", `{}`, nil, 422, "category"},
				{"no description", map[string]any{"category": "lift", "building_id": 1, "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "description"},
				{"unknown category", map[string]any{"category": "teleport", "building_id": 1, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "category"},
				{"foreign building", map[string]any{"category": "lift", "building_id": 987654, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "building_id"},
				{"no place", map[string]any{"category": "lift", "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "address"},
				{"bad phone", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"phone": "call me"}}, nil, 422, "applicant.phone"},
				{"bad email", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"email": "nope@"}}, nil, 422, "applicant.email"},
				{"bad priority", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "priority": "asap", "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "priority"},
				{"bad location", map[string]any{"category": "lift", "location": map[string]float64{"lat": 95, "lon": 49}, "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "location.lat"},
				{"long description", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": strings.Repeat("я", 4001), "applicant": map[string]string{"phone": "+79171234567"}}, nil, 422, "description"},
				{"huge body", `{"description":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 413, "body"},
				{"long key", map[string]any{"category": "lift", "address": "ул. Баумана, 1", "description": "x", "applicant": map[string]string{"phone": "+79171234567"}}, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 422, "Idempotency-Key"},
				{"form post", `category=lift`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 422, "Content-Type"},
			}
			for _, tc := range cases {
				r := s.call("POST", "/t/kazan/api/v1/requests", tok, tc.body, tc.header...)
				if r.Status != tc.status || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
					continue
				}
				if errs, _ := r.json(t)["errors"].(map[string]any); errs[tc.field] == nil {
					t.Errorf("%s: no message for field %q in %s", tc.name, tc.field, r.Body)
				}
			}
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
					tokens[who] = s.login("kazan", who)
				}
				path := "/t/kazan/api/v1" + strings.NewReplacer(":number", "2026-000001", ":code", "lift", ":id", "1").Replace(rt.Path)
				r := s.call(rt.Method, path, tokens[who], `{}}`)
				if errs, _ := r.json(t)["errors"].(map[string]any); r.Status != 422 || errs["body"] == nil {
					t.Errorf("%s %s with a trailing brace: %d %s", rt.Method, rt.Path, r.Status, r.Body)
				}
			}
			for _, q := range []string{"limit=0", "limit=abc", "limit=1000", "cursor=zzz", "cursor=aWQ6LTE", "total=maybe"} {
				if r := s.call("GET", "/t/kazan/api/v1/requests?"+q, tok, nil); r.Status != 422 {
					t.Errorf("list ?%s: %d %s", q, r.Status, r.Body)
				}
			}
			for _, c := range []struct{ body, field string }{
				{`{"login":"","password":""}`, "login"},
				{`{"login":"admin"}`, "password"},
				{`{"login":1}`, "login"},
			} {
				r := s.call("POST", "/t/kazan/api/v1/auth/token", "", c.body)
				if errs, _ := r.json(t)["errors"].(map[string]any); r.Status != 422 || errs[c.field] == nil {
					t.Errorf("token %s: %d %s", c.body, r.Status, r.Body)
				}
			}
			if r := s.call("POST", "/t/kazan/api/v1/auth/token", "", map[string]string{"login": "admin", "password": "wrong"}); r.Status != 401 {
				t.Errorf("wrong password: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", "/t/kazan/api/v1/requests", "forged-token", nil); r.Status != 401 {
				t.Errorf("forged token: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", "/t/kazan/api/v1/requests/2026-999999", tok, nil); r.Status != 404 {
				t.Errorf("unknown number: %d %s", r.Status, r.Body)
			}
			if r := s.call("DELETE", "/t/kazan/api/v1/requests", tok, nil); r.Status != 405 {
				t.Errorf("DELETE: %d %s", r.Status, r.Body)
			}
			if r := s.call("GET", "/t/kazan/api/v1/requests?total=true", tok, nil).json(t); r["total"] != float64(0) {
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
			s := startServer(t, kind)
			ctx := context.Background()
			scope, _ := s.Backend.Scope("kazan")
			hash, _ := core.HashPassword("demo")
			err := store.New(scope).Seed(ctx, store.SeedData{Users: []store.SeedUser{{User: core.User{
				Login: "neighbour", Name: "Сосед", Phone: "+7 900 111-22-33", PasswordHash: hash, Role: core.RoleCitizen, Active: true}}}})
			if err != nil {
				t.Fatal(err)
			}
			mine := s.submit("kazan", s.login("kazan", "citizen"), "mine") // building 1: routed to the operator's company
			neighbour := s.login("kazan", "neighbour")
			theirs := s.call("POST", "/t/kazan/api/v1/requests", neighbour, map[string]any{"category": "lift", "building_id": 8, "description": "theirs"}).json(t)["number"].(string)
			if r := s.call("GET", "/t/kazan/api/v1/requests/"+mine, neighbour, nil); r.Status != 404 || bytes.Contains(r.Body, []byte("mine")) {
				t.Errorf("neighbour reads another citizen's request: %d %s", r.Status, r.Body)
			}
			list := s.call("GET", "/t/kazan/api/v1/requests?total=true", neighbour, nil).json(t)
			if list["total"] != float64(1) || !strings.Contains(fmt.Sprint(list["items"]), theirs) {
				t.Errorf("neighbour's list: %v", list)
			}
			op := s.login("kazan", "operator")
			if r := s.call("GET", "/t/kazan/api/v1/requests?total=true", op, nil).json(t); r["total"] != float64(1) || !strings.Contains(fmt.Sprint(r["items"]), mine) {
				t.Errorf("operator's queue: %v", r)
			}
			if r := s.call("GET", "/t/kazan/api/v1/requests/"+theirs, op, nil); r.Status != 404 || bytes.Contains(r.Body, []byte("theirs")) {
				t.Errorf("operator reads another company's request: %d", r.Status)
			}
			an := s.call("GET", "/t/kazan/api/v1/requests/"+mine, s.login("kazan", "analyst"), nil)
			if an.Status != 200 || bytes.Contains(an.Body, []byte("+7 917")) || bytes.Contains(an.Body, []byte("applicant")) {
				t.Errorf("analyst: %d %s", an.Status, an.Body)
			}
			disp := s.call("GET", "/t/kazan/api/v1/requests/"+mine, s.login("kazan", "dispatcher"), nil)
			if disp.Status != 200 || !bytes.Contains(disp.Body, []byte("+7 917")) || !bytes.Contains(disp.Body, []byte(`"kind":"created"`)) {
				t.Errorf("dispatcher: %d %s", disp.Status, disp.Body)
			}
			if r := s.call("POST", "/t/kazan/api/v1/requests", op, map[string]any{"category": "lift", "address": "x", "description": "x"}); r.Status != 403 {
				t.Errorf("operator submits: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Keyset pages walk every request once, newest first.
func TestListPages(t *testing.T) {
	s := startServer(t, "sqlite")
	tok := s.login("kazan", "dispatcher")
	var want []string
	for i := 0; i < 7; i++ {
		want = append([]string{s.submit("kazan", tok, fmt.Sprint("r", i))}, want...)
	}
	var got []string
	path := "/t/kazan/api/v1/requests?limit=3"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		m := s.call("GET", path, tok, nil).json(t)
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
	s := startServer(t, "postgres")
	tok := s.login("kazan", "citizen")
	number := s.submit("kazan", tok, "before")
	if _, err := s.Backend.Registry().SetStatus(context.Background(), "test", "kazan", tenants.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	s.Cities.Invalidate()
	r := s.call("POST", "/t/kazan/api/v1/requests", tok, map[string]any{"category": "lift", "building_id": 1, "description": "after"})
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "город Казань приостановлен") {
		t.Errorf("write to a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.call("GET", "/t/kazan/api/v1/requests/"+number, tok, nil); r.Status != 200 {
		t.Errorf("read from a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.call("GET", "/t/kazan/api/v1", "", nil).json(t); r["city"].(map[string]any)["read_only"] != true {
		t.Errorf("index does not say read-only: %v", r)
	}
	// Logging in and out still works.
	if r := s.call("POST", "/t/kazan/api/v1/auth/logout", s.login("kazan", "citizen"), nil); r.Status != http.StatusNoContent {
		t.Errorf("logout in a suspended city: %d %s", r.Status, r.Body)
	}
	if r := s.call("POST", "/t/nizhnekamsk/api/v1/requests", s.login("nizhnekamsk", "citizen"),
		map[string]any{"category": "lift", "building_id": 1, "description": "x"}); r.Status != 201 {
		t.Errorf("other city while kazan is suspended: %d %s", r.Status, r.Body)
	}
}
