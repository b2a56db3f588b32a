package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

type echoIn struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// The one adapter takes the route's input and output from the endpoint's
// types, reads the body strictly, answers the route's status (Also after
// Replayed, none without a body) and turns errors into problems.
func TestEndpointAdapter(t *testing.T) {
	gin.SetMode(gin.TestMode)
	echo := endpoint(Route{Method: "POST", Path: "/echo", Status: http.StatusCreated, Also: http.StatusOK},
		func(c *Call, in echoIn) (*echoIn, error) {
			if in.Name == "again" {
				c.Replayed()
			}
			if in.Count < 0 {
				f := core.FieldErrors{}
				f.Add("count", "must not be negative")
				return nil, f.Err()
			}
			return &in, nil
		})
	gone := endpoint(Route{Method: "DELETE", Path: "/gone", Status: http.StatusNoContent, OptionalBody: true},
		func(c *Call, in echoIn) (none, error) { return none{}, nil })
	if _, ok := echo.In.(echoIn); !ok {
		t.Errorf("In is %T, want echoIn", echo.In)
	}
	if _, ok := echo.Out.(echoIn); !ok {
		t.Errorf("Out is %T, want echoIn (a pointer answer is described by its element)", echo.Out)
	}
	if gone.Out != nil {
		t.Errorf("an endpoint answering none has Out %T", gone.Out)
	}
	r := gin.New()
	r.Handle(echo.Method, echo.Path, echo.Handler)
	r.Handle(gone.Method, gone.Path, gone.Handler)
	call := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		r.ServeHTTP(w, req)
		return w
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		field              string // the problem's field, "" for a success
	}{
		{"POST", "/echo", `{"name":"a","count":1}`, http.StatusCreated, ""},
		{"POST", "/echo", `{"name":"again"}`, http.StatusOK, ""},
		{"POST", "/echo", `{"name":"a"}` + "\n", http.StatusCreated, ""},
		{"POST", "/echo", `{"name":"a"}}`, http.StatusUnprocessableEntity, "body"},
		{"POST", "/echo", `{"name":"a"}]`, http.StatusUnprocessableEntity, "body"},
		{"POST", "/echo", `{"name":"a"} {"name":"b"}`, http.StatusUnprocessableEntity, "body"},
		{"POST", "/echo", `{"name":"a","colour":"red"}`, http.StatusUnprocessableEntity, "colour"},
		{"POST", "/echo", `{"count":"many"}`, http.StatusUnprocessableEntity, "count"},
		{"POST", "/echo", ``, http.StatusUnprocessableEntity, "body"},
		{"POST", "/echo", `{"count":-1}`, http.StatusUnprocessableEntity, "count"},
		{"DELETE", "/gone", ``, http.StatusNoContent, ""},
		{"DELETE", "/gone", `{"name":"x"}}`, http.StatusUnprocessableEntity, "body"},
	} {
		w := call(tc.method, tc.path, tc.body)
		if w.Code != tc.status {
			t.Errorf("%s %s %q: %d %s, want %d", tc.method, tc.path, tc.body, w.Code, w.Body, tc.status)
			continue
		}
		if tc.field == "" {
			if tc.status == http.StatusNoContent && w.Body.Len() != 0 {
				t.Errorf("%s %s: a body with 204: %s", tc.method, tc.path, w.Body)
			}
			continue
		}
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Header().Get("Content-Type") != ProblemJSON || p.Errors[tc.field] == "" {
			t.Errorf("%s %s %q: want a problem naming %s, got %s %s", tc.method, tc.path, tc.body, tc.field, w.Header().Get("Content-Type"), w.Body)
		}
	}
}
