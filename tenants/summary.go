package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/tenants/jobs"
)

// JobWeeklySummary is the per-city job that mails the last week's HQ
// summary to its subscribers (core.Analytics.MailWeeklySummary).
const JobWeeklySummary = "city.weekly_summary"

// SummaryHour is the hour of Monday, in the city's time zone, from which
// the last week's summary is mailed; SummaryEvery is how often the queue
// looks whether a city's Monday morning has come.
const (
	SummaryHour  = 7
	SummaryEvery = 15 * time.Minute
)

// WeeklySummaryMail is what the weekly mailing needs from the server: the
// gate of a city (its authorizer), the sender, and the summary page's
// address in a city (e.g. https://opencity.example/t/kazan/hq/summary).
type WeeklySummaryMail struct {
	Gate   func(slug string) core.Gate
	Sender mail.Sender
	Link   func(slug string) string
	Now    func() time.Time // nil: time.Now
}

// EnqueueWeeklySummaries enqueues, for every serving city whose local time
// at slot is Monday from SummaryHour on, the mailing of the week before.
// The unique key of each city and week means one job per city and week,
// whichever process and slot enqueues it.
func (b *Backend) EnqueueWeeklySummaries(ctx context.Context, q *jobs.Queue, slot time.Time) error {
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !t.Working() {
			continue
		}
		loc, err := time.LoadLocation(t.Timezone)
		if err != nil {
			loc = time.UTC
		}
		local := slot.In(loc)
		if local.Weekday() != time.Monday || local.Hour() < SummaryHour {
			continue
		}
		week := core.LastWeek(slot, loc)
		key := fmt.Sprintf("%s:%s:%s", JobWeeklySummary, t.Slug, week)
		if _, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobWeeklySummary, Tenant: t.Slug, UniqueKey: key,
			Payload: map[string]string{"week": week}, Attempts: 5}); err != nil {
			return err
		}
	}
	return nil
}

// MailWeeklySummary mails a city's summary of week to its subscribers in
// the city's language; it returns how many it sent.
func (b *Backend) MailWeeklySummary(ctx context.Context, slug, week string, m WeeklySummaryMail) (int, error) {
	st, err := b.Store(slug)
	if err != nil {
		return 0, err
	}
	t, err := b.Registry().Get(ctx, slug)
	if err != nil {
		return 0, err
	}
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		loc = time.UTC
	}
	now := m.Now
	if now == nil {
		now = time.Now
	}
	a := &core.Analytics{Store: st, Gate: m.Gate(slug), Location: loc, Now: now}
	return a.MailWeeklySummary(ctx, week, core.SummaryMail{Lang: t.Locale, Link: m.Link(slug),
		Send: func(ctx context.Context, to, subject, text string) error {
			return m.Sender.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
		}})
}

// RegisterWeeklySummary makes the queue mail each city's weekly summary on
// Monday morning in the city's time zone (EnqueueWeeklySummaries); a
// re-run of a job sends nobody the same week twice.
func (b *Backend) RegisterWeeklySummary(q *jobs.Queue, m WeeklySummaryMail) {
	q.Handle(JobWeeklySummary, func(ctx context.Context, j *jobs.Job) error {
		var p struct {
			Week string `json:"week"`
		}
		if err := j.Decode(&p); err != nil {
			return err
		}
		n, err := b.MailWeeklySummary(ctx, j.Tenant, p.Week, m)
		if n > 0 {
			slog.InfoContext(ctx, "weekly summary mailed", "city", j.Tenant, "week", p.Week, "sent", n)
		}
		return err
	})
	q.Every(jobs.Periodic{Every: SummaryEvery, Enqueue: b.EnqueueWeeklySummaries})
}
