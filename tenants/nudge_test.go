package tenants_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// enqueueGate holds the first check of the queue for a due relay job until
// it is opened, and counts the checks.
type enqueueGate struct {
	checks atomic.Int64
	open   chan struct{}
	mu     sync.Mutex
	at     []time.Time // when each check began
}

func (g *enqueueGate) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if strings.Contains(e.Query, "count(*)") && strings.Contains(e.Query, "jobs") && strings.Contains(e.Query, tenants.JobRelay) {
		g.mu.Lock()
		g.at = append(g.at, time.Now())
		g.mu.Unlock()
		if g.checks.Add(1) == 1 {
			<-g.open
		}
	}
	return ctx
}

func (g *enqueueGate) AfterQuery(context.Context, *bun.QueryEvent) {}

// Intake nudges the city's relay after every request: the nudges do not
// wait for the queue, and those that come while the queue is being asked
// are answered by one more asking after it, no sooner than NudgeSpacing
// after the first began, so a burst of 200 costs two checks and leaves one
// due job. A nudge after that asks again. On both backends.
func TestNudgesCoalesce(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "nudge")
			due0, err := b.Jobs.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			g := &enqueueGate{open: make(chan struct{})}
			b.Control.AddQueryHook(g)

			go b.NudgeRelay("nudge") // its check is held by the gate
			deadline := time.Now().Add(10 * time.Second)
			for g.checks.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the first nudge never asked the queue")
				}
				time.Sleep(time.Millisecond)
			}
			var wg sync.WaitGroup
			start := time.Now()
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						b.NudgeRelay("nudge")
					}
				}()
			}
			wg.Wait()
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("200 nudges took %v while the queue was held: they waited for it", took)
			}
			if n := g.checks.Load(); n != 1 {
				t.Errorf("%d checks while the first was held, want 1", n)
			}
			close(g.open)
			for g.checks.Load() < 2 {
				if time.Now().After(deadline) {
					t.Fatal("the nudges during the first check were never answered")
				}
				time.Sleep(time.Millisecond)
			}
			for {
				due, err := b.Jobs.Stats(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if due[jobs.StateAvailable] == due0[jobs.StateAvailable]+1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d jobs due after the nudges, want %d", due[jobs.StateAvailable], due0[jobs.StateAvailable]+1)
				}
				time.Sleep(time.Millisecond)
			}
			b.NudgeRelay("nudge")
			if err := b.Close(); err != nil { // waits for the nudges under way
				t.Fatal(err)
			}
			if n := g.checks.Load(); n != 3 {
				t.Errorf("the queue was asked %d times, want 3: the held check, one for the 200 nudges during it, one for the last", n)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.at) >= 2 && g.at[1].Sub(g.at[0]) < tenants.NudgeSpacing {
				t.Errorf("the second check began %v after the first, want at least %v", g.at[1].Sub(g.at[0]), tenants.NudgeSpacing)
			}
		})
	}
}
