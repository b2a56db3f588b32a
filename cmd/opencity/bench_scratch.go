package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/uptrace/bun"
)

// scratchScenarios run in a scratch database that is dropped afterwards:
// provisioning one city, a no-op migration run over many cities, and the
// server's memory with more cities provisioned, some of them used.
func (r *benchRunner) scratchScenarios(ctx context.Context, cities int) error {
	b, dbURL, done, err := r.scratchBackend(ctx)
	if err != nil {
		return err
	}
	defer done()
	// Provisioning as a signup does it: a generated admin password (bcrypt).
	var took []time.Duration
	for i := 0; i < 7; i++ {
		p, err := b.Provision(ctx, tenants.NewTenant{Slug: fmt.Sprintf("prov-%02d", i), Name: "Provisioned"}, tenants.Admin{Login: "admin"})
		if err != nil {
			return err
		}
		took = append(took, p.Took)
	}
	var ddl []time.Duration
	for i := 0; i < 7; i++ {
		start := time.Now()
		for _, q := range []string{"CREATE SCHEMA bench_ddl", "CREATE TABLE bench_ddl.t (id BIGINT PRIMARY KEY, v TEXT)", "DROP SCHEMA bench_ddl CASCADE"} {
			if _, err := b.Control.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		ddl = append(ddl, time.Since(start))
	}
	r.add(bench.Figure{Scenario: "provisioning one city (median of 7)", Measured: fmt.Sprintf("%s (max %s)", msf(median(took)), msf(longest(took))),
		Baseline: "CREATE SCHEMA + one table + DROP " + msf(median(ddl)), Target: "≤ 0.5 s", Verdict: bench.Verdict(median(took) <= 500*time.Millisecond)})

	hash, err := core.HashPassword(r.h.password)
	if err != nil {
		return err
	}
	if err := provisionMany(ctx, b, cities, hash); err != nil {
		return err
	}
	var runs []time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		res, err := b.MigrateAll(ctx, tenants.MigrateOptions{})
		if err != nil {
			return err
		}
		for _, x := range res {
			if x.Applied > 0 {
				return fmt.Errorf("the no-op migration applied %d migrations to %s", x.Applied, x.Slug)
			}
		}
		runs = append(runs, time.Since(start))
	}
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := eachCity(ctx, b, ts, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT 1")
		return err
	}); err != nil {
		return err
	}
	floor := time.Since(start)
	r.add(bench.Figure{Scenario: fmt.Sprintf("no-op migration of %d cities (median of 3)", len(ts)), Measured: msf(median(runs)),
		Baseline: "one empty scoped transaction per city, 4 at a time: " + msf(floor), Target: "≤ 10 s",
		Verdict: bench.Verdict(median(runs) <= 10*time.Second)})
	return r.memory(ctx, b, dbURL, hash)
}

// memory provisions cities until there are r.memCities, starts the server,
// notes its memory idle, uses r.memUsed of the cities (touchCities) and
// notes its memory again.
func (r *benchRunner) memory(ctx context.Context, b *tenants.Backend, dbURL, hash string) error {
	start := time.Now()
	if err := provisionMany(ctx, b, r.memCities, hash); err != nil {
		return err
	}
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "memory: %d cities provisioned (%s)\n", len(ts), time.Since(start).Round(time.Second))
	srv, err := startServerProcess(ctx, dbURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	idle, _ := srv.memory()
	used, err := touchCities(ctx, srv.url, ts, r.memUsed, r.h.password)
	if err != nil {
		return err
	}
	cur, peak := srv.memory()
	r.add(bench.Figure{Scenario: fmt.Sprintf("server memory, %d cities provisioned, %d of them used (login, then intake, queue and a page ×3)", len(ts), used),
		Measured: fmt.Sprintf("RSS %d MB (peak %d MB)", cur, peak), Baseline: fmt.Sprintf("the same server idle after start: %d MB", idle),
		Target: "≤ 200 MB", Verdict: bench.Verdict(peak <= 200)})
	return nil
}

func longest(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// provisionMany provisions cities c-0001… until the backend has n, two at
// a time.
func provisionMany(ctx context.Context, b *tenants.Backend, n int, hash string) error {
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	slugs := make(chan string)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range slugs {
				if _, err := b.Provision(ctx, tenants.NewTenant{Slug: s, Name: "City " + s}, tenants.Admin{Login: "admin", PasswordHash: hash}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var ferr error
	for i := len(ts); i < n && ferr == nil; i++ {
		select {
		case slugs <- fmt.Sprintf("c-%04d", i):
		case ferr = <-errs:
		}
	}
	close(slugs)
	wg.Wait()
	if ferr == nil && len(errs) > 0 {
		ferr = <-errs
	}
	return ferr
}

// eachCity runs fn in every city's scope, four cities at a time.
func eachCity(ctx context.Context, b *tenants.Backend, ts []tenants.Tenant, fn func(context.Context, bun.Tx) error) error {
	return forCities(ts, 4, func(_ int, t tenants.Tenant) error {
		scope, err := b.Scope(t.Slug)
		if err != nil {
			return err
		}
		return scope.RunInTx(ctx, fn)
	})
}

// forCities calls fn for every city, n at a time, and returns the first
// error.
func forCities(ts []tenants.Tenant, n int, fn func(i int, t tenants.Tenant) error) error {
	sem := make(chan struct{}, n)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i, t); err != nil {
				mu.Lock()
				first = cmpOr(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// touchCities uses up to n of the cities c-…: the admin logs in through
// the API (each city from an address of its own, as the per-address login
// limit expects of real offices), then three times submits a request,
// reads the queue and reads the portal's front page. It returns how many
// cities it used.
func touchCities(ctx context.Context, base string, ts []tenants.Tenant, n int, password string) (int, error) {
	used := 0
	for _, t := range ts {
		if used == n {
			break
		}
		if !strings.HasPrefix(t.Slug, "c-") {
			continue
		}
		rt := bench.From(bench.Loopback(used))
		cl, err := bench.NewClientVia(ctx, rt, base, t.Slug, "admin", password)
		if err != nil {
			return used, err
		}
		front, err := bench.NewPageClientVia(ctx, rt, base, t.Slug, "", "")
		if err != nil {
			return used, err
		}
		for range 3 {
			body := map[string]any{"category": "power-supply", "address": "ул. Тестовая, 1", "description": "Нет света",
				"channel": "call_centre", "applicant": map[string]string{"name": "Тест", "phone": "+7 900 000-00-00"}}
			if err := cl.Do(ctx, "POST", "/requests", body, nil, http.StatusCreated); err != nil {
				return used, err
			}
			if err := cl.Do(ctx, "GET", "/requests?limit=50", nil, nil, http.StatusOK); err != nil {
				return used, err
			}
			if _, err := front.Get(ctx, "/"); err != nil {
				return used, err
			}
		}
		rt.CloseIdleConnections()
		used++
	}
	return used, nil
}

// plugin reuses plugins/host's BenchmarkRoute (it builds Kazan's plugin), so
// plugin routing is measured beside the built-in rules in the same run. It
// needs the Go toolchain and the source tree.
func (r *benchRunner) plugin(ctx context.Context) {
	root, err := moduleRoot()
	goBin, lerr := exec.LookPath("go")
	if err != nil || lerr != nil {
		r.add(bench.Figure{Scenario: "plugin routing", Measured: "not measured: needs the Go toolchain and the source tree"})
		return
	}
	cmd := exec.CommandContext(ctx, goBin, "test", "-run", "^$", "-bench", "BenchmarkRoute", "-benchtime", "1000x", "./plugins/host")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.add(bench.Figure{Scenario: "plugin routing", Measured: "benchmark failed: " + lastLine(string(out))})
		return
	}
	re := regexp.MustCompile(`BenchmarkRoute/(\S+?)(-\d+)?\s+\d+\s+([0-9.]+) ns/op\s+([0-9.]+) p50-ns\s+([0-9.]+) p99-ns`)
	got := map[string][3]float64{}
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		var v [3]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[3+i], 64)
		}
		got[m[1]] = v
	}
	f := func(name string) string {
		v, ok := got[name]
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%s/op (p99 %s)", us(v[0]), us(v[2]))
	}
	r.add(bench.Figure{Scenario: "routing through the city router: plugin (gRPC)", Measured: f("plugin-city-router"),
		Baseline: "built-in rules " + f("rules-city-router")})
	r.add(bench.Figure{Scenario: "routing: one plugin call", Measured: f("plugin-call"), Baseline: "rules as a pure function " + f("rules-pure")})
}

func us(ns float64) string {
	if ns >= 1e6 {
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/opencity/opencity\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the opencity source tree")
		}
		dir = parent
	}
}
