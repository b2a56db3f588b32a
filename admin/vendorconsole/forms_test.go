package vendorconsole_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The vendor console's forms the browser test does not drive: a plan
// changed (an unknown one refused), an unknown plugin assignment and a
// plugin without its binary refused; the audit log then lists the plan's
// change and the city admin's change of the city's profile. The city's
// page labels its times with the zone and names the plan in words.
func TestVendorConsoleForms(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			admin := webtest.LogIn(t, base, "/t/kazan/login?lang=en", "admin", "admin")
			if status, _ := admin.Post(t, base, "/t/kazan/admin/settings/profile", url.Values{"csrf_token": {admin.CSRF},
				"name": {"Казань-Столица"}, "locale": {"ru"}, "timezone": {"Europe/Moscow"}}); status != http.StatusSeeOther {
				t.Fatalf("the city admin's profile: %d", status)
			}

			vendor := webtest.LogIn(t, base, "/admin/login", "vendor", "vendor")
			_, _, body := vendor.Get(t, base, "/admin/cities/kazan?lang=ru")
			if !strings.Contains(body, " UTC</") {
				t.Errorf("the vendor's city page shows times without their zone")
			}
			if strings.Contains(body, "<strong id=\"city-plan\">trial<") {
				t.Errorf("the vendor's city page shows the plan's code")
			}

			for _, c := range []struct {
				name, path string
				form       url.Values
				status     int
			}{
				{"an unknown plan", "/admin/cities/kazan/plan", url.Values{"plan": {"no-such-plan"}}, http.StatusUnprocessableEntity},
				{"a plan", "/admin/cities/kazan/plan", url.Values{"plan": {"city"}}, http.StatusSeeOther},
				{"an unknown plugin assigned", "/admin/plugins/assign", url.Values{"city": {"kazan"}, "plugin": {"nothing@1.0.0"}}, http.StatusUnprocessableEntity},
				{"a plugin without its binary", "/admin/plugins", url.Values{"name": {"kazan"}, "version": {"9.9.9"}, "binary": {"/no/such/file"}}, http.StatusUnprocessableEntity},
			} {
				c.form.Set("csrf_token", vendor.CSRF)
				if status, _ := vendor.Post(t, base, c.path, c.form); status != c.status {
					t.Fatalf("%s: POST %s: %d, want %d", c.name, c.path, status, c.status)
				}
			}
			if tn, err := s.Backend.Registry().Get(t.Context(), "kazan"); err != nil || tn.Plan != "city" {
				t.Fatalf("kazan's plan: %v %v", tn, err)
			}
			_, _, body = vendor.Get(t, base, "/admin/audit?city=kazan")
			if !strings.Contains(body, "tenant.plan") || !strings.Contains(body, "tenant.profile") {
				t.Fatalf("the audit log lacks the consoles' changes: %s", body)
			}
		})
	}
}
