package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

var (
	scriptTagRE = regexp.MustCompile(`(?i)<script[^>]*>`)
	inlineRE    = regexp.MustCompile(`(?i)<[a-z][^>]*\s(on[a-z]+|style)\s*=`)
	assetRE     = regexp.MustCompile(`(?:href|src)="(/(?:static|signup/assets)/[^"]+)"`)
)

// TestSecurityHeaders checks what a browser is told on every kind of
// answer: a Content-Security-Policy without inline code, nosniff and a
// referrer policy; pages carry no inline script, handler or style that the
// policy would block; assets come gzipped to clients that accept it; and
// /favicon.ico exists.
func TestSecurityHeaders(t *testing.T) {
	s := servertest.StartOne(t)
	admin := s.Login("kazan", "admin")
	var assets []string
	for _, path := range []string{"/t/kazan/", "/t/kazan/login", "/t/kazan/invite?token=x", "/admin/login", "/signup",
		"/t/kazan/admin/", "/t/kazan/admin/settings", "/t/kazan/desk/", "/t/kazan/api/v1", "/healthz", "/no/such/page", "/favicon.ico"} {
		resp, body := webtest.RawGet(t, s.URL()+path, "Authorization", "Bearer "+admin)
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		// A page may name further form targets (the signup: Stripe's
		// checkout), nothing else.
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "default-src 'self';") || strings.Contains(csp, "unsafe-") ||
			!strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "object-src 'none'") || !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, resp.Header.Get("X-Content-Type-Options"))
		}
		if rp := resp.Header.Get("Referrer-Policy"); rp != web.ReferrerPolicy && rp != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", path, rp)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, tag := range scriptTagRE.FindAllString(string(body), -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
		if m := inlineRE.FindString(string(body)); m != "" {
			t.Errorf("%s: inline handler or style: %s", path, m)
		}
		for _, m := range assetRE.FindAllStringSubmatch(string(body), -1) {
			assets = append(assets, m[1])
		}
	}
	if len(assets) < 3 {
		t.Fatalf("pages link only %d assets", len(assets))
	}
	for _, a := range assets {
		plain, want := webtest.RawGet(t, s.URL()+a)
		if plain.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", a, plain.StatusCode)
		}
		ct := plain.Header.Get("Content-Type")
		if !strings.Contains(ct, "css") && !strings.Contains(ct, "javascript") {
			continue
		}
		zipped, got := webtest.RawGet(t, s.URL()+a, "Accept-Encoding", "gzip, deflate, br")
		if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", a, zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unzipped, want) {
			t.Errorf("%s: the gzipped asset differs from the plain one (%v)", a, err)
		}
		if len(got) >= len(want) {
			t.Errorf("%s: gzipped %d bytes, plain %d", a, len(got), len(want))
		}
	}
	// Pages are never compressed: a CSRF token next to reflected text.
	if resp, _ := webtest.RawGet(t, s.URL()+"/t/kazan/login?next=/t/kazan/x", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("the login page is sent with Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	resp, ico := webtest.RawGet(t, s.URL()+"/favicon.ico")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/x-icon" || !bytes.HasPrefix(ico, []byte{0, 0, 1, 0}) {
		t.Errorf("/favicon.ico: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(ico))
	}
}

// TestSecurityHeadersOnEveryAnswer walks every GET route the server mounts
// — as an anonymous visitor, a city administrator and the vendor, so pages
// render as well as redirect — and the refusals answered before or beside
// the handlers (an unknown path, a body over its bound, a missing CSRF
// token, a rate limit): each answer carries the Content-Security-Policy,
// nosniff and a Referrer-Policy, and no page in it runs inline code.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.RateLimits = ratelimit.Rules{Login: ratelimit.Rule{Requests: 4, Window: time.Minute}}
			})
			base := s.URL()
			number := s.Submit("kazan", s.Login("kazan", "dispatcher"), "лифт")
			admin := webtest.LogIn(t, base, "/t/kazan/login", "admin", "admin")
			vendor := webtest.LogIn(t, base, "/admin/login", "vendor", "vendor")
			anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			headers := func(label string, resp *http.Response, body []byte) {
				t.Helper()
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self';") ||
					strings.Contains(csp, "unsafe-") || !strings.Contains(csp, "script-src 'self';") {
					t.Errorf("%s: %d with Content-Security-Policy %q", label, resp.StatusCode, csp)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: %d with X-Content-Type-Options %q", label, resp.StatusCode, resp.Header.Get("X-Content-Type-Options"))
				}
				if rp := resp.Header.Get("Referrer-Policy"); rp != web.ReferrerPolicy && rp != "no-referrer" {
					t.Errorf("%s: %d with Referrer-Policy %q", label, resp.StatusCode, rp)
				}
				if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					for _, tag := range scriptTagRE.FindAllString(string(body), -1) {
						if !strings.Contains(tag, " src=") {
							t.Errorf("%s: inline script %s", label, tag)
						}
					}
					if m := inlineRE.FindString(string(body)); m != "" {
						t.Errorf("%s: inline handler or style: %s", label, m)
					}
				}
			}
			check := func(label string, c *http.Client, req *http.Request) int {
				t.Helper()
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				headers(label, resp, body)
				return resp.StatusCode
			}
			params := regexp.MustCompile(`[:*][a-z_]+`)
			walked := 0
			for _, r := range s.Engine().Routes() {
				if r.Method != http.MethodGet {
					continue
				}
				path := params.ReplaceAllStringFunc(servertest.Concrete(r.Path, number), func(p string) string {
					if p == "*path" {
						return "discovery.json"
					}
					return "x"
				})
				for who, c := range map[string]*http.Client{"anonymous": anon, "city admin": admin.Client, "vendor": vendor.Client} {
					req, _ := http.NewRequest(http.MethodGet, base+path, nil)
					check(who+" GET "+path, c, req)
				}
				walked++
			}
			if walked < 80 {
				t.Fatalf("only %d GET routes walked", walked)
			}

			refusals := []struct {
				label  string
				status int
				req    func() *http.Request
			}{
				{"an unknown path", http.StatusNotFound, func() *http.Request {
					req, _ := http.NewRequest(http.MethodGet, base+"/t/kazan/no/such/page", nil)
					return req
				}},
				{"a body over its bound", http.StatusRequestEntityTooLarge, func() *http.Request {
					req, _ := http.NewRequest(http.MethodPost, base+"/t/kazan/login", bytes.NewReader(bytes.Repeat([]byte("a"), 2<<20)))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					return req
				}},
				{"a JSON body over its bound", http.StatusRequestEntityTooLarge, func() *http.Request {
					req, _ := http.NewRequest(http.MethodPost, base+apitest.Path("kazan", "/auth/token"), bytes.NewReader(bytes.Repeat([]byte(" "), 2<<20)))
					req.Header.Set("Content-Type", "application/json")
					return req
				}},
				{"a form without its CSRF token", http.StatusForbidden, func() *http.Request {
					req, _ := http.NewRequest(http.MethodPost, base+"/t/kazan/admin/districts", strings.NewReader("code=x"))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					return req
				}},
			}
			for _, f := range refusals {
				c := anon
				if f.status == http.StatusForbidden {
					c = admin.Client
				}
				if st := check(f.label, c, f.req()); st != f.status {
					t.Errorf("%s: %d, want %d", f.label, st, f.status)
				}
			}
			limited := s.Client.From("127.0.4.1")
			for range 4 {
				limited.LoginForm("/t/kazan/login", "citizen", "demo", "ru")
			}
			r := limited.LoginForm("/t/kazan/login", "citizen", "demo", "ru")
			headers("a login over the rate limit", &http.Response{StatusCode: r.Status, Header: r.Header}, r.Body)
			if r.Status != http.StatusTooManyRequests {
				t.Errorf("a login over the rate limit: %d", r.Status)
			}
		})
	}
}
