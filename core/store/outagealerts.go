package store

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// outageAlertColumns lets an escalation alert be of a request or of an
// outage (escalation_alerts.outage_id, exactly one of the two set) and a
// notification tell of an alert (notifications.alert_id, part of its
// key). PostgreSQL alters the tables; SQLite, which cannot drop a NOT NULL
// or a UNIQUE, copies them into new ones.
func outageAlertColumns(ctx context.Context, tx bun.Tx, postgres bool) error {
	stmts := []string{
		"ALTER TABLE escalation_alerts ALTER COLUMN request_id DROP NOT NULL",
		"ALTER TABLE escalation_alerts ADD COLUMN outage_id BIGINT REFERENCES outages (id) ON DELETE CASCADE",
		"ALTER TABLE escalation_alerts ADD CONSTRAINT escalation_alerts_subject CHECK ((request_id IS NULL) <> (outage_id IS NULL))",
		"ALTER TABLE notifications ADD COLUMN alert_id BIGINT NOT NULL DEFAULT 0",
		"ALTER TABLE notifications DROP CONSTRAINT notifications_event_id_kind_channel_address_key",
		"ALTER TABLE notifications ADD CONSTRAINT notifications_key UNIQUE (event_id, alert_id, kind, channel, address)",
	}
	if !postgres {
		stmts = []string{
			`CREATE TABLE escalation_alerts_new (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				request_id BIGINT REFERENCES requests (id) ON DELETE CASCADE,
				outage_id BIGINT REFERENCES outages (id) ON DELETE CASCADE,
				cycle INTEGER NOT NULL,
				level INTEGER NOT NULL,
				role TEXT NOT NULL,
				organization_id BIGINT REFERENCES organizations (id),
				deadline TEXT NOT NULL,
				due_at TIMESTAMP NOT NULL,
				created_at TIMESTAMP NOT NULL,
				CHECK ((request_id IS NULL) <> (outage_id IS NULL)))`,
			`INSERT INTO escalation_alerts_new (id, request_id, cycle, level, role, organization_id, deadline, due_at, created_at)
				SELECT id, request_id, cycle, level, role, organization_id, deadline, due_at, created_at FROM escalation_alerts`,
			"DROP TABLE escalation_alerts",
			"ALTER TABLE escalation_alerts_new RENAME TO escalation_alerts",
			"CREATE INDEX escalation_alerts_request_idx ON escalation_alerts (request_id, id)",
			"CREATE INDEX escalation_alerts_role_idx ON escalation_alerts (role, organization_id, id)",
			`CREATE TABLE notifications_new (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				kind TEXT NOT NULL,
				channel TEXT NOT NULL,
				address TEXT NOT NULL,
				lang TEXT NOT NULL,
				subject TEXT NOT NULL DEFAULT '',
				body TEXT NOT NULL,
				request_id BIGINT NOT NULL DEFAULT 0,
				event_id BIGINT NOT NULL DEFAULT 0,
				alert_id BIGINT NOT NULL DEFAULT 0,
				status TEXT NOT NULL DEFAULT 'pending',
				attempts INTEGER NOT NULL DEFAULT 0,
				last_error TEXT NOT NULL DEFAULT '',
				created_at TIMESTAMP NOT NULL,
				sent_at TIMESTAMP,
				UNIQUE (event_id, alert_id, kind, channel, address))`,
			`INSERT INTO notifications_new (id, kind, channel, address, lang, subject, body, request_id, event_id, status, attempts, last_error, created_at, sent_at)
				SELECT id, kind, channel, address, lang, subject, body, request_id, event_id, status, attempts, last_error, created_at, sent_at FROM notifications`,
			"DROP TABLE notifications",
			"ALTER TABLE notifications_new RENAME TO notifications",
			"CREATE INDEX notifications_pending ON notifications (status, id)",
		}
	}
	stmts = append(stmts, "CREATE INDEX escalation_alerts_outage_idx ON escalation_alerts (outage_id, id) WHERE outage_id IS NOT NULL")
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// lateOutage is what the sweep reads of an outage past its expected end.
type lateOutage struct {
	ID             int64     `bun:"id"`
	OrganizationID *int64    `bun:"organization_id"`
	EndsAt         time.Time `bun:"ends_at"`
}

// escalateOutages escalates the open outages past their expected end at
// now: the first level (escalated_at, an internal event on each request
// still waiting for the outage, alerts due at its expected end) and, the
// city's second-level delay (core.SecondLevelDelay) after it, the second.
// Alerts go to core.AlertAddressees, the organization's manager being the
// declaring organization's, and each is queued for notifying
// (alert_outbox). It returns how many escalations it raised.
func escalateOutages(ctx context.Context, tx bun.Tx, now time.Time) (n int, err error) {
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	for _, step := range []struct {
		level int
		where string
		arg   time.Time
	}{
		{1, "escalation_level = 0 AND ends_at < ?", now},
		{2, "escalation_level = 1 AND escalated_at <= ?", now.Add(-core.SecondLevelDelay(settings))},
	} {
		var late []lateOutage
		err := tx.NewSelect().TableExpr("outages").Column("id", "organization_id", "ends_at").
			Where("closed_at IS NULL").Where(step.where, step.arg).Order("id").Limit(1000).Scan(ctx, &late)
		if err != nil {
			return n, err
		}
		if len(late) == 0 {
			continue
		}
		ids := make([]int64, len(late))
		for i, o := range late {
			ids[i] = o.ID
		}
		if _, err := tx.NewRaw("UPDATE outages SET escalation_level = ?, escalated_at = coalesce(escalated_at, ?) WHERE id IN (?)",
			step.level, now, bun.In(ids)).Exec(ctx); err != nil {
			return n, err
		}
		if step.level == 1 {
			var rs []lateRow
			err = tx.NewSelect().TableExpr("requests").Column("id", "status", "outage_id").
				Where("outage_id IN (?) AND status = ?", bun.In(ids), core.StatusOutage).Order("id").Scan(ctx, &rs)
			if err != nil {
				return n, err
			}
			for _, r := range rs {
				if err := escalationEvent(ctx, tx, r, core.M("event.outage_late", "ID", r.OutageID), now); err != nil {
					return n, err
				}
			}
		}
		for _, o := range late {
			if err := raiseOutageAlerts(ctx, tx, o, step.level, now); err != nil {
				return n, err
			}
		}
		n += len(late)
	}
	return n, nil
}

// raiseOutageAlerts stores the alerts of one escalation of an outage, one
// per addressee, each queued for notifying.
func raiseOutageAlerts(ctx context.Context, tx bun.Tx, o lateOutage, level int, now time.Time) error {
	for _, role := range core.AlertAddressees(level, o.OrganizationID != nil) {
		al := &core.EscalationAlert{OutageID: &o.ID, Level: level, Role: role, Deadline: core.DeadlineOutageEnd,
			DueAt: o.EndsAt.UTC(), CreatedAt: now}
		if role == core.RoleOrgManager {
			al.OrganizationID = o.OrganizationID
		}
		if _, err := tx.NewInsert().Model(al).Returning("id").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw("INSERT INTO alert_outbox (alert_id) VALUES (?)", al.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
