package tenants

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// NudgeSpacing is the least time between two checks of the job queue that
// nudges of one job kind and city make: a city taking hundreds of requests
// a second asks the queue a few times a second, not once per request, and
// its relay and notifications start at most this much later.
const NudgeSpacing = 200 * time.Millisecond

// nudges runs the jobs.Queue.EnqueueDue behind NudgeRelay and NudgeNotify
// outside the caller's request, one at a time per job kind and city:
// nudges that arrive while one runs are answered by a single run after it,
// NudgeSpacing after its start. Every nudge is thus followed by a run that
// starts after it, which is what a nudge needs (the job reads the city's
// outbox when it runs).
type nudges struct {
	mu sync.Mutex
	// again is set for a kind and city whose run is under way: false when
	// nothing arrived since it started, true when another run is owed.
	again   map[nudgeKey]bool
	closed  bool
	stopped chan struct{} // closed by stop: owed runs go at once
	wg      sync.WaitGroup
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
		n.again, n.stopped = map[nudgeKey]bool{}, make(chan struct{})
	}
	if _, running := n.again[k]; running {
		n.again[k] = true
		n.mu.Unlock()
		return
	}
	n.again[k] = false
	n.wg.Add(1)
	stopped := n.stopped
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		for {
			started := time.Now()
			if _, err := b.Jobs.EnqueueDue(context.Background(), kind, slug, b.Jobs.Now()); err != nil {
				// The periodic enqueue runs the job anyway.
				slog.Error("nudge", "job", kind, "city", slug, "err", err)
			}
			n.mu.Lock()
			if !n.again[k] {
				delete(n.again, k)
				n.mu.Unlock()
				return
			}
			n.mu.Unlock()
			t := time.NewTimer(time.Until(started.Add(NudgeSpacing)))
			select {
			case <-t.C:
			case <-stopped:
			}
			t.Stop()
			// Nudges until now are answered by the next run.
			n.mu.Lock()
			n.again[k] = false
			n.mu.Unlock()
		}
	}()
}

// stop refuses new nudges and waits for the runs under way and owed.
func (n *nudges) stop() {
	n.mu.Lock()
	if !n.closed && n.stopped != nil {
		close(n.stopped)
	}
	n.closed = true
	n.mu.Unlock()
	n.wg.Wait()
}
