package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/opencity/opencity/core/httpapi"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// spec loads and validates the generated OpenAPI description once.
func spec() (routers.Router, error) {
	specOnce.Do(func() {
		b, err := json.Marshal((&httpapi.API{}).OpenAPI())
		if err != nil {
			specErr = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			specErr = err
			return
		}
		if specErr = doc.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = legacy.NewRouter(doc)
	})
	return specRouter, specErr
}

var cityAPI = regexp.MustCompile(`^/t/[a-z][a-z0-9-]+/api/v1(/|$)`)

// checkAgainstOpenAPI validates every answer of the city API that the tests
// receive against the published description: status, content type and body.
func checkAgainstOpenAPI(t *testing.T, req *http.Request, r response) {
	t.Helper()
	if !cityAPI.MatchString(req.URL.Path) || r.Status == http.StatusNotFound && !strings.Contains(string(r.Body), "urn:opencity") {
		return
	}
	router, err := spec()
	if err != nil {
		t.Fatalf("the OpenAPI description is invalid: %v", err)
	}
	u := *req.URL
	u.Host, u.Scheme = "", ""
	probe := req.Clone(context.Background())
	probe.URL = &url.URL{Path: u.Path, RawQuery: u.RawQuery}
	route, params, err := router.FindRoute(probe)
	if err != nil {
		if r.Status < 400 {
			t.Errorf("%s %s answered %d but is not described: %v", req.Method, req.URL.Path, r.Status, err)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header,
		Body: io.NopCloser(bytes.NewReader(r.Body)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer does not match the OpenAPI description: %v\n%s", req.Method, req.URL.Path, r.Status, err, truncate(r.Body))
	}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Every route the server mounts for a city is in the description, and the
// description names no route the server lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := startServer(t, "sqlite")
	r := s.call("GET", "/t/kazan/api/v1/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || r.Status != 200 {
		t.Fatalf("openapi.json: %d %v", r.Status, err)
	}
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			if p == "/" {
				p = ""
			}
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	mounted := map[string]bool{}
	for _, rt := range s.Engine().Routes() {
		p, ok := strings.CutPrefix(rt.Path, "/t/:slug/api/v1")
		if !ok {
			continue
		}
		key := rt.Method + " " + httpapi.OpenAPIPath(p)
		mounted[key] = true
		if !described[key] {
			t.Errorf("%s is mounted but not in openapi.json", key)
		}
	}
	var missing []string
	for k := range described {
		if !mounted[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("described but not mounted: %v", missing)
	}
	if len(mounted) < 40 {
		t.Errorf("only %d routes mounted", len(mounted))
	}
}
