package apitest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Scenario is one call of the API and what its answer must be. Scenarios of
// a table run in order against one server, so a scenario may rely on what
// the ones before it did.
type Scenario struct {
	Name   string
	Method string
	// Path is the request's path and query; "{name}" is replaced by the
	// client's variable name (see Client.Set). A path without a leading
	// "/t/" or "/api/" is relative to the client's city API:
	// "/requests" is /t/<city>/api/v1/requests.
	Path string
	// As is who calls; the zero value is anonymous.
	As Principal
	// Headers are added to the request; "Host" sets the request's host.
	Headers map[string]string
	// Body: nil for none, a string or []byte sent as is, anything else
	// encoded as JSON; variables are replaced in it.
	Body any

	// ExpectedStatus is the answer's status; every scenario names one.
	ExpectedStatus int
	// ExpectedContent must all occur in the answer's body;
	// NotExpectedContent must not occur in it.
	ExpectedContent    []string
	NotExpectedContent []string
	// ExpectedFields must each have a message in the problem document's
	// field errors ("errors").
	ExpectedFields []string

	// Before runs before the call, After after the checks (to keep a value
	// of the answer with Client.Set, or to check what the table cannot say).
	Before func(t testing.TB, c *Client)
	After  func(t testing.TB, c *Client, r Response)
}

// Run runs the scenarios in order, each as a subtest named by its Name.
func (c *Client) Run(t *testing.T, scenarios ...Scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) { c.WithT(t).Test(sc) })
	}
}

// Test performs one scenario and checks its answer, reporting to c.T.
func (c *Client) Test(sc Scenario) Response {
	t := c.T
	t.Helper()
	if sc.ExpectedStatus == 0 {
		t.Fatalf("scenario %q says no ExpectedStatus", sc.Name)
	}
	if sc.Before != nil {
		sc.Before(t, c)
	}
	path := c.expand(sc.Path)
	if !strings.HasPrefix(path, "/t/") && !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "http") {
		path = Path(c.City, path)
	}
	var headers []string
	for k, v := range sc.Headers {
		headers = append(headers, k, c.expand(v))
	}
	body := sc.Body
	if body != nil {
		rd, _ := encode(body)
		b, _ := io.ReadAll(rd)
		body = c.expand(string(b))
	}
	method := sc.Method
	if method == "" {
		method = http.MethodGet
	}
	r := c.Call(method, path, c.Token(sc.As), body, headers...)
	where := method + " " + path + " as " + sc.As.String()
	if r.Status != sc.ExpectedStatus {
		t.Errorf("%s: status %d, want %d: %s", where, r.Status, sc.ExpectedStatus, Truncate(r.Body))
	}
	for _, s := range sc.ExpectedContent {
		if !strings.Contains(string(r.Body), c.expand(s)) {
			t.Errorf("%s: the answer lacks %q: %s", where, s, Truncate(r.Body))
		}
	}
	for _, s := range sc.NotExpectedContent {
		if strings.Contains(string(r.Body), c.expand(s)) {
			t.Errorf("%s: the answer shows %q: %s", where, s, Truncate(r.Body))
		}
	}
	if len(sc.ExpectedFields) > 0 {
		f := r.Fields(t)
		for _, name := range sc.ExpectedFields {
			if f[name] == nil {
				t.Errorf("%s: no message for field %q in %s", where, name, Truncate(r.Body))
			}
		}
	}
	if sc.After != nil {
		sc.After(t, c, r)
	}
	return r
}
