package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/tenants/bench"
)

// benchMetricsToken lets the bench read the /metrics of the server it
// started: the statements and transactions it sent to PostgreSQL.
const benchMetricsToken = "opencity-bench"

// intakeUnbatched measures flat-out intake on a server of its own with
// intake's group commit turned off, beside the same run's batched figure.
func (r *benchRunner) intakeUnbatched(ctx context.Context, buildings []int64) (bench.Result, dbSent, error) {
	var sent dbSent
	srv, err := startServerProcess(ctx, r.cfg.DatabaseURL, "OPENCITY_INTAKE_BATCH_MAX=1")
	if err != nil {
		return bench.Result{}, sent, err
	}
	defer srv.stop()
	cl, err := bench.NewClient(ctx, srv.url, r.h.slug, bench.DispatcherLogin, r.h.password)
	if err != nil {
		return bench.Result{}, sent, err
	}
	bench.Load{Concurrency: r.c, Duration: 2 * time.Second, Op: cl.Intake(buildings)}.Run(ctx)
	res := sent.during(ctx, srv, func() bench.Result {
		return bench.Load{Concurrency: r.c, Duration: r.d, Op: cl.Intake(buildings)}.Run(ctx)
	})
	return res, sent, nil
}

// dbSent is what a server sent to PostgreSQL during a load: statements
// (each a round trip, BEGIN and COMMIT included) and transactions, from
// its /metrics. The server's background work in that time (the outbox
// relay and notifications that intake wakes) is counted too.
type dbSent struct {
	statements, transactions float64
	err                      error
}

// during runs load and counts what the server sent meanwhile.
func (d *dbSent) during(ctx context.Context, srv *serverProcess, load func() bench.Result) bench.Result {
	s0, t0, err0 := srv.sent(ctx)
	res := load()
	s1, t1, err1 := srv.sent(ctx)
	d.statements, d.transactions = s1-s0, t1-t0
	if d.err = err0; d.err == nil {
		d.err = err1
	}
	return res
}

// per renders the counts per successful operation of res.
func (d dbSent) per(res bench.Result) string {
	n := float64(res.Ops - res.Errors)
	if d.err != nil || n <= 0 {
		return fmt.Sprintf("statements per intake unknown (%v)", d.err)
	}
	return fmt.Sprintf("%.1f statements and %.2f transactions per intake", d.statements/n, d.transactions/n)
}

// sent reads the server's counts of statements and transactions.
func (s *serverProcess) sent(ctx context.Context) (statements, transactions float64, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.url+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("/metrics: %s", resp.Status)
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var to *float64
		switch name {
		case "opencity_db_statements_total":
			to = &statements
		case "opencity_db_transactions_total":
			to = &transactions
		}
		if !ok || to == nil {
			continue
		}
		if *to, err = strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
			return 0, 0, err
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("/metrics has no statement counts")
	}
	return statements, transactions, nil
}

// cpuProfile starts taking the server's CPU profile for d (its
// /debug/pprof/profile, served with OPENCITY_PPROF=true behind the metrics
// token) and returns a function that waits for it and names the file it
// was saved to, in the system's temporary folder.
func (s *serverProcess) cpuProfile(ctx context.Context, d time.Duration) func() (string, error) {
	done := make(chan struct{})
	var path string
	var err error
	go func() {
		defer close(done)
		var req *http.Request
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.url, max(int(d.Seconds()), 1))
		if req, err = http.NewRequestWithContext(ctx, "GET", url, nil); err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+benchMetricsToken)
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err != nil {
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("/debug/pprof/profile: %s", resp.Status)
			return
		}
		var f *os.File
		if f, err = os.CreateTemp("", "opencity-intake-*.pprof"); err != nil {
			return
		}
		path = f.Name()
		if _, err = io.Copy(f, resp.Body); err == nil {
			err = f.Close()
		} else {
			f.Close()
		}
	}()
	return func() (string, error) {
		<-done
		return path, err
	}
}
