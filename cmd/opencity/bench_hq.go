package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/uptrace/bun"
)

// hqPages are the scenarios of HQ's pages and the public statistics: each
// reads its paths in turn (below the city), as the analyst or anonymously.
type hqPages struct {
	name   string
	public bool
	paths  []string
}

// hq measures HQ's pages (dashboard, league tables, hot spots, trends, map,
// wishes review, weekly summary) as the analyst and the public statistics
// (page and API) anonymously, at a fixed rate in the big city, beside the
// no-database floor of the same server; then a year's league table of
// management companies exported to XLSX, beside the same table as a page.
func (r *benchRunner) hq(ctx context.Context) error {
	scope, err := r.city(ctx)
	if err != nil {
		return err
	}
	var count int
	var districts, companies, groups []string
	var buildings []int64
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT code FROM districts ORDER BY code").Scan(ctx, &districts); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT code FROM organizations WHERE kind = ? ORDER BY code", core.OrgManagementCompany).Scan(ctx, &companies); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT code FROM category_groups ORDER BY code").Scan(ctx, &groups); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT id FROM buildings ORDER BY id").Scan(ctx, &buildings); err != nil {
			return err
		}
		count, err = tx.NewSelect().TableExpr("requests").Count(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if len(districts) == 0 || len(companies) == 0 || len(groups) == 0 || len(buildings) == 0 {
		return fmt.Errorf("city %s has no districts, management companies, category groups or buildings", r.h.slug)
	}
	t, err := r.b.Registry().Get(ctx, r.h.slug)
	if err != nil {
		return err
	}
	tz, err := time.LoadLocation(t.Timezone)
	if err != nil {
		tz = time.UTC
	}
	today := time.Now().In(tz)
	var weeks []string
	for i := range 4 {
		y, w := today.AddDate(0, 0, -7*i).ISOWeek()
		weeks = append(weeks, fmt.Sprintf("%d-W%02d", y, w))
	}
	pick := func(xs []string, i int) string { return xs[(i*7)%len(xs)] }
	// A year up to today, as HQ asks for the year's figures.
	day, yearAgo := today.Format(time.DateOnly), today.AddDate(0, 0, -364).Format(time.DateOnly)
	scenarios := []hqPages{
		{name: "HQ dashboard GET /hq/ (30 days, filters)", paths: []string{"/hq/", "/hq/?district=" + pick(districts, 0),
			"/hq/?management_company=" + pick(companies, 1), "/hq/?category=" + pick(groups, 2), "/hq/?channel=portal"}},
		{name: "HQ dashboard GET /hq/ for a year (the heating season in it)", paths: []string{"/hq/?from=" + yearAgo + "&to=" + day,
			"/hq/?from=" + yearAgo + "&to=" + day + "&district=" + pick(districts, 8),
			"/hq/?from=" + yearAgo + "&to=" + day + "&category=" + pick(groups, 9)}},
		{name: "HQ league tables GET /hq/leagues/{kind} (4 kinds, 2 orders)", paths: leaguePaths()},
		{name: "HQ hot spots GET /hq/hotspots", paths: []string{"/hq/hotspots", "/hq/hotspots?district=" + pick(districts, 3),
			"/hq/hotspots?category=" + pick(groups, 4)}},
		{name: "HQ trends GET /hq/trends (day, week, month)", paths: []string{"/hq/trends", "/hq/trends?step=week", "/hq/trends?step=day",
			"/hq/trends?step=month&category=" + pick(groups, 5)}},
		{name: "HQ map GET /hq/map", paths: []string{"/hq/map", "/hq/map?district=" + pick(districts, 6), "/hq/map?category=" + pick(groups, 7)}},
		{name: "HQ wishes review GET /hq/wishes (4 weeks, agenda)", paths: []string{"/hq/wishes", "/hq/wishes?week=" + weeks[1],
			"/hq/wishes?week=" + weeks[2], "/hq/wishes?week=" + weeks[3], "/hq/wishes/agenda", "/hq/wishes/agenda?week=" + weeks[1]}},
		{name: "HQ weekly summary GET /hq/summary (4 weeks)", paths: []string{"/hq/summary", "/hq/summary?week=" + weeks[1],
			"/hq/summary?week=" + weeks[2], "/hq/summary?week=" + weeks[3]}},
		{name: "public statistics page GET /statistics (anonymous)", public: true, paths: []string{"/statistics",
			"/statistics?kind=management_company", "/statistics?from=" + today.AddDate(-2, 0, 0).Format("2006-01") + "&to=" + today.AddDate(-1, 0, 0).Format("2006-01")}},
		{name: "public statistics API GET /api/v1/statistics (anonymous)", public: true, paths: []string{"/api/v1/statistics",
			"/api/v1/statistics?from=" + today.AddDate(-2, 0, 0).Format("2006-01") + "&to=" + today.AddDate(-1, 0, 0).Format("2006-01")}},
	}

	srv, err := startServerProcess(ctx, r.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	analyst, err := bench.NewPageClient(ctx, srv.url, r.h.slug, bench.AnalystLogin, r.h.password)
	if err != nil {
		return err
	}
	visitor, err := bench.NewPageClient(ctx, srv.url, r.h.slug, "", "")
	if err != nil {
		return err
	}
	intake, err := bench.NewClient(ctx, srv.url, r.h.slug, bench.DispatcherLogin, r.h.password)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "city %s: HQ's pages and the public statistics as %s at %.0f/s, %d requests\n", r.h.slug, bench.AnalystLogin, r.hqRate, count)
	floor := bench.Load{Concurrency: r.c, Rate: r.hqRate, Duration: r.d / 2, Op: func(ctx context.Context, i int) error {
		_, err := visitor.Get(ctx, "/api/v1")
		return err
	}}.Run(ctx)
	baseline := fmt.Sprintf("GET city info (no database) at %.0f/s: p95 %s", r.hqRate, msf(floor.P95))
	results := []bench.Result{}
	for _, s := range scenarios {
		cl := analyst
		if s.public {
			cl = visitor
		}
		// Every page once first, timed (the server's caches are cold): a
		// refused page fails here, not in the load.
		var first time.Duration
		var failed error
		for _, p := range s.paths {
			start := time.Now()
			if _, err := cl.Get(ctx, p); err != nil {
				failed = err
				break
			}
			first = max(first, time.Since(start))
		}
		if failed != nil {
			results = append(results, bench.Result{})
			r.add(bench.Figure{Scenario: fmt.Sprintf("%s at %.0f/s, %d requests", s.name, r.hqRate, count),
				Measured: "first read failed: " + failed.Error(), Baseline: baseline, Target: "p95 ≤ 200 ms", Verdict: bench.Verdict(false)})
			continue
		}
		op := cl.Pages(s.paths)
		bench.Load{Concurrency: r.c, Duration: 2 * time.Second, Rate: r.hqRate, Op: op}.Run(ctx) // warm up
		// Requests keep arriving while HQ reads, so that what HQ keeps
		// of a period (the percentiles' memo) is tried against writes.
		writes := make(chan bench.Result, 1)
		go func() {
			if r.hqIntakeRate <= 0 {
				writes <- bench.Result{}
				return
			}
			writes <- bench.Load{Concurrency: 1, Rate: r.hqIntakeRate, Duration: r.d, Op: intake.Intake(buildings)}.Run(ctx)
		}()
		res := bench.Load{Concurrency: r.c, Rate: r.hqRate, Duration: r.d, Op: op}.Run(ctx)
		w := <-writes
		results = append(results, res)
		r.add(bench.Figure{Scenario: fmt.Sprintf("%s at %.0f/s, %d requests", s.name, r.hqRate, count),
			Measured: "p95 " + msf(res.P95) + ", " + rate(res) + "; first read of each page up to " + msf(first) +
				fmt.Sprintf("; %d requests received meanwhile (%d failed)", w.Ops, w.Errors), Baseline: baseline,
			Target: "p95 ≤ 200 ms", Verdict: bench.Verdict(res.Errors == 0 && w.Errors == 0 && res.P95 <= 200*time.Millisecond)})
	}

	// A year's league table of management companies, as XLSX and as the
	// page, one after the other.
	year := "from=" + today.AddDate(-1, 0, 1).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
	xlsx, page, size, err := timeExports(ctx, analyst, "/hq/leagues/"+core.OrgManagementCompany+"?"+year, 5)
	if err != nil {
		return err
	}
	r.add(bench.Figure{Scenario: fmt.Sprintf("a year's league table of management companies as XLSX (%d KB), %d requests", size/1024, count),
		Measured: fmt.Sprintf("median %s, slowest %s of 5", msf(median(xlsx)), msf(slices.Max(xlsx))),
		Baseline: fmt.Sprintf("the same table as the page: median %s, slowest %s", msf(median(page)), msf(slices.Max(page))),
		Target:   "≤ 2 s", Verdict: bench.Verdict(slices.Max(xlsx) <= 2*time.Second)})
	fmt.Fprintf(r.out, "    %-18s %s\n", "city info", floor)
	for i, s := range scenarios {
		fmt.Fprintf(r.out, "    %-18s %s\n", s.paths[0], results[i])
	}
	return nil
}

// leaguePaths are every league table in both orders.
func leaguePaths() []string {
	var ps []string
	for _, k := range core.Leagues {
		for _, rank := range core.LeagueRanks {
			ps = append(ps, "/hq/leagues/"+k+"?"+url.Values{"rank": {rank}}.Encode())
		}
	}
	return ps
}

// timeExports reads path n times as XLSX and as the page, in turn, and
// returns how long each took and the size of the file.
func timeExports(ctx context.Context, cl *bench.PageClient, path string, n int) (xlsx, page []time.Duration, size int, err error) {
	for range n {
		start := time.Now()
		b, err := cl.Get(ctx, path+"&format=xlsx")
		if err != nil {
			return nil, nil, 0, err
		}
		xlsx, size = append(xlsx, time.Since(start)), len(b)
		start = time.Now()
		if _, err := cl.Get(ctx, path); err != nil {
			return nil, nil, 0, err
		}
		page = append(page, time.Since(start))
	}
	return xlsx, page, size, nil
}
