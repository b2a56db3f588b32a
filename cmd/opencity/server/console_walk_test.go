package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
)

// Every page and form the consoles link to, walked as each role: it renders
// for the roles servertest.RouteAccess names, is a 403 page for the other
// roles of the city, and sends the others (anonymous, another console's
// session) to the login page. Posting any console form as a role that may
// not use it is refused before anything changes.
func TestConsoleLinksByRole(t *testing.T) {
	s := servertest.StartOne(t)
	base := s.URL()
	routes := s.Engine().Routes()
	// access is the key and the expectation of the route a concrete path
	// belongs to.
	access := func(method, path string) (string, servertest.Access, bool) {
		key := servertest.RouteKey(method, servertest.RouteOf(routes, method, path))
		want, ok := servertest.RouteAccess[key]
		return key, want, ok
	}
	city := map[string]*webtest.Session{}
	for _, who := range []string{"admin", "dispatcher", "operator", "analyst", "citizen", servertest.Anonymous} {
		login := who
		if who == servertest.Anonymous {
			login = ""
		}
		city[who] = webtest.LogIn(t, base, "/t/kazan/login", who, login)
	}
	vendorUser := webtest.LogIn(t, base, "/admin/login", servertest.Vendor, "vendor")
	city[servertest.Vendor] = vendorUser

	check := func(label string, link, key string, allowed func(who string) bool, loginPage string) {
		for who, u := range city {
			status, loc, body := u.Get(t, base, link)
			switch {
			case allowed(who):
				if status != http.StatusOK || !strings.Contains(body, "<main>") {
					t.Errorf("%s %s as %s (%s): %d", label, link, who, key, status)
				}
			case who == servertest.Anonymous || who == servertest.Vendor || strings.HasPrefix(link, "/admin/"):
				if status != http.StatusSeeOther || !strings.HasPrefix(loc, loginPage) {
					t.Errorf("%s %s as %s: want a 303 to %s, got %d %s", label, link, who, loginPage, status, loc)
				}
			default:
				if status != http.StatusForbidden || !strings.Contains(body, "<main>") {
					t.Errorf("%s %s as %s: want the 403 page, got %d", label, link, who, status)
				}
			}
		}
	}

	pages, forms := webtest.Crawl(t, city["admin"], base, "/t/kazan/admin/", "/t/kazan/admin/")
	if len(pages) < 12 || len(forms) < 15 {
		t.Fatalf("the city console links to only %d pages and %d forms: %v %v", len(pages), len(forms), pages, forms)
	}
	for _, p := range pages {
		key, want, ok := access("GET", p)
		if !ok {
			t.Errorf("%s (%s) has no servertest.RouteAccess entry", p, key)
			continue
		}
		check("city page", p, key, func(who string) bool {
			return who != servertest.Vendor && who != servertest.Anonymous && want.Lists(who)
		}, "/t/kazan/login")
	}
	for _, f := range forms {
		key, want, ok := access("POST", f)
		if !ok {
			t.Errorf("form %s (%s) has no servertest.RouteAccess entry", f, key)
			continue
		}
		for _, who := range []string{"dispatcher", "operator", "analyst", "citizen"} {
			if want.Lists(who) {
				continue
			}
			status, _ := city[who].Post(t, base, f, url.Values{"csrf_token": {city[who].CSRF}, "confirm": {"yes"}, "code": {"x"}})
			if status != http.StatusForbidden {
				t.Errorf("form %s posted by %s: want 403, got %d", f, who, status)
			}
		}
	}

	vpages, vforms := webtest.Crawl(t, vendorUser, base, "/admin/", "/admin/")
	if len(vpages) < 8 || len(vforms) < 4 {
		t.Fatalf("the vendor console links to only %d pages and %d forms: %v %v", len(vpages), len(vforms), vpages, vforms)
	}
	for _, p := range vpages {
		key, want, ok := access("GET", p)
		if !ok || want.Kind != servertest.VendorOnly {
			t.Errorf("%s (%s): servertest.RouteAccess says %+v", p, key, want)
		}
		check("vendor page", p, key, func(who string) bool { return who == servertest.Vendor }, "/admin/login")
	}
	for _, f := range vforms {
		if f == "/admin/logout" {
			continue
		}
		status, loc := city["admin"].Post(t, base, f, url.Values{"csrf_token": {city["admin"].CSRF}, "confirm": {"yes"}, "action": {"suspend"}})
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") {
			t.Errorf("vendor form %s posted by a city admin: %d %s", f, status, loc)
		}
	}
	t.Logf("walked %d city pages, %d city forms, %d vendor pages, %d vendor forms as %d principals",
		len(pages), len(forms), len(vpages), len(vforms), len(city))
	if st := s.CityStatus(t, "kazan"); st != "active" {
		t.Fatalf("kazan is %s after the walk", st)
	}
}
