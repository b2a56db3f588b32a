package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants/tenanttest"
)

// testServer is a running OpenCity with the demo cities, on 127.0.0.1:0.
type testServer struct {
	*Server
	t  *testing.T
	db tenanttest.DB
	// client sends the calls; nil is http.DefaultClient. The access matrix
	// uses one that does not follow redirects, to see pages' 303s.
	client *http.Client
}

func startServer(t *testing.T, kind string) *testServer {
	return startServerAt(t, kind, nil)
}

// startServerAt starts a server whose clock is now (nil: the real clock).
func startServerAt(t *testing.T, kind string, now func() time.Time) *testServer {
	t.Helper()
	db := tenanttest.New(t, kind)
	s, err := NewServer(context.Background(), Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true, BaseDomain: "opencity.test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &testServer{Server: s, t: t, db: db}
}

// response is what a test looks at in an answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

// call sends a request; host, when set, overrides the Host header.
func (s *testServer) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
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
	return s.do(req)
}

func (s *testServer) do(req *http.Request) response {
	s.t.Helper()
	client := http.DefaultClient
	if s.client != nil {
		client = s.client
	}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := response{resp.StatusCode, resp.Header, b}
	checkAgainstOpenAPI(s.t, req, r)
	return r
}

// login returns a bearer token of a demo account in a city.
func (s *testServer) login(city, login string) string {
	s.t.Helper()
	r := s.call("POST", "/t/"+city+"/api/v1/auth/token", "", map[string]string{"login": login, "password": "demo"})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("login %s@%s: %d %s", login, city, r.Status, r.Body)
	}
	return r.json(s.t)["token"].(string)
}

// submit creates a request and returns its number.
func (s *testServer) submit(city, token, description string, headers ...string) string {
	s.t.Helper()
	body := map[string]any{"category": "lift", "building_id": 1, "description": description,
		"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}}
	r := s.call("POST", "/t/"+city+"/api/v1/requests", token, body, headers...)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("submit in %s: %d %s", city, r.Status, r.Body)
	}
	return r.json(s.t)["number"].(string)
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
