package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// sessionCookie is the value of a page user's cookie name at the server.
func sessionCookie(t *testing.T, u *webtest.Session, base, name string) *http.Cookie {
	t.Helper()
	at, _ := url.Parse(base + "/")
	for _, ck := range u.Client.Jar.Cookies(at) {
		if ck.Name == name {
			return ck
		}
	}
	t.Fatalf("%s has no %s cookie", u.Name, name)
	return nil
}

// visit sends one request with exactly the given cookie (and Host), as an
// attacker replaying it would, and returns the status and Location.
func visit(t *testing.T, base, method, path, host string, ck *http.Cookie, form url.Values, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if host != "" {
		req.Host = host
	}
	if ck != nil {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// userID finds a demo user's id through the city's API.
func userID(t *testing.T, s *servertest.Server, city, admin, login string) int64 {
	t.Helper()
	r := s.Call("GET", "/t/"+city+"/api/v1/users", admin, nil)
	var us struct {
		Items []struct {
			ID    int64  `json:"id"`
			Login string `json:"login"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &us); err != nil {
		t.Fatalf("users: %v %s", err, r.Body)
	}
	for _, u := range us.Items {
		if u.Login == login {
			return u.ID
		}
	}
	t.Fatalf("no user %s in %s: %s", login, city, r.Body)
	return 0
}

// Page sessions from the attacker's side: a forged or garbage cookie, a
// session of one city shown to another (by path and by host), a vendor
// session in a city and a city session at the vendor, a session replayed
// after logout, after a password change, after its user is disabled or
// gets another role, and the id from before a login (fixation).
func TestAttackPageSessions(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			admin := s.Login("kazan", "admin")
			loggedIn := func(ck *http.Cookie, path, host string) bool {
				status, _, _ := visit(t, base, "GET", path, host, ck, nil)
				return status == http.StatusOK
			}

			// Fixation: the id a visitor (or an attacker who planted it)
			// holds before the login is not the session after it.
			anon := webtest.LogIn(t, base, "/t/kazan/login", "planted", "")
			planted := sessionCookie(t, anon, base, web.CityCookie)
			disp := webtest.LogIn(t, base, "/t/kazan/login", "dispatcher", "dispatcher")
			dispCk := sessionCookie(t, disp, base, web.CityCookie)
			if !loggedIn(dispCk, "/t/kazan/desk/", "") {
				t.Fatal("the dispatcher's session does not open the desk")
			}
			fixed := webtest.LogIn(t, base, "/t/kazan/login", "fixed", "")
			before := sessionCookie(t, fixed, base, web.CityCookie)
			if st, _ := fixed.Post(t, base, "/t/kazan/login", url.Values{"login": {"dispatcher"}, "password": {"demo"}, "csrf_token": {fixed.CSRF}}); st != http.StatusSeeOther {
				t.Fatalf("login: %d", st)
			}
			after := sessionCookie(t, fixed, base, web.CityCookie)
			if after.Value == before.Value || loggedIn(before, "/t/kazan/desk/", "") || loggedIn(planted, "/t/kazan/desk/", "") {
				t.Errorf("the id from before the login is logged in (fixation): before %q after %q", before.Value, after.Value)
			}

			// Forged and garbage cookies are anonymous visitors.
			for _, v := range []string{"", "garbage", strings.Repeat("A", len(dispCk.Value)), dispCk.Value + "x",
				"eyJ0IjoiYWRtaW4ifQ.c2ln", admin} {
				if loggedIn(&http.Cookie{Name: web.CityCookie, Value: v}, "/t/kazan/desk/", "") {
					t.Errorf("forged cookie %q opened the desk", v)
				}
			}

			// A Kazan session is unknown in Nizhnekamsk, by path and by host,
			// and no credential for the JSON API.
			kazanAdmin := webtest.LogIn(t, base, "/t/kazan/login", "admin", "admin")
			adminCk := sessionCookie(t, kazanAdmin, base, web.CityCookie)
			if !loggedIn(adminCk, "/t/kazan/admin/", "") {
				t.Fatal("the admin's session does not open the console")
			}
			if loggedIn(adminCk, "/t/nizhnekamsk/admin/", "") {
				t.Error("a Kazan session opened Nizhnekamsk's console by path")
			}
			if loggedIn(adminCk, "/t/nizhnekamsk/admin/", "nizhnekamsk.opencity.test") {
				t.Error("a Kazan session opened Nizhnekamsk's console by host")
			}
			if st, _, _ := visit(t, base, "GET", "/api/v1/requests", "nizhnekamsk.opencity.test", adminCk, nil); st != http.StatusUnauthorized {
				t.Errorf("a Kazan session at Nizhnekamsk's API by host: %d", st)
			}
			if st, _, _ := visit(t, base, "GET", "/t/kazan/api/v1/requests", "", adminCk, nil); st != http.StatusUnauthorized {
				t.Errorf("a page session as an API credential: %d", st)
			}

			// A vendor session is no city session, and the other way round,
			// whatever the cookie is called.
			vendor := webtest.LogIn(t, base, "/admin/login", "vendor", "vendor")
			vendorCk := sessionCookie(t, vendor, base, web.VendorCookie)
			if !loggedIn(vendorCk, "/admin/", "") {
				t.Fatal("the vendor's session does not open the vendor console")
			}
			if loggedIn(&http.Cookie{Name: web.CityCookie, Value: vendorCk.Value}, "/t/kazan/admin/", "") {
				t.Error("a vendor session opened a city console")
			}
			if loggedIn(&http.Cookie{Name: web.VendorCookie, Value: adminCk.Value}, "/admin/", "") {
				t.Error("a city session opened the vendor console")
			}

			// CSRF on a console form: missing, forged, another session's, or
			// replaced by a bearer header — all refused, nothing created.
			other := webtest.LogIn(t, base, "/t/kazan/login", "other", "")
			form := func(csrf string) url.Values {
				return url.Values{"code": {"csrf-probe"}, "name_ru": {"Проба"}, "name_en": {"Probe"}, "csrf_token": {csrf}}
			}
			for name, f := range map[string]url.Values{"missing": form(""), "forged": form("forged"), "another session's": form(other.CSRF)} {
				if st, _, _ := visit(t, base, "POST", "/t/kazan/admin/districts", "", adminCk, f); st != http.StatusForbidden {
					t.Errorf("CSRF token %s: %d", name, st)
				}
			}
			if st, _, _ := visit(t, base, "POST", "/t/kazan/admin/districts", "", adminCk, form(""), "Authorization", "Bearer "+admin); st != http.StatusForbidden {
				t.Errorf("a bearer header instead of the CSRF token, with the session: %d", st)
			}
			if st, _, _ := visit(t, base, "POST", "/t/kazan/admin/districts", "", nil, form(""), "Authorization", "Bearer "+admin); st != http.StatusForbidden {
				t.Errorf("a bearer header instead of the CSRF token: %d", st)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/districts", admin, nil); strings.Contains(string(r.Body), "csrf-probe") {
				t.Error("a refused form created a district")
			}

			// Logout ends the session for whoever kept a copy.
			if st, _ := kazanAdmin.Post(t, base, "/t/kazan/logout", url.Values{"csrf_token": {kazanAdmin.CSRF}}); st != http.StatusSeeOther {
				t.Fatalf("logout: %d", st)
			}
			if loggedIn(adminCk, "/t/kazan/admin/", "") {
				t.Error("the session works after logout")
			}

			// A password change (through the API) ends the user's page sessions.
			cit := webtest.LogIn(t, base, "/t/kazan/login", "citizen", "citizen")
			citCk := sessionCookie(t, cit, base, web.CityCookie)
			if !loggedIn(citCk, "/t/kazan/new", "") {
				t.Fatal("the citizen's session does not open the form")
			}
			citToken := s.Login("kazan", "citizen")
			if r := s.Call("POST", "/t/kazan/api/v1/auth/password", citToken, map[string]string{"current": "demo", "new": "a new secret 42"}); r.Status != http.StatusNoContent {
				t.Fatalf("password change: %d %s", r.Status, r.Body)
			}
			if loggedIn(citCk, "/t/kazan/new", "") {
				t.Error("the session works after the password change")
			}

			// A disabled user's and a user with another role's sessions end.
			op := webtest.LogIn(t, base, "/t/kazan/login", "operator", "operator")
			opCk := sessionCookie(t, op, base, web.CityCookie)
			if !loggedIn(opCk, "/t/kazan/office/", "") {
				t.Fatal("the operator's session does not open the office")
			}
			if r := s.Call("PATCH", fmt.Sprintf("/t/kazan/api/v1/users/%d", userID(t, s, "kazan", admin, "operator")), admin, map[string]bool{"active": false}); r.Status != 200 {
				t.Fatalf("disable: %d %s", r.Status, r.Body)
			}
			if loggedIn(opCk, "/t/kazan/office/", "") {
				t.Error("the session works after the user was disabled")
			}
			if r := s.Call("PATCH", fmt.Sprintf("/t/kazan/api/v1/users/%d", userID(t, s, "kazan", admin, "dispatcher")), admin, map[string]string{"role": "analyst"}); r.Status != 200 {
				t.Fatalf("role change: %d %s", r.Status, r.Body)
			}
			if st, loc, _ := visit(t, base, "GET", "/t/kazan/desk/", "", dispCk, nil); st != http.StatusSeeOther || !strings.Contains(loc, "/login") {
				t.Errorf("the session after a role change: %d %s", st, loc)
			}
		})
	}
}
