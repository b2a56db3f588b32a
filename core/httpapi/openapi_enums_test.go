package httpapi_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// The description's enums are the domain's own lists.
func TestOpenAPIEnumsComeFromTheDomain(t *testing.T) {
	b, err := json.Marshal((&httpapi.API{}).OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		schema, field string
		want          []string
	}{
		{"Organization", "kind", core.OrgKinds},
		{"Organization", "utility", append([]string{""}, core.Utilities...)},
		{"Category", "utility", append([]string{""}, core.Utilities...)},
		{"Category", "default_priority", core.Names(core.Priorities)},
		{"RoutingRule", "target", core.Targets},
		{"RoutingRule", "priority", core.Names(core.Priorities)},
		{"RuleInputInput", "target", core.Targets},
	}
	for _, c := range cases {
		s, ok := doc.Components.Schemas[c.schema]
		if !ok {
			names := []string{}
			for n := range doc.Components.Schemas {
				names = append(names, n)
			}
			t.Errorf("no schema %s among %v", c.schema, names)
			continue
		}
		if got := s.Properties[c.field].Enum; fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s.%s enum %v, want the domain's %v", c.schema, c.field, got, c.want)
		}
	}
	// Every request status, wherever a status is described.
	found := false
	for name, s := range doc.Components.Schemas {
		if p, ok := s.Properties["status"]; ok && len(p.Enum) > 0 {
			found = true
			if fmt.Sprint(p.Enum) != fmt.Sprint(core.Names(core.Statuses)) {
				t.Errorf("%s.status enum %v", name, p.Enum)
			}
		}
	}
	if !found {
		t.Error("no status enum described")
	}
}
