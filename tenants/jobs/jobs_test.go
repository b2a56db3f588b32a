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
