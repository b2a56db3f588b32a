package httpapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi"
)

// Every route the server mounts for a city is in the description, and the
// description names no route the server lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := servertest.StartOne(t)
	r := s.Call("GET", "/t/kazan/api/v1/openapi.json", "", nil)
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
