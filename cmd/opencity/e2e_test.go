package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// testServer is a running OpenCity with the demo cities, on 127.0.0.1:0
// (see servertest), with the helpers the tests of this package share.
type testServer struct {
	*servertest.Server
	t  *testing.T
	db tenanttest.DB
}

func startServer(t *testing.T, kind string) *testServer {
	return startServerAt(t, kind, nil)
}

// startServerAt starts a server whose clock is now (nil: the real clock).
func startServerAt(t *testing.T, kind string, now func() time.Time) *testServer {
	t.Helper()
	return wrap(t, servertest.Start(t, kind, func(c *server.Config) { c.Now = now }))
}

// wrap gives a started server this package's helpers.
func wrap(t *testing.T, s *servertest.Server) *testServer {
	return &testServer{Server: s, t: t, db: s.DB}
}

// response is what a test looks at in an answer.
type response apitest.Response

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	return apitest.Response(r).JSON(t)
}

// api is the server's client reporting to s.t.
func (s *testServer) api() *apitest.Client {
	return s.Client.WithT(s.t)
}

// call sends a request; a "Host" header overrides the request's host.
func (s *testServer) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	return response(s.api().Call(method, path, token, body, headers...))
}

func (s *testServer) do(req *http.Request) response {
	s.t.Helper()
	return response(s.api().Do(req))
}

// The token routes of a city and of the vendor.
const (
	cityToken   = "/t/kazan/api/v1/auth/token"
	vendorToken = "/api/v1/vendor/auth/token"
)

// startServerConfig starts a demo server with cfg changed by edit.
func startServerConfig(t *testing.T, kind string, edit func(*server.Config)) *testServer {
	t.Helper()
	return wrap(t, servertest.Start(t, kind, edit))
}

// page sends a page request with a bearer token (see apitest.Client.Page).
func (s *testServer) page(method, path, token string, form map[string]string, photo []byte) response {
	s.t.Helper()
	return response(s.api().Page(method, path, token, form, photo))
}

// problemFields returns the field messages of a problem document.
func problemFields(t *testing.T, r response) map[string]any {
	t.Helper()
	return apitest.Response(r).Fields(t)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// act performs a lifecycle action and returns the answer.
func (s *testServer) act(city, token, number, action string, body map[string]string) response {
	s.t.Helper()
	return response(s.api().Act(city, token, number, action, body))
}

func (s *testServer) mustAct(city, token, number, action string, body map[string]string, wantStatus string) map[string]any {
	s.t.Helper()
	return s.api().MustAct(city, token, number, action, body, wantStatus)
}

func (s *testServer) get(city, token, number string) map[string]any {
	s.t.Helper()
	return s.api().Get(city, token, number)
}

// upload posts a photo to a request through the API.
func (s *testServer) upload(city, token, number, name string, data []byte, fields ...string) response {
	s.t.Helper()
	return response(s.api().Upload(city, token, number, name, data, fields...))
}

func (s *testServer) tryRoute(city, token string, body map[string]any) map[string]any {
	s.t.Helper()
	return s.api().TryRoute(city, token, body)
}

func truncate(b []byte) string { return apitest.Truncate(b) }

func pngBytes(t *testing.T) []byte { return apitest.PNG(t) }

func orgCode(m map[string]any) string { return apitest.OrgCode(m) }

func kazanPlugin(t *testing.T) string { return servertest.KazanPlugin(t) }

// login returns a bearer token of a demo account in a city.
func (s *testServer) login(city, login string) string {
	s.t.Helper()
	return s.api().Login(city, login)
}

// submit creates a request and returns its number.
func (s *testServer) submit(city, token, description string, headers ...string) string {
	s.t.Helper()
	return s.api().Submit(city, token, description, headers...)
}

func TestHealth(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			for _, p := range []string{"/healthz", "/readyz"} {
				if r := s.call("GET", p, "", nil); r.Status != 200 {
					t.Errorf("%s: %d %s", p, r.Status, r.Body)
				}
			}
			r := s.call("GET", "/t/kazan/api/v1", "", nil)
			city := r.json(t)["city"].(map[string]any)
			if r.Status != 200 || city["name"] != "Казань" || city["timezone"] != "Europe/Moscow" {
				t.Errorf("kazan index: %d %s", r.Status, r.Body)
			}
		})
	}
}
