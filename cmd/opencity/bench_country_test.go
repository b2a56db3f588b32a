package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The country scenario end to end at a tiny scale: three cities with the
// bench directory play five seconds of the morning directly and through
// PgBouncer, and every route group answers without a single error. A
// correctness test of the scenario; its times mean nothing here.
func TestBenchCountry(t *testing.T) {
	db := tenanttest.New(t, "postgres")
	t.Setenv(asOpencity, "1") // the server the bench starts is this binary
	env := dbEnv(db)
	results := filepath.Join(t.TempDir(), "results.json")
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "run", "--only", "country", "--country-cities", "3", "--country-buildings", "60",
		"--country-compression", "200", "--country-duration", "5s", "--duration", "1s", "--c", "2", "--out", results}, env, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	rep, err := bench.LoadReport(results)
	if err != nil {
		t.Fatal(err)
	}
	runs, groups := 0, 0
	for _, f := range rep.Figures {
		switch {
		case f.Target == "errors 0":
			runs++
			if f.Verdict != "met" || !strings.Contains(f.Measured, " 0 errors") {
				t.Errorf("%s: %s", f.Scenario, f.Measured)
			}
		case strings.HasPrefix(f.Scenario, "country · "):
			groups++
			if strings.Contains(f.Measured, "errors") || strings.Contains(f.Baseline, "errors") ||
				strings.HasSuffix(f.Measured, " 0.0/s") || !strings.HasPrefix(f.Baseline, "through PgBouncer: p50 ") {
				t.Errorf("%s: %s | %s", f.Scenario, f.Measured, f.Baseline)
			}
		}
	}
	if runs != 2 || groups != len(bench.CountryGroups) {
		t.Errorf("%d runs and %d route groups reported, want 2 and %d:\n%s", runs, groups, len(bench.CountryGroups), out.String())
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
