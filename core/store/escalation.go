package store

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// lateRow is what the sweep reads of a request past a deadline.
type lateRow struct {
	ID              int64      `bun:"id"`
	Status          string     `bun:"status"`
	Cycle           int        `bun:"cycle"`
	OrganizationID  *int64     `bun:"organization_id"`
	EscalationLevel int        `bun:"escalation_level"`
	Due             time.Time  `bun:"due"`
	AcceptedAt      *time.Time `bun:"accepted_at"`
	ReactionDueAt   *time.Time `bun:"reaction_due_at"`
	ResolutionDueAt *time.Time `bun:"resolution_due_at"`
	OutageID        int64      `bun:"outage_id"`
}

// Escalate raises the escalation of running requests (core.UnfinishedStatuses:
// triage included) at now. A reaction or resolution time that ran out is
// flagged with an internal event and raises first-level alerts, to the
// dispatcher on duty and the manager of the organization holding the
// request (core.AlertAddressees); a request still overdue the city's
// second-level delay (core.SecondLevelDelay) after its first level raises
// the second, to HQ as well. An open outage past its expected end is
// flagged (escalateOutages). It returns how many escalations it raised.
func (s *Store) Escalate(ctx context.Context, now time.Time) (n int, err error) {
	now = now.UTC()
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, kind := range []struct{ deadline, due, done, flag, msg string }{
			{core.DeadlineReaction, "reaction_due_at", "accepted_at", "reaction_escalated_at", "event.reaction_late"},
			{core.DeadlineResolution, "resolution_due_at", "resolved_at", "resolution_escalated_at", "event.resolution_late"},
		} {
			var late []lateRow
			err := tx.NewSelect().TableExpr("requests").
				Column("id", "status", "cycle", "organization_id", "escalation_level").ColumnExpr("? AS due", bun.Ident(kind.due)).
				Where("? < ? AND ? IS NULL AND ? IS NULL", bun.Ident(kind.due), now, bun.Ident(kind.done), bun.Ident(kind.flag)).
				Where("status IN (?)", bun.In(core.UnfinishedStatuses)).Order("id").Limit(1000).Scan(ctx, &late)
			if err != nil {
				return err
			}
			for _, r := range late {
				level := max(r.EscalationLevel, 1)
				_, err := tx.NewRaw("UPDATE requests SET ? = ?, escalation_level = ?, escalated_at = coalesce(escalated_at, ?) WHERE id = ?",
					bun.Ident(kind.flag), now, level, now, r.ID).Exec(ctx)
				if err != nil {
					return err
				}
				lateCol := "reaction_late"
				if kind.deadline == core.DeadlineResolution {
					lateCol = "resolution_late"
				}
				_, err = tx.NewRaw("UPDATE request_cycles SET ? = TRUE, escalation_level = ? WHERE request_id = ? AND cycle = ?",
					bun.Ident(lateCol), level, r.ID, r.Cycle).Exec(ctx)
				if err != nil {
					return err
				}
				if err := escalationEvent(ctx, tx, r, core.M(kind.msg), now); err != nil {
					return err
				}
				if err := raiseAlerts(ctx, tx, r, 1, kind.deadline, r.Due, now); err != nil {
					return err
				}
				n++
			}
		}
		m, err := secondLevel(ctx, tx, now)
		n += m
		if err != nil {
			return err
		}
		m, err = escalateOutages(ctx, tx, now)
		n += m
		return err
	})
	return n, err
}

// secondLevel raises the second level of the requests whose first level is
// older than the city's delay and that are still overdue at now.
func secondLevel(ctx context.Context, tx bun.Tx, now time.Time) (n int, err error) {
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	var late []lateRow
	err = tx.NewSelect().TableExpr("requests AS r").
		Column("r.id", "r.status", "r.cycle", "r.organization_id", "r.escalation_level", "r.accepted_at",
			"r.reaction_due_at", "r.resolution_due_at").
		Where("r.escalation_level = 1 AND r.escalated_at <= ?", now.Add(-core.SecondLevelDelay(settings))).
		Where(overdueExpr, bun.In(core.UnfinishedStatuses), now, now).Order("r.id").Limit(1000).Scan(ctx, &late)
	if err != nil {
		return 0, err
	}
	for _, r := range late {
		if _, err := tx.NewRaw("UPDATE requests SET escalation_level = 2, escalated_at = ? WHERE id = ?", now, r.ID).Exec(ctx); err != nil {
			return n, err
		}
		_, err := tx.NewRaw("UPDATE request_cycles SET escalation_level = 2 WHERE request_id = ? AND cycle = ?", r.ID, r.Cycle).Exec(ctx)
		if err != nil {
			return n, err
		}
		deadline, due := core.DeadlineResolution, r.ResolutionDueAt
		if r.AcceptedAt == nil && r.ReactionDueAt != nil && r.ReactionDueAt.Before(now) {
			deadline, due = core.DeadlineReaction, r.ReactionDueAt
		}
		if due == nil {
			due = &now
		}
		if err := escalationEvent(ctx, tx, r, core.M("event.escalated_second"), now); err != nil {
			return n, err
		}
		if err := raiseAlerts(ctx, tx, r, 2, deadline, *due, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func escalationEvent(ctx context.Context, tx bun.Tx, r lateRow, note core.Msg, now time.Time) error {
	ev := &core.RequestEvent{RequestID: r.ID, Kind: "escalated", FromState: r.Status, ToState: r.Status,
		Note: note, Public: false, CreatedAt: now}
	return recordEvents(ctx, tx, ev)
}

// raiseAlerts stores the alerts of one escalation, one per addressee.
func raiseAlerts(ctx context.Context, tx bun.Tx, r lateRow, level int, deadline string, due, now time.Time) error {
	for _, role := range core.AlertAddressees(level, r.OrganizationID != nil) {
		al := &core.EscalationAlert{RequestID: &r.ID, Cycle: r.Cycle, Level: level, Role: role, Deadline: deadline,
			DueAt: due.UTC(), CreatedAt: now}
		if role == core.RoleOrgManager {
			al.OrganizationID = r.OrganizationID
		}
		if _, err := tx.NewInsert().Model(al).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// selectAlerts reads alerts with their request's number or their
// outage's utility, and the code of the organization they are addressed
// to.
func selectAlerts(tx bun.IDB, dest any) *bun.SelectQuery {
	return tx.NewSelect().Model(dest).ModelTableExpr("escalation_alerts AS al").ColumnExpr("al.*").
		ColumnExpr("coalesce(r.number, '') AS number").ColumnExpr("coalesce(g.utility, '') AS utility").
		ColumnExpr("coalesce(o.code, '') AS organization_code").
		Join("LEFT JOIN requests AS r ON r.id = al.request_id").
		Join("LEFT JOIN outages AS g ON g.id = al.outage_id").
		Join("LEFT JOIN organizations AS o ON o.id = al.organization_id")
}

// Alerts returns up to limit of the newest alerts addressed to the actor,
// of requests and of outages (core.Actor.SeesAlert in SQL): a city admin
// sees all, an organization's manager those of its organization, other
// roles those of their role.
func (s *Store) Alerts(ctx context.Context, a core.Actor, limit int) (out []core.EscalationAlert, err error) {
	if limit <= 0 || limit > core.MaxPage {
		limit = core.MaxPage
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := selectAlerts(tx, &out)
		switch {
		case a.Role == core.RoleCityAdmin:
		case a.Role == core.RoleOrgManager:
			q = q.Where("al.role = ? AND al.organization_id = ?", a.Role, a.OrganizationID)
		default:
			q = q.Where("al.role = ?", a.Role)
		}
		return q.Order("al.id DESC").Limit(limit).Scan(ctx)
	})
	return out, err
}

// RequestAlerts returns the alerts of a request the actor can see, the
// oldest first; a citizen sees none.
func (s *Store) RequestAlerts(ctx context.Context, a core.Actor, requestID int64) (out []core.EscalationAlert, err error) {
	if a.Role == core.RoleCitizen {
		return nil, nil
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		visible := scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a).Where("r.id = ?", requestID)
		return selectAlerts(tx, &out).Where("al.request_id IN (?)", visible).Order("al.id").Scan(ctx)
	})
	return out, err
}
