package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The bench commands on small numbers: generate a 3,000-request history,
// drive each scenario at a running server and write the README section.
func TestBenchCommands(t *testing.T) {
	ctx := context.Background()
	db := tenanttest.New(t, "postgres")
	env := dbEnv(db)
	var out bytes.Buffer
	if err := run(ctx, []string{"bench", "generate", "--slug", "gen", "--requests", "3000", "--years", "1", "--buildings", "60"}, env, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "generated 3000 requests") {
		t.Fatalf("generate printed:\n%s", out.String())
	}
	for _, bad := range [][]string{{"--requests", "0"}, {"--years", "-1"}, {"--slug", "Bad Slug!"}} {
		err := run(ctx, append([]string{"bench", "generate"}, bad...), env, &out)
		if err == nil || !strings.Contains(err.Error(), "bench:") {
			t.Errorf("generate %v: %v, want a refusal", bad, err)
		}
	}
	s, err := server.New(ctx, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	line := regexp.MustCompile(`^(intake|queue|desk|request|info): (\d+) ops in \S+: \d+/s, p50 [0-9.]+ ms, p95 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms\n$`)
	for _, sc := range []string{"intake", "queue", "desk", "request", "info"} {
		out.Reset()
		err := run(ctx, []string{"bench", "load", "--url", s.URL(), "--slug", "gen", "--password", "bench", "--scenario", sc,
			"--c", "2", "--duration", "700ms", "--buildings", "60"}, env, &out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc, err, out.String())
		}
		m := line.FindStringSubmatch(out.String())
		if m == nil || m[2] == "0" {
			t.Fatalf("%s printed %q: want operations without errors and their percentiles", sc, out.String())
		}
	}
	// Intake through the load driver numbered after the history.
	out.Reset()
	if err := run(ctx, []string{"bench", "load", "--url", s.URL(), "--slug", "gen", "--scenario", "nope"}, env, &out); err == nil {
		t.Fatal("an unknown scenario was accepted")
	}

	dir := t.TempDir()
	results, readme := filepath.Join(dir, "r.json"), filepath.Join(dir, "README.md")
	rep := bench.Report{Machine: "m", Date: time.Now(), Figures: []bench.Figure{{Scenario: "intake", Measured: "1/s", Baseline: "2/s", Target: "≥ ½", Verdict: "missed"}}}
	if err := rep.Save(results); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readme, []byte("# OpenCity\n\n"+bench.ReadmeStart+"\nold\n"+bench.ReadmeEnd+"\n\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"bench", "report", "--in", results, "--write-readme", "--readme", readme}, env, &out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(readme)
	if !strings.Contains(string(got), "| intake | 1/s | 2/s | ≥ ½ | ❌ missed |") || strings.Contains(string(got), "old") ||
		!strings.HasSuffix(string(got), bench.ReadmeEnd+"\n\nend\n") {
		t.Fatalf("README:\n%s", got)
	}
}

// dbEnv is the environment of a command on db: its DATABASE_URL and
// OPENCITY_DATA, nothing else.
func dbEnv(db tenanttest.DB) func(string) string {
	return func(k string) string {
		switch k {
		case "DATABASE_URL":
			return db.DatabaseURL
		case "OPENCITY_DATA":
			return db.DataDir
		}
		return ""
	}
}

// BenchmarkIntake submits requests through the HTTP API of an in-process
// server on PostgreSQL, for profiling intake:
//
//	go test -run '^$' -bench Intake -cpuprofile cpu.out ./cmd/opencity
func BenchmarkIntake(b *testing.B) {
	ctx := context.Background()
	db := tenanttest.New(b, "postgres")
	be, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bench.PrepareCity(ctx, be, "gen", 60, "bench"); err != nil {
		b.Fatal(err)
	}
	be.Close()
	s, err := server.New(ctx, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	cl, err := bench.NewClient(ctx, s.URL(), "gen", bench.DispatcherLogin, "bench")
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 60)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	op := cl.Intake(ids)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := op(ctx, i); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
