// Package stripemock starts stripe-mock for tests and records the calls made
// to it, so tests can check what OpenCity asked Stripe for.
package stripemock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/core/testproc"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Install is how to get the stripe-mock binary the tests need.
const Install = "go install github.com/stripe/stripe-mock@v0.203.0"

// Mock is a running stripe-mock.
type Mock struct {
	URL    string
	Client *http.Client

	mu    sync.Mutex
	calls []Call
}

// Call is one request sent to stripe-mock.
type Call struct {
	Method, Path string
	Form         url.Values
}

// Start runs stripe-mock on free ports until the test ends. A missing binary
// fails the test with the command that installs it.
func Start(tb testing.TB) *Mock {
	tb.Helper()
	bin, err := testproc.Find("stripe-mock")
	if err != nil {
		tb.Fatalf("stripe-mock is needed by the billing tests; install: %s", Install)
	}
	httpPort, httpsPort := fmt.Sprint(testproc.FreePort(tb)), fmt.Sprint(testproc.FreePort(tb))
	cmd := exec.Command(bin, "-http-port", httpPort, "-https-port", httpsPort)
	logs := testproc.Start(tb, cmd)
	m := &Mock{URL: "http://127.0.0.1:" + httpPort}
	m.Client = &http.Client{Timeout: 20 * time.Second, Transport: recorder{m}}
	testproc.WaitReady(tb, "stripe-mock", 20*time.Second, 50*time.Millisecond, logs, func() error {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+httpPort, 200*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	})
	return m
}

// Calls returns the requests to a path, oldest first.
func (m *Mock) Calls(path string) []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Call
	for _, c := range m.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

type recorder struct{ m *Mock }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		form, _ = url.ParseQuery(string(b))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode < 300 {
		r.m.mu.Lock()
		r.m.calls = append(r.m.calls, Call{Method: req.Method, Path: req.URL.Path, Form: form})
		r.m.mu.Unlock()
	}
	return resp, err
}

// Signed returns a webhook payload for an event and its Stripe-Signature
// header, signed with secret as Stripe signs them.
func Signed(tb testing.TB, secret, id, typ string, created time.Time, obj map[string]any) (payload []byte, header string) {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": created.Unix(),
		"api_version": "2020-08-27", "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		tb.Fatal(err)
	}
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	return p.Payload, p.Header
}
