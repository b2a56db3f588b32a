package vendorconsole_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The vendor logs in to /admin/, suspends Kazan (the city becomes read-only)
// and resumes it, each after the confirmation step; every vendor page is
// photographed.
func TestBrowserVendorConsole(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			b := webtest.Start(t)
			b.Navigate(s.URL() + "/admin/?lang=en")
			if !strings.Contains(b.Location(), "/admin/login") {
				t.Fatalf("anonymous vendor page: at %s", b.Location())
			}
			b.Screenshot("vendor-login")
			b.Submit("button.primary", "login", "vendor", "password", "wrong")
			if got := b.Text("#password-error"); got != "wrong login or password" {
				t.Fatalf("wrong vendor password: %q", got)
			}
			b.Submit("button.primary", "login", "vendor", "password", "demo")
			if got := b.Text("#city-kazan"); !strings.Contains(got, "Казань") || !strings.Contains(got, "active") {
				t.Fatalf("cities table row of kazan: %q", got)
			}
			b.Screenshot("vendor-cities")
			b.Navigate(s.URL() + "/admin/?sort=requests30d&desc=1&q=kaz")
			if html := b.HTML(); strings.Contains(html, "city-nizhnekamsk") || !strings.Contains(html, "city-kazan") {
				t.Fatal("search for kaz does not keep kazan alone")
			}
			b.Screenshot("vendor-cities-sorted")

			b.Navigate(s.URL() + "/admin/cities/kazan")
			b.Screenshot("vendor-city")
			b.Click("#suspend")
			if !strings.Contains(b.Text("main"), "Suspend the city") {
				t.Fatalf("no confirmation step: %s", b.Text("main"))
			}
			b.Screenshot("vendor-suspend-confirm")
			b.Click("button.danger") // without ticking the box
			if got := b.Text("#confirm-error"); got != "tick the box to confirm" {
				t.Fatalf("unticked confirmation: %q", got)
			}
			if st := s.CityStatus(t, "kazan"); st != tenants.StatusActive {
				t.Fatalf("suspended without confirmation: %s", st)
			}
			b.Submit("button.danger", "confirm", "on")
			if got := b.Text("#city-status"); got != "suspended" {
				t.Fatalf("status after suspending: %q", got)
			}
			b.Screenshot("vendor-city-suspended")
			if st := s.CityStatus(t, "kazan"); st != tenants.StatusSuspended {
				t.Fatalf("registry says %s", st)
			}
			s.Cities.Invalidate()
			admin := s.Login("kazan", "admin")
			if r := s.Call("POST", "/t/kazan/api/v1/districts", admin, map[string]string{"code": "new-one", "name_ru": "Новый", "name_en": "New"}); r.Status != http.StatusForbidden {
				t.Fatalf("a suspended city accepted a change: %d %s", r.Status, r.Body)
			}
			b.Click("#resume")
			b.Submit("button.primary", "confirm", "on")
			if got := b.Text("#city-status"); got != "active" {
				t.Fatalf("status after resuming: %q", got)
			}
			if log := b.Text("#city-log"); !strings.Contains(log, "tenant.suspended") || !strings.Contains(log, "tenant.active") {
				t.Fatalf("the city's log lacks the changes: %s", log)
			}
			s.Cities.Invalidate()
			if r := s.Call("POST", "/t/kazan/api/v1/districts", admin, map[string]string{"code": "new-one", "name_ru": "Новый", "name_en": "New"}); r.Status != http.StatusCreated {
				t.Fatalf("a resumed city refused a change: %d %s", r.Status, r.Body)
			}

			b.Navigate(s.URL() + "/admin/cities/new")
			b.Submit("#create-city", "slug", "Bad Slug", "name", "")
			if !strings.Contains(b.Text("#e-slug"), "") || b.Text("#e-name") != "is required" {
				t.Fatalf("new city errors: %s", b.Text("main"))
			}
			b.Submit("#create-city", "slug", "kitezh", "name", "Китеж")
			if pw := b.Text("#admin-password"); len(pw) < 8 {
				t.Fatalf("no admin password shown: %q", pw)
			}
			b.Screenshot("vendor-city-created")
			if st := s.CityStatus(t, "kitezh"); st != tenants.StatusActive {
				t.Fatalf("kitezh is %s", st)
			}
			for _, page := range []string{"plugins", "health", "audit", "vendor-users", "cities/kitezh"} {
				b.Navigate(s.URL() + "/admin/" + page)
				if h := b.Text("h1"); h == "" || strings.Contains(h, "not found") {
					t.Fatalf("/admin/%s: %q", page, h)
				}
				b.Screenshot("vendor-" + page)
			}
			if jobs := b.HTML(); !strings.Contains(jobs, "kitezh") {
				t.Fatal("the new city's page does not show it")
			}
		})
	}
}
