package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/jobs"
)

// JobSweep is the per-city job that computes the deadlines of requests
// stored before cycles existed, escalates overdue requests (levels and
// alerts) and closes resolved requests the citizen left unconfirmed.
const JobSweep = "city.sweep"

// SweepEvery is how often each city is swept.
const SweepEvery = time.Minute

// Sweep runs the deadline work of one city at now.
func (b *Backend) Sweep(ctx context.Context, slug string, now time.Time) (escalated, closed int, err error) {
	st, err := b.Store(slug)
	if err != nil {
		return 0, 0, err
	}
	if err := b.backfill(ctx, slug, st); err != nil {
		return 0, 0, err
	}
	if escalated, err = st.Escalate(ctx, now); err != nil {
		return 0, 0, err
	}
	if escalated > 0 { // the escalations' e-mails go now, not at the next periodic run
		b.NudgeNotify(slug)
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

// backfillBatches bounds the requests one sweep computes the deadlines of
// (batches of backfillBatch, one transaction each); the next sweep goes on.
const (
	backfillBatch   = 1000
	backfillBatches = 50
)

// backfill computes, in the city's calendar, the deadlines from intake of
// requests stored before cycles existed (store.Backfill).
func (b *Backend) backfill(ctx context.Context, slug string, st interface {
	Backfill(ctx context.Context, loc *time.Location, limit int) (int, error)
}) error {
	t, err := b.Registry().Get(ctx, slug)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		loc = time.UTC
	}
	for range backfillBatches {
		n, err := st.Backfill(ctx, loc, backfillBatch)
		if err != nil || n < backfillBatch {
			if n > 0 {
				slog.InfoContext(ctx, "deadlines computed from intake", "city", slug, "requests", n)
			}
			return err
		}
	}
	return nil
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
			if !t.Working() {
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
