package open311_test

import (
	"slices"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/open311"
)

// Every lifecycle status has an extended status of FixMyStreet's list and
// a GeoReport status, and the status filters cover the lifecycle once.
func TestStatusesCoverTheLifecycle(t *testing.T) {
	var seen []core.Status
	for _, name := range []string{"open", "closed"} {
		sts, ok := open311.Statuses(name)
		if !ok {
			t.Fatalf("%s: no statuses", name)
		}
		seen = append(seen, sts...)
	}
	if len(seen) != len(core.Statuses) {
		t.Errorf("open and closed cover %v, the lifecycle has %v", seen, core.Statuses)
	}
	for _, s := range core.Statuses {
		if x := open311.ExtendedStatus(s); !slices.Contains(open311.ExtendedStatuses, x) {
			t.Errorf("%s → %q, not an extended status", s, x)
		}
	}
	if _, ok := open311.Statuses("pending"); ok {
		t.Error("pending is no GeoReport status")
	}
}

func TestAttributesRefuseMalformedKeys(t *testing.T) {
	values, bad := open311.Attributes(map[string][]string{
		"attribute[apartment]": {"12"}, "attribute[floors][]": {"1", "2"}, "attribute[x": {"1"},
		"attribute[a][b]": {"1"}, "attributes[y]": {"1"}, "attribute[]": {"1"}, "attribute[a b]": {"1"}, "description": {"d"},
	})
	if !slices.Equal(values["apartment"], []string{"12"}) || !slices.Equal(values["floors"], []string{"1", "2"}) || len(values) != 2 {
		t.Errorf("values %v", values)
	}
	slices.Sort(bad)
	if want := []string{"attribute[]", "attribute[a b]", "attribute[a][b]", "attribute[x", "attributes[y]"}; !slices.Equal(bad, want) {
		t.Errorf("bad %v, want %v", bad, want)
	}
}

func TestSplitFormat(t *testing.T) {
	for in, want := range map[string][2]string{"services.xml": {"services", "xml"}, "services/lift.json": {"services/lift", "json"},
		"requests/2026-000001.json": {"requests/2026-000001", "json"}} {
		r, f, ok := open311.SplitFormat(in)
		if !ok || r != want[0] || string(f) != want[1] {
			t.Errorf("%s: %s %s %v", in, r, f, ok)
		}
	}
	for _, in := range []string{"services", "services.csv", ".xml", "*path"} {
		if _, _, ok := open311.SplitFormat(in); ok {
			t.Errorf("%s has a format", in)
		}
	}
}
