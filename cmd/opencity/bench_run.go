package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// benchRun measures every scenario of the performance budget beside a
// baseline taken in the same run, on the PostgreSQL of DATABASE_URL.
func benchRun(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("bench run [flags]", "Measures every scenario of the performance budget beside its same-run baseline.\n"+
		"The big city is generated first when it has no history. Needs DATABASE_URL (PostgreSQL).", out)
	var h historyFlags
	h.register(fs)
	c := fs.Int("c", 8, "concurrent workers (and pgbench clients)")
	d := fs.Duration("duration", 10*time.Second, "how long each load scenario runs")
	pageRate := fs.Float64("page-rate", 100, "pages a second for the queue and request page latency (14 dispatcher desks and the organizations' offices)")
	cities := fs.Int("cities", 500, "cities of the no-op migration run")
	memCities := fs.Int("memory-cities", 1000, "cities provisioned for the memory figure (the scratch database of the migration run, grown)")
	memUsed := fs.Int("memory-used", 200, "cities of those the memory figure uses")
	save := fs.String("out", "deploy/bench/results.json", "where to save the results")
	conditions := fs.String("conditions", "", "load conditions to note in the report (other work on the machine)")
	write := fs.Bool("write-readme", false, "also write the results into README.md")
	deskRate := fs.Float64("desk-rate", 10, "requests a second for the desk and the search box (the dispatch centre at peak: 14 desks)")
	hqRate := fs.Float64("hq-rate", 10, "pages a second for HQ's pages and the public statistics (a few analysts at once, the portal's visitors)")
	hqIntakeRate := fs.Float64("hq-intake-rate", 1, "requests a second received while HQ's pages are read: five times as many writes as Kazan's busiest heating-season day (3,000 requests and their transitions, some 18,000 writes a day)")
	var country countryFlags
	country.register(fs)
	only := fs.String("only", "", "run only these groups of scenarios, comma-separated: "+strings.Join(benchGroups, ", ")+" (all by default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	run := map[string]bool{}
	for _, g := range strings.Split(*only, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !slices.Contains(benchGroups, g) {
			return fmt.Errorf("bench run: --only: unknown group %q (%s)", g, strings.Join(benchGroups, ", "))
		}
		run[g] = true
	}
	all := len(run) == 0
	if !all && *write {
		return errors.New("bench run: --write-readme needs a complete run, without --only")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("bench run needs DATABASE_URL: the baselines are pgbench on the same PostgreSQL")
	}
	b, err := tenants.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer b.Close()
	rep := bench.Report{Machine: bench.Machine(), Date: time.Now().UTC(),
		Command: "opencity bench run " + shellWords(args)}
	var autovacuum string
	if rep.Database, autovacuum, err = bench.DatabaseSettings(ctx, b.Control); err != nil {
		return err
	}
	if autovacuum != "on" {
		fmt.Fprintln(out, "warning: autovacuum is off on this PostgreSQL, as it is on no production server: the dead rows of the run's own writes stay and slow what reads them;"+
			" turn it on with psql -c \"ALTER SYSTEM SET autovacuum = on\" -c \"SELECT pg_reload_conf()\"")
	}
	loadBefore := bench.LoadAverage()
	add := func(f bench.Figure) {
		rep.Figures = append(rep.Figures, f)
		fmt.Fprintf(out, "  %-34s %s | baseline %s | target %s %s\n", f.Scenario, f.Measured, f.Baseline, f.Target, f.Verdict)
	}
	r := &benchRunner{cfg: cfg, b: b, h: h, c: *c, d: *d, pageRate: *pageRate, deskRate: *deskRate, hqRate: *hqRate, hqIntakeRate: *hqIntakeRate, out: out, add: add,
		memCities: *memCities, memUsed: *memUsed}
	// HQ first, on the city as generated: the intake scenarios add their
	// requests to today (some 18,000 in a complete run, two weeks of the
	// city's intake in one day), which would weigh on every period that
	// ends today.
	if all || run["hq"] {
		if err := r.hq(ctx); err != nil {
			return err
		}
	}
	if all || run["city"] {
		if err := r.bigCity(ctx); err != nil {
			return err
		}
	}
	if all || run["dispatch"] {
		if err := r.dispatch(ctx); err != nil {
			return err
		}
	}
	if all || run["scratch"] {
		if err := r.scratchScenarios(ctx, *cities); err != nil {
			return err
		}
	}
	if all || run["country"] {
		if err := r.country(ctx, country); err != nil {
			return err
		}
	}
	if all || run["authorization"] {
		r.authorization(ctx)
	}
	if all || run["plugin"] {
		r.plugin(ctx)
	}
	rep.Conditions = fmt.Sprintf("%d workers, %s per load scenario; load average %s before and %s after the run",
		*c, *d, loadBefore, bench.LoadAverage())
	if *conditions != "" {
		rep.Conditions += "; " + *conditions
	}
	if err := rep.Save(*save); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nsaved %s\n\n%s", *save, rep.Markdown())
	if *write {
		return benchReport([]string{"--in", *save, "--write-readme"}, out)
	}
	return nil
}

// benchGroups are the groups of scenarios bench run can be limited to, in
// the order a complete run takes them: HQ's pages, the public statistics
// and a year's league table as XLSX in the big city; its intake, queue and
// request pages; the dispatcher's desk and search box at the desk's rate;
// provisioning, memory and migrations in a scratch database; a whole
// country's peak morning in another (country); the authorization check;
// the routing plugin.
var benchGroups = []string{"hq", "city", "dispatch", "scratch", "country", "authorization", "plugin"}

type benchRunner struct {
	cfg server.Config
	b   *tenants.Backend
	h   historyFlags
	c   int
	d   time.Duration
	out io.Writer
	// pageRate is the fixed rate at which page latencies are measured;
	// deskRate the one of the desk and the search box; hqRate the one of
	// HQ's pages and the public statistics.
	pageRate, deskRate, hqRate float64
	// hqIntakeRate is the rate of the requests received while HQ's pages
	// are measured.
	hqIntakeRate float64
	// memCities are the cities provisioned for the memory figure, memUsed
	// those of them used.
	memCities, memUsed int
	add                func(bench.Figure)
}

// bigCity: intake beside pgbench, the queue page and a request's page in
// the city with the generated history.
func (r *benchRunner) bigCity(ctx context.Context) error {
	scope, err := r.city(ctx)
	if err != nil {
		return err
	}
	var count int
	var buildings []int64
	var numbers []string
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT id FROM buildings ORDER BY id").Scan(ctx, &buildings); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT number FROM requests WHERE id % 997 = 1 ORDER BY id").Scan(ctx, &numbers); err != nil {
			return err
		}
		count, err = tx.NewSelect().TableExpr("requests").Count(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if len(buildings) == 0 || len(numbers) == 0 {
		return fmt.Errorf("city %s has no buildings or requests", r.h.slug)
	}
	fmt.Fprintf(r.out, "city %s: %d requests, %d buildings\n", r.h.slug, count, len(buildings))
	fmt.Fprintf(r.out, "pgbench: single-row INSERT, %d clients, %s …\n", r.c, r.d)
	// pgbench's backends end with it, and their CPU time with them: the
	// split is read inside its run, from a tenth of it to nine tenths.
	var pgSplit string
	window := make(chan struct{})
	go func() {
		defer close(window)
		margin := r.d / 10
		select {
		case <-time.After(margin):
		case <-ctx.Done():
			return
		}
		a := bench.ReadCPU(0)
		select {
		case <-time.After(r.d - 2*margin):
		case <-ctx.Done():
			return
		}
		pgSplit = a.Split(bench.ReadCPU(0))
	}()
	pg, err := bench.Pgbench(ctx, r.cfg.DatabaseURL, r.c, r.d)
	<-window
	if err != nil {
		return err
	}
	unbatched, sentOff, err := r.intakeUnbatched(ctx, buildings)
	if err != nil {
		return err
	}
	srv, err := startServerProcess(ctx, r.cfg.DatabaseURL, "OPENCITY_PPROF=true")
	if err != nil {
		return err
	}
	defer srv.stop()
	cl, err := bench.NewClient(ctx, srv.url, r.h.slug, bench.DispatcherLogin, r.h.password)
	if err != nil {
		return err
	}
	// Warm up the connections and caches.
	bench.Load{Concurrency: r.c, Duration: 2 * time.Second, Op: cl.Intake(buildings)}.Run(ctx)
	var sent dbSent
	profile := srv.cpuProfile(ctx, r.d)
	cpu0 := bench.ReadCPU(srv.cmd.Process.Pid)
	intake := sent.during(ctx, srv, func() bench.Result {
		return bench.Load{Concurrency: r.c, Duration: r.d, Op: cl.Intake(buildings)}.Run(ctx)
	})
	intakeSplit := cpu0.Split(bench.ReadCPU(srv.cmd.Process.Pid))
	if path, err := profile(); err != nil {
		fmt.Fprintf(r.out, "the server's CPU profile during intake: %v\n", err)
	} else {
		fmt.Fprintf(r.out, "the server's CPU profile during intake: go tool pprof -top %s\n", path)
	}
	r.add(bench.Figure{Scenario: fmt.Sprintf("intake POST /requests, %d workers", r.c), Measured: rate(intake) + ", " + sent.per(intake),
		Baseline: "pgbench INSERT " + rate(pg), Target: "≥ ½ pgbench", Verdict: bench.Verdict(intake.Errors == 0 && intake.Throughput >= pg.Throughput/2)})
	r.add(bench.Figure{Scenario: "CPU during intake (above)", Measured: intakeSplit, Baseline: "during pgbench: " + pgSplit + " (pgbench itself is other)"})
	r.add(bench.Figure{Scenario: fmt.Sprintf("intake without group commit (OPENCITY_INTAKE_BATCH_MAX=1), %d workers", r.c),
		Measured: rate(unbatched) + ", " + sentOff.per(unbatched), Baseline: "pgbench INSERT " + rate(pg)})
	quarter := pg.Throughput / 4
	fixed := bench.Load{Concurrency: 4 * r.c, Rate: quarter, Duration: r.d, Op: cl.Intake(buildings)}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("intake at %.0f/s (half of ½ pgbench)", quarter), Measured: "p99 " + msf(fixed.P99) + ", " + rate(fixed),
		Baseline: "pgbench INSERT p99 " + msf(pg.P99), Target: "p99 ≤ 25 ms", Verdict: bench.Verdict(fixed.Errors == 0 && fixed.P99 <= 25*time.Millisecond)})
	own := intake.Throughput / 2
	atOwn := bench.Load{Concurrency: 4 * r.c, Rate: own, Duration: r.d, Op: cl.Intake(buildings)}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("intake at %.0f/s (half of its own throughput)", own), Measured: "p99 " + msf(atOwn.P99) + ", " + rate(atOwn),
		Baseline: "pgbench INSERT p99 " + msf(pg.P99), Target: "p99 ≤ 25 ms", Verdict: bench.Verdict(atOwn.Errors == 0 && atOwn.P99 <= 25*time.Millisecond)})
	floor := bench.Load{Concurrency: r.c, Rate: r.pageRate, Duration: r.d / 2, Op: func(ctx context.Context, i int) error {
		return cl.Do(ctx, "GET", "", nil, nil, http.StatusOK)
	}}.Run(ctx)
	queue, err := cl.Queue(ctx)
	if err != nil {
		return err
	}
	qmax := bench.Load{Concurrency: r.c, Duration: r.d, Op: queue}.Run(ctx)
	q := bench.Load{Concurrency: r.c, Rate: r.pageRate, Duration: r.d, Op: queue}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("queue page GET /requests (50 rows, filters, keyset) at %.0f/s, %d requests", r.pageRate, count),
		Measured: "p95 " + msf(q.P95) + ", " + rate(q), Baseline: fmt.Sprintf("GET city info (no database) at %.0f/s: p95 %s", r.pageRate, msf(floor.P95)),
		Target: "p95 ≤ 10 ms", Verdict: bench.Verdict(q.Errors == 0 && q.P95 <= 10*time.Millisecond)})
	r.add(bench.Figure{Scenario: fmt.Sprintf("queue page, %d workers flat out", r.c), Measured: rate(qmax) + ", p95 " + msf(qmax.P95)})
	page := bench.Load{Concurrency: r.c, Rate: r.pageRate, Duration: r.d, Op: cl.RequestPage(numbers)}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("request page GET /requests/{number} at %.0f/s", r.pageRate), Measured: "p95 " + msf(page.P95) + ", " + rate(page),
		Baseline: "GET city info p95 " + msf(floor.P95)})
	cur, peak := srv.memory()
	r.add(bench.Figure{Scenario: "server memory after the load above (1 big city)", Measured: fmt.Sprintf("RSS %d MB, peak %d MB", cur, peak)})
	for _, x := range []struct {
		name string
		r    bench.Result
	}{{"pgbench", pg}, {"intake", intake}, {"intake unbatched", unbatched}, {"intake ¼ pgbench", fixed}, {"intake ½ own", atOwn}, {"queue flat out", qmax}, {"queue", q}, {"request page", page}, {"city info", floor}} {
		fmt.Fprintf(r.out, "    %-18s %s\n", x.name, x.r)
	}
	return nil
}

// city is the big city's scope, its history generated first when it has
// no requests.
func (r *benchRunner) city(ctx context.Context) (store.Scope, error) {
	scope, err := r.b.Scope(r.h.slug)
	var count int
	if err == nil {
		err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			count, err = tx.NewSelect().TableExpr("requests").Count(ctx)
			return err
		})
	}
	if err != nil || count == 0 {
		if err := r.h.generate(ctx, r.b, r.out); err != nil {
			return nil, err
		}
		return r.b.Scope(r.h.slug)
	}
	return scope, nil
}

// shellWords quotes the arguments that need it, so the command can be rerun.
func shellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " '\"$;&|()") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

func rate(r bench.Result) string {
	s := fmt.Sprintf("%.0f/s (p50 %s, p99 %s)", r.Throughput, msf(r.P50), msf(r.P99))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors: %s", r.Errors, r.FirstError)
	}
	return s
}

func msf(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// serverProcess is `opencity serve` started by the bench, so its memory is
// its own.
type serverProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	dir  string
}

func startServerProcess(ctx context.Context, databaseURL string, env ...string) (*serverProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dir, err := os.MkdirTemp("", "opencity-bench-server-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve", "--addr", addr)
	cmd.Env = append(append(os.Environ(), "DATABASE_URL="+databaseURL, "OPENCITY_DATA="+dir, "STRIPE_SECRET_KEY=",
		"OPENCITY_METRICS_TOKEN="+benchMetricsToken), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProcess{cmd: cmd, url: "http://" + addr, done: make(chan error, 1), dir: dir}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the server exited: %v: %s", err, log)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, errors.New("the server did not become ready in 2 minutes")
}

// memory is the server's resident memory now and at its peak, in MB.
func (s *serverProcess) memory() (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1, -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(l, "VmRSS: %d kB", &kb); err == nil {
			cur = kb / 1024
		}
		if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return cur, peak
}

func (s *serverProcess) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// scratchDatabase creates an empty database beside the one of databaseURL
// and returns its URL and a function that drops it.
func scratchDatabase(ctx context.Context, databaseURL string) (string, func(), error) {
	// Dropping a database of hundreds of schemas can take longer than
	// the driver's default read timeout.
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(databaseURL), pgdriver.WithReadTimeout(5*time.Minute)))
	buf := make([]byte, 5)
	_, _ = rand.Read(buf)
	name := "opencity_bench_" + hex.EncodeToString(buf)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		// A database of a thousand cities on a busy machine takes minutes
		// to drop (its checkpoint waits for the others' writes).
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop scratch database %s: %v\n", name, err)
		}
		admin.Close()
	}
	return u.String(), drop, nil
}

// scratchBackend opens a backend over a new scratch database
// (scratchDatabase); done closes it and drops the database.
func (r *benchRunner) scratchBackend(ctx context.Context) (b *tenants.Backend, dbURL string, done func(), err error) {
	dbURL, drop, err := scratchDatabase(ctx, r.cfg.DatabaseURL)
	if err != nil {
		return nil, "", nil, err
	}
	if b, err = tenants.Open(ctx, dbURL, r.cfg.DataDir); err != nil {
		drop()
		return nil, "", nil, err
	}
	return b, dbURL, func() { b.Close(); drop() }, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// authorization times the one check every route makes beside a plain map
// lookup, in this process.
func (r *benchRunner) authorization(ctx context.Context) {
	authz := core.StaticAuthorizer(core.DefaultPolicies)
	const n = 200_000
	roles := []core.Role{core.RoleDispatcher, core.RoleCitizen, core.RoleOrgOperator, core.RoleAnalyst}
	start := time.Now()
	allowed := 0
	for i := 0; i < n; i++ {
		if ok, _ := authz.Allowed(ctx, r.h.slug, roles[i%len(roles)], core.ObjRequests, core.ActCreate); ok {
			allowed++
		}
	}
	per := time.Since(start) / n
	m := map[string]bool{}
	for _, p := range core.DefaultPolicies {
		m[string(p.Role)+"\x00"+p.Obj+"\x00"+p.Act] = true
	}
	start = time.Now()
	hits := 0
	for i := 0; i < n; i++ {
		if m[string(roles[i%len(roles)])+"\x00"+core.ObjRequests+"\x00"+core.ActCreate] {
			hits++
		}
	}
	base := time.Since(start) / n
	r.add(bench.Figure{Scenario: "authorization check (Authorizer.Allowed)", Measured: fmt.Sprintf("%d ns/op", per.Nanoseconds()),
		Baseline: fmt.Sprintf("map lookup %d ns/op", base.Nanoseconds())})
	_ = allowed + hits
}
