package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/bench"
)

// desk measures the dispatcher's desk (one queue page with every queue's
// count, GET /desk) in the big city with at least bench.DeskWaiting
// requests waiting, beside the no-database floor of the same run. A city
// with fewer waiting gets the difference from its newest closed requests
// (bench.MakeWaiting), once: later runs find them waiting.
func (r *benchRunner) desk(ctx context.Context, scope store.Scope, cl *bench.Client, floor bench.Result, count int) error {
	waiting, err := bench.Waiting(ctx, scope)
	if err != nil {
		return err
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
	d := bench.Load{Concurrency: r.c, Rate: r.pageRate, Duration: r.d, Op: op}.Run(ctx)
	r.add(bench.Figure{Scenario: fmt.Sprintf("desk GET /desk (50 rows + every queue's count, filters, keyset) at %.0f/s, %d waiting of %d requests",
		r.pageRate, waiting, count),
		Measured: "p95 " + msf(d.P95) + ", " + rate(d), Baseline: fmt.Sprintf("GET city info (no database) at %.0f/s: p95 %s", r.pageRate, msf(floor.P95)),
		Target: "p95 ≤ 50 ms", Verdict: bench.Verdict(d.Errors == 0 && d.P95 <= 50*time.Millisecond)})
	fmt.Fprintf(r.out, "    %-18s %s\n", "desk", d)
	return nil
}
