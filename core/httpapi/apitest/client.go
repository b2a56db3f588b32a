// Package apitest runs table-driven scenarios against the city API of a
// real, running OpenCity server: each scenario names a method, a path, the
// principal who calls (anonymous, citizen, dispatcher, operator of an
// organization, analyst, city admin, vendor, another city's user), the
// body and headers, and what the answer must and must not contain. Every
// answer of the city API is also checked against the published OpenAPI
// description.
//
// The package knows the server only by its address: tests start the server
// from the real wiring (see cmd/opencity/server/servertest) on each backend
// and hand its URL to NewClient, so this package imports neither the
// control plane nor the consoles.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo"

// Client sends requests to one server as the tests' principals. Copies made
// by WithT share the principals' tokens and the variables.
type Client struct {
	// Base is the server's address, e.g. http://127.0.0.1:34567.
	Base string
	// City is the slug a principal without a city belongs to ("kazan").
	City string
	// HTTP sends the calls; nil is http.DefaultClient. The access matrix
	// uses one that does not follow redirects, to see pages' 303s.
	HTTP *http.Client
	// T receives the failures of calls made outside a scenario.
	T testing.TB

	shared *shared
}

type shared struct {
	mu     sync.Mutex
	tokens map[Principal]string
	vars   map[string]string
}

// NewClient returns a client of the server at base, for principals of city.
func NewClient(t testing.TB, base, city string) *Client {
	return &Client{Base: base, City: city, T: t, shared: &shared{tokens: map[Principal]string{}, vars: map[string]string{}}}
}

// WithT returns a copy of c that reports to t; tokens and variables stay shared.
func (c *Client) WithT(t testing.TB) *Client {
	cc := *c
	cc.T = t
	return &cc
}

// Set stores a variable: "{name}" in a scenario's path, body or headers is
// replaced by value.
func (c *Client) Set(name, value string) {
	c.shared.mu.Lock()
	c.shared.vars[name] = value
	c.shared.mu.Unlock()
}

// Var returns a variable set by Set ("" when unset).
func (c *Client) Var(name string) string {
	c.shared.mu.Lock()
	defer c.shared.mu.Unlock()
	return c.shared.vars[name]
}

// expand replaces every "{name}" of a set variable in s.
func (c *Client) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	c.shared.mu.Lock()
	defer c.shared.mu.Unlock()
	for k, v := range c.shared.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// Response is what a test looks at in an answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer as a JSON object; an answer that is not one
// fails the test.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", r.Status, Truncate(r.Body))
	}
	return m
}

// Fields returns the field-level messages of a problem document ("errors"),
// keyed by field; nil when there are none. An answer that is not a problem
// document fails the test.
func (r Response) Fields(t testing.TB) map[string]any {
	t.Helper()
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("not a problem document: %d %s", r.Status, Truncate(r.Body))
	}
	f, _ := r.JSON(t)["errors"].(map[string]any)
	return f
}

// Truncate shortens a body for a failure message.
func Truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// encode turns a body into bytes: nil is no body, a string or []byte is
// sent as is, anything else as JSON.
func encode(body any) (io.Reader, bool) {
	switch b := body.(type) {
	case nil:
		return nil, false
	case string:
		return strings.NewReader(b), true
	case []byte:
		return bytes.NewReader(b), true
	default:
		buf, _ := json.Marshal(b)
		return bytes.NewReader(buf), true
	}
}

// Call sends a request with a bearer token ("" for none). The body is sent
// as application/json unless headers say otherwise; headers are name,
// value pairs, and "Host" sets the request's host.
func (c *Client) Call(method, path, token string, body any, headers ...string) Response {
	c.T.Helper()
	rd, has := encode(body)
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	if has {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return c.Do(req)
}

// Do sends a prepared request and checks a city API answer against the
// OpenAPI description.
func (c *Client) Do(req *http.Request) Response {
	c.T.Helper()
	client := http.DefaultClient
	if c.HTTP != nil {
		client = c.HTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := Response{resp.StatusCode, resp.Header, b}
	CheckOpenAPI(c.T, req, r)
	return r
}

// Login returns a bearer token of a demo account (password "demo") in a city.
func (c *Client) Login(city, login string) string {
	c.T.Helper()
	return c.LoginPassword(city, login, DemoPassword)
}

// LoginPassword returns a bearer token of an account in a city.
func (c *Client) LoginPassword(city, login, password string) string {
	c.T.Helper()
	r := c.Call("POST", "/t/"+city+"/api/v1/auth/token", "", map[string]string{"login": login, "password": password})
	if r.Status != http.StatusCreated {
		c.T.Fatalf("login %s@%s: %d %s", login, city, r.Status, r.Body)
	}
	return r.JSON(c.T)["token"].(string)
}

// Submit creates a lift request at the demo building 1 and returns its number.
func (c *Client) Submit(city, token, description string, headers ...string) string {
	c.T.Helper()
	body := map[string]any{"category": "lift", "building_id": 1, "description": description,
		"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}}
	r := c.Call("POST", "/t/"+city+"/api/v1/requests", token, body, headers...)
	if r.Status != http.StatusCreated {
		c.T.Fatalf("submit in %s: %d %s", city, r.Status, r.Body)
	}
	return r.JSON(c.T)["number"].(string)
}

// Act performs a lifecycle action on a request and returns the answer.
func (c *Client) Act(city, token, number, action string, body map[string]string) Response {
	c.T.Helper()
	var b any
	if body != nil {
		b = body
	}
	return c.Call("POST", "/t/"+city+"/api/v1/requests/"+number+"/"+action, token, b)
}

// MustAct performs a lifecycle action that must succeed and leave the
// request in wantStatus; it returns the request.
func (c *Client) MustAct(city, token, number, action string, body map[string]string, wantStatus string) map[string]any {
	c.T.Helper()
	r := c.Act(city, token, number, action, body)
	if r.Status != 200 {
		c.T.Fatalf("%s %s: %d %s", action, number, r.Status, r.Body)
	}
	m := r.JSON(c.T)
	if m["status"] != wantStatus {
		c.T.Fatalf("%s %s: status %v, want %s", action, number, m["status"], wantStatus)
	}
	return m
}

// Get reads a request that must be readable.
func (c *Client) Get(city, token, number string) map[string]any {
	c.T.Helper()
	r := c.Call("GET", "/t/"+city+"/api/v1/requests/"+number, token, nil)
	if r.Status != 200 {
		c.T.Fatalf("get %s: %d %s", number, r.Status, r.Body)
	}
	return r.JSON(c.T)
}

// WaitFor polls cond every 50 ms until it holds, failing the test after
// 30 s with what was awaited (a webhook delivered, a job done, a mail sent).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
