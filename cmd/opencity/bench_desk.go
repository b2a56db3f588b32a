package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/uptrace/bun"
)

// dispatch measures the dispatch centre at peak in the big city: the desk
// and the search box, each at the desk's rate, beside GET city info (no
// database) at the same rate in the same run.
func (r *benchRunner) dispatch(ctx context.Context) error {
	scope, err := r.city(ctx)
	if err != nil {
		return err
	}
	var count int
	var sample []struct {
		Number      string `bun:"number"`
		Name        string `bun:"applicant_name"`
		Phone       string `bun:"applicant_phone"`
		Address     string `bun:"address"`
		Description string `bun:"description"`
	}
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`SELECT number, applicant_name, applicant_phone, address, description FROM requests
			WHERE id % 4999 = 3 ORDER BY id LIMIT 400`).Scan(ctx, &sample); err != nil {
			return err
		}
		count, err = tx.NewSelect().TableExpr("requests").Count(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if len(sample) == 0 {
		return fmt.Errorf("city %s has no requests to find", r.h.slug)
	}
	srv, err := startServerProcess(ctx, r.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	cl, err := bench.NewClient(ctx, srv.url, r.h.slug, bench.DispatcherLogin, r.h.password)
	if err != nil {
		return err
	}
	floor := bench.Load{Concurrency: r.c, Rate: r.deskRate, Duration: r.d / 2, Op: func(ctx context.Context, i int) error {
		return cl.Do(ctx, "GET", "", nil, nil, http.StatusOK)
	}}.Run(ctx)
	baseline := fmt.Sprintf("GET city info (no database) at %.0f/s: p95 %s", r.deskRate, msf(floor.P95))
	if err := r.desk(ctx, scope, cl, baseline, count); err != nil {
		return err
	}
	var texts []bench.SearchSample
	for _, x := range sample {
		texts = append(texts, bench.SearchSample{Number: x.Number, Name: x.Name, Phone: x.Phone, Address: x.Address, Description: x.Description})
	}
	op := cl.Search(bench.SearchTexts(texts))
	bench.Load{Concurrency: r.c, Duration: 2 * time.Second, Op: op}.Run(ctx) // warm up
	search := bench.Load{Concurrency: r.c, Rate: r.deskRate, Duration: r.d, Op: op}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("search GET /requests?q= (number, phone three ways, name, address spelled out, two words) at %.0f/s, %d requests",
		r.deskRate, count),
		Measured: "p95 " + msf(search.P95) + ", " + rate(search), Baseline: baseline,
		Target: "p95 ≤ 50 ms", Verdict: bench.Verdict(search.Errors == 0 && search.P95 <= 50*time.Millisecond)})
	for _, x := range []struct {
		name string
		r    bench.Result
	}{{"search", search}, {"city info", floor}} {
		fmt.Fprintf(r.out, "    %-18s %s\n", x.name, x.r)
	}
	return nil
}

// desk measures the dispatcher's desk (one queue page with every queue's
// count, GET /desk) in the big city with bench.DeskWaiting requests
// waiting, at the desk's rate. A city with fewer waiting gets the
// difference from its newest closed requests (bench.MakeWaiting), once:
// later runs find them waiting; one with more (the requests of the
// bench's own intake runs) has its newest waiting ones closed
// (bench.CloseWaiting).
func (r *benchRunner) desk(ctx context.Context, scope store.Scope, cl *bench.Client, baseline string, count int) error {
	waiting, err := bench.Waiting(ctx, scope)
	if err != nil {
		return err
	}
	if waiting > bench.DeskWaiting {
		n, err := bench.CloseWaiting(ctx, scope, waiting-bench.DeskWaiting)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "desk: %d requests waiting; the %d newest closed\n", waiting, n)
		if waiting, err = bench.Waiting(ctx, scope); err != nil {
			return err
		}
	}
	if waiting < bench.DeskWaiting {
		n, err := bench.MakeWaiting(ctx, scope, bench.DeskWaiting-waiting)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "desk: %d requests waiting; %d closed ones made waiting again\n", waiting, n)
		if waiting, err = bench.Waiting(ctx, scope); err != nil {
			return err
		}
	}
	op, err := cl.Desk(ctx)
	if err != nil {
		return err
	}
	bench.Load{Concurrency: r.c, Duration: 2 * time.Second, Op: op}.Run(ctx) // warm up
	d := bench.Load{Concurrency: r.c, Rate: r.deskRate, Duration: r.d, Op: op}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("desk GET /desk (50 rows + every queue's count, filters, keyset) at %.0f/s, %d waiting of %d requests",
		r.deskRate, waiting, count),
		Measured: "p95 " + msf(d.P95) + ", " + rate(d), Baseline: baseline,
		Target: "p95 ≤ 50 ms", Verdict: bench.Verdict(d.Errors == 0 && d.P95 <= 50*time.Millisecond)})
	fmt.Fprintf(r.out, "    %-18s %s\n", "desk", d)
	return nil
}
