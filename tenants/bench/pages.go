package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// PageClient reads one city's pages at a running server as one user logged
// in through the login page: a session cookie, as in a browser.
type PageClient struct {
	City string // e.g. http://127.0.0.1:8080/t/kazan
	HTTP *http.Client
	csrf string // the session's CSRF token, once Post read it
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// NewPageClient logs login in through the city's login page at server base
// (keep-alive connections for concurrent workers); an empty login stays
// anonymous, for the public pages.
func NewPageClient(ctx context.Context, base, slug, login, password string) (*PageClient, error) {
	return NewPageClientVia(ctx, &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}, base, slug, login, password)
}

// NewPageClientVia is NewPageClient whose connections go through rt (e.g.
// From: a transport of another client address).
func NewPageClientVia(ctx context.Context, rt http.RoundTripper, base, slug, login, password string) (*PageClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &PageClient{City: strings.TrimRight(base, "/") + "/t/" + url.PathEscape(slug),
		HTTP: &http.Client{Jar: jar, Timeout: 60 * time.Second,
			Transport:     rt,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if login == "" {
		return c, nil
	}
	page, err := c.Get(ctx, "/login")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("the login page of %s has no CSRF token", slug)
	}
	form := url.Values{"login": {login}, "password": {password}, "csrf_token": {string(m[1])}}
	req, err := http.NewRequestWithContext(ctx, "POST", c.City+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("log in as %s through the page: %d %s", login, resp.StatusCode, bytes.TrimSpace(body))
	}
	return c, nil
}

// Get reads the page at path (below the city, e.g. "/hq/") and returns its
// body; an answer other than 200 is an error.
func (c *PageClient) Get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.City+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Method: "GET", Path: path, Status: resp.StatusCode, Body: string(bytes.TrimSpace(body[:min(len(body), 300)]))}
	}
	return body, nil
}

// Pages returns the operation that reads one of paths per operation, in turn.
func (c *PageClient) Pages(paths []string) func(ctx context.Context, i int) error {
	return func(ctx context.Context, i int) error {
		_, err := c.Get(ctx, paths[i%len(paths)])
		return err
	}
}
