package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// CSRFField finds a form's CSRF token in a page: match[1] is the token.
var CSRFField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Session is a page visitor without a browser: a cookie jar (the page
// session), redirects not followed, and the CSRF token of the last login
// or landing page.
type Session struct {
	Name   string
	Client *http.Client
	CSRF   string
}

// Get fetches a page and returns its status, Location header and body.
func (u *Session) Get(t testing.TB, base, path string) (int, string, string) {
	t.Helper()
	resp, err := u.Client.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// Post posts a form and returns the status and the Location header.
func (u *Session) Post(t testing.TB, base, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := u.Client.PostForm(base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// LogIn logs a demo account (password "demo") in through the login page at
// loginPath of the server at base; an empty login stays anonymous, with the
// login page's CSRF token. name labels the visitor in failures.
func LogIn(t testing.TB, base, loginPath, name, login string) *Session {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &Session{Name: name, Client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, _, body := u.Get(t, base, loginPath)
	m := CSRFField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", loginPath)
	}
	u.CSRF = m[1]
	if login == "" {
		return u
	}
	resp, err := u.Client.PostForm(base+loginPath, url.Values{"login": {login}, "password": {"demo"}, "csrf_token": {u.CSRF}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
		t.Fatalf("%s cannot log in: %d %s", name, resp.StatusCode, b)
	}
	if resp.StatusCode == http.StatusSeeOther { // a landing page: its header carries the new token
		_, _, page := u.Get(t, base, resp.Header.Get("Location"))
		b = []byte(page)
	}
	if m := CSRFField.FindStringSubmatch(string(b)); m != nil {
		u.CSRF = m[1]
	}
	return u
}
