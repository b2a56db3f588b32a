package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func table(b *tenants.Backend) string {
	if b.Postgres() {
		return "control.jobs"
	}
	return "jobs"
}

// Two workers (as two server processes) share the queue: every job runs
// exactly once.
func TestEachJobRunsOnce(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			q1 := jobs.New(b.Control, table(b), b.Postgres())
			q2 := jobs.New(b.Control, table(b), b.Postgres())
			var mu sync.Mutex
			runs := map[int]int{}
			h := func(ctx context.Context, j *jobs.Job) error {
				var p struct{ N int }
				if err := j.Decode(&p); err != nil {
					return err
				}
				mu.Lock()
				runs[p.N]++
				mu.Unlock()
				return nil
			}
			q1.Handle("count", h)
			q2.Handle("count", h)
			const n = 150
			for i := 0; i < n; i++ {
				if _, _, err := q1.Enqueue(ctx, nil, jobs.NewJob{Kind: "count", Payload: map[string]int{"N": i}}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for _, q := range []*jobs.Queue{q1, q2, q1, q2} {
				wg.Add(1)
				go func(q *jobs.Queue) {
					defer wg.Done()
					if _, err := q.Drain(ctx); err != nil {
						t.Error(err)
					}
				}(q)
			}
			wg.Wait()
			if len(runs) != n {
				t.Fatalf("%d distinct jobs ran, want %d", len(runs), n)
			}
			for i, c := range runs {
				if c != 1 {
					t.Errorf("job %d ran %d times", i, c)
				}
			}
			st, _ := q1.Stats(ctx)
			if st[jobs.StateDone] != n {
				t.Errorf("stats %v", st)
			}
		})
	}
}

func TestRetryLeaseAndUnique(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			q := jobs.New(b.Control, table(b), b.Postgres())
			q.Now = clock
			fails := 2
			q.Handle("flaky", func(ctx context.Context, j *jobs.Job) error {
				if fails > 0 {
					fails--
					return errors.New("not yet")
				}
				return nil
			})
			id, ins, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: "flaky", UniqueKey: "flaky:1", Attempts: 5})
			if err != nil || !ins {
				t.Fatal(err)
			}
			id2, ins2, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: "flaky", UniqueKey: "flaky:1"})
			if err != nil || ins2 || id2 != id {
				t.Fatalf("duplicate unique key: id %d inserted %v err %v", id2, ins2, err)
			}
			for i := 0; i < 3; i++ {
				if ok, err := q.RunOnce(ctx); err != nil || !ok {
					t.Fatalf("run %d: %v %v", i, ok, err)
				}
				j, _ := q.Get(ctx, id)
				if ok, _ := q.RunOnce(ctx); ok && j.State != jobs.StateDone {
					t.Fatalf("a retried job ran again before its backoff")
				}
				now = now.Add(time.Minute)
			}
			j, _ := q.Get(ctx, id)
			if j.State != jobs.StateDone || j.Attempts != 3 {
				t.Errorf("after retries: %s after %d attempts (%s)", j.State, j.Attempts, j.LastError)
			}

			// A worker that died keeps its job only until the lease ends.
			dead := jobs.New(b.Control, table(b), b.Postgres())
			dead.Now = clock
			ran := 0
			q.Handle("once", func(ctx context.Context, j *jobs.Job) error { ran++; return nil })
			id, _, _ = q.Enqueue(ctx, nil, jobs.NewJob{Kind: "once"})
			if j, err := dead.Claim(ctx); err != nil || j == nil || j.ID != id {
				t.Fatalf("claim: %v %v", j, err)
			}
			if ok, _ := q.RunOnce(ctx); ok {
				t.Fatal("a leased job was taken by another worker")
			}
			now = now.Add(q.Lease + time.Second)
			if ok, err := q.RunOnce(ctx); !ok || err != nil || ran != 1 {
				t.Fatalf("after the lease: ok %v err %v ran %d", ok, err, ran)
			}

			// A job whose handler keeps failing ends as failed.
			q.Handle("broken", func(ctx context.Context, j *jobs.Job) error { return fmt.Errorf("broken") })
			id, _, _ = q.Enqueue(ctx, nil, jobs.NewJob{Kind: "broken", Attempts: 2})
			for i := 0; i < 2; i++ {
				q.RunOnce(ctx)
				now = now.Add(time.Hour)
			}
			if j, _ := q.Get(ctx, id); j.State != jobs.StateFailed || j.LastError != "broken" {
				t.Errorf("broken job: %s %q", j.State, j.LastError)
			}
		})
	}
}

// The waits between attempts double up to the cap.
func TestExponentialBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := jobs.Exponential(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
	for _, a := range []int{13, 14, 40, 1000} {
		if got := jobs.Exponential(a); got != jobs.BackoffCap {
			t.Errorf("attempt %d: %v, want the cap", a, got)
		}
	}
}

// A failing job is due again exactly its backoff later; after its last
// attempt it is on the dead-letter list, and a retry runs it again with a
// fresh set of attempts. A job that did not fail cannot be "retried".
func TestDeadLetterRetry(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			q := jobs.New(b.Control, table(b), b.Postgres())
			q.Now = func() time.Time { return now }
			healthy := false
			runs := 0
			q.Handle("peer", func(ctx context.Context, j *jobs.Job) error {
				runs++
				if !healthy {
					return errors.New("peer down")
				}
				return nil
			})
			id, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: "peer", Tenant: "kazan", Attempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			for attempt := 1; attempt <= 3; attempt++ {
				if ok, err := q.RunOnce(ctx); !ok || err != nil {
					t.Fatalf("attempt %d: %v %v", attempt, ok, err)
				}
				j, _ := q.Get(ctx, id)
				if attempt < 3 && !j.RunAt.Equal(now.Add(jobs.Exponential(attempt))) {
					t.Errorf("attempt %d: next run at %v, want %v later", attempt, j.RunAt, jobs.Exponential(attempt))
				}
				now = now.Add(jobs.Exponential(attempt) - time.Millisecond)
				if ok, _ := q.RunOnce(ctx); ok {
					t.Fatalf("attempt %d: ran again before its backoff ended", attempt)
				}
				now = now.Add(time.Millisecond)
			}
			failed, err := q.Failed(ctx, 10)
			if err != nil || len(failed) != 1 || failed[0].ID != id || failed[0].LastError != "peer down" || failed[0].Tenant != "kazan" {
				t.Fatalf("dead letters: %+v %v", failed, err)
			}
			if ok, _ := q.RunOnce(ctx); ok {
				t.Fatal("a failed job ran again by itself")
			}
			q.Handle("other", func(ctx context.Context, j *jobs.Job) error { return nil })
			done, _, _ := q.Enqueue(ctx, nil, jobs.NewJob{Kind: "other"})
			q.RunOnce(ctx)
			for _, other := range []int64{done, id + 1000} {
				if ok, err := q.Retry(ctx, other); ok || err != nil {
					t.Errorf("retry of job %d (not failed): %v %v", other, ok, err)
				}
			}
			healthy = true
			if ok, err := q.Retry(ctx, id); !ok || err != nil {
				t.Fatalf("retry: %v %v", ok, err)
			}
			if _, err := q.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			j, _ := q.Get(ctx, id)
			if j.State != jobs.StateDone || j.Attempts != 1 || runs != 4 {
				t.Errorf("after the retry: %s, %d attempts, %d runs", j.State, j.Attempts, runs)
			}
			if failed, _ := q.Failed(ctx, 10); len(failed) != 0 {
				t.Errorf("still on the dead-letter list: %+v", failed)
			}
		})
	}
}

// A job's outcome is told (to the metrics) once the queue holds it: a
// scrape that counts a failed job finds it among the failed ones. On both
// backends.
func TestOutcomeToldAfterItIsStored(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			q := jobs.New(b.Control, table(b), b.Postgres())
			q.Backoff = func(int) time.Duration { return 0 }
			q.Handle("ok", func(ctx context.Context, j *jobs.Job) error { return nil })
			q.Handle("flaky", func(ctx context.Context, j *jobs.Job) error { return errors.New("flaky") })
			var told []string
			q.OnFinish = func(kind, outcome string) {
				stats, err := q.Stats(ctx)
				if err != nil {
					t.Error(err)
				}
				told = append(told, fmt.Sprintf("%s %s: %d done, %d failed, %d available", kind, outcome,
					stats[jobs.StateDone], stats[jobs.StateFailed], stats[jobs.StateAvailable]))
			}
			for _, n := range []jobs.NewJob{{Kind: "ok"}, {Kind: "flaky", Attempts: 2}} {
				if _, _, err := q.Enqueue(ctx, nil, n); err != nil {
					t.Fatal(err)
				}
				if _, err := q.Drain(ctx); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"ok done: 1 done, 0 failed, 0 available", "flaky retried: 1 done, 0 failed, 1 available",
				"flaky failed: 1 done, 1 failed, 0 available"}
			if fmt.Sprint(told) != fmt.Sprint(want) {
				t.Errorf("told %q,\nwant %q", told, want)
			}
		})
	}
}
