package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencity/opencity/tenants/tenanttest"
)

// pageForms are the forms a page shows, by the path they post to (the
// header's logout form left out).
func pageForms(body string) []string {
	var out []string
	for _, m := range actionRE.FindAllStringSubmatch(body, -1) {
		if a := html.UnescapeString(m[1]); !strings.HasSuffix(a, "/logout") && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// A page shows exactly the forms its reader's role may submit, as the
// server's own policies decide: on every city console page a role can
// read, each form the city admin sees there is shown to the role if and
// only if posting it as that role is not refused (403); on a request page,
// every form shown is accepted past the policy check. The analyst, who may
// read categories, sees no Add or Delete there.
func TestFormsShownAreFormsAllowed(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			base := s.URL()
			number := s.submit("kazan", s.login("kazan", "citizen"), "Лифт застрял между этажами")
			admin := logIn(t, base, "/t/kazan/login", "admin", "admin")
			pages, _ := crawl(t, admin, base, "/t/kazan/admin/", "/t/kazan/admin/")
			adminForms := map[string][]string{}
			for _, p := range pages {
				_, _, body := admin.Get(t, base, p)
				adminForms[p] = pageForms(body)
			}
			if len(adminForms["/t/kazan/admin/categories"]) < 3 {
				t.Fatalf("the admin's categories page shows forms %v", adminForms["/t/kazan/admin/categories"])
			}
			probed := 0
			for _, who := range []string{"analyst", "dispatcher", "operator", "citizen"} {
				u := logIn(t, base, "/t/kazan/login", who, who)
				for _, p := range pages {
					status, _, body := u.Get(t, base, p)
					if status != http.StatusOK {
						if len(pageForms(body)) > 0 {
							t.Errorf("%s: the refused page %s (%d) shows forms %v", who, p, status, pageForms(body))
						}
						continue
					}
					shown := pageForms(body)
					for _, f := range shown {
						if !slices.Contains(adminForms[p], f) {
							t.Errorf("%s sees on %s a form to %s that the admin does not", who, p, f)
						}
					}
					for _, f := range adminForms[p] {
						code, _ := u.Post(t, base, f, url.Values{"csrf_token": {u.CSRF}})
						probed++
						switch visible := slices.Contains(shown, f); {
						case visible && code == http.StatusForbidden:
							t.Errorf("%s sees on %s a form to %s that the server refuses", who, p, f)
						case !visible && code != http.StatusForbidden:
							t.Errorf("%s may post to %s (%d) but %s does not show the form", who, f, code, p)
						}
					}
				}
				status, _, body := u.Get(t, base, "/t/kazan/requests/"+number)
				if status != http.StatusOK && status != http.StatusNotFound {
					t.Errorf("%s: request page %d", who, status)
				}
				for _, f := range pageForms(body) {
					if code, _ := u.Post(t, base, f, url.Values{"csrf_token": {u.CSRF}}); code == http.StatusForbidden {
						t.Errorf("%s sees on the request page a form to %s that the server refuses", who, f)
					}
				}
				if who == "analyst" {
					_, _, cats := u.Get(t, base, "/t/kazan/admin/categories")
					if strings.Contains(cats, `id="add-category"`) || strings.Contains(cats, "/delete") {
						t.Errorf("the analyst sees Add or Delete on categories")
					}
				}
			}
			t.Logf("%d console pages, %d forms probed", len(pages), probed)
			if probed < 10 {
				t.Fatalf("only %d forms were probed", probed)
			}
		})
	}
}

// Refusal pages fit their reader: a logged-in user refused a page is
// offered their own home page, not the login; a login form that is too
// large says so without talking about photos; a wrong invitation link
// says so in the city's language before any password is typed; the
// vendor's pages label their times with the zone and name plans and
// billing states in words.
func TestRefusalPagesFitTheReader(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			base := s.URL()
			disp := logIn(t, base, "/t/kazan/login", "dispatcher", "dispatcher")
			status, _, body := disp.Get(t, base, "/t/kazan/admin/users")
			if status != http.StatusForbidden || !strings.Contains(body, `id="home-link" href="/t/kazan/desk/"`) && !strings.Contains(body, `href="/t/kazan/desk/" id="home-link"`) ||
				strings.Contains(body, `id="login-link"`) {
				t.Errorf("403 page of a logged-in dispatcher: %d %s", status, body)
			}
			anon := logIn(t, base, "/t/kazan/login", "anonymous", "")
			if _, _, body := anon.Get(t, base, "/t/kazan/track/no-such-code"); !strings.Contains(body, `id="login-link"`) {
				t.Errorf("404 page of an anonymous visitor offers no login: %s", body)
			}

			resp, err := anon.Client.PostForm(base+"/t/kazan/login", url.Values{"csrf_token": {anon.CSRF}, "login": {strings.Repeat("a", 2<<20)}})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b := string(raw)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(b, "Форма больше, чем принимает эта страница") || strings.Contains(b, "фото") {
				t.Errorf("413 on the login form: %d %s", resp.StatusCode, b)
			}

			status, _, body = anon.Get(t, base, "/t/kazan/invite?token=made-up")
			if status != http.StatusNotFound || !strings.Contains(body, "приглашение неизвестно, использовано или истекло") || strings.Contains(body, `name="password"`) {
				t.Errorf("a made-up invitation: %d %s", status, body)
			}

			vendor := logIn(t, base, "/admin/login", "vendor", "vendor")
			_, _, body = vendor.Get(t, base, "/admin/cities/kazan?lang=ru")
			if !strings.Contains(body, " UTC</") {
				t.Errorf("the vendor's city page shows times without their zone")
			}
			if strings.Contains(body, "<strong id=\"city-plan\">trial<") {
				t.Errorf("the vendor's city page shows the plan's code")
			}
		})
	}
}

// A request's page names its organization and, for staff, the routing rule
// that chose it, in the page's language: never the organization's code.
func TestRequestPageNamesItsOrganization(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			base := s.URL()
			admin := s.login("kazan", "admin")
			number := s.submit("kazan", s.login("kazan", "citizen"), "Лифт застрял между этажами")
			org := s.call("GET", "/t/kazan/api/v1/requests/"+number, admin, nil).json(t)["organization"].(string)
			o := s.call("GET", "/t/kazan/api/v1/organizations/"+org, admin, nil).json(t)
			for _, c := range []struct{ who, lang, name, rule string }{
				{"citizen", "ru", o["name_ru"].(string), ""},
				{"dispatcher", "ru", o["name_ru"].(string), "«Неисправности в доме: управляющая компания»"},
				{"dispatcher", "en", o["name_en"].(string), "«Faults inside a building: the management company»"},
			} {
				u := logIn(t, base, "/t/kazan/login", c.who, c.who)
				status, _, body := u.Get(t, base, "/t/kazan/requests/"+number+"?lang="+c.lang)
				if status != http.StatusOK {
					t.Fatalf("%s: %d", c.who, status)
				}
				body = html.UnescapeString(body)
				if !strings.Contains(body, `<dd id="organization">`+c.name+`</dd>`) || c.rule != "" && !strings.Contains(body, `<span class="org">`+c.name+`</span>`) {
					t.Errorf("%s (%s) does not read the organization %q", c.who, c.lang, c.name)
				}
				if c.rule != "" && !strings.Contains(body, c.rule) {
					t.Errorf("%s (%s) does not read the rule %s", c.who, c.lang, c.rule)
				}
				if strings.Contains(body, ">"+org+"<") || strings.Contains(body, " "+org+" ") || strings.Contains(body, org+" [") {
					t.Errorf("%s (%s) reads the organization's code %s", c.who, c.lang, org)
				}
			}
		})
	}
}
