package web_test

import (
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
)

// TestUnknownAddresses: a browser that asks for a page no route serves
// gets the 404 page in the city's language (Kazan speaks Russian, whatever
// the browser prefers), never a JSON document; API clients and clients
// that do not ask for HTML keep the problem document.
func TestUnknownAddresses(t *testing.T) {
	s := servertest.StartOne(t)
	html := "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		path, accept, lang, wantType, wantText string
	}{
		{"/t/kazan/nosuchpage", html, "en", "text/html", "Страница не найдена"},
		{"/t/kazan/admin/nosuch", html, "en", "text/html", "Страница не найдена"},
		{"/t/kazan/desk/nosuch", html, "ru", "text/html", "Страница не найдена"},
		{"/no/such/page", html, "en", "text/html", "not found"},
		{"/t/kazan/api/v1/nosuch", html, "en", "application/problem+json", "urn:opencity:problem:not_found"},
		{"/t/kazan/nosuchpage", "application/json", "en", "application/problem+json", "urn:opencity:problem:not_found"},
	} {
		resp, body := webtest.RawGet(t, s.URL()+tc.path, "Accept", tc.accept, "Accept-Language", tc.lang)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != 404 || !strings.HasPrefix(ct, tc.wantType) || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(tc.wantText)) {
			t.Errorf("GET %s (Accept %s): %d %s, want 404 %s with %q; body: %.300s", tc.path, tc.accept, resp.StatusCode, ct, tc.wantType, tc.wantText, body)
		}
	}
}
