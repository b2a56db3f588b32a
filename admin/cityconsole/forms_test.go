package cityconsole_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// formPost is one console form sent and what its answer must be.
type formPost struct {
	name string
	path string
	form url.Values
	// status is the answer's status; location, when set, must occur in
	// its Location header and content in its body.
	status   int
	location string
	content  []string
	// after checks what the API or the console then serves.
	after func(t *testing.T)
}

// postForms sends the forms in order as the session u and checks each
// answer.
func postForms(t *testing.T, u *webtest.Session, base string, posts []formPost) {
	t.Helper()
	for _, p := range posts {
		form := url.Values{}
		for k, v := range p.form {
			form[k] = v
		}
		form.Set("csrf_token", u.CSRF)
		resp, err := u.Client.PostForm(base+p.path, form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body, loc := string(b), resp.Header.Get("Location")
		if resp.StatusCode != p.status || !strings.Contains(loc, p.location) {
			t.Fatalf("%s: POST %s: %d %s, want %d %s: %.600s", p.name, p.path, resp.StatusCode, loc, p.status, p.location, body)
		}
		for _, want := range p.content {
			if !strings.Contains(body, want) {
				t.Fatalf("%s: POST %s: the answer lacks %q: %.600s", p.name, p.path, want, body)
			}
		}
		if p.after != nil {
			p.after(t)
		}
	}
}

// The city console's forms the browser test does not drive: calendar
// settings, the city's profile, a custom role's policy, an organization, a
// district, deletion behind its confirmation. Each shows its field errors
// in place and changes what the API then serves.
func TestConsoleForms(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			admin := webtest.LogIn(t, base, "/t/kazan/login?lang=en", "admin", "admin")
			token := s.Login("kazan", "admin")
			listsAuditor := func(want bool) func(t *testing.T) {
				return func(t *testing.T) {
					_, _, body := admin.Get(t, base, "/t/kazan/admin/roles")
					if strings.Contains(body, `id="role-auditor"`) != want {
						t.Fatalf("the roles page lists the custom role: %v, want %v", !want, want)
					}
				}
			}
			district := func(want int) func(t *testing.T) {
				return func(t *testing.T) {
					if r := s.Call("GET", "/t/kazan/api/v1/districts/zarechny", token, nil); r.Status != want {
						t.Fatalf("the district zarechny: %d, want %d", r.Status, want)
					}
				}
			}
			withdraw := url.Values{"role": {"auditor"}, "obj": {"requests"}, "act": {"read"}}
			postForms(t, admin, base, []formPost{
				{name: "a bad auto-close value refused in place", path: "/t/kazan/admin/settings",
					form: url.Values{"work_start": {"09:00"}, "work_end": {"18:00"}, "weekend": {"0", "6"},
						"days": {"2026-12-31 New Year's Eve"}, "auto_close_days": {"99"}},
					status: http.StatusUnprocessableEntity, content: []string{`id="e-auto_close_days">must be from 1 to 60`}},
				{name: "settings stored", path: "/t/kazan/admin/settings",
					form: url.Values{"work_start": {"08:30"}, "work_end": {"17:30"}, "weekend": {"0", "6"},
						"days": {"2026-12-31 New Year's Eve\n2026-12-27 working Moved day"}, "auto_close_days": {"5"}},
					status: http.StatusSeeOther, location: "ok=saved",
					after: func(t *testing.T) {
						got := s.Call("GET", "/t/kazan/api/v1/settings", token, nil).JSON(t)
						if got["work_start"] != "08:30" || got["auto_close_days"] != float64(5) || len(got["days"].([]any)) != 2 {
							t.Fatalf("stored settings: %v", got)
						}
					}},
				{name: "an unknown time zone in place", path: "/t/kazan/admin/settings/profile",
					form:   url.Values{"name": {"Казань"}, "locale": {"ru"}, "timezone": {"Mars/Olympus"}},
					status: http.StatusUnprocessableEntity, content: []string{`id="e-timezone">unknown time zone`}},
				{name: "the city renamed", path: "/t/kazan/admin/settings/profile",
					form:   url.Values{"name": {"Казань-Столица"}, "locale": {"ru"}, "timezone": {"Europe/Moscow"}},
					status: http.StatusSeeOther,
					after: func(t *testing.T) {
						if name := s.Call("GET", "/t/kazan/api/v1", "", nil).JSON(t)["city"].(map[string]any)["name"]; name != "Казань-Столица" {
							t.Fatalf("the city is called %v", name)
						}
					}},
				{name: "a vendor right cannot be granted", path: "/t/kazan/admin/roles",
					form:   url.Values{"role": {"vendor_admin"}, "obj": {"categories"}, "act": {"read"}},
					status: http.StatusUnprocessableEntity, content: []string{"vendor rights cannot be granted"}},
				{name: "a custom role gets a right", path: "/t/kazan/admin/roles",
					form:   url.Values{"role": {"auditor"}, "obj": {"requests"}, "act": {"read"}},
					status: http.StatusSeeOther, after: listsAuditor(true)},
				{name: "withdrawing asks for the confirmation", path: "/t/kazan/admin/roles/delete", form: withdraw,
					status: http.StatusOK, content: []string{`name="confirm"`}, after: listsAuditor(true)},
				{name: "the right withdrawn", path: "/t/kazan/admin/roles/delete",
					form:   url.Values{"role": {"auditor"}, "obj": {"requests"}, "act": {"read"}, "confirm": {"yes"}},
					status: http.StatusSeeOther, after: listsAuditor(false)},
				{name: "an organization with a bad e-mail", path: "/t/kazan/admin/organizations",
					form: url.Values{"code": {"uk-new"}, "kind": {"management_company"}, "name_ru": {"УК Новая"},
						"name_en": {"New MC"}, "email": {"nope"}, "active": {"on"}},
					status: http.StatusUnprocessableEntity, content: []string{`id="e-email">is not an e-mail address`, `value="УК Новая"`}},
				{name: "an organization", path: "/t/kazan/admin/organizations",
					form: url.Values{"code": {"uk-new"}, "kind": {"management_company"}, "name_ru": {"УК Новая"},
						"name_en": {"New MC"}, "districts": {"sovetsky"}, "active": {"on"}},
					status: http.StatusSeeOther,
					after: func(t *testing.T) {
						if r := s.Call("GET", "/t/kazan/api/v1/organizations/uk-new", token, nil); r.Status != 200 || !strings.Contains(string(r.Body), "sovetsky") {
							t.Fatalf("stored organization: %d %s", r.Status, r.Body)
						}
					}},
				{name: "a changed organization with a bad e-mail stays on its edit page", path: "/t/kazan/admin/organizations/uk-new",
					form: url.Values{"code": {"uk-new"}, "kind": {"management_company"}, "name_ru": {"УК Новее"},
						"name_en": {"New MC"}, "email": {"nope"}, "active": {"on"}},
					status:  http.StatusUnprocessableEntity,
					content: []string{`id="e-email">is not an e-mail address`, `value="УК Новее"`, `action="/t/kazan/admin/organizations/uk-new"`}},
				{name: "a category changed with a bad deadline stays on its edit page", path: "/t/kazan/admin/categories/lift",
					form: url.Values{"code": {"lift"}, "name_ru": {"Лифт сломан"}, "name_en": {"Lift"},
						"reaction_minutes": {"soon"}, "resolution_minutes": {"24h"}, "active": {"on"}},
					status:  http.StatusUnprocessableEntity,
					content: []string{`id="e-reaction_minutes">`, `value="Лифт сломан"`, `action="/t/kazan/admin/categories/lift"`},
					after: func(t *testing.T) {
						status, _, body := admin.Get(t, base, "/t/kazan/admin/categories/lift")
						if status != http.StatusOK || !strings.Contains(body, `action="/t/kazan/admin/categories/lift"`) || strings.Contains(body, "Лифт сломан") {
							t.Fatalf("the category's edit page after a refused change: %d\n%s", status, body)
						}
					}},
				{name: "a district", path: "/t/kazan/admin/districts",
					form:   url.Values{"code": {"zarechny"}, "name_ru": {"Заречный"}, "name_en": {"Zarechny"}},
					status: http.StatusSeeOther, after: district(http.StatusOK)},
				{name: "deleting asks for the confirmation", path: "/t/kazan/admin/districts/zarechny/delete", form: url.Values{},
					status: http.StatusOK, after: district(http.StatusOK)},
				{name: "the district deleted", path: "/t/kazan/admin/districts/zarechny/delete", form: url.Values{"confirm": {"yes"}},
					status: http.StatusSeeOther, after: district(http.StatusNotFound)},
			})
		})
	}
}
