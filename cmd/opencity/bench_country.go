package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/pgproc"
	"golang.org/x/crypto/bcrypt"
)

// countryFlags are the options of the country scenario.
type countryFlags struct {
	cities, buildings int
	day, compression  float64
	duration          time.Duration
	pgbouncer         bool
}

func (f *countryFlags) register(fs interface {
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.IntVar(&f.cities, "country-cities", 100, "country: cities provisioned, each with the bench directory, all under load")
	fs.IntVar(&f.buildings, "country-buildings", 500, "country: buildings in each city's registry")
	fs.Float64Var(&f.day, "country-day", 3000, "country: requests a city receives a day at the heating season's start")
	fs.Float64Var(&f.compression, "country-compression", 20, "country: how many times faster than real time the morning's busiest hour is played")
	fs.DurationVar(&f.duration, "country-duration", 90*time.Second, "country: how long each variant (direct, through PgBouncer) is played")
	fs.BoolVar(&f.pgbouncer, "country-pgbouncer", true, "country: also play the morning through a PgBouncer in transaction mode")
}

// country plays a whole country's heating-season morning: f.cities cities
// in a scratch database, each with the bench directory, receive requests
// through every channel while dispatchers triage, operators work their
// queues, HQ reads its pages and citizens check their requests, in the
// proportions of bench.CountryStreams. Each variant (the server on
// PostgreSQL directly, then through PgBouncer in transaction mode) reports
// every route group's percentiles, the failures, the server's RSS and CPU
// and PostgreSQL's transactions a second, beside pgbench's INSERT on the
// same database and path.
func (r *benchRunner) country(ctx context.Context, f countryFlags) error {
	switch {
	case f.cities < 1 || f.cities > 10_000:
		return fmt.Errorf("bench run: --country-cities must be from 1 to 10,000")
	case f.buildings < 1 || f.buildings > 200_000:
		return fmt.Errorf("bench run: --country-buildings must be from 1 to 200,000")
	case f.day <= 0 || f.compression <= 0 || f.duration <= 0:
		return fmt.Errorf("bench run: --country-day, --country-compression and --country-duration must be positive")
	}
	b, dbURL, done, err := r.scratchBackend(ctx)
	if err != nil {
		return err
	}
	defer done()
	// The country's people log in once before the morning; a cheap hash
	// keeps their thousands of logins from swamping the set-up.
	hash, err := bcrypt.GenerateFromPassword([]byte(r.h.password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := provisionMany(ctx, b, f.cities, string(hash)); err != nil {
		return err
	}
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	if err := seedCountry(ctx, b, ts, f.buildings, string(hash)); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "country: %d cities with %d buildings each ready in %s\n", len(ts), f.buildings, time.Since(start).Round(time.Second))
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	m := &morning{b: b, ts: ts, dbName: dbName, f: f, shared: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}}
	defer m.shared.CloseIdleConnections()
	direct, err := r.playCountry(ctx, m, "PostgreSQL directly", dbURL)
	if err != nil {
		return err
	}
	if !f.pgbouncer {
		r.countryFigures(f, len(ts), direct, nil)
		return nil
	}
	port := 5432
	fmt.Sscan(u.Port(), &port)
	pgb, err := pgproc.StartPgBouncer(u.Hostname(), port)
	if err != nil {
		return err
	}
	defer pgb.Close()
	via := *u
	via.Host = fmt.Sprintf("127.0.0.1:%d", pgb.Port)
	pooled, err := r.playCountry(ctx, m, "PgBouncer (transaction mode)", via.String())
	if err != nil {
		return err
	}
	r.countryFigures(f, len(ts), direct, pooled)
	return nil
}

// seedCountry seeds the bench directory into every city, two at a time.
func seedCountry(ctx context.Context, b *tenants.Backend, ts []tenants.Tenant, buildings int, hash string) error {
	return forCities(ts, 2, func(_ int, t tenants.Tenant) error {
		_, err := bench.PrepareCityHash(ctx, b, t.Slug, buildings, hash)
		return err
	})
}

// countryRun is what one variant of the morning measured.
type countryRun struct {
	via        string
	rec        *bench.Recorder
	took       time.Duration
	pg         bench.Result
	tps        float64
	idle, rss  int64
	peak       int64
	cpu        float64 // cores the server used on average
	planned    float64 // requests a second all cities were to receive
	joinedTook time.Duration
}

// morning is the country's scratch database, its cities and, once logged
// in, their people, who stay logged in from one variant to the next.
type morning struct {
	b      *tenants.Backend
	ts     []tenants.Tenant
	dbName string
	f      countryFlags
	shared *http.Transport
	cities []*bench.CountryCity
}

// playCountry starts the server on databaseURL, logs every city's people
// in (the first time; later they are pointed at the new server) and plays
// the morning for f.duration.
func (r *benchRunner) playCountry(ctx context.Context, m *morning, via, databaseURL string) (*countryRun, error) {
	b, ts, dbName, f := m.b, m.ts, m.dbName, m.f
	run := &countryRun{via: via, rec: bench.NewRecorder()}
	fmt.Fprintf(r.out, "country via %s: pgbench INSERT, %d clients, %s …\n", run.via, r.c, r.d)
	pg, err := bench.Pgbench(ctx, databaseURL, r.c, r.d)
	if err != nil {
		return nil, err
	}
	run.pg = pg
	srv, err := startServerProcess(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	run.idle, _ = srv.memory()
	start := time.Now()
	if m.cities == nil {
		cities, err := joinCountry(ctx, b, ts, srv.url, r.h.password, m.shared)
		if err != nil {
			return nil, err
		}
		m.cities = cities
	} else {
		for _, c := range m.cities {
			c.Rebase(srv.url)
		}
	}
	cities := m.cities
	run.joinedTook = time.Since(start)
	rate := bench.Morning{Day: f.day, Compression: f.compression}.Rate()
	run.planned = rate * float64(len(cities))
	fmt.Fprintf(r.out, "  %d cities' people logged in or moved over in %s; playing %.0f requests/s in all (%.2f a city) for %s …\n",
		len(cities), run.joinedTook.Round(time.Second), run.planned, rate, f.duration)
	tx0, err := databaseTransactions(ctx, b, dbName)
	if err != nil {
		return nil, err
	}
	cpu0, at0 := srv.cpuSeconds(), time.Now()
	var streams sync.WaitGroup
	for _, s := range bench.CountryStreams {
		total := run.planned * s.PerHundred / 100
		streams.Add(1)
		go func() {
			defer streams.Done()
			bench.Load{Concurrency: int(math.Min(64, math.Max(4, math.Ceil(total)))), Rate: total, Duration: f.duration,
				Op: func(ctx context.Context, i int) error {
					s.Visit(cities[i%len(cities)], ctx, run.rec, i/len(cities))
					return nil
				}}.Run(ctx)
		}()
	}
	streams.Wait()
	run.took = time.Since(at0)
	run.cpu = (srv.cpuSeconds() - cpu0) / run.took.Seconds()
	tx1, err := databaseTransactions(ctx, b, dbName)
	if err != nil {
		return nil, err
	}
	run.tps = float64(tx1-tx0) / run.took.Seconds()
	run.rss, run.peak = srv.memory()
	ops, nerr := run.rec.Totals()
	fmt.Fprintf(r.out, "  %d operations, %d errors in %s; PostgreSQL %.0f transactions/s; server CPU %.2f cores, RSS %d MB\n",
		ops, nerr, run.took.Round(time.Second), run.tps, run.cpu, run.rss)
	for _, g := range bench.CountryGroups {
		x := run.rec.Group(g)
		fmt.Fprintf(r.out, "    %-62s %6d ops, %d errors, %s\n", g, x.Ops, x.Errors, pcts(x))
	}
	for _, e := range run.rec.Errors() {
		fmt.Fprintf(r.out, "    error: %s\n", e)
	}
	return run, nil
}

// joinCountry logs every city's people in at base, eight cities at a time,
// each person from a loopback address of their own.
func joinCountry(ctx context.Context, b *tenants.Backend, ts []tenants.Tenant, base, password string, shared http.RoundTripper) ([]*bench.CountryCity, error) {
	var addr atomic.Int64
	from := func() net.IP { return bench.Loopback(int(addr.Add(1))) }
	cities := make([]*bench.CountryCity, len(ts))
	err := forCities(ts, 8, func(i int, t tenants.Tenant) error {
		scope, err := b.Scope(t.Slug)
		if err == nil {
			cities[i], err = bench.JoinCountryCity(ctx, store.New(scope), i, base, t.Slug, password, from, shared)
		}
		if err != nil {
			return fmt.Errorf("city %s: %w", t.Slug, err)
		}
		return nil
	})
	return cities, err
}

// databaseTransactions is pg_stat_database's count of committed and rolled
// back transactions of dbName.
func databaseTransactions(ctx context.Context, b *tenants.Backend, dbName string) (int64, error) {
	var n int64
	err := b.Control.NewRaw("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ?", dbName).Scan(ctx, &n)
	return n, err
}

// cpuSeconds is the CPU time the server process used so far, user and
// system, in seconds (bench.ProcessCPU).
func (s *serverProcess) cpuSeconds() float64 { return bench.ProcessCPU(s.cmd.Process.Pid) }

func pcts(g bench.GroupFigures) string {
	return fmt.Sprintf("p50 %s / p95 %s / p99 %s", msf(g.P50), msf(g.P95), msf(g.P99))
}

// countryFigures adds the scenario's lines to the report: the whole run and
// the server per variant, then every route group's percentiles directly
// beside those through PgBouncer.
func (r *benchRunner) countryFigures(f countryFlags, cities int, runs ...*countryRun) {
	name := fmt.Sprintf("country: %d cities' heating-season morning (%.0f requests a day, busiest hour ×%.0f: %.0f requests/s), all channels, %s",
		cities, f.day, f.compression, runs[0].planned, f.duration)
	for _, run := range runs {
		if run == nil {
			continue
		}
		ops, nerr := run.rec.Totals()
		measured := fmt.Sprintf("%d operations (%.0f/s), %d errors", ops, float64(ops)/run.took.Seconds(), nerr)
		if es := run.rec.Errors(); len(es) > 0 {
			measured += ": " + strings.Join(es[:min(len(es), 5)], "; ")
		}
		r.add(bench.Figure{Scenario: name + " — " + run.via, Measured: measured,
			Baseline: "pgbench INSERT " + rate(run.pg), Target: "errors 0", Verdict: bench.Verdict(nerr == 0)})
		r.add(bench.Figure{Scenario: "country: server and PostgreSQL during the morning — " + run.via,
			Measured: fmt.Sprintf("server RSS %d MB (peak %d MB), CPU %.2f cores; PostgreSQL %.0f transactions/s", run.rss, run.peak, run.cpu, run.tps),
			Baseline: fmt.Sprintf("server idle after start %d MB; pgbench INSERT %.0f transactions/s", run.idle, run.pg.Throughput)})
	}
	for _, g := range bench.CountryGroups {
		x := runs[0].rec.Group(g)
		measured := fmt.Sprintf("%s, %.1f/s", pcts(x), float64(x.Ops)/runs[0].took.Seconds())
		if x.Errors > 0 {
			measured += fmt.Sprintf(", %d errors", x.Errors)
		}
		base := ""
		if len(runs) > 1 && runs[1] != nil {
			y := runs[1].rec.Group(g)
			base = "through PgBouncer: " + pcts(y)
			if y.Errors > 0 {
				base += fmt.Sprintf(", %d errors", y.Errors)
			}
		}
		r.add(bench.Figure{Scenario: "country · " + g, Measured: measured, Baseline: base})
	}
}
