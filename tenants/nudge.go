package tenants

import (
	"context"
	"log/slog"
	"sync"
)

// nudges runs the jobs.Queue.EnqueueDue behind NudgeRelay and NudgeNotify
// outside the caller's request, one at a time per job kind and city:
// nudges that arrive while one runs are answered by a single run after it.
// Every nudge is thus followed by a run that starts after it, which is
// what a nudge needs (the job reads the city's outbox when it runs), and a
// burst of intake asks the queue once or twice, not twice per request.
type nudges struct {
	mu sync.Mutex
	// again is set for a kind and city whose run is under way: false when
	// nothing arrived since it started, true when another run is owed.
	again  map[nudgeKey]bool
	closed bool
	wg     sync.WaitGroup
}

type nudgeKey struct{ kind, city string }

// nudge makes sure a job of kind for the city is due now, soon after the
// call, without waiting for the queue.
func (b *Backend) nudge(kind, slug string) {
	n := &b.nudges
	k := nudgeKey{kind, slug}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	if n.again == nil {
		n.again = map[nudgeKey]bool{}
	}
	if _, running := n.again[k]; running {
		n.again[k] = true
		n.mu.Unlock()
		return
	}
	n.again[k] = false
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		for {
			if _, err := b.Jobs.EnqueueDue(context.Background(), kind, slug, b.Jobs.Now()); err != nil {
				// The periodic enqueue runs the job anyway.
				slog.Error("nudge", "job", kind, "city", slug, "err", err)
			}
			n.mu.Lock()
			if n.again[k] && !n.closed {
				n.again[k] = false
				n.mu.Unlock()
				continue
			}
			delete(n.again, k)
			n.mu.Unlock()
			return
		}
	}()
}

// stop refuses new nudges and waits for the runs under way.
func (n *nudges) stop() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.wg.Wait()
}
