package cityconsole_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A page shows exactly the forms its reader's role may submit, as the
// server's own policies decide: on every city console page a role can
// read, each form the city admin sees there is shown to the role if and
// only if posting it as that role is not refused (403); on a request page,
// every form shown is accepted past the policy check. The analyst, who may
// read categories, sees no Add or Delete there.
func TestFormsShownAreFormsAllowed(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			number := s.Submit("kazan", s.Login("kazan", "citizen"), "Лифт застрял между этажами")
			admin := webtest.LogIn(t, base, "/t/kazan/login", "admin", "admin")
			pages, _ := webtest.Crawl(t, admin, base, "/t/kazan/admin/", "/t/kazan/admin/")
			adminForms := map[string][]string{}
			for _, p := range pages {
				_, _, body := admin.Get(t, base, p)
				adminForms[p] = webtest.PageForms(body)
			}
			if len(adminForms["/t/kazan/admin/categories"]) < 3 {
				t.Fatalf("the admin's categories page shows forms %v", adminForms["/t/kazan/admin/categories"])
			}
			probed := 0
			for _, who := range []string{"analyst", "dispatcher", "operator", "citizen"} {
				u := webtest.LogIn(t, base, "/t/kazan/login", who, who)
				for _, p := range pages {
					status, _, body := u.Get(t, base, p)
					if status != http.StatusOK {
						if len(webtest.PageForms(body)) > 0 {
							t.Errorf("%s: the refused page %s (%d) shows forms %v", who, p, status, webtest.PageForms(body))
						}
						continue
					}
					shown := webtest.PageForms(body)
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
				for _, f := range webtest.PageForms(body) {
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
