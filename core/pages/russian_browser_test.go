package pages_test

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// latinWord is a run of Latin-script letters with what may join them in a
// code, a login, an address or a URL.
var latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9._@:/+-]*`)

// allowedLatin are the words a Russian page may show in Latin script:
// names (of the product, of formats, of services) and the technical terms
// a Russian reader sees in Latin too. Codes, logins, e-mails and URLs
// come from the city's own data (latinOfCity).
var allowedLatin = map[string]bool{
	"OpenCity": true, "English": true, "CSV": true, "XLSX": true, "API": true, "JSON": true, "JPEG": true, "PNG": true,
	"WebP": true, "HEIC": true, "SHA-256": true, "Stripe": true, "Ctrl": true, "Enter": true, "ID": true,
	"UTC": true, "name@version": true, "RU": true, "EN": true, "Ctrl+Enter": true, "UTF-8": true, "Windows-1251": true, // encodings of an imported file
	"OpenStreetMap": true, // the map data's credit
}

// literalText is what a page shows to be typed as it stands: a URL (a tile
// server template with its braces) and the tile placeholders {z}, {x}, {y}.
var literalText = regexp.MustCompile(`\S+://\S+|\{[xyz]\}`)

// latinOfCity lists what a city's pages show in Latin script because it
// is data: its users' logins and e-mails, its buildings' registry ids, its
// slug; and, apart (codes), what only the city console shows to the admin
// who edits them: the codes of its directory and of its roles.
func latinOfCity(t *testing.T, s *servertest.Server, city, admin string) (data, codes map[string]bool) {
	t.Helper()
	ok := map[string]bool{city: true}
	codes = map[string]bool{}
	for _, c := range core.BuildingColumns { // the CSV format's column names
		codes[c] = true
	}
	for _, r := range []core.Role{core.RoleCityAdmin, core.RoleDispatcher, core.RoleOrgOperator, core.RoleOrgManager, core.RoleAnalyst, core.RoleCitizen} {
		codes[string(r)] = true
	}
	for _, path := range []string{"/categories", "/category-groups", "/districts", "/organizations", "/users", "/routing/rules", "/buildings?limit=500"} {
		r := s.Call("GET", "/t/"+city+"/api/v1"+path, admin, nil)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(r.Body, &list); err != nil {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		for _, it := range list.Items {
			for _, k := range []string{"login", "email", "registry_id"} {
				if v, _ := it[k].(string); v != "" {
					ok[v] = true
				}
			}
			for _, k := range []string{"code", "group", "utility", "kind", "role"} {
				if v, _ := it[k].(string); v != "" {
					codes[v] = true
				}
			}
		}
	}
	return ok, codes
}

// latinOfVendor lists what the vendor console shows in Latin script
// because it is data: cities' slugs and plans, vendor accounts, the audit
// log's actors, actions and details as recorded.
func latinOfVendor(t *testing.T, s *servertest.Server) map[string]bool {
	t.Helper()
	ctx := context.Background()
	ok := map[string]bool{}
	words := func(s string) {
		for _, w := range latinWord.FindAllString(s, -1) {
			ok[strings.TrimRight(w, ".:,/-")] = true
		}
	}
	ts, err := s.Backend.Registry().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		words(x.Slug)
	}
	us, err := s.Backend.VendorUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		words(u.Login + " " + u.Name + " " + u.Email + " " + u.Role)
	}
	log, err := s.Backend.Registry().AuditLog(ctx, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		words(e.Actor + " " + e.Action + " " + e.Detail)
	}
	return ok
}

// foreignWords returns the Latin-script words of text that neither list
// allows; an e-mail address, a URL, a number like 2026-000123 and a
// request's tracking path pass, and so do a whole URL and a tile placeholder
// (literalText).
func foreignWords(text string, allowed ...map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range latinWord.FindAllString(literalText.ReplaceAllString(text, " "), -1) {
		ok := strings.ContainsAny(w, "@/") // e-mails, URLs and paths, time zones
		w = strings.TrimRight(w, ".:,/-")
		for _, a := range allowed {
			ok = ok || a[w] || a[strings.ToLower(w)]
		}
		if !ok && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// Every page of the main flows, read by people of every role of a Russian
// city whose browser asks for English, is Russian: no Latin-script word
// outside the names, formats and the city's own codes and logins. The
// portal, login, the citizen's pages, the dispatcher's desk and call form,
// the organization's office, a request page, every city console page, the
// vendor console (in Russian by its switch) and the signup.
func TestBrowserRussianPagesHaveNoLatin(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			admin := s.Login("kazan", "admin")
			city, codes := latinOfCity(t, s, "kazan", admin)
			number := s.Submit("kazan", s.Login("kazan", "citizen"), "Лифт застрял между этажами")
			org := s.Call("GET", "/t/kazan/api/v1/requests/"+number, admin, nil).JSON(t)["organization"].(string)
			orgName := s.Call("GET", "/t/kazan/api/v1/organizations/"+org, admin, nil).JSON(t)["name_ru"].(string)
			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			// Directory codes are allowed only on the console's pages, where
			// the admin edits them; everyone else reads names.
			check := func(name string) {
				t.Helper()
				b.Screenshot("ru-" + name)
				allowed := []map[string]bool{allowedLatin, city}
				if strings.Contains(b.Location(), "/t/kazan/admin/") {
					allowed = append(allowed, codes)
				}
				if bad := foreignWords(b.Text("body"), allowed...); len(bad) > 0 {
					t.Errorf("%s (%s) shows Latin-script words: %v", name, b.Location(), bad)
				}
			}
			visit := func(name, path string) {
				t.Helper()
				b.Navigate(path)
				check(name)
			}
			visit("portal", base+"/")
			visit("login", base+"/login")
			b.Submit(`main form button[type=submit]`, "login", "admin", "password", "wrong")
			check("login-refused")
			visit("register", base+"/register")
			b.Submit(`#register`, "name", "", "phone", "8 (917) 55", "password", "коротко")
			check("register-refused")

			for _, who := range []struct {
				login string
				pages []string
			}{
				{"citizen", []string{"/", "/new", "/my/", "/requests/" + number}},
				{"dispatcher", []string{"/outages/", "/desk/", "/desk/?queue=overdue&sort=deadline&channel=portal&age=1d", "/desk/call", "/requests/" + number}},
				{"operator", []string{"/office/"}},
				{"analyst", []string{"/hq/wishes", "/hq/", "/hq/hotspots", "/hq/summary", "/hq/trends", "/hq/trends?step=day", "/hq/map"}},
				{"admin", []string{"/admin/", "/admin/categories", "/admin/categories/lift", "/admin/organizations",
					"/admin/organizations/uk-aviastroitel", "/admin/districts", "/admin/buildings", "/admin/routing",
					"/admin/users", "/admin/roles", "/admin/settings", "/requests/" + number}},
			} {
				b.LogIn(base, who.login)
				for _, p := range who.pages {
					visit(who.login+strings.ReplaceAll(p, "/", "_"), base+p)
					// The request names its organization, and its history
					// the rule and the organization that routing chose.
					if strings.HasPrefix(p, "/requests/") {
						if got := b.Text("#organization"); got != orgName {
							t.Errorf("%s reads the organization as %q, want %q", who.login, got, orgName)
						}
						if h := b.Text("#history"); who.login != "citizen" && (!strings.Contains(h, orgName) || !strings.Contains(h, "Неисправности в доме") || strings.Contains(h, org)) {
							t.Errorf("%s reads the history as %q", who.login, h)
						}
					}
				}
				// A form refused with field messages.
				switch who.login {
				case "citizen":
					b.Navigate(base + "/new")
					b.Submit(`#send`, "description", "Течёт крыша", "apartment", "12")
					check("citizen-new-refused")
				case "admin":
					b.Navigate(base + "/admin/categories")
					b.Submit("#add-category-submit", "code", "Bulb", "group", "building", "name_ru", "Лампочка",
						"reaction_minutes", "30m", "resolution_minutes", "20m")
					check("admin-category-refused")
				}
				b.LogOut()
			}

			// The vendor console, switched to Russian.
			b.Navigate(s.URL() + "/admin/login?lang=ru")
			check("vendor-login")
			b.Submit("button.primary", "login", "vendor", "password", "demo")
			vendor := latinOfVendor(t, s)
			for _, p := range []string{"/admin/", "/admin/cities/kazan", "/admin/cities/new", "/admin/plugins", "/admin/health",
				"/admin/audit", "/admin/vendor-users"} {
				b.Navigate(s.URL() + p)
				b.Screenshot("ru-vendor" + strings.ReplaceAll(p, "/", "_"))
				if bad := foreignWords(b.Text("body"), allowedLatin, vendor); len(bad) > 0 {
					t.Errorf("vendor page %s shows Latin-script words: %v", p, bad)
				}
			}

			// The signup, switched to Russian (it belongs to no city yet).
			visit("signup", s.URL()+"/signup?lang=ru")
		})
	}
}
