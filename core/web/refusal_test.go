package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Refusal pages fit their reader: a logged-in user refused a page is
// offered their own home page, not the login; an anonymous visitor's 404
// offers the login; a login form that is too large says so without
// talking about photos; a wrong invitation link says so in the city's
// language before any password is typed.
func TestRefusalPagesFitTheReader(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			disp := webtest.LogIn(t, base, "/t/kazan/login", "dispatcher", "dispatcher")
			status, _, body := disp.Get(t, base, "/t/kazan/admin/users")
			if status != http.StatusForbidden || !strings.Contains(body, `id="home-link" href="/t/kazan/desk/"`) && !strings.Contains(body, `href="/t/kazan/desk/" id="home-link"`) ||
				strings.Contains(body, `id="login-link"`) {
				t.Errorf("403 page of a logged-in dispatcher: %d %s", status, body)
			}
			anon := webtest.LogIn(t, base, "/t/kazan/login", "anonymous", "")
			if _, _, body := anon.Get(t, base, "/t/kazan/track/no-such-code"); !strings.Contains(body, `id="login-link"`) {
				t.Errorf("404 page of an anonymous visitor offers no login: %s", body)
			}

			resp, err := anon.Client.PostForm(base+"/t/kazan/login", url.Values{"csrf_token": {anon.CSRF}, "login": {strings.Repeat("a", 2<<20)}})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b := string(raw)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(b, "Форма больше, чем принимает эта страница") || strings.Contains(b, "фото") {
				t.Errorf("413 on the login form: %d %s", resp.StatusCode, b)
			}

			status, _, body = anon.Get(t, base, "/t/kazan/invite?token=made-up")
			if status != http.StatusNotFound || !strings.Contains(body, "приглашение неизвестно, использовано или истекло") || strings.Contains(body, `name="password"`) {
				t.Errorf("a made-up invitation: %d %s", status, body)
			}
		})
	}
}
