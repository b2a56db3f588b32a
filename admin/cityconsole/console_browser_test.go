package cityconsole_test

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A city admin adds a category with a 2-hour deadline, imports buildings
// with one bad row and sees that row's error, adds and edits a routing rule
// and checks it in the simulator, and invites a dispatcher who then sets a
// password and logs in. Every console page is photographed.
func TestBrowserCityConsole(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.Navigate(base + "/admin/categories?lang=en")
			b.Screenshot("city-login")
			b.Submit("button.primary", "login", "admin", "password", "demo")
			if !strings.Contains(b.Location(), "/t/kazan/admin/categories") {
				t.Fatalf("not back on the page after login: %s", b.Location())
			}

			// A category with a 2-hour deadline; first a mistake shown in place.
			b.Submit("#add-category-submit", "code", "Bulb", "group", "building", "name_ru", "Лампочка в подъезде",
				"name_en", "Entrance bulb", "reaction_minutes", "30m", "resolution_minutes", "20m")
			if got := b.Text("#e-resolution_minutes"); got != "cannot be shorter than the reaction time" {
				t.Fatalf("resolution error: %q", got)
			}
			if got := b.Text("#e-code"); !strings.Contains(got, "lowercase") {
				t.Fatalf("code error: %q", got)
			}
			b.Screenshot("city-category-errors")
			b.Submit("#add-category-submit", "code", "entrance-bulb", "resolution_minutes", "2h")
			if got := b.Text("#cat-entrance-bulb .deadline"); got != "2 h" { // the English page (?lang=en) writes durations in its words
				t.Fatalf("the new category's deadline: %q", got)
			}
			b.Screenshot("city-categories")
			admin := s.Login("kazan", "admin")
			r := s.Call("GET", "/t/kazan/api/v1/categories/entrance-bulb", admin, nil)
			if m := r.JSON(t); m["resolution_minutes"] != float64(120) || m["reaction_minutes"] != float64(30) || m["group"] != "building" {
				t.Fatalf("stored category: %s", r.Body)
			}

			// Buildings CSV: two good rows and one with an unknown district (row 4).
			csv := "registry_id;address_ru;address_en;district;management_company;apartments;lat;lon\n" +
				"KZN-T-1;ул. Тестовая, д. 1;Testovaya St 1;sovetsky;uk-sovetsky-kvartal;40;55.79;49.2\n" +
				"KZN-T-2;ул. Тестовая, д. 2;Testovaya St 2;sovetsky;uk-sovetsky-kvartal;60;55.79;49.21\n" +
				"KZN-T-3;ул. Тестовая, д. 3;Testovaya St 3;atlantis;;12;55.79;49.22\n"
			file := filepath.Join(t.TempDir(), "buildings.csv")
			if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
				t.Fatal(err)
			}
			b.Navigate(base + "/admin/buildings")
			b.Screenshot("city-buildings")
			b.Submit("#import-submit", "file", file)
			if got := b.Text("#created"); got != "2" {
				t.Fatalf("created: %q\n%s", got, b.Text("main"))
			}
			if got := b.Text("#refused"); got != "1" {
				t.Fatalf("refused rows: %q", got)
			}
			if got := b.Text("#row-4"); !strings.Contains(got, "district") {
				t.Fatalf("row 4's error: %q", got)
			}
			if strings.Contains(b.HTML(), `id="row-2"`) || strings.Contains(b.HTML(), `id="row-3"`) {
				t.Fatal("good rows reported as errors")
			}
			b.Screenshot("city-import-report")
			b.Navigate(base + "/admin/buildings?q=" + "тестовая")
			if got := b.Text("#buildings"); !strings.Contains(got, "KZN-T-1") || strings.Contains(got, "KZN-T-3") {
				t.Fatalf("search after import: %s", got)
			}

			// Routing: a rule, edited, then checked in the simulator.
			lift, roof := fmt.Sprint(s.OrgID("kazan", "lifttech-kazan")), fmt.Sprint(s.OrgID("kazan", "krovlya-kazan"))
			b.Navigate(base + "/admin/routing")
			b.Submit("#add-rule button.primary", "name", "Lifts to the lift company", "category", "lift",
				"target", "organization", "organization_id", lift)
			if got := b.Text("#rules"); !strings.Contains(got, "Lifts to the lift company") {
				t.Fatalf("rule not listed: %s", got)
			}
			b.Screenshot("city-routing")
			ruleID := ""
			for _, it := range s.Call("GET", "/t/kazan/api/v1/routing/rules", admin, nil).JSON(t)["items"].([]any) {
				if r := it.(map[string]any); r["name"] == "Lifts to the lift company" {
					ruleID = fmt.Sprint(r["id"])
				}
			}
			b.Click("#rule-" + ruleID + " .move-top")
			if got := b.Text("#rules tbody tr"); !strings.Contains(got, "Lifts to the lift company") {
				t.Fatalf("the rule did not move to the top: %s", got)
			}
			b.Click("#rule-" + ruleID + " a")
			b.Screenshot("city-rule-edit")
			b.Submit("#save-rule", "name", "Lifts to the roofers", "organization_id", roof)
			if !strings.Contains(b.Location(), "ok=saved") {
				t.Fatalf("rule not saved: %s", b.Text("main"))
			}
			b.Submit("#simulate", "test_category", "lift", "test_building_id", "1")
			if got := b.Text("#route-org"); !strings.Contains(got, "КровляСтрой") && !strings.Contains(got, "KrovlyaStroy") {
				t.Fatalf("simulator sends the lift request to %q: %s", got, b.Text("#route-result"))
			}
			if got := b.Text("#route-reason"); !strings.Contains(got, "Lifts to the roofers") || strings.Contains(got, "krovlya-kazan") ||
				strings.Contains(got, "route.") {
				t.Fatalf("simulator reason: %q", got)
			}
			b.Screenshot("city-simulator")

			// A dispatcher, invited, sets a password and logs in.
			b.Navigate(base + "/admin/users")
			b.Submit("#invite-submit", "#invite-user [name=login]", "dispatcher2", "#invite-user [name=name]", "Диспетчер Второй",
				"#invite-user [name=role]", "dispatcher")
			link := b.Text("#invite-link")
			if !strings.Contains(link, "/t/kazan/invite?token=") {
				t.Fatalf("invite link: %q", link)
			}
			b.Screenshot("city-users-invited")
			for _, page := range []string{"", "organizations", "organizations/uk-aviastroitel", "districts", "categories/lift", "roles", "settings"} {
				b.Navigate(base + "/admin/" + page)
				if h := b.Text("h1"); h == "" || strings.Contains(h, "not found") || strings.Contains(h, "denied") {
					t.Fatalf("/admin/%s: %q", page, h)
				}
				b.Screenshot("city-" + strings.ReplaceAll(cmp.Or(page, "home"), "/", "-"))
			}
			b.Viewport(820, 1180) // a tablet held upright: the nav folds above the page
			b.Navigate(base + "/admin/routing")
			b.Screenshot("city-routing-tablet")
			b.Viewport(1280, 900)
			b.Click("form.who button") // log out
			// A wrong link says so at once, in the page's language, with no
			// password to type.
			b.Navigate(base + "/invite?token=not-a-real-invitation")
			if strings.Contains(b.HTML(), `name="password"`) || !strings.Contains(b.Text("main"), "the invitation is unknown, used or expired") {
				t.Fatalf("a wrong invitation link: %s", b.Text("main"))
			}
			b.Navigate(s.URL() + link)
			if got := b.Text("#invite-greeting"); !strings.Contains(got, "Диспетчер Второй") || !strings.Contains(got, "dispatcher2") {
				t.Fatalf("invite greeting: %q", got)
			}
			b.Submit("button.primary", "password", "short")
			if !strings.Contains(b.HTML(), "password-error") {
				t.Fatalf("invite page at %s: %s", b.Location(), b.Text("body"))
			}
			if got := b.Text("#password-error"); !strings.Contains(got, "at least 8") {
				t.Fatalf("short password: %q", got)
			}
			b.Submit("button.primary", "password", "dispatcher password")
			b.Screenshot("city-invite-done")
			// The button set the password and logged the dispatcher in, on
			// their desk.
			if got := b.Text("form.who .user"); !strings.Contains(got, "Диспетчер Второй") || !strings.HasSuffix(b.Location(), "/t/kazan/desk/") {
				t.Fatalf("dispatcher after the invitation at %s: %s", b.Location(), got)
			}
			b.Navigate(s.URL() + link) // spent: said at once
			if strings.Contains(b.HTML(), `name="password"`) || b.Text("#invite-dead") == "" {
				t.Fatalf("a used invitation link: %s", b.Text("main"))
			}
			b.Navigate(base + "/admin/users")
			if got := b.Text("h1"); got != "Access denied" {
				t.Fatalf("the dispatcher sees the users page: %q", got)
			}
			// The refusal is for someone logged in: their home page, not a login link.
			if b.Text("#home-link") == "" || strings.Contains(b.HTML(), `id="login-link"`) {
				t.Fatalf("403 page of a logged-in dispatcher: %s", b.Text("main"))
			}
			b.Screenshot("city-dispatcher-refused")
		})
	}
}
