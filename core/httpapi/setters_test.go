package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Every writable field of intake, submitted by every role that submits: a
// field the role may not set is refused with 422 and a message on that
// field, and nothing is created; a field it may set is stored as given.
// Fields a request has but intake does not take are refused for everyone.
func TestFieldSettersByRole(t *testing.T) {
	type setter struct {
		field string
		value any
		// who may set it; the others get 422 on field
		staffOnly, nobody bool
		stored            string // the JSON field the value is read back from, when checked
	}
	cases := []setter{
		{field: "priority", value: "emergency", staffOnly: true, stored: "priority"},
		{field: "priority", value: "planned", staffOnly: true, stored: "priority"},
		{field: "priority", value: "normal", staffOnly: true},
		{field: "channel", value: "external", staffOnly: true, stored: "channel"},
		{field: "channel", value: "call_centre", staffOnly: true, stored: "channel"},
		{field: "channel", value: "open311", staffOnly: true, stored: "channel"},
		{field: "channel", value: "mobile", stored: "channel"},
		{field: "channel", value: "portal", stored: "channel"},
		{field: "apartment", value: "12", stored: "apartment"},
		{field: "entrance", value: "3", stored: "entrance"},
		{field: "address", value: "ул. Баумана, 19", stored: "address"},
		{field: "location", value: map[string]float64{"lat": 55.79, "lon": 49.12}},
		{field: "applicant.name", value: "Дарья Звонкова"},
		{field: "applicant.phone", value: "+7 917 765-43-21"},
		{field: "applicant.email", value: "darya@example.org"},
		{field: "organization", value: "lifttech-kazan", nobody: true},
		{field: "organization_id", value: 1, nobody: true},
		{field: "executor", value: "lifttech-kazan", nobody: true},
		{field: "status", value: "closed", nobody: true},
		{field: "reaction_due_at", value: "2030-01-01T00:00:00Z", nobody: true},
		{field: "resolution_due_at", value: "2030-01-01T00:00:00Z", nobody: true},
		{field: "external_source", value: "people-control", nobody: true},
		{field: "external_id", value: "PC-1", nobody: true},
		{field: "duplicate_of", value: 1, nobody: true},
		{field: "citizen_id", value: 1, nobody: true},
	}
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/api/v1"
			admin, disp := s.Login("kazan", "admin"), s.Login("kazan", "dispatcher")
			if r := s.Call("PUT", base+"/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			roles := []struct {
				name, token, path string
				staff             bool
			}{
				{"citizen", s.Login("kazan", "citizen"), "/requests", false},
				{"anonymous", "", "/public/requests", false},
				{"dispatcher", disp, "/requests", true},
				{"city_admin", admin, "/requests", true},
			}
			for _, role := range roles {
				for i, c := range cases {
					label := fmt.Sprintf("%s sets %s=%v", role.name, c.field, c.value)
					mark := fmt.Sprintf("SETTER-%s-%d", role.name, i)
					body := map[string]any{"category": "lift", "building_id": 1, "description": mark,
						"applicant": map[string]any{"phone": "+7 917 000-11-22"}}
					if name, ok := strings.CutPrefix(c.field, "applicant."); ok {
						body["applicant"].(map[string]any)[name] = c.value
					} else {
						body[c.field] = c.value
					}
					r := s.Call("POST", base+role.path, role.token, body)
					allowed := !c.nobody && (!c.staffOnly || role.staff)
					if !allowed {
						if r.Status != http.StatusUnprocessableEntity {
							t.Errorf("%s: %d, want 422: %s", label, r.Status, r.Body)
							continue
						}
						if f := r.Fields(t); f[c.field] == nil {
							t.Errorf("%s: no message on %s: %s", label, c.field, r.Body)
						}
						if l := s.Call("GET", base+"/requests?q="+mark, disp, nil); strings.Contains(string(l.Body), mark) {
							t.Errorf("%s: refused, yet a request was created", label)
						}
						continue
					}
					if r.Status != http.StatusCreated {
						t.Errorf("%s: %d, want 201: %s", label, r.Status, r.Body)
						continue
					}
					if c.stored == "" {
						continue
					}
					got := s.Get("kazan", disp, r.JSON(t)["number"].(string))
					if got[c.stored] != c.value {
						t.Errorf("%s: stored %s=%v", label, c.stored, got[c.stored])
					}
				}
			}

			// The pages apply the same rule: the emergency box of a citizen's
			// or an anonymous form is refused with a message in the page's
			// language; the call-taking form sets it.
			for _, f := range []struct{ who, path, login string }{
				{"citizen", "/t/kazan/new", "citizen"}, {"anonymous", "/t/kazan/report", ""}} {
				u := webtest.LogIn(t, s.URL(), "/t/kazan/login", f.who, f.login)
				_, _, page := u.Get(t, s.URL(), f.path)
				m := webtest.CSRFField.FindStringSubmatch(page)
				if m == nil {
					t.Fatalf("%s: no form on %s", f.who, f.path)
				}
				resp, err := u.Client.PostForm(s.URL()+f.path, url.Values{"csrf_token": {m[1]}, "category": {"lift"}, "building_id": {"1"},
					"description": {"PAGE-EMERGENCY-" + f.who}, "applicant.phone": {"+7 917 000-11-22"}, "emergency": {"1"}})
				if err != nil {
					t.Fatal(err)
				}
				b := readAll(resp)
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, "решает диспетчер") {
					t.Errorf("%s's emergency on %s: %d %s", f.who, f.path, resp.StatusCode, b)
				}
			}
			u := webtest.LogIn(t, s.URL(), "/t/kazan/login", "dispatcher", "dispatcher")
			_, _, page := u.Get(t, s.URL(), "/t/kazan/desk/call")
			m := webtest.CSRFField.FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no call form")
			}
			status, loc := u.Post(t, s.URL(), "/t/kazan/desk/call", url.Values{"csrf_token": {m[1]}, "category": {"lift"}, "building_id": {"1"},
				"description": {"PAGE-EMERGENCY-dispatcher"}, "applicant.phone": {"+7 917 000-11-22"}, "emergency": {"1"}})
			if status != http.StatusSeeOther {
				t.Fatalf("the dispatcher's emergency call: %d", status)
			}
			if got := s.Get("kazan", disp, loc[strings.LastIndex(loc, "/")+1:]); got["priority"] != "emergency" {
				t.Errorf("the dispatcher's emergency call: priority %v", got["priority"])
			}

			// Lifecycle actions take only their own fields.
			n := s.Submit("kazan", disp, "ACTION-FIELDS")
			for _, c := range []struct{ action, field, value string }{
				{"reject", "organization", "lifttech-kazan"}, {"assign", "original", n}, {"duplicate", "organization", "lifttech-kazan"}} {
				r := s.Act("kazan", disp, n, c.action, map[string]string{c.field: c.value, "comment": "x"})
				if r.Status != http.StatusUnprocessableEntity || r.Fields(t)[c.field] == nil {
					t.Errorf("%s with %s: %d %s", c.action, c.field, r.Status, r.Body)
				}
			}
		})
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
