package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
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

// CheckOpenAPI validates an answer of the city API against the published
// description: status, content type and body. Answers of other paths, and
// the router's own 404 for a path outside the API, are not checked.
func CheckOpenAPI(t testing.TB, req *http.Request, r Response) {
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
		t.Errorf("%s %s: the %d answer does not match the OpenAPI description: %v\n%s", req.Method, req.URL.Path, r.Status, err, Truncate(r.Body))
	}
}
