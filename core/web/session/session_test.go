package session

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func newRouter(t *testing.T, secure bool) (*gin.Engine, *Manager) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	m, err := New([]byte(strings.Repeat("k", 32)), secure)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	csrf := func(c *gin.Context) {
		if c.Request.Method == http.MethodPost && !Check(c) {
			c.AbortWithStatus(http.StatusForbidden)
		}
	}
	g := r.Group("", m.Load, csrf)
	g.GET("/form", func(c *gin.Context) { c.String(200, Token(c.Request.Context())) })
	g.POST("/form", func(c *gin.Context) { c.String(200, "saved "+c.PostForm("name")) })
	return r, m
}

// visit returns the session cookie and the form's CSRF token.
func visit(t *testing.T, r http.Handler) (*http.Cookie, string) {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/form", nil))
	cs := w.Result().Cookies()
	if len(cs) != 1 || w.Body.Len() == 0 {
		t.Fatalf("GET /form: cookies %v, token %q", cs, w.Body.String())
	}
	return cs[0], w.Body.String()
}

func post(r http.Handler, ck *http.Cookie, form url.Values, header string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/form", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ck != nil {
		req.AddCookie(ck)
	}
	if header != "" {
		req.Header.Set(Header, header)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestCSRF(t *testing.T) {
	r, _ := newRouter(t, false)
	ck, token := visit(t, r)
	_, otherToken := visit(t, r) // a token from another session

	cases := []struct {
		name   string
		cookie *http.Cookie
		form   url.Values
		header string
		want   int
	}{
		{"no token", ck, url.Values{"name": {"x"}}, "", 403},
		{"wrong token", ck, url.Values{"name": {"x"}, FormField: {"wrong"}}, "", 403},
		{"token of another session", ck, url.Values{"name": {"x"}, FormField: {otherToken}}, "", 403},
		{"right token without the cookie", nil, url.Values{"name": {"x"}, FormField: {token}}, "", 403},
		{"forged cookie", &http.Cookie{Name: ck.Name, Value: "e30." + "AAAA"}, url.Values{FormField: {token}}, "", 403},
		{"right token", ck, url.Values{"name": {"x"}, FormField: {token}}, "", 200},
		{"right token in the header", ck, url.Values{"name": {"x"}}, token, 200},
	}
	for _, tc := range cases {
		w := post(r, tc.cookie, tc.form, tc.header)
		if w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
		if tc.want == 403 && strings.Contains(w.Body.String(), "saved") {
			t.Errorf("%s: the handler ran", tc.name)
		}
	}
}

func TestCookieAttributes(t *testing.T) {
	r, _ := newRouter(t, false)
	ck, _ := visit(t, r)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
		t.Errorf("plain HTTP cookie: HttpOnly=%v SameSite=%v Secure=%v", ck.HttpOnly, ck.SameSite, ck.Secure)
	}
	req := httptest.NewRequest("GET", "/form", nil)
	req.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if cs := w.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("TLS request: cookie not Secure: %v", cs)
	}
	rs, _ := newRouter(t, true)
	if ck, _ := visit(t, rs); !ck.Secure {
		t.Error("configured Secure: cookie not Secure")
	}
}

func TestShortKey(t *testing.T) {
	if _, err := New([]byte("short"), false); err != ErrShortKey {
		t.Errorf("short key: %v", err)
	}
}
