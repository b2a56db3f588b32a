package apitest

import (
	"bytes"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// noRedirects makes a client return a redirect as the answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Page sends a page request with a bearer token ("" for none): form fields
// and a photo ("work.png") as multipart/form-data when given. It asks for
// English, as a foreign browser would (the pages still speak the city's
// language), and follows no redirects. An unsafe request carries a page
// session and its CSRF token, as a browser's form does: a bearer token
// does not stand in for them.
func (c *Client) Page(method, path, token string, form map[string]string, photo []byte) Response {
	c.T.Helper()
	var values url.Values
	if form != nil {
		values = url.Values{}
		for k, v := range form {
			values.Set(k, v)
		}
	}
	return c.PageForm(method, path, token, values, photo)
}

// PageForm is Page with a form whose fields may repeat, as a form with
// several inputs of one name sends them.
func (c *Client) PageForm(method, path, token string, form url.Values, photo []byte) Response {
	c.T.Helper()
	var body bytes.Buffer
	ctype := ""
	var session *http.Cookie
	if method != http.MethodGet && method != http.MethodHead {
		var csrf string
		session, csrf = c.PageSession(path)
		form = maps.Clone(form) // the caller's form may be sent again
		if form == nil {
			form = url.Values{}
		}
		if _, set := form["csrf_token"]; !set {
			form.Set("csrf_token", csrf)
		}
	}
	if form != nil || photo != nil {
		w := multipart.NewWriter(&body)
		for k, vs := range form {
			for _, v := range vs {
				w.WriteField(k, v)
			}
		}
		if photo != nil {
			fw, _ := w.CreateFormFile("photo", "work.png")
			fw.Write(photo)
		}
		w.Close()
		ctype = w.FormDataContentType()
	}
	req, err := http.NewRequest(method, c.Base+path, &body)
	if err != nil {
		c.T.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if session != nil {
		req.AddCookie(session)
	}
	req.Header.Set("Accept-Language", "en")
	resp, err := (&http.Client{CheckRedirect: noRedirects}).Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{resp.StatusCode, resp.Header, b}
}

// PageSession opens an anonymous page session for the surface of path (a
// city's pages, the vendor console or the signup) through its login or
// signup form and returns its cookie and CSRF token.
func (c *Client) PageSession(path string) (*http.Cookie, string) {
	c.T.Helper()
	form := PageSurface(path)
	resp, err := http.Get(c.Base + form)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(b)
	if len(resp.Cookies()) != 1 || m == nil {
		c.T.Fatalf("GET %s: no page session: %d %v", form, resp.StatusCode, resp.Cookies())
	}
	return resp.Cookies()[0], string(m[1])
}

// PageSurface is the form that opens a page session for path: the city's
// login, the vendor console's or the signup.
func PageSurface(path string) string {
	if strings.HasPrefix(path, "/admin/") {
		return "/admin/login"
	}
	if rest, ok := strings.CutPrefix(path, "/t/"); ok {
		slug, _, _ := strings.Cut(rest, "/")
		return "/t/" + slug + "/login"
	}
	return "/signup"
}

// From returns a copy of c that connects from the local address ip (any of
// 127.0.0.0/8 on Linux), keeps cookies and follows no redirects: another
// client, as the rate limits and lockouts see it.
func (c *Client) From(ip string) *Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	jar, _ := cookiejar.New(nil)
	cc := *c
	cc.HTTP = &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext}, CheckRedirect: noRedirects}
	return &cc
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// LoginForm posts a login page's form, in language lang.
func (c *Client) LoginForm(path, login, password, lang string) Response {
	c.T.Helper()
	return c.FormPost(path, url.Values{"login": {login}, "password": {password}}, lang)
}

// FormPost gets a page and posts its form with fields and the page's CSRF
// token, as a browser does, in language lang; a client without its own
// HTTP client posts from 127.0.0.1 with a fresh cookie jar.
func (c *Client) FormPost(path string, fields url.Values, lang string) Response {
	c.T.Helper()
	if c.HTTP == nil {
		c = c.From("127.0.0.1")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	get, err := c.HTTP.Get(c.Base + path + sep + "lang=" + lang)
	if err != nil {
		c.T.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	form := url.Values{"lang": {lang}}
	m := csrfField.FindStringSubmatch(string(body))
	if city, ok := strings.CutPrefix(path, "/t/"); ok && m == nil { // a page with no form now (a made-up invitation): the session's token is on its login page
		city, _, _ = strings.Cut(city, "/")
		if get, err = c.HTTP.Get(c.Base + "/t/" + city + "/login"); err != nil {
			c.T.Fatal(err)
		}
		body, _ = io.ReadAll(get.Body)
		get.Body.Close()
		m = csrfField.FindStringSubmatch(string(body))
	}
	if m != nil {
		form.Set("csrf_token", m[1])
	}
	for k, v := range fields {
		form[k] = v
	}
	resp, err := c.HTTP.PostForm(c.Base+path+sep+"lang="+lang, form)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{resp.StatusCode, resp.Header, b}
}
