package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The attacks on logging in, rate limits and tokens, each as an attacker
// would try it, on both backends.

const (
	cityToken   = "/t/kazan/api/v1/auth/token"
	vendorToken = "/api/v1/vendor/auth/token"
)

// A body that carries data after its JSON value is refused, by every JSON
// route, before anything is counted or checked: the extra brace that once
// slipped past the login throttle logs nobody in, locked or not.
func TestAttackTrailingDataAfterJSON(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			for i := 0; i < core.LoginFailures; i++ {
				if r := s.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "guess"}); r.Status != 401 {
					t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
				}
			}
			for _, body := range []string{
				`{"login":"dispatcher","password":"demo"}}`,
				`{"login":"dispatcher","password":"demo"} {"login":"x"}`,
				`{"login":"dispatcher","password":"demo"}]`,
				`{"login":"dispatcher","password":"demo"}garbage`,
			} {
				r := s.Call("POST", cityToken, "", body)
				if r.Status != http.StatusUnprocessableEntity || r.Fields(t)["body"] == nil || strings.Contains(string(r.Body), `"token"`) {
					t.Errorf("locked login with %s: %d %s", body, r.Status, r.Body)
				}
			}
			if r := s.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "demo"}); r.Status != http.StatusTooManyRequests {
				t.Errorf("the lock did not hold: %d %s", r.Status, r.Body)
			}
			// An account that is not locked is not logged in by such a body either.
			if r := s.Call("POST", cityToken, "", `{"login":"analyst","password":"demo"}}`); r.Status != 422 {
				t.Errorf("unlocked login with a trailing brace: %d %s", r.Status, r.Body)
			}
			admin := s.Login("kazan", "admin")
			for _, c := range []struct{ method, path, token, body string }{
				{"POST", vendorToken, "", `{"login":"vendor","password":"demo"}}`},
				{"POST", "/t/kazan/api/v1/auth/register", "", `{"email":"eve@example.org","password":"long enough"}}`},
				{"POST", "/t/kazan/api/v1/auth/invite", "", `{"token":"x","password":"long enough"}}`},
				{"POST", "/t/kazan/api/v1/districts", admin, `{"code":"x1","name_ru":"Икс","name_en":"X"}{}`},
				{"POST", "/t/kazan/api/v1/requests", admin, `{"category":"lift","building_id":1,"description":"x"} 1`},
				{"POST", "/signup/api", "", `{"city_name":"Tver","slug":"tver","admin_name":"A","admin_email":"a@tver.example.org"}}`},
			} {
				r := s.Call(c.method, c.path, c.token, c.body)
				if r.Status != http.StatusUnprocessableEntity || r.Fields(t)["body"] == nil {
					t.Errorf("%s %s with trailing data: %d %s", c.method, c.path, r.Status, r.Body)
				}
			}
			if r := s.Call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "demo"}); r.Status != 201 {
				t.Errorf("vendor login: %d %s", r.Status, r.Body)
			}
		})
	}
}

// The lockout is one policy for every login path: failures counted through
// the API lock the pages, and the other way round, for city and vendor.
func TestAttackLockoutCoversEveryLoginPath(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			for i := 0; i < core.LoginFailures; i++ {
				s.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "guess"})
			}
			r := s.LoginForm("/t/kazan/login", "dispatcher", "demo", "ru")
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
				!strings.Contains(string(r.Body), "Слишком много неудачных попыток входа") {
				t.Errorf("city page after API failures: %d %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
			}
			for i := 0; i < core.LoginFailures; i++ {
				if r := s.LoginForm("/t/kazan/login", "analyst", "guess", "en"); r.Status != http.StatusUnauthorized {
					t.Fatalf("page failure %d: %d", i+1, r.Status)
				}
			}
			if r := s.Call("POST", cityToken, "", map[string]string{"login": "analyst", "password": "demo"}); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Errorf("city API after page failures: %d %s", r.Status, r.Body)
			}
			for i := 0; i < core.LoginFailures; i++ {
				if r := s.Call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "guess"}); r.Status != http.StatusUnauthorized {
					t.Fatalf("vendor failure %d: %d %s", i+1, r.Status, r.Body)
				}
			}
			r = s.LoginForm("/admin/login", "vendor", "demo", "en")
			if r.Status != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "Too many failed logins") {
				t.Errorf("vendor page after API failures: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "demo"}); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Errorf("vendor API while locked: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Fifty wrong passwords sent at once are checked exactly LoginFailures
// times, for a city user and a vendor user; the rest wait without a check.
func TestAttackParallelGuessesCountedExactly(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			for _, c := range []struct{ path, login, ip string }{
				{cityToken, "dispatcher", "127.0.0.2"},
				{vendorToken, "vendor", "127.0.0.3"},
			} {
				attacker := s.From(c.ip)
				statuses := map[int]int{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				for i := range 50 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := attacker.Call("POST", c.path, "", map[string]string{"login": c.login, "password": "guess " + string(rune('a'+i%26))})
						mu.Lock()
						statuses[r.Status]++
						mu.Unlock()
					}()
				}
				wg.Wait()
				if statuses[http.StatusUnauthorized] != core.LoginFailures || statuses[http.StatusTooManyRequests] != 50-core.LoginFailures {
					t.Errorf("%s: 50 parallel guesses answered %v, want %d checked (401) and the rest refused (429)",
						c.path, statuses, core.LoginFailures)
				}
				if r := attacker.Call("POST", c.path, "", map[string]string{"login": c.login, "password": "demo"}); r.Status != http.StatusTooManyRequests {
					t.Errorf("%s: the right password from the guessing address: %d", c.path, r.Status)
				}
			}
		})
	}
}

// A stranger who knows a login locks out only their own address: the owner
// logs in from theirs, through the API and the pages, city and vendor.
// Past LoginCeiling failures on the account the owner is slowed, not locked.
func TestAttackStrangerCannotLockOwnerOut(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			stranger := s.From("127.0.0.2")
			for _, path := range []string{cityToken, vendorToken} {
				login := map[string]string{cityToken: "dispatcher", vendorToken: "vendor"}[path]
				for i := 0; i < 3*core.LoginFailures; i++ {
					stranger.Call("POST", path, "", map[string]string{"login": login, "password": "guess"})
				}
				if r := stranger.Call("POST", path, "", map[string]string{"login": login, "password": "demo"}); r.Status != http.StatusTooManyRequests {
					t.Errorf("%s: the stranger is not locked: %d", path, r.Status)
				}
				owner := s.From("127.0.0.4")
				if r := owner.Call("POST", path, "", map[string]string{"login": login, "password": "demo"}); r.Status != http.StatusCreated {
					t.Errorf("%s: the owner is locked out by a stranger: %d %s", path, r.Status, r.Body)
				}
			}
			if r := s.From("127.0.0.5").LoginForm("/t/kazan/login", "dispatcher", "demo", "en"); r.Status != http.StatusSeeOther && r.Status != http.StatusOK {
				t.Errorf("the owner's page login: %d %s", r.Status, r.Body)
			}
			if r := s.From("127.0.0.5").LoginForm("/admin/login", "vendor", "demo", "en"); r.Status != http.StatusSeeOther {
				t.Errorf("the owner's vendor page login: %d %s", r.Status, r.Body)
			}

			// Many strangers together pass the account's ceiling: the owner
			// waits, then logs in.
			var wg sync.WaitGroup
			for i := range core.LoginCeiling/core.LoginFailures + 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := s.From("127.0.1." + string(rune('1'+i)))
					for range core.LoginFailures {
						c.Call("POST", cityToken, "", map[string]string{"login": "operator", "password": "guess"})
					}
				}()
			}
			wg.Wait()
			start := time.Now()
			if r := s.From("127.0.0.6").Call("POST", cityToken, "", map[string]string{"login": "operator", "password": "demo"}); r.Status != http.StatusCreated {
				t.Errorf("the owner past the ceiling: %d %s", r.Status, r.Body)
			}
			if took := time.Since(start); took < core.LoginCeilingDelay {
				t.Errorf("the owner past the ceiling answered in %v, want at least %v", took, core.LoginCeilingDelay)
			}
		})
	}
}

// Forwarded headers name the client only when a trusted proxy sends them:
// a direct attacker cannot rotate X-Forwarded-For to escape the lock, and
// behind a trusted proxy two clients are told apart.
func TestAttackForwardedHeaders(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			for i := 0; i < 2*core.LoginFailures; i++ {
				s.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "guess"},
					"X-Forwarded-For", "203.0.113."+string(rune('0'+i)), "X-Real-IP", "203.0.113.9"+string(rune('0'+i)))
			}
			if r := s.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "demo"},
				"X-Forwarded-For", "198.51.100.77"); r.Status != http.StatusTooManyRequests {
				t.Errorf("a spoofed X-Forwarded-For escaped the lock: %d %s", r.Status, r.Body)
			}

			p := servertest.Start(t, kind, func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
			for i := 0; i < 2*core.LoginFailures; i++ {
				p.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "guess"}, "X-Forwarded-For", "203.0.113.5")
			}
			if r := p.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "demo"}, "X-Forwarded-For", "203.0.113.5"); r.Status != http.StatusTooManyRequests {
				t.Errorf("the client behind the proxy is not locked: %d", r.Status)
			}
			if r := p.Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "demo"}, "X-Forwarded-For", "198.51.100.2"); r.Status != http.StatusCreated {
				t.Errorf("another client behind the proxy is locked out: %d %s", r.Status, r.Body)
			}
			// A host that is not a trusted proxy is its own client, whatever it forwards.
			if r := p.From("127.0.0.2").Call("POST", cityToken, "", map[string]string{"login": "dispatcher", "password": "demo"}, "X-Forwarded-For", "203.0.113.5"); r.Status != http.StatusCreated {
				t.Errorf("an untrusted host took the locked client's address: %d %s", r.Status, r.Body)
			}
			if _, err := server.New(context.Background(), server.Config{DatabaseURL: p.DB.DatabaseURL, DataDir: t.TempDir(), TrustedProxies: []string{"not an address"}}); err == nil ||
				!strings.Contains(err.Error(), "OPENCITY_TRUSTED_PROXIES") {
				t.Errorf("a bad proxy setting: %v", err)
			}
		})
	}
}

// One address may call the routes open to strangers only so often: 429 with
// Retry-After, a problem document from the API and a page in the reader's
// language from the pages; another address is not affected.
func TestAttackRateLimits(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			const n = 3
			rule := ratelimit.Rule{Requests: n, Window: time.Minute}
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.RateLimits = ratelimit.Rules{Login: rule, Register: rule, Signup: rule, Anonymous: rule, Invite: rule, Confirm: rule, Heartbeat: rule}
			})
			admin := s.Login("kazan", "admin")
			if r := s.Call("PUT", "/t/kazan/api/v1/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("anonymous submissions on: %d %s", r.Status, r.Body)
			}
			request := map[string]any{"category": "lift", "building_id": 1, "description": "Лифт стоит",
				"applicant": map[string]string{"name": "Иван", "phone": "+7 917 123-45-67"}}
			seq := 0
			families := []struct {
				name    string
				call    func(c *apitest.Client) apitest.Response
				page    string // the form that shares the limit
				fields  url.Values
				refusal string // the page's words for a refusal, in Russian
			}{
				{"login", func(c *apitest.Client) apitest.Response {
					seq++
					if seq%2 == 0 {
						return c.Call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "demo"})
					}
					return c.Call("POST", cityToken, "", map[string]string{"login": "citizen", "password": "demo"})
				}, "/t/kazan/login", url.Values{"login": {"citizen"}, "password": {"demo"}}, "Слишком много запросов"},
				{"register", func(c *apitest.Client) apitest.Response {
					seq++
					return c.Call("POST", "/t/kazan/api/v1/auth/register", "", map[string]string{
						"email": "eve" + strconv.Itoa(seq) + "@example.org", "password": "long enough"})
				}, "", nil, ""},
				{"invite", func(c *apitest.Client) apitest.Response {
					return c.Call("POST", "/t/kazan/api/v1/auth/invite", "", map[string]string{"token": "guess", "password": "long enough"})
				}, "/t/kazan/invite", url.Values{"token": {"guess"}, "password": {"long enough"}}, "Слишком много запросов"},
				{"anonymous", func(c *apitest.Client) apitest.Response {
					return c.Call("POST", "/t/kazan/api/v1/public/requests", "", request)
				}, "/t/kazan/report", url.Values{"category": {"lift"}, "description": {"Лифт стоит"}}, "Слишком много запросов"},
				{"signup", func(c *apitest.Client) apitest.Response {
					return c.Call("POST", "/signup/api", "", map[string]string{"city_name": "X", "slug": "x", "admin_name": "", "admin_email": ""})
				}, "/signup", url.Values{"city_name": {"X"}, "slug": {"x"}}, "слишком много заявок на подключение"},
				{"signup confirmation", func(c *apitest.Client) apitest.Response {
					return c.Call("POST", "/signup/api/confirm", "", map[string]string{"token": "guess"})
				}, "/signup/confirm?token=guess", url.Values{"token": {"guess"}}, "слишком много запросов"},
				{"heartbeat", func(c *apitest.Client) apitest.Response {
					return c.Call("POST", "/api/v1/vendor/fleet/heartbeat", "guess", map[string]string{"version": "1"})
				}, "", nil, ""},
			}
			for j, f := range families {
				attacker := s.From("127.0.2." + strconv.Itoa(j+1))
				for i := range n {
					if r := f.call(attacker); r.Status == http.StatusTooManyRequests {
						t.Fatalf("%s: request %d of %d refused: %s", f.name, i+1, n, r.Body)
					}
				}
				r := f.call(attacker)
				if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" ||
					r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: request %d: %d %q %s", f.name, n+1, r.Status, r.Header.Get("Retry-After"), r.Body)
				}
				if f.page != "" {
					r := attacker.FormPost(f.page, f.fields, "ru")
					if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" || !strings.Contains(string(r.Body), f.refusal) {
						t.Errorf("%s: the page over the limit: %d %q %s", f.name, r.Status, r.Header.Get("Retry-After"), r.Body)
					}
				}
				if r := f.call(s.From("127.0.3." + strconv.Itoa(j+1))); r.Status == http.StatusTooManyRequests {
					t.Errorf("%s: another address is limited too: %s", f.name, r.Body)
				}
			}
		})
	}
}

// Only a login session or an API token authenticates. Every other secret —
// an invitation (the signup's admin link too), a tracking code, a CSRF
// token, a vendor token in a city, a city token at the vendor — is refused
// as a bearer token and as a page session, and no token of another kind is
// taken as an invitation.
func TestAttackTokensOnlyForTheirPurpose(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			mp := mailtest.Start(t)
			s := servertest.Start(t, kind, func(c *server.Config) { c.SMTPURL = mp.URL() })
			base := "/t/kazan/api/v1"
			admin := s.Login("kazan", "admin")
			r := s.Call("POST", base+"/users", admin, map[string]any{"login": "newdispatcher", "name": "Новый", "role": "dispatcher"})
			if r.Status != 201 {
				t.Fatalf("invite: %d %s", r.Status, r.Body)
			}
			invite := r.JSON(t)["invite_token"].(string)
			r = s.Call("POST", "/signup/api", "", map[string]string{"city_name": "Тверь", "slug": "tver", "admin_name": "Анна", "admin_email": "anna@tver.example.org"})
			if r.Status != 201 {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			confirmLink, _ := url.Parse(mp.Link(t, "anna@tver.example.org", s.URL()+"/signup/confirm?token="))
			confirmation := confirmLink.Query().Get("token")
			link, _ := url.Parse(s.ConfirmSignup(mp, "anna@tver.example.org"))
			signupLink := link.Query().Get("token")
			if signupLink == "" {
				t.Fatalf("no token in the signup's link: %s", link)
			}
			s.WaitActive("tver")
			if r := s.Call("PUT", base+"/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("anonymous submissions on: %d %s", r.Status, r.Body)
			}
			r = s.Call("POST", base+"/public/requests", "", map[string]any{"category": "lift", "building_id": 1, "description": "Лифт стоит",
				"applicant": map[string]string{"name": "Иван", "phone": "+7 917 123-45-67"}})
			if r.Status != 201 {
				t.Fatalf("anonymous submission: %d %s", r.Status, r.Body)
			}
			tracking := r.JSON(t)["tracking_code"].(string)
			browser := webtest.LogIn(t, s.URL(), "/t/kazan/login", "anonymous", "")
			vendor := s.Call("POST", vendorToken, "", map[string]string{"login": "vendor", "password": "demo"}).JSON(t)["token"].(string)

			for name, c := range map[string]struct{ city, token string }{
				"invitation": {"kazan", invite}, "signup link": {"tver", signupLink}, "signup confirmation": {"tver", confirmation},
				"tracking code": {"kazan", tracking},
				"CSRF token":    {"kazan", browser.CSRF}, "vendor token": {"kazan", vendor},
			} {
				if r := s.Call("GET", "/t/"+c.city+"/api/v1/requests", c.token, nil); r.Status != http.StatusUnauthorized {
					t.Errorf("%s as a bearer token: %d %s", name, r.Status, r.Body)
				}
				if r := s.Page("GET", "/t/"+c.city+"/admin/", c.token, nil, nil); r.Status != http.StatusSeeOther ||
					!strings.Contains(r.Header.Get("Location"), "/login") {
					t.Errorf("%s as a page session: %d %s", name, r.Status, r.Header.Get("Location"))
				}
				// Nor as the value of a page session's cookie.
				req, _ := http.NewRequest("GET", s.URL()+"/t/"+c.city+"/admin/", nil)
				req.AddCookie(&http.Cookie{Name: web.CityCookie, Value: c.token})
				if r := s.From("127.0.0.1").Do(req); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/login") {
					t.Errorf("%s as a page session's cookie: %d %s", name, r.Status, r.Header.Get("Location"))
				}
				req, _ = http.NewRequest("GET", s.URL()+"/admin/", nil)
				req.AddCookie(&http.Cookie{Name: web.VendorCookie, Value: c.token})
				if r := s.From("127.0.0.1").Do(req); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/admin/login") {
					t.Errorf("%s as a vendor session's cookie: %d %s", name, r.Status, r.Header.Get("Location"))
				}
			}
			if r := s.Call("GET", "/api/v1/vendor/tenants", admin, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("a city token at the vendor: %d %s", r.Status, r.Body)
			}

			// A session or API token is no invitation: it sets no password
			// and keeps working.
			api := s.Call("POST", base+"/tokens", admin, map[string]string{"name": "export", "role": "analyst"}).JSON(t)["token"].(string)
			for name, token := range map[string]string{"session": admin, "API token": api} {
				if r := s.Call("POST", base+"/auth/invite", "", map[string]string{"token": token, "password": "taken over"}); r.Status != http.StatusNotFound {
					t.Errorf("%s redeemed as an invitation: %d %s", name, r.Status, r.Body)
				}
				if r := s.Call("GET", base+"/requests", token, nil); r.Status != 200 {
					t.Errorf("%s after the attempt: %d", name, r.Status)
				}
			}
			// A redeemed invitation authenticates no more than before.
			if r := s.Call("POST", base+"/auth/invite", "", map[string]string{"token": invite, "password": "new dispatcher pw"}); r.Status != 200 {
				t.Fatalf("redeem: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/requests", invite, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("a redeemed invitation as a bearer token: %d", r.Status)
			}
			s.LoginPassword("kazan", "newdispatcher", "new dispatcher pw")
		})
	}
}

// Whoever holds someone's session (a shared computer, a leaked token)
// cannot guess the account's password through the password change: it is
// checked under the login's lockout, counted with the logins of the same
// address, and the owner changes it from their own address.
func TestAttackPasswordChangeIsNoGuessingOracle(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			thief := s.From("127.0.0.2")
			stolen := s.Login("kazan", "citizen")
			change := func(c *apitest.Client, current string) apitest.Response {
				return c.Call("POST", "/t/kazan/api/v1/auth/password", stolen, map[string]string{"current": current, "new": "the owner's new 42"})
			}
			for i := 0; i < core.LoginFailures; i++ {
				if r := change(thief, "guess"); r.Status != http.StatusUnprocessableEntity || r.Fields(t)["current"] == nil {
					t.Fatalf("wrong current password %d: %d %s", i+1, r.Status, r.Body)
				}
			}
			r := change(thief, "demo")
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Fatalf("the right password after %d guesses from one address: %d %s", core.LoginFailures, r.Status, r.Body)
			}
			// The guesses count against the login from that address too.
			if r := thief.Call("POST", cityToken, "", map[string]string{"login": "citizen", "password": "demo"}); r.Status != http.StatusTooManyRequests {
				t.Errorf("a login after the guesses: %d %s", r.Status, r.Body)
			}
			// The owner, from their own address, is not locked out.
			if r := change(s.From("127.0.0.4"), "demo"); r.Status != http.StatusNoContent {
				t.Errorf("the owner's password change: %d %s", r.Status, r.Body)
			}
			s.LoginPassword("kazan", "citizen", "the owner's new 42")
		})
	}
}
