package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/tenants/jobs"
)

// JobRelay is the per-city job that turns new history events into webhook
// deliveries and sends what is due (core.WebhookRelay).
const JobRelay = "city.relay"

// RelayTimeout is how long a receiver may take to answer a delivery.
const RelayTimeout = 10 * time.Second

// RelayConfig is what the relay needs from the server.
type RelayConfig struct {
	HTTP *http.Client     // nil: a client with RelayTimeout
	Mail mail.Sender      // tells the owner of a disabled endpoint; nil for nobody
	Now  func() time.Time // nil: time.Now
}

// RegisterRelay makes the queue run each city's relay when its requests
// change (NudgeRelay), when a failing endpoint's retry is due, and once per
// SweepEvery for every serving city.
func (b *Backend) RegisterRelay(q *jobs.Queue, cfg RelayConfig) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: RelayTimeout}
	}
	q.Handle(JobRelay, func(ctx context.Context, j *jobs.Job) error {
		st, err := b.Store(j.Tenant)
		if err != nil {
			return err
		}
		relay := &core.WebhookRelay{Store: st, City: j.Tenant, HTTP: cfg.HTTP, Now: cfg.Now,
			Disabled: func(ctx context.Context, e *core.WebhookEndpoint) error {
				return b.tellDisabled(ctx, cfg.Mail, j.Tenant, e)
			}}
		next, err := relay.Run(ctx)
		if err != nil {
			return err
		}
		if !next.IsZero() {
			// The relay's times are the server's clock, the queue's its own.
			_, err = q.EnqueueDue(ctx, JobRelay, j.Tenant, q.Now().Add(max(next.Sub(cfg.Now()), 0)))
		}
		return err
	})
	q.Every(jobs.Periodic{Every: SweepEvery, Enqueue: b.enqueueDueEach(JobRelay)})
}

// enqueueDueEach makes the periodic enqueue of a due job of the given kind
// for every working city (one pending job per city: jobs.Queue.EnqueueDue).
func (b *Backend) enqueueDueEach(kind string) func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
	return func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
		ts, err := b.Registry().List(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if !t.Working() {
				continue
			}
			if _, err := q.EnqueueDue(ctx, kind, t.Slug, q.Now()); err != nil {
				return err
			}
		}
		return nil
	}
}

// NudgeRelay asks for the city's relay to run now, without waiting for
// the queue (see nudges); it implements core.ChangeObserver for the API
// and the pages. A failure is logged: the periodic run delivers anyway.
func (b *Backend) NudgeRelay(slug string) {
	b.nudge(JobRelay, slug)
}

// tellDisabled e-mails the owner of an endpoint just disabled, in the
// city's language.
func (b *Backend) tellDisabled(ctx context.Context, m mail.Sender, slug string, e *core.WebhookEndpoint) error {
	slog.WarnContext(ctx, "webhook endpoint disabled", "city", slug, "endpoint", e.ID)
	if m == nil || e.OwnerEmail == "" {
		return nil
	}
	lang := "ru"
	if t, err := b.Registry().Get(ctx, slug); err == nil && t.Locale != "" {
		lang = t.Locale
	}
	args := map[string]any{"URL": e.URL, "City": slug, "ID": fmt.Sprint(e.ID), "Days": int(core.WebhookRetryWindow.Hours() / 24)}
	return m.Send(ctx, mail.Message{To: e.OwnerEmail, Subject: i18n.Text(lang, "webhook.disabled_subject", args),
		Text: i18n.Text(lang, "webhook.disabled_body", args)})
}
