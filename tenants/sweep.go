package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/jobs"
)

// JobSweep is the per-city job that flags overdue requests with an
// escalation event and closes resolved requests the citizen left unconfirmed.
const JobSweep = "city.sweep"

// SweepEvery is how often each city is swept.
const SweepEvery = time.Minute

// Sweep runs the deadline work of one city at now.
func (b *Backend) Sweep(ctx context.Context, slug string, now time.Time) (escalated, closed int, err error) {
	st, err := b.Store(slug)
	if err != nil {
		return 0, 0, err
	}
	if escalated, err = st.Escalate(ctx, now); err != nil {
		return 0, 0, err
	}
	settings, err := st.Settings(ctx)
	if err != nil {
		return escalated, 0, err
	}
	days := core.AutoCloseDays(settings)
	closed, err = st.AutoClose(ctx, now.Add(-time.Duration(days)*24*time.Hour), now,
		core.M("event.auto_closed", "Count", days))
	return escalated, closed, err
}

// RegisterSweep makes the queue sweep every active city once per minute, at
// the time now returns (nil: time.Now) — the server's own clock, so a server
// with a test clock never closes requests by the wall clock. The unique key
// of each city and minute means that with several server processes each
// sweep is enqueued, and so run, once.
func (b *Backend) RegisterSweep(q *jobs.Queue, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	q.Handle(JobSweep, func(ctx context.Context, j *jobs.Job) error {
		var p struct {
			At time.Time `json:"at"`
		}
		if err := j.Decode(&p); err != nil {
			return err
		}
		esc, closed, err := b.Sweep(ctx, j.Tenant, now())
		if esc+closed > 0 {
			slog.InfoContext(ctx, "sweep", "city", j.Tenant, "escalated", esc, "closed", closed)
		}
		return err
	})
	q.Every(jobs.Periodic{Every: SweepEvery, Enqueue: func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
		ts, err := b.Registry().List(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Status != StatusActive && t.Status != StatusPastDue || !t.Serving() {
				continue
			}
			key := fmt.Sprintf("%s:%s:%s", JobSweep, t.Slug, slot.Format(time.RFC3339))
			if _, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobSweep, Tenant: t.Slug, UniqueKey: key,
				Payload: map[string]time.Time{"at": slot}, Attempts: 3}); err != nil {
				return err
			}
		}
		return nil
	}})
}
