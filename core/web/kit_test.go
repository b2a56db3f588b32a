package web_test

import (
	"embed"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/access"
	"github.com/opencity/opencity/tenants/tenanttest"
)

//go:embed testdata/*.html
var testTemplates embed.FS

// kitServer mounts the kit and one page that only city admins may use.
func kitServer(t *testing.T, kind string) *httptest.Server {
	b := tenanttest.Open(t, kind)
	tenanttest.Provision(t, b, "testgrad")
	kit, err := web.New(web.Options{Cities: tenants.NewCities(b, "test"), Authz: access.ForBackend(b),
		Control: b.ControlSessions()})
	if err != nil {
		t.Fatal(err)
	}
	v := kit.MustViews(testTemplates, "testdata", "")
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	kit.Mount(r)
	kit.SetLanding(core.RoleCityAdmin, "secret")
	g := r.Group("/t/:slug", kit.City)
	page := func(c *gin.Context) {
		p := v.Page(c, "home_title")
		f := web.ReadForm(c)
		if c.Request.Method == http.MethodPost {
			p.Form = f.Values
			if !web.Confirmed(f) {
				v.Confirm(c, p, web.Confirmation{Question: "home_title", Action: c.Request.URL.Path, Hidden: f.Values})
				return
			}
			f.OptInt64("n")
			if err := f.Err(); err != nil {
				v.Fail(c, "page.html", p, err)
				return
			}
		}
		v.Render(c, http.StatusOK, "page.html", p)
	}
	g.GET("/secret", kit.Require(core.ObjCategories, core.ActCreate), page)
	g.POST("/secret", kit.Require(core.ObjCategories, core.ActCreate), page)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", body)
	}
	return m[1]
}

func TestKitLoginAndPageAuthorization(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			srv := kitServer(t, kind)
			base := srv.URL + "/t/testgrad"
			c := client(t)
			resp, _ := get(t, c, base+"/secret?x=1")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/t/testgrad/login?next=%2Ft%2Ftestgrad%2Fsecret%3Fx%3D1" {
				t.Fatalf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body := get(t, c, base+"/login?lang=en")
			if resp.StatusCode != 200 || !strings.Contains(body, `<label for="login">Login</label>`) {
				t.Fatalf("login page: %d %s", resp.StatusCode, body)
			}
			token := csrf(t, body)
			// No CSRF token: refused with a page, not a login.
			if resp, body = post(t, c, base+"/login", url.Values{"login": {"admin"}, "password": {"secret"}}); resp.StatusCode != 403 || !strings.Contains(body, "outdated") {
				t.Fatalf("login without CSRF: %d %s", resp.StatusCode, body)
			}
			// A wrong password is shown next to the password field.
			resp, body = post(t, c, base+"/login", url.Values{"login": {"admin"}, "password": {"wrong"}, "csrf_token": {token}})
			if resp.StatusCode != 401 || !strings.Contains(body, `id="password-error">wrong login or password`) || !strings.Contains(body, `value="admin"`) {
				t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
			}
			resp, _ = post(t, c, base+"/login", url.Values{"login": {"admin"}, "password": {"secret"}, "csrf_token": {token}, "next": {"//evil.example/"}})
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/t/testgrad/secret" {
				t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body = get(t, c, base+"/secret")
			if resp.StatusCode != 200 || !strings.Contains(body, "<h1>City requests</h1>") || !strings.Contains(body, "admin") {
				t.Fatalf("page: %d %s", resp.StatusCode, body)
			}
			// The CSRF token changed at login: the old one is refused.
			if resp, _ = post(t, c, base+"/secret", url.Values{"csrf_token": {token}}); resp.StatusCode != 403 {
				t.Fatalf("old CSRF token: %d", resp.StatusCode)
			}
			token = csrf(t, body)
			resp, body = post(t, c, base+"/secret", url.Values{"csrf_token": {token}, "n": {"x"}})
			if resp.StatusCode != 200 || !strings.Contains(body, `name="confirm"`) || !strings.Contains(body, `name="n" value="x"`) {
				t.Fatalf("confirmation step: %d %s", resp.StatusCode, body)
			}
			resp, body = post(t, c, base+"/secret", url.Values{"csrf_token": {token}, "n": {"x"}, "confirm_step": {"1"}})
			if resp.StatusCode != 422 || !strings.Contains(body, "tick the box") {
				t.Fatalf("unticked confirmation: %d %s", resp.StatusCode, body)
			}
			resp, body = post(t, c, base+"/secret", url.Values{"csrf_token": {token}, "n": {"x"}, "confirm": {"yes"}})
			if resp.StatusCode != 422 || !strings.Contains(body, `id="n-error">must be a whole number`) {
				t.Fatalf("field error: %d %s", resp.StatusCode, body)
			}
			// Notices come from the catalog only, never from the link's text.
			if _, body = get(t, c, base+"/secret?ok=saved"); !strings.Contains(body, `class="flash" role="status">Saved.`) {
				t.Fatalf("known notice: %s", body)
			}
			if _, body = get(t, c, base+"/secret?ok=Call+us+now"); strings.Contains(body, "Call us") {
				t.Fatal("a link put its own text into the page's notice")
			}
			// Russian from ?lang=, remembered by the cookie.
			get(t, c, base+"/secret?lang=ru")
			if _, body = get(t, c, base+"/secret"); !strings.Contains(body, "<h1>Обращения горожан</h1>") || !strings.Contains(body, "Выйти") {
				t.Fatalf("russian: %s", body)
			}
			// Assets: checksummed URL, cached for a year; a stale sum redirects.
			css := regexp.MustCompile(`href="(/static/[0-9a-f]+/web/base.css)"`).FindStringSubmatch(body)
			if css == nil {
				t.Fatal("no stylesheet link")
			}
			if resp, _ = get(t, c, srv.URL+css[1]); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Fatalf("asset: %d %v", resp.StatusCode, resp.Header)
			}
			if resp, _ = get(t, c, srv.URL+"/static/0000/web/base.css"); resp.StatusCode != 302 || resp.Header.Get("Location") != css[1] {
				t.Fatalf("stale asset: %d", resp.StatusCode)
			}
			// Logout ends the session: the page asks for a login again.
			if resp, _ = post(t, c, base+"/logout", url.Values{"csrf_token": {csrf(t, body)}}); resp.StatusCode != 303 {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			if resp, _ = get(t, c, base+"/secret"); resp.StatusCode != 303 {
				t.Fatalf("after logout: %d", resp.StatusCode)
			}
			if resp, _ = get(t, client(t), srv.URL+"/t/nowhere/login"); resp.StatusCode != 404 {
				t.Fatalf("unknown city: %d", resp.StatusCode)
			}
		})
	}
}

// The harness drives chromium through the login page without JavaScript
// tricks: fill, click, land on the page, screenshot.
func TestBrowserKitLogin(t *testing.T) {
	srv := kitServer(t, "sqlite")
	b := webtest.Start(t)
	b.Navigate(srv.URL + "/t/testgrad/secret?lang=en")
	if !strings.HasSuffix(b.Location(), "/t/testgrad/login?next=%2Ft%2Ftestgrad%2Fsecret%3Flang%3Den") {
		t.Fatalf("not sent to the login page: %s", b.Location())
	}
	b.Screenshot("login")
	// The browser asks for English, but the city speaks Russian and the
	// reader has chosen nothing yet: the login page is Russian.
	b.Submit("button.primary", "login", "admin", "password", "wrong")
	if got := b.Text("#password-error"); got != "неверный логин или пароль" {
		t.Fatalf("password error: %q", got)
	}
	b.Submit("button.primary", "login", "admin", "password", "secret")
	if got := b.Text("h1"); got != "City requests" {
		t.Fatalf("landed on %q at %s", got, b.Location())
	}
	b.Screenshot("logged-in")
}
