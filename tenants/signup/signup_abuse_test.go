package signup_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// An attacker tries to make cities: from a form on another site, with a
// body a form can send to the JSON API, under look-alike or reserved
// names, without owning the administrator's mailbox, and by using the
// confirmation link as a credential. Nothing of it makes a working city.
func TestSignupCannotBeAbused(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			mp := mailtest.Start(t)
			s := startBilling(t, kind, nil, mp)
			fields := func(slug string) url.Values {
				return url.Values{"city_name": {"Город " + slug}, "slug": {slug}, "admin_name": {"Анна"}, "admin_email": {"anna@" + slug + ".example.org"}}
			}
			available := func(slug string) bool {
				return s.Call("GET", "/signup/api/slug?slug="+slug, "", nil).JSON(t)["available"] == true
			}

			// A form posted from another site: no session, or a session but
			// not its token.
			stranger := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := stranger.PostForm(s.URL()+"/signup", fields("csrf-city"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			jar, _ := cookiejar.New(nil)
			visitor := &http.Client{Jar: jar, CheckRedirect: stranger.CheckRedirect}
			if resp, err := visitor.Get(s.URL() + "/signup"); err == nil {
				resp.Body.Close()
			}
			resp2, err := visitor.PostForm(s.URL()+"/signup", fields("csrf-city"))
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp.StatusCode != http.StatusForbidden || resp2.StatusCode != http.StatusForbidden || !available("csrf-city") {
				t.Fatalf("cross-site signup forms: %d and %d; slug still free: %v", resp.StatusCode, resp2.StatusCode, available("csrf-city"))
			}
			// The JSON API takes only application/json, which a form cannot send.
			req, _ := http.NewRequest("POST", s.URL()+"/signup/api", strings.NewReader(`{"city_name":"Город","slug":"plain-city","admin_name":"Анна","admin_email":"anna@plain-city.example.org"}`))
			req.Header.Set("Content-Type", "text/plain")
			if r := s.Do(req); r.Status != http.StatusUnprocessableEntity || !available("plain-city") {
				t.Fatalf("a text/plain signup: %d %s", r.Status, r.Body)
			}

			// Slugs are DNS labels; the server's own top-level paths are
			// reserved, whatever they are today.
			for _, slug := range []string{"kazan-", "xn--80ak6aa92e", "ab--cd", "-kazan"} {
				r := s.Call("GET", "/signup/api/slug?slug="+url.QueryEscape(slug), "", nil).JSON(t)
				if r["available"] != false || r["reason"] != "invalid" {
					t.Errorf("slug %q: %v", slug, r)
				}
				if r := s.Call("POST", "/signup/api", "", jsonFields(fields(slug))); r.Status != http.StatusUnprocessableEntity || r.Fields(t)["slug"] == nil {
					t.Errorf("signup as %q: %d %s", slug, r.Status, r.Body)
				}
			}
			reserved := map[string]bool{}
			for _, rt := range s.Engine().Routes() {
				first, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/"), "/")
				if core.ValidSlug(first) {
					reserved[first] = true
				}
			}
			for _, must := range []string{"healthz", "readyz", "admin", "signup", "static", "api", "billing"} {
				if !reserved[must] {
					t.Errorf("the server no longer serves /%s: update this test", must)
				}
			}
			for slug := range reserved {
				r := s.Call("GET", "/signup/api/slug?slug="+slug, "", nil).JSON(t)
				if r["available"] != false || r["reason"] != "reserved" {
					t.Errorf("reserved slug %q: %v", slug, r)
				}
				if r := s.Call("POST", "/signup/api", "", jsonFields(fields(slug))); r.Status != http.StatusUnprocessableEntity || r.Fields(t)["slug"] == nil {
					t.Errorf("signup as %q: %d %s", slug, r.Status, r.Body)
				}
			}

			// A signup with someone else's address: the city exists only as
			// a pending name, not served; whoever signed up gets no link.
			r := s.Call("POST", "/signup/api", "", jsonFields(fields("victim-city")))
			if r.Status != http.StatusCreated || r.JSON(t)["status"] != tenants.StatusPending || strings.Contains(string(r.Body), "token") {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/victim-city/api/v1", "", nil); r.Status != http.StatusNotFound {
				t.Fatalf("an unconfirmed city is served: %d", r.Status)
			}
			link, _ := url.Parse(mp.Link(t, "anna@victim-city.example.org", s.URL()+"/signup/confirm?token="))
			confirm := link.Query().Get("token")
			// Opening the link confirms nothing; only its button does.
			if resp, err := stranger.Get(link.String()); err != nil || resp.StatusCode != 200 {
				t.Fatalf("confirmation page: %v", err)
			} else {
				resp.Body.Close()
			}
			if st := s.CityStatus(t, "victim-city"); st != tenants.StatusPending {
				t.Fatalf("opening the link made the city %s", st)
			}
			setPassword := s.ConfirmSignup(mp, "anna@victim-city.example.org")
			if st := s.CityStatus(t, "victim-city"); st != tenants.StatusActive {
				t.Fatalf("confirmed city is %s", st)
			}
			// The confirmation link is single-purpose: once, and never a
			// credential.
			if r := s.Call("POST", "/signup/api/confirm", "", map[string]string{"token": confirm}); r.Status != http.StatusNotFound {
				t.Errorf("the confirmation link used twice: %d %s", r.Status, r.Body)
			}
			for _, p := range []string{"/t/victim-city/api/v1/requests", "/t/victim-city/api/v1/users", "/api/v1/vendor/tenants"} {
				if r := s.Call("GET", p, confirm, nil); r.Status != http.StatusUnauthorized {
					t.Errorf("the confirmation token as a bearer token on %s: %d", p, r.Status)
				}
			}
			if r := s.Call("POST", "/t/victim-city/api/v1/auth/invite", "", map[string]string{"token": confirm, "password": "taken over!"}); r.Status < 400 {
				t.Errorf("the confirmation token as the admin's invitation: %d %s", r.Status, r.Body)
			}
			page := &http.Client{}
			req, _ = http.NewRequest("GET", s.URL()+"/t/victim-city/admin/", nil)
			req.AddCookie(&http.Cookie{Name: "opencity_session", Value: confirm})
			if resp, err := page.Do(req); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(b), "logout") {
					t.Errorf("the confirmation token as a page session logged in")
				}
			}
			if !strings.Contains(setPassword, "/t/victim-city/invite?token=") || strings.Contains(setPassword, confirm) {
				t.Errorf("set-password link %s", setPassword)
			}

			// A server that cannot send e-mail takes no signups at all (and
			// says so); nothing is left behind.
			closed := startBilling(t, kind, nil, nil)
			if r := closed.Call("POST", "/signup/api", "", jsonFields(fields("no-mail-city")), "Accept-Language", "en"); r.Status != http.StatusServiceUnavailable ||
				!strings.Contains(string(r.Body), "confirmation e-mail") {
				t.Errorf("signup without SMTP: %d %s", r.Status, r.Body)
			}
			if r := closed.Call("GET", "/signup/api/slug?slug=no-mail-city", "", nil); r.JSON(t)["available"] != true {
				t.Errorf("a refused signup holds its slug: %s", r.Body)
			}
		})
	}
}

func jsonFields(v url.Values) map[string]string {
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}
