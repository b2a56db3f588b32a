package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Load drives one operation with Concurrency workers for Duration (or until
// Max operations), at most Rate operations a second in total (0: as fast as
// the workers go). At a fixed rate the latency counts from the moment an
// operation was due, so a slow server cannot hide its queueing.
type Load struct {
	Concurrency int
	Rate        float64
	Duration    time.Duration
	Max         int // 0: no limit
	// Op performs operation i; an error counts it as failed.
	Op func(ctx context.Context, i int) error
}

// Result is what a load run measured.
type Result struct {
	Ops        int           `json:"ops"`
	Errors     int           `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	Took       time.Duration `json:"took"`
	Throughput float64       `json:"throughput"` // successful operations a second
	P50        time.Duration `json:"p50"`
	P95        time.Duration `json:"p95"`
	P99        time.Duration `json:"p99"`
	Max        time.Duration `json:"max"`
}

// String renders the figures on one line.
func (r Result) String() string {
	s := fmt.Sprintf("%d ops in %s: %.0f/s, p50 %s, p95 %s, p99 %s, max %s", r.Ops, r.Took.Round(time.Millisecond),
		r.Throughput, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors (first: %s)", r.Errors, r.FirstError)
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// Run performs the load and returns its figures.
func (l Load) Run(ctx context.Context) Result {
	if l.Concurrency <= 0 {
		l.Concurrency = 1
	}
	if l.Duration <= 0 && l.Max <= 0 {
		l.Duration = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if l.Duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, l.Duration)
		defer cancel()
	}
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, l.Concurrency)
	start := time.Now()
	go func() {
		defer close(jobs)
		var interval time.Duration
		if l.Rate > 0 {
			interval = time.Duration(float64(time.Second) / l.Rate)
		}
		for i := 0; l.Max <= 0 || i < l.Max; i++ {
			due := time.Now()
			if interval > 0 {
				due = start.Add(time.Duration(i) * interval)
				if wait := time.Until(due); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case jobs <- job{i, due}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	res := Result{}
	var lat []time.Duration
	var wg sync.WaitGroup
	for w := 0; w < l.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var errs int
			var first string
			for j := range jobs {
				if l.Rate <= 0 {
					j.due = time.Now()
				}
				// An operation that started runs to its end, even past the
				// deadline, so it is not counted as a failure.
				err := l.Op(context.WithoutCancel(ctx), j.i)
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				mine = append(mine, time.Since(j.due))
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Took = time.Since(start)
	res.Ops = len(lat) + res.Errors
	res.Throughput = float64(len(lat)) / res.Took.Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		res.P50, res.P95, res.P99, res.Max = q(0.50), q(0.95), q(0.99), lat[len(lat)-1]
	}
	return res
}
