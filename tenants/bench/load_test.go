package bench_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A fixed rate is kept, failures are counted apart from the latencies, and
// the percentiles are ordered and cover the slow operations.
func TestLoadAtAFixedRate(t *testing.T) {
	var calls atomic.Int64
	r := bench.Load{Concurrency: 4, Rate: 200, Duration: time.Second, Op: func(ctx context.Context, i int) error {
		calls.Add(1)
		if i%10 == 9 {
			return errors.New("refused")
		}
		if i%100 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}}.Run(context.Background())
	if r.Ops < 170 || r.Ops > 210 || int64(r.Ops) != calls.Load() {
		t.Fatalf("%d operations (%d calls) in a second at 200/s", r.Ops, calls.Load())
	}
	if r.Errors != r.Ops/10 || r.FirstError != "refused" {
		t.Errorf("errors %d (%q), want one in ten", r.Errors, r.FirstError)
	}
	if !(r.P50 <= r.P95 && r.P95 <= r.P99 && r.P99 <= r.Max) || r.Max < 20*time.Millisecond || r.P50 > 10*time.Millisecond {
		t.Errorf("percentiles p50 %s p95 %s p99 %s max %s", r.P50, r.P95, r.P99, r.Max)
	}
	if r.Throughput < 140 || r.Throughput > 200 {
		t.Errorf("throughput %.0f/s of successful operations, want about 180", r.Throughput)
	}
}

// Without a rate the workers go as fast as they can, and Max stops the run.
func TestLoadClosedLoop(t *testing.T) {
	r := bench.Load{Concurrency: 3, Max: 300, Op: func(ctx context.Context, i int) error {
		time.Sleep(time.Millisecond)
		return nil
	}}.Run(context.Background())
	if r.Ops != 300 || r.Errors != 0 {
		t.Fatalf("%+v: want 300 operations", r)
	}
	if r.Throughput < 500 {
		t.Errorf("3 workers doing 1 ms operations reached %.0f/s", r.Throughput)
	}
}

// The README section is replaced between its markers and nothing else moves.
func TestReplaceSection(t *testing.T) {
	doc := []byte("# OpenCity\n\nintro\n\n" + bench.ReadmeStart + "\nold table\n" + bench.ReadmeEnd + "\n\n## After\n")
	out, err := bench.ReplaceSection(doc, "| new | table |\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# OpenCity\n\nintro\n\n" + bench.ReadmeStart + "\n| new | table |\n" + bench.ReadmeEnd + "\n\n## After\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	out, err = bench.ReplaceSection([]byte("# Title\n"), "x")
	if err != nil || !strings.HasSuffix(string(out), bench.ReadmeStart+"\nx\n"+bench.ReadmeEnd+"\n") {
		t.Fatalf("without markers: %q, %v", out, err)
	}
	if _, err := bench.ReplaceSection([]byte(bench.ReadmeEnd+"\n"+bench.ReadmeStart), "x"); err == nil {
		t.Fatal("broken markers were accepted")
	}
	rep := bench.Report{Machine: "test machine", Database: "PostgreSQL 15.20, autovacuum on", Date: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		Figures: []bench.Figure{{Scenario: "queue | page", Measured: "p95 3 ms", Baseline: "1 ms", Target: "≤ 10 ms", Verdict: "met"}}}
	md := rep.Markdown()
	for _, want := range []string{"2026-11-26 20:00 UTC", "test machine", "Database: PostgreSQL 15.20, autovacuum on.", `queue \| page`, "✅ met"} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
}

// The report names the PostgreSQL it measured and the settings its figures
// depend on, read from the server itself.
func TestDatabaseSettings(t *testing.T) {
	b := tenanttest.Open(t, "postgres")
	desc, autovacuum, err := bench.DatabaseSettings(context.Background(), b.Control)
	if err != nil {
		t.Fatal(err)
	}
	if autovacuum != "on" && autovacuum != "off" {
		t.Errorf("autovacuum %q, want on or off", autovacuum)
	}
	for _, want := range []string{"PostgreSQL 1", "autovacuum " + autovacuum, "shared_buffers ", "synchronous_commit ", "max_connections "} {
		if !strings.Contains(desc, want) {
			t.Errorf("%q lacks %q", desc, want)
		}
	}
}

// pgbench gets the database's address without the driver's own timeouts,
// which libpq refuses.
func TestLibpqURL(t *testing.T) {
	got := bench.LibpqURL("postgres://postgres@127.0.0.1:5432/opencity_bench?sslmode=disable&read_timeout=600s&write_timeout=5s")
	if want := "postgres://postgres@127.0.0.1:5432/opencity_bench?sslmode=disable"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
