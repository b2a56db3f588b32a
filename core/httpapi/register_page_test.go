package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A citizen registers on the portal: reached from the login page, the phone
// written any way kept as one E.164 number (the same account logs in
// through the API with another spelling), every fault a field message in
// the page's language keeping what was typed but the password, an account
// that exists refused, the registrations of one address limited like the
// API's; "report without registration" only where the city allows it.
func TestPortalRegistration(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			login := s.Call("GET", "/t/kazan/login?next=/t/kazan/new", "", nil)
			if !strings.Contains(string(login.Body), `href="/t/kazan/register?next=%2Ft%2Fkazan%2Fnew"`) {
				t.Errorf("the login page has no way to register: %s", login.Body)
			}
			web := s.From("127.0.0.21")
			bad := url.Values{"name": {""}, "phone": {"8 (917) 55"}, "email": {"not-an-address"}, "password": {"секрет"}}
			r := web.FormPost("/t/kazan/register", bad, "ru")
			body := string(r.Body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="name-error"`) || !strings.Contains(body, `id="phone-error"`) ||
				!strings.Contains(body, `id="email-error"`) || !strings.Contains(body, `id="password-error"`) ||
				!strings.Contains(body, `value="8 (917) 55"`) || !strings.Contains(body, `value="not-an-address"`) || strings.Contains(body, "секрет") ||
				!strings.Contains(body, "Исправьте") {
				t.Errorf("a bad registration in Russian: %d %s", r.Status, body)
			}
			r = web.FormPost("/t/kazan/register", bad, "en")
			if body := string(r.Body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="phone-error"`) || strings.Contains(body, "Исправьте") {
				t.Errorf("a bad registration in English: %d %s", r.Status, body)
			}
			good := url.Values{"name": {"Анна Житель"}, "phone": {"8 (917) 555-44-33"}, "password": {"a long enough password"}}
			r = web.FormPost("/t/kazan/register?next=/t/kazan/new", good, "ru")
			if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/t/kazan/new" {
				t.Fatalf("registered: %d %q %s", r.Status, loc, r.Body)
			}
			tok := s.Call("POST", "/t/kazan/api/v1/auth/token", "", map[string]string{"login": "+7 917 555-44-33", "password": "a long enough password"})
			if tok.Status != http.StatusCreated {
				t.Errorf("the new account through the API: %d %s", tok.Status, tok.Body)
			}
			again := url.Values{"name": {"Анна"}, "phone": {"+7 917 555 44 33"}, "password": {"a long enough password"}}
			r = web.FormPost("/t/kazan/register", again, "ru")
			if body := string(r.Body); r.Status != http.StatusConflict || !strings.Contains(body, `value="&#43;7 917 555 44 33"`) {
				t.Errorf("the same phone again: %d %s", r.Status, body)
			}
			limited := false
			for i := 0; i < 30 && !limited; i++ {
				r = web.FormPost("/t/kazan/register", bad, "ru")
				limited = r.Status == http.StatusTooManyRequests
			}
			if !limited || r.Header.Get("Retry-After") == "" {
				t.Errorf("registrations from one address are not limited: %d", r.Status)
			}

			home := string(s.Call("GET", "/t/kazan/", "", nil).Body)
			if strings.Contains(home, `id="report-link"`) {
				t.Errorf("report without registration shown where the city does not allow it")
			}
			admin := s.Login("kazan", "admin")
			if r := s.Call("PUT", "/t/kazan/api/v1/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			if home := string(s.Call("GET", "/t/kazan/", "", nil).Body); !strings.Contains(home, `id="report-link"`) {
				t.Errorf("report without registration hidden where the city allows it")
			}
		})
	}
}
