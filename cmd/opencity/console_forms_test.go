package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/tenants/tenanttest"
)

// The console forms the browser tests do not drive: calendar settings,
// the city's profile, a custom role's policy, an organization, a district,
// deletion behind its confirmation, a plan and a plugin assignment. Each
// shows its field errors in place and changes what the API then serves.
func TestConsoleForms(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			base := s.URL()
			admin := logIn(t, base, "/t/kazan/login?lang=en", "admin", "admin")
			token := s.login("kazan", "admin")
			post := func(path string, form url.Values) (int, string, string) {
				t.Helper()
				form.Set("csrf_token", admin.CSRF)
				resp, err := admin.Client.PostForm(base+path, form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b strings.Builder
				buf := make([]byte, 32<<10)
				for {
					n, err := resp.Body.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
				}
				return resp.StatusCode, resp.Header.Get("Location"), b.String()
			}

			// Settings: a bad auto-close value is refused in place, a good one stored.
			status, _, body := post("/t/kazan/admin/settings", url.Values{"work_start": {"09:00"}, "work_end": {"18:00"},
				"weekend": {"0", "6"}, "days": {"2026-12-31 New Year's Eve"}, "auto_close_days": {"99"}})
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-auto_close_days">must be from 1 to 60`) {
				t.Fatalf("bad auto-close: %d %s", status, body)
			}
			status, loc, _ := post("/t/kazan/admin/settings", url.Values{"work_start": {"08:30"}, "work_end": {"17:30"},
				"weekend": {"0", "6"}, "days": {"2026-12-31 New Year's Eve\n2026-12-27 working Moved day"}, "auto_close_days": {"5"}})
			if status != http.StatusSeeOther || !strings.Contains(loc, "ok=saved") {
				t.Fatalf("settings: %d %s", status, loc)
			}
			got := s.call("GET", "/t/kazan/api/v1/settings", token, nil).json(t)
			if got["work_start"] != "08:30" || got["auto_close_days"] != float64(5) || len(got["days"].([]any)) != 2 {
				t.Fatalf("stored settings: %v", got)
			}

			// The city's profile: an unknown time zone in place, then a new name.
			status, _, body = post("/t/kazan/admin/settings/profile", url.Values{"name": {"Казань"}, "locale": {"ru"}, "timezone": {"Mars/Olympus"}})
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-timezone">unknown time zone`) {
				t.Fatalf("bad time zone: %d %s", status, body)
			}
			if status, _, _ = post("/t/kazan/admin/settings/profile", url.Values{"name": {"Казань-Столица"}, "locale": {"ru"}, "timezone": {"Europe/Moscow"}}); status != http.StatusSeeOther {
				t.Fatalf("profile: %d", status)
			}
			if name := s.call("GET", "/t/kazan/api/v1", "", nil).json(t)["city"].(map[string]any)["name"]; name != "Казань-Столица" {
				t.Fatalf("the city is called %v", name)
			}

			// A custom role gets a right; a vendor right cannot be granted.
			if status, _, body = post("/t/kazan/admin/roles", url.Values{"role": {"vendor_admin"}, "obj": {"categories"}, "act": {"read"}}); status != http.StatusUnprocessableEntity ||
				!strings.Contains(body, "vendor rights cannot be granted") {
				t.Fatalf("vendor right: %d %s", status, body)
			}
			if status, _, _ = post("/t/kazan/admin/roles", url.Values{"role": {"auditor"}, "obj": {"requests"}, "act": {"read"}}); status != http.StatusSeeOther {
				t.Fatalf("custom role policy: %d", status)
			}
			_, _, body = admin.Get(t, base, "/t/kazan/admin/roles")
			if !strings.Contains(body, `id="role-auditor"`) {
				t.Fatal("the custom role is not listed")
			}
			// Withdrawing needs the confirmation.
			form := url.Values{"role": {"auditor"}, "obj": {"requests"}, "act": {"read"}}
			if status, _, body = post("/t/kazan/admin/roles/delete", form); status != http.StatusOK || !strings.Contains(body, `name="confirm"`) {
				t.Fatalf("withdraw without confirmation: %d", status)
			}
			form.Set("confirm", "yes")
			if status, _, _ = post("/t/kazan/admin/roles/delete", form); status != http.StatusSeeOther {
				t.Fatalf("withdraw: %d", status)
			}
			if _, _, body = admin.Get(t, base, "/t/kazan/admin/roles"); strings.Contains(body, `id="role-auditor"`) {
				t.Fatal("the withdrawn right is still there")
			}

			// An organization with a bad e-mail, then a good one; a district
			// deleted after confirming.
			status, _, body = post("/t/kazan/admin/organizations", url.Values{"code": {"uk-new"}, "kind": {"management_company"},
				"name_ru": {"УК Новая"}, "name_en": {"New MC"}, "email": {"nope"}, "active": {"on"}})
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-email">is not an e-mail address`) || !strings.Contains(body, `value="УК Новая"`) {
				t.Fatalf("bad organization: %d %s", status, body)
			}
			if status, _, _ = post("/t/kazan/admin/organizations", url.Values{"code": {"uk-new"}, "kind": {"management_company"},
				"name_ru": {"УК Новая"}, "name_en": {"New MC"}, "districts": {"sovetsky"}, "active": {"on"}}); status != http.StatusSeeOther {
				t.Fatalf("organization: %d", status)
			}
			if r := s.call("GET", "/t/kazan/api/v1/organizations/uk-new", token, nil); r.Status != 200 || !strings.Contains(string(r.Body), "sovetsky") {
				t.Fatalf("stored organization: %d %s", r.Status, r.Body)
			}
			if status, _, _ = post("/t/kazan/admin/districts", url.Values{"code": {"zarechny"}, "name_ru": {"Заречный"}, "name_en": {"Zarechny"}}); status != http.StatusSeeOther {
				t.Fatalf("district: %d", status)
			}
			if status, _, _ = post("/t/kazan/admin/districts/zarechny/delete", url.Values{}); status != http.StatusOK {
				t.Fatalf("delete without confirmation: %d", status)
			}
			if r := s.call("GET", "/t/kazan/api/v1/districts/zarechny", token, nil); r.Status != 200 {
				t.Fatal("deleted without confirmation")
			}
			if status, _, _ = post("/t/kazan/admin/districts/zarechny/delete", url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther {
				t.Fatalf("delete: %d", status)
			}
			if r := s.call("GET", "/t/kazan/api/v1/districts/zarechny", token, nil); r.Status != 404 {
				t.Fatalf("district still there: %d", r.Status)
			}

			// The vendor changes the plan and sends Nizhnekamsk back to its rules.
			vendorUser := logIn(t, base, "/admin/login", "vendor", "vendor")
			vpost := func(path string, form url.Values) (int, string) {
				form.Set("csrf_token", vendorUser.CSRF)
				return vendorUser.Post(t, base, path, form)
			}
			if status, _ := vpost("/admin/cities/kazan/plan", url.Values{"plan": {"no-such-plan"}}); status != http.StatusUnprocessableEntity {
				t.Fatalf("unknown plan: %d", status)
			}
			if status, _ := vpost("/admin/cities/kazan/plan", url.Values{"plan": {"city"}}); status != http.StatusSeeOther {
				t.Fatalf("plan: %d", status)
			}
			if tn, err := s.Backend.Registry().Get(t.Context(), "kazan"); err != nil || tn.Plan != "city" {
				t.Fatalf("kazan's plan: %v %v", tn, err)
			}
			if status, _ := vpost("/admin/plugins/assign", url.Values{"city": {"kazan"}, "plugin": {"nothing@1.0.0"}}); status != http.StatusUnprocessableEntity {
				t.Fatalf("unknown plugin: %d", status)
			}
			if status, _ := vpost("/admin/plugins", url.Values{"name": {"kazan"}, "version": {"9.9.9"}, "binary": {"/no/such/file"}}); status != http.StatusUnprocessableEntity {
				t.Fatalf("missing binary: %d", status)
			}
			_, _, body = vendorUser.Get(t, base, "/admin/audit?city=kazan")
			if !strings.Contains(body, "tenant.plan") || !strings.Contains(body, "tenant.profile") {
				t.Fatalf("the audit log lacks the console's changes: %s", body)
			}
		})
	}
}
