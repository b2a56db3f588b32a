package session_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web/session"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// newRouter serves a form, a login, a logout and a "who am I" page over
// sessions kept in st, a real database's store.
func newRouter(t *testing.T, st core.SessionStore, secure bool) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	m := session.New(func(context.Context) core.SessionStore { return st }, session.Options{Name: "s", Secure: secure})
	r := gin.New()
	load := func(c *gin.Context) {
		if err := m.Begin(c); err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.Next()
		session.Finish(c)
	}
	csrf := func(c *gin.Context) {
		if c.Request.Method == http.MethodPost && !session.Check(c) {
			c.AbortWithStatus(http.StatusForbidden)
		}
	}
	g := r.Group("", load, csrf)
	g.GET("/form", func(c *gin.Context) { c.String(200, session.Token(c.Request.Context())) })
	g.GET("/plain", func(c *gin.Context) { c.String(200, "no form") })
	g.POST("/form", func(c *gin.Context) { c.String(200, "saved "+c.PostForm("name")) })
	g.POST("/login", func(c *gin.Context) {
		id, _ := strconv.ParseInt(c.PostForm("user"), 10, 64)
		if err := m.LogIn(c, id); err != nil {
			c.AbortWithStatus(500)
			return
		}
		c.Redirect(http.StatusSeeOther, "/me")
	})
	g.POST("/logout", func(c *gin.Context) {
		if err := m.LogOut(c); err != nil {
			c.AbortWithStatus(500)
			return
		}
		c.Status(http.StatusNoContent)
	})
	g.GET("/me", func(c *gin.Context) { c.String(200, strconv.FormatInt(session.UserID(c.Request.Context()), 10)) })
	return r
}

// visit returns the session cookie and the form's CSRF token.
func visit(t *testing.T, r http.Handler, ck *http.Cookie) (*http.Cookie, string) {
	t.Helper()
	w := do(r, "GET", "/form", ck, nil, "")
	cs := w.Result().Cookies()
	if ck == nil && (len(cs) != 1 || w.Body.Len() == 0) {
		t.Fatalf("GET /form: cookies %v, token %q", cs, w.Body.String())
	}
	if len(cs) == 1 {
		ck = cs[0]
	}
	return ck, w.Body.String()
}

func do(r http.Handler, method, path string, ck *http.Cookie, form url.Values, header string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ck != nil {
		req.AddCookie(ck)
	}
	if header != "" {
		req.Header.Set(session.Header, header)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// stores are the two places sessions live, on one backend: a city's
// store and the control plane's.
func stores(t *testing.T, kind string) map[string]core.SessionStore {
	b := tenanttest.Open(t, kind)
	tenanttest.Provision(t, b, "sessgrad")
	city, err := b.Store("sessgrad")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]core.SessionStore{"city": city, "control": b.ControlSessions()}
}

func TestCSRF(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		for where, st := range stores(t, kind) {
			t.Run(kind+"/"+where, func(t *testing.T) {
				r := newRouter(t, st, false)
				ck, token := visit(t, r, nil)
				_, otherToken := visit(t, r, nil) // a token from another session
				cases := []struct {
					name   string
					cookie *http.Cookie
					form   url.Values
					header string
					want   int
				}{
					{"no token", ck, url.Values{"name": {"x"}}, "", 403},
					{"wrong token", ck, url.Values{"name": {"x"}, session.FormField: {"wrong"}}, "", 403},
					{"token of another session", ck, url.Values{"name": {"x"}, session.FormField: {otherToken}}, "", 403},
					{"right token without the cookie", nil, url.Values{"name": {"x"}, session.FormField: {token}}, "", 403},
					{"garbage cookie", &http.Cookie{Name: ck.Name, Value: "e30.AAAA"}, url.Values{session.FormField: {token}}, "", 403},
					{"forged id", &http.Cookie{Name: ck.Name, Value: strings.Repeat("A", len(ck.Value))}, url.Values{session.FormField: {token}}, "", 403},
					{"right token", ck, url.Values{"name": {"x"}, session.FormField: {token}}, "", 200},
					{"right token in the header", ck, url.Values{"name": {"x"}}, token, 200},
				}
				for _, tc := range cases {
					w := do(r, "POST", "/form", tc.cookie, tc.form, tc.header)
					if w.Code != tc.want {
						t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
					}
					if tc.want == 403 && strings.Contains(w.Body.String(), "saved") {
						t.Errorf("%s: the handler ran", tc.name)
					}
				}
			})
		}
	}
}

// TestSessionLifecycle: the cookie holds an opaque id whose hash alone is
// stored; a page without a form stores nothing; a login gives a new id (the
// one before is worthless: no fixation) and a new CSRF token; a logout
// deletes the session; expired sessions are removed.
func TestSessionLifecycle(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		for where, st := range stores(t, kind) {
			t.Run(kind+"/"+where, func(t *testing.T) {
				r := newRouter(t, st, false)
				if w := do(r, "GET", "/plain", nil, nil, ""); len(w.Result().Cookies()) != 0 {
					t.Errorf("a page without a form started a session: %v", w.Result().Cookies())
				}
				before, token := visit(t, r, nil)
				sum := sha256.Sum256([]byte(before.Value))
				hash := base64.RawURLEncoding.EncodeToString(sum[:])
				ctx := context.Background()
				if _, found, err := st.FindSession(ctx, before.Value, time.Now()); err != nil || found {
					t.Errorf("the raw id is a key of the store: %v %v", found, err)
				}
				if _, found, err := st.FindSession(ctx, hash, time.Now()); err != nil || !found {
					t.Fatalf("the session's hash is not stored: %v %v", found, err)
				}

				w := do(r, "POST", "/login", before, url.Values{"user": {"42"}, session.FormField: {token}}, "")
				if w.Code != 303 || len(w.Result().Cookies()) != 1 {
					t.Fatalf("login: %d %v", w.Code, w.Result().Cookies())
				}
				after := w.Result().Cookies()[0]
				if after.Value == before.Value || !after.HttpOnly {
					t.Fatalf("login kept the session id (fixation): %q", after.Value)
				}
				if got := do(r, "GET", "/me", after, nil, "").Body.String(); got != "42" {
					t.Errorf("after login: user %q", got)
				}
				if got := do(r, "GET", "/me", before, nil, "").Body.String(); got != "0" {
					t.Errorf("the id from before the login is logged in: user %q", got)
				}
				if w := do(r, "POST", "/form", after, url.Values{session.FormField: {token}}, ""); w.Code != 403 {
					t.Errorf("the CSRF token from before the login: %d", w.Code)
				}
				_, token = visit(t, r, after)

				w = do(r, "POST", "/logout", after, url.Values{session.FormField: {token}}, "")
				if w.Code != 204 || len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
					t.Fatalf("logout: %d %v", w.Code, w.Result().Cookies())
				}
				if got := do(r, "GET", "/me", after, nil, "").Body.String(); got != "0" {
					t.Errorf("the session works after logout: user %q", got)
				}

				kept, _ := visit(t, r, nil)
				sum = sha256.Sum256([]byte(kept.Value))
				hash = base64.RawURLEncoding.EncodeToString(sum[:])
				if n, err := st.DeleteExpiredSessions(ctx, time.Now()); err != nil {
					t.Fatal(err)
				} else if _, found, _ := st.FindSession(ctx, hash, time.Now()); !found {
					t.Errorf("a live session was removed with %d expired ones", n)
				}
				if n, err := st.DeleteExpiredSessions(ctx, time.Now().Add(session.DefaultLifetime+time.Minute)); err != nil || n < 1 {
					t.Errorf("expired sessions removed: %d %v", n, err)
				}
				if got := do(r, "GET", "/me", kept, nil, ""); got.Body.String() != "0" {
					t.Errorf("a removed session still answers: %s", got.Body)
				}
			})
		}
	}
}

func TestCookieAttributes(t *testing.T) {
	st := stores(t, "sqlite")["control"]
	r := newRouter(t, st, false)
	ck, _ := visit(t, r, nil)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
		t.Errorf("plain HTTP cookie: HttpOnly=%v SameSite=%v Secure=%v Path=%q", ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
	}
	req := httptest.NewRequest("GET", "/form", nil)
	req.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if cs := w.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("TLS request: cookie not Secure: %v", cs)
	}
	if ck, _ := visit(t, newRouter(t, st, true), nil); !ck.Secure {
		t.Error("configured Secure: cookie not Secure")
	}
}
