package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// noticeOutboxRow is a history event not yet looked at by the notifier.
type noticeOutboxRow struct {
	bun.BaseModel `bun:"table:notification_outbox"`
	EventID       int64 `bun:"event_id,pk"`
	RequestID     int64 `bun:"request_id,notnull"`
}

// noticeContact is an address notified, with the token of its opt-out link.
type noticeContact struct {
	bun.BaseModel `bun:"table:notification_contacts"`
	Address       string     `bun:"address,pk"`
	Token         string     `bun:"token,notnull"`
	OptedOutAt    *time.Time `bun:"opted_out_at"`
}

// contactKey is how an address is kept: e-mail addresses in lower case,
// phone numbers as given (E.164).
func contactKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// NoticeFanOut implements core.NotifyStore.
func (s *Store) NoticeFanOut(ctx context.Context, p *core.NoticePlanner, now time.Time, limit int) (n int, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		q := tx.NewSelect().TableExpr("notification_outbox").Column("event_id").Order("event_id").Limit(limit)
		if s.scope.Postgres() {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) > 0 {
			n = len(ids)
			if err := s.noticeFanOut(ctx, tx, p, ids, now); err != nil {
				return err
			}
			if _, err := tx.NewRaw("DELETE FROM notification_outbox WHERE event_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
				return err
			}
		}
		m, err := s.outageAlertFanOut(ctx, tx, p, now, limit)
		n = max(n, m)
		return err
	})
	return n, err
}

// noticeDirectory loads what every plan of a fan-out reads: the city's
// directory, its templates (into p) and its staff by role.
func noticeDirectory(ctx context.Context, tx bun.Tx, p *core.NoticePlanner) (*core.Directory, map[core.Role][]core.User, error) {
	dir, err := directory(ctx, tx, false)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.NewSelect().Model(&p.Templates).ModelTableExpr("notification_templates AS notice_template").Scan(ctx); err != nil {
		return nil, nil, err
	}
	staff, err := staffByRole(ctx, tx)
	return dir, staff, err
}

// outageAlertFanOut turns up to limit alerts of late outages waiting in
// alert_outbox into pending notifications (p.PlanOutageAlert), each to the
// active users it is addressed to; it reports how many alerts it took.
func (s *Store) outageAlertFanOut(ctx context.Context, tx bun.Tx, p *core.NoticePlanner, now time.Time, limit int) (int, error) {
	var ids []int64
	q := tx.NewSelect().TableExpr("alert_outbox").Column("alert_id").Order("alert_id").Limit(limit)
	if s.scope.Postgres() {
		q = q.For("UPDATE SKIP LOCKED")
	}
	if err := q.Scan(ctx, &ids); err != nil || len(ids) == 0 {
		return 0, err
	}
	var als []core.EscalationAlert
	if err := tx.NewSelect().Model(&als).ModelTableExpr("escalation_alerts AS al").ColumnExpr("al.*").
		Where("al.id IN (?) AND al.outage_id IS NOT NULL", bun.In(ids)).Order("al.id").Scan(ctx); err != nil {
		return 0, err
	}
	if len(als) > 0 {
		dir, staff, err := noticeDirectory(ctx, tx, p)
		if err != nil {
			return 0, err
		}
		var planned []core.PlannedNotice
		for i := range als {
			al := &als[i]
			o := new(core.Outage)
			if err := tx.NewSelect().Model(o).Where("id = ?", *al.OutageID).Scan(ctx); err != nil {
				return 0, err
			}
			var users []core.User
			for _, u := range staff[al.Role] {
				if al.Role != core.RoleOrgManager || (u.OrganizationID != nil && al.OrganizationID != nil && *u.OrganizationID == *al.OrganizationID) {
					users = append(users, u)
				}
			}
			planned = append(planned, p.PlanOutageAlert(core.OutageAlertInput{Alert: al, Outage: o, Users: users, Dir: dir})...)
		}
		if err := insertNotices(ctx, tx, p, planned, make([]*core.RequestEvent, len(planned)), now); err != nil {
			return 0, err
		}
	}
	_, err := tx.NewRaw("DELETE FROM alert_outbox WHERE alert_id IN (?)", bun.In(ids)).Exec(ctx)
	return len(ids), err
}

func (s *Store) noticeFanOut(ctx context.Context, tx bun.Tx, p *core.NoticePlanner, ids []int64, now time.Time) error {
	var evs []core.RequestEvent
	if err := tx.NewSelect().Model(&evs).ModelTableExpr("request_events AS e").ColumnExpr("e.*").
		Where("e.id IN (?)", bun.In(ids)).Order("e.id").Scan(ctx); err != nil {
		return err
	}
	var dir *core.Directory
	var staff map[core.Role][]core.User
	var planned []core.PlannedNotice
	var owners []*core.RequestEvent
	for i := range evs {
		ev := &evs[i]
		if core.CitizenNotice(ev) == "" && core.OrganizationNotice(ev) == "" {
			continue
		}
		if dir == nil {
			var err error
			if dir, staff, err = noticeDirectory(ctx, tx, p); err != nil {
				return err
			}
		}
		in, err := s.noticeInput(ctx, tx, ev, dir, staff)
		if err != nil {
			return err
		}
		if in == nil {
			continue
		}
		for _, pn := range p.Plan(*in) {
			planned = append(planned, pn)
			owners = append(owners, ev)
		}
	}
	return insertNotices(ctx, tx, p, planned, owners, now)
}

// insertNotices renders the planned notices, each with the history event
// it tells of (owners, nil for an alert's), as pending notifications,
// leaving out the addresses that opted out.
func insertNotices(ctx context.Context, tx bun.Tx, p *core.NoticePlanner, planned []core.PlannedNotice, owners []*core.RequestEvent, now time.Time) error {
	if len(planned) == 0 {
		return nil
	}
	var ns []core.Notification
	for i, pn := range planned {
		c, err := contact(ctx, tx, pn.Address)
		if err != nil {
			return err
		}
		if c.OptedOutAt != nil {
			continue
		}
		ns = append(ns, p.Render(pn, c.Token, owners[i], now))
	}
	if len(ns) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&ns).ModelTableExpr("notifications").On("CONFLICT (event_id, alert_id, kind, channel, address) DO NOTHING").Exec(ctx)
	return err
}

// noticeInput gathers what the planner needs of one event; nil when its
// request is gone.
func (s *Store) noticeInput(ctx context.Context, tx bun.Tx, ev *core.RequestEvent, dir *core.Directory, staff map[core.Role][]core.User) (*core.NoticeInput, error) {
	r := new(core.Request)
	if err := selectRequests(tx, r).Where("r.id = ?", ev.RequestID).Scan(ctx); err != nil {
		return nil, ignoreNoRows(err)
	}
	in := &core.NoticeInput{Event: ev, Request: r, Dir: dir}
	if core.CitizenNotice(ev) != "" {
		if err := tx.NewSelect().Model(&in.CoApplicants).Where("request_id = ?", r.ID).Order("id").Scan(ctx); err != nil {
			return nil, err
		}
		if r.CitizenID != nil {
			u := new(core.User)
			if err := tx.NewSelect().Model(u).Where("id = ? AND active", *r.CitizenID).Scan(ctx); err == nil {
				in.Citizen = u
			} else if err = ignoreNoRows(err); err != nil {
				return nil, err
			}
		}
		code, err := trackingCode(ctx, tx, r.ID)
		if err != nil {
			return nil, err
		}
		in.TrackingCode = code
		if r.OutageID != nil {
			o := new(core.Outage)
			if err := tx.NewSelect().Model(o).Where("id = ?", *r.OutageID).Scan(ctx); err == nil {
				in.Outage = o
			} else if err = ignoreNoRows(err); err != nil {
				return nil, err
			}
		}
	}
	if core.OrganizationNotice(ev) == core.NoticeEscalated {
		for _, role := range core.StaffNotified(max(r.EscalationLevel, 1)) {
			in.Staff = append(in.Staff, staff[role]...)
		}
		if r.OrganizationID != nil {
			for _, u := range staff[core.RoleOrgManager] {
				if u.OrganizationID != nil && *u.OrganizationID == *r.OrganizationID {
					in.Managers = append(in.Managers, u)
				}
			}
		}
	}
	return in, nil
}

// staffByRole lists the active users with an e-mail address who are told
// of escalations, by role.
func staffByRole(ctx context.Context, tx bun.Tx) (map[core.Role][]core.User, error) {
	var us []core.User
	err := tx.NewSelect().Model(&us).Where("active AND email <> ''").
		Where("role IN (?)", bun.In([]core.Role{core.RoleDispatcher, core.RoleAnalyst, core.RoleOrgManager})).Order("id").Scan(ctx)
	out := map[core.Role][]core.User{}
	for _, u := range us {
		out[u.Role] = append(out[u.Role], u)
	}
	return out, err
}

// trackingCode returns the request's tracking code, giving it one when it
// has none (a request taken by phone or through the API), so that every
// notified person can follow it without an account.
func trackingCode(ctx context.Context, tx bun.Tx, requestID int64) (string, error) {
	var codes []string
	if err := tx.NewSelect().TableExpr("request_tracking").Column("code").Where("request_id = ?", requestID).Scan(ctx, &codes); err != nil {
		return "", err
	}
	if len(codes) > 0 {
		return codes[0], nil
	}
	code := core.NewTrackingCode()
	_, err := tx.NewRaw("INSERT INTO request_tracking (request_id, code) VALUES (?, ?)", requestID, code).Exec(ctx)
	return code, err
}

// contact returns the address's contact row, creating it with a fresh
// token on first use.
func contact(ctx context.Context, tx bun.Tx, addr string) (*noticeContact, error) {
	c := &noticeContact{Address: contactKey(addr)}
	err := tx.NewSelect().Model(c).WherePK().Scan(ctx)
	if err == nil {
		return c, nil
	}
	if err = ignoreNoRows(err); err != nil {
		return nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	c.Token = hex.EncodeToString(b)
	if _, err := tx.NewInsert().Model(c).On("CONFLICT (address) DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	return c, tx.NewSelect().Model(c).WherePK().Scan(ctx)
}

// PendingNotifications implements core.NotifyStore.
func (s *Store) PendingNotifications(ctx context.Context, after int64, limit int) (ids []int64, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("notifications").Column("id").Where("status = ? AND id > ?", core.NotificationPending, after).
			Order("id").Limit(limit).Scan(ctx, &ids)
	})
	return ids, err
}

// Notification implements core.NotifyStore.
func (s *Store) Notification(ctx context.Context, id int64) (n *core.Notification, optedOut bool, err error) {
	n = new(core.Notification)
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(n).ModelTableExpr("notifications AS notification").Where("notification.id = ?", id).Scan(ctx); err != nil {
			return notFound(err, "notification")
		}
		c := &noticeContact{Address: contactKey(n.Address)}
		err := tx.NewSelect().Model(c).WherePK().Scan(ctx)
		optedOut = err == nil && c.OptedOutAt != nil
		return ignoreNoRows(err)
	})
	return n, optedOut, err
}

// RecordNotification implements core.NotifyStore.
func (s *Store) RecordNotification(ctx context.Context, n *core.Notification) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE notifications SET status = ?, attempts = ?, last_error = ?, sent_at = ? WHERE id = ?",
			n.Status, n.Attempts, n.LastError, n.SentAt, n.ID).Exec(ctx)
		return err
	})
}

// NoticeTemplates implements core.NoticeStore.
func (s *Store) NoticeTemplates(ctx context.Context) (out []core.NoticeTemplate, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).ModelTableExpr("notification_templates AS notice_template").Order("kind", "lang").Scan(ctx)
	})
	return out, err
}

// PutNoticeTemplate implements core.NoticeStore.
func (s *Store) PutNoticeTemplate(ctx context.Context, t *core.NoticeTemplate) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(t).ModelTableExpr("notification_templates").
			On("CONFLICT (kind, lang) DO UPDATE").
			Set("subject = EXCLUDED.subject, body = EXCLUDED.body, sms = EXCLUDED.sms, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		return err
	})
}

// DeleteNoticeTemplate implements core.NoticeStore.
func (s *Store) DeleteNoticeTemplate(ctx context.Context, kind, lang string) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("DELETE FROM notification_templates WHERE kind = ? AND lang = ?", kind, lang).Exec(ctx)
		return err
	})
}

// OptOut implements core.NoticeStore.
func (s *Store) OptOut(ctx context.Context, token string, now time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE notification_contacts SET opted_out_at = coalesce(opted_out_at, ?) WHERE token = ?", now, token).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.NotFound("notice_contact")
		}
		return nil
	})
}

// ignoreNoRows makes "no rows" no error.
func ignoreNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}
