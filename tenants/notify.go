package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/core/sms"
	"github.com/opencity/opencity/tenants/jobs"
)

// Notification jobs: JobNotify turns a city's new history events into
// notifications and enqueues one JobNotifySend per notification, which
// sends it and is retried with the queue's backoff.
const (
	JobNotify     = "city.notify"
	JobNotifySend = "notify.send"
)

// NotifyAttempts is how often a notification is tried before it is given
// up (with the queue's exponential backoff, about four minutes in all).
const NotifyAttempts = 8

// NotifyConfig is what notifications need from the server.
type NotifyConfig struct {
	Mail mail.Sender // nil: no e-mail is sent
	SMS  sms.Sender  // nil: no SMS is sent
	// Base is the address of a city's pages in messages, e.g.
	// https://kazan.opencity.example or https://opencity.example/t/kazan.
	Base func(slug string) string
	Now  func() time.Time // nil: time.Now
}

const notifyBatch = 200

// RegisterNotify makes the queue notify citizens, organizations and staff
// of each city's request events: when its requests change (NudgeNotify)
// and once per SweepEvery for every serving city.
func (b *Backend) RegisterNotify(q *jobs.Queue, cfg NotifyConfig) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b.notifying = true
	q.Handle(JobNotify, func(ctx context.Context, j *jobs.Job) error {
		return b.fanOutNotices(ctx, q, j.Tenant, cfg)
	})
	q.Handle(JobNotifySend, func(ctx context.Context, j *jobs.Job) error {
		var p struct {
			ID int64 `json:"id"`
		}
		if err := j.Decode(&p); err != nil {
			return err
		}
		return b.sendNotice(ctx, j, p.ID, cfg)
	})
	q.Every(jobs.Periodic{Every: SweepEvery, Enqueue: b.enqueueDueEach(JobNotify)})
}

// NudgeNotify asks for the city's notifications to be made now, without
// waiting for the queue (see nudges); a failure is logged, as the periodic
// run makes them anyway.
func (b *Backend) NudgeNotify(slug string) {
	if !b.notifying {
		return
	}
	b.nudge(JobNotify, slug)
}

// fanOutNotices makes the notifications of a city's new events and
// enqueues the sending of every pending one (one job per notification,
// kept unique by its id).
func (b *Backend) fanOutNotices(ctx context.Context, q *jobs.Queue, slug string, cfg NotifyConfig) error {
	st, err := b.Store(slug)
	if err != nil {
		return err
	}
	t, err := b.Registry().Get(ctx, slug)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		loc = time.UTC
	}
	region, err := st.PhoneRegion(ctx)
	if err != nil {
		return err
	}
	base := cfg.Base(slug)
	p := &core.NoticePlanner{City: t.Name, Locale: t.Locale, Location: loc, PhoneRegion: region, Email: cfg.Mail != nil, SMS: cfg.SMS != nil,
		TrackLink:  func(code string) string { return base + "/track/" + code },
		StaffLink:  func(number string) string { return base + "/requests/" + number },
		OptOutLink: func(token string) string { return base + "/notifications/off/" + token },
		OutageLink: func(id int64) string { return base + "/outages/" + strconv.FormatInt(id, 10) }}
	for {
		n, err := st.NoticeFanOut(ctx, p, cfg.Now().UTC(), notifyBatch)
		if err != nil {
			return err
		}
		if n < notifyBatch {
			break
		}
	}
	var after int64
	for {
		ids, err := st.PendingNotifications(ctx, after, notifyBatch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobNotifySend, Tenant: slug, Payload: map[string]int64{"id": id},
				UniqueKey: fmt.Sprintf("%s:%s:%d", JobNotifySend, slug, id), Attempts: NotifyAttempts}); err != nil {
				return err
			}
			after = id
		}
		if len(ids) < notifyBatch {
			return nil
		}
	}
}

// errNoChannel is a notification whose channel this server cannot send on.
var errNoChannel = errors.New("this server has no sender for the channel")

// sendNotice sends one notification unless it went already or its address
// opted out. A refusal of the address is final; any other failure is
// retried by the queue, and the last one marks it failed (the job stays in
// the dead-letter list). Neither errors nor logs name the address.
func (b *Backend) sendNotice(ctx context.Context, j *jobs.Job, id int64, cfg NotifyConfig) error {
	st, err := b.Store(j.Tenant)
	if err != nil {
		return err
	}
	n, optedOut, err := st.Notification(ctx, id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil || n.Status != core.NotificationPending {
		return err
	}
	if optedOut {
		n.Status = core.NotificationOptedOut
		return st.RecordNotification(ctx, n)
	}
	switch {
	case n.Channel == core.ChannelEmail && cfg.Mail != nil:
		err = cfg.Mail.Send(ctx, mail.Message{To: n.Address, Subject: n.Subject, Text: n.Body})
	case n.Channel == core.ChannelSMS && cfg.SMS != nil:
		err = cfg.SMS.Send(ctx, n.Address, n.Body)
	default:
		err = errNoChannel
	}
	n.Attempts = j.Attempts
	now := cfg.Now().UTC()
	if err == nil {
		n.Status, n.LastError, n.SentAt = core.NotificationSent, "", &now
		slog.InfoContext(ctx, "notification sent", "city", j.Tenant, "notification", n.ID, "kind", n.Kind, "channel", n.Channel)
		return st.RecordNotification(ctx, n)
	}
	msg := scrub(err.Error(), n.Address)
	if len(msg) > 500 {
		msg = msg[:500]
	}
	n.LastError = msg
	final := rejected(err) || errors.Is(err, errNoChannel)
	if final || j.Attempts >= j.MaxAttempts {
		n.Status = core.NotificationFailed
	}
	if rerr := st.RecordNotification(ctx, n); rerr != nil {
		return rerr
	}
	if final {
		slog.WarnContext(ctx, "notification refused", "city", j.Tenant, "notification", n.ID, "channel", n.Channel, "err", msg)
		return nil
	}
	return errors.New(msg)
}

// rejected reports a refusal of the recipient that retrying cannot cure:
// the SMS gateway's, or an SMTP server's permanent (5xx) reply.
func rejected(err error) bool {
	var te *textproto.Error
	return errors.Is(err, sms.ErrRejected) || (errors.As(err, &te) && te.Code >= 500)
}

// scrub removes an address from an error's text, so that no log line and
// no job record carries it.
func scrub(msg, addr string) string {
	for _, a := range []string{addr, strings.ToLower(addr), strings.TrimPrefix(addr, "+")} {
		if a != "" {
			msg = strings.ReplaceAll(msg, a, "<recipient>")
		}
	}
	return msg
}
