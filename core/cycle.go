package core

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Running reports whether the deadlines of the current cycle run in status
// s: while it is unfinished (UnfinishedStatuses), in triage too, for the
// reaction clock starts at intake whoever holds the request.
func (s Status) Running() bool { return slices.Contains(UnfinishedStatuses, s) }

// RequestCycle is one cycle of a request, from its start (intake for the
// first cycle, a reopen for the next) to its resolution, with its own due
// times, reaction and resolution times and lateness. It is the row of
// request_cycles; times are UTC, seconds count from StartedAt.
type RequestCycle struct {
	RequestID         int64      `bun:"request_id,pk"`
	Cycle             int        `bun:"cycle,pk"`
	StartedAt         time.Time  `bun:"started_at,notnull"`
	OrganizationID    *int64     `bun:"organization_id"`
	ReactionDueAt     *time.Time `bun:"reaction_due_at"`
	ResolutionDueAt   *time.Time `bun:"resolution_due_at"`
	AcceptedAt        *time.Time `bun:"accepted_at"`
	ResolvedAt        *time.Time `bun:"resolved_at"`
	ClosedAt          *time.Time `bun:"closed_at"`
	ReactionSeconds   *int64     `bun:"reaction_seconds"`
	ResolutionSeconds *int64     `bun:"resolution_seconds"`
	// ReactionLate: accepted after the reaction due time, or not accepted
	// when it passed; ResolutionLate likewise for the resolution.
	ReactionLate    bool `bun:"reaction_late,notnull"`
	ResolutionLate  bool `bun:"resolution_late,notnull"`
	EscalationLevel int  `bun:"escalation_level,notnull"`

	Organization string `bun:"organization_code,scanonly"` // joined for display
}

// CurrentCycle is the request's current cycle as its columns hold it; nil
// for a request whose deadlines were never computed from its start (stored
// before cycles existed and not yet backfilled).
func (r *Request) CurrentCycle() *RequestCycle {
	if r.CycleStartedAt == nil {
		return nil
	}
	late := func(done, due, escalated *time.Time) bool {
		return escalated != nil || (done != nil && due != nil && done.After(*due))
	}
	org := r.OrganizationID
	if org == nil && r.Handoff != nil {
		org = &r.Handoff.OrganizationID
	}
	return &RequestCycle{RequestID: r.ID, Cycle: r.Cycle, StartedAt: *r.CycleStartedAt, OrganizationID: org,
		ReactionDueAt: r.ReactionDueAt, ResolutionDueAt: r.ResolutionDueAt, AcceptedAt: r.AcceptedAt,
		ResolvedAt: r.ResolvedAt, ClosedAt: r.ClosedAt, ReactionSeconds: r.ReactionSeconds,
		ResolutionSeconds: r.ResolutionSeconds, ReactionLate: late(r.AcceptedAt, r.ReactionDueAt, r.ReactionEscalatedAt),
		ResolutionLate: late(r.ResolvedAt, r.ResolutionDueAt, r.ResolutionEscalatedAt), EscalationLevel: r.EscalationLevel}
}

// Kinds of RequestReturn.
const (
	ReturnReturned = "returned" // the organization said "not ours"
	ReturnRecalled = "recalled" // the dispatcher took the request back
)

// RequestReturn is one time a request left an organization before it was
// resolved; the figures charge it to OrganizationID. It is the row of
// request_returns.
type RequestReturn struct {
	ID             int64     `bun:"id,pk,autoincrement"`
	RequestID      int64     `bun:"request_id,notnull"`
	Cycle          int       `bun:"cycle,notnull"`
	OrganizationID int64     `bun:"organization_id,notnull"`
	Kind           string    `bun:"kind,notnull"` // ReturnReturned or ReturnRecalled
	Reason         string    `bun:"reason,notnull"`
	ActorID        *int64    `bun:"actor_id"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

// startCycle sets the due times of the current cycle from its start: the
// category's reaction and resolution times, in working or calendar time;
// an emergency is answered within EmergencyReaction of the start, in
// calendar time, whatever the category says.
func (r *Request) startCycle(cat *Category, cal *Calendar, start time.Time) {
	r.CycleStartedAt = &start
	r.ReactionEscalatedAt, r.ResolutionEscalatedAt = nil, nil
	r.EscalationLevel, r.EscalatedAt = 0, nil
	r.ReactionDueAt, r.ResolutionDueAt = nil, nil
	if cat == nil || cal == nil {
		return
	}
	reaction := time.Duration(cat.ReactionMinutes) * time.Minute
	working := cat.WorkingTime
	if r.Priority == PriorityEmergency {
		reaction, working = min(reaction, EmergencyReaction), false
	}
	reactDue := cal.Due(start, reaction, working).UTC()
	resolveDue := cal.Due(start, time.Duration(cat.ResolutionMinutes)*time.Minute, working).UTC()
	r.ReactionDueAt, r.ResolutionDueAt = &reactDue, &resolveDue
}

// sinceCycleStart is the time from the start of the current cycle to now,
// in whole seconds.
func (r *Request) sinceCycleStart(now time.Time) *int64 {
	start := r.CreatedAt
	if r.CycleStartedAt != nil {
		start = *r.CycleStartedAt
	}
	s := int64(now.Sub(start).Seconds())
	return &s
}

// handOff takes the request from the organization holding it and records
// whose it was (a return or a recall); the reaction is due again from the
// next holder, within the cycle's deadlines, which keep running.
func (r *Request) handOff(kind string, c Change, reason string) {
	if r.OrganizationID != nil {
		r.Handoff = &RequestReturn{RequestID: r.ID, Cycle: r.Cycle, OrganizationID: *r.OrganizationID, Kind: kind,
			Reason: reason, ActorID: actorID(c.Actor), CreatedAt: c.Now}
	}
	r.OrganizationID, r.ExecutorID = nil, nil
	r.AcceptedAt, r.ReactionSeconds = nil, nil
}

// City settings of escalation and reopening.
const (
	// SettingSecondLevelMinutes is how long after the first level of an
	// overdue request's escalation the second level is raised.
	SettingSecondLevelMinutes = "escalation_second_level_minutes"
	// SettingReopenDays is how long after closing the citizen may reopen.
	SettingReopenDays = "reopen_days"
)

// Defaults and bounds of the escalation and reopen settings.
const (
	DefaultSecondLevelMinutes = 120
	MinSecondLevelMinutes     = 5
	MaxSecondLevelMinutes     = 7 * 24 * 60
	DefaultReopenDays         = 30
	MaxReopenDays             = 365
)

// SecondLevelDelay reads the second-level delay setting, with its default.
func SecondLevelDelay(settings map[string]string) time.Duration {
	n, err := strconv.Atoi(settings[SettingSecondLevelMinutes])
	if err != nil || n < MinSecondLevelMinutes || n > MaxSecondLevelMinutes {
		n = DefaultSecondLevelMinutes
	}
	return time.Duration(n) * time.Minute
}

// ReopenDays reads the reopen window setting, with its default.
func ReopenDays(settings map[string]string) int {
	if n, err := strconv.Atoi(settings[SettingReopenDays]); err == nil && n > 0 && n <= MaxReopenDays {
		return n
	}
	return DefaultReopenDays
}

// Escalation deadlines: which due time an alert is about.
const (
	DeadlineReaction   = "reaction"
	DeadlineResolution = "resolution"
	// DeadlineOutageEnd is an outage's expected end.
	DeadlineOutageEnd = "outage_end"
)

// Deadlines lists the deadlines an alert may be about.
var Deadlines = []string{DeadlineReaction, DeadlineResolution, DeadlineOutageEnd}

// EscalationAlert is one alert an overdue request or a late outage raised:
// level 1 at its deadline (an outage's expected end), level 2 after the
// city's delay (SecondLevelDelay), addressed to a role and, for an
// organization's manager, to OrganizationID (the organization holding the
// request, or the one that declared the outage). It is the row of
// escalation_alerts: exactly one of RequestID and OutageID is set; times
// are UTC.
type EscalationAlert struct {
	ID             int64     `bun:"id,pk,autoincrement"`
	RequestID      *int64    `bun:"request_id"`
	OutageID       *int64    `bun:"outage_id"`
	Cycle          int       `bun:"cycle,notnull"` // 0 for an outage
	Level          int       `bun:"level,notnull"`
	Role           Role      `bun:"role,notnull"`
	OrganizationID *int64    `bun:"organization_id"`
	Deadline       string    `bun:"deadline,notnull"` // one of Deadlines
	DueAt          time.Time `bun:"due_at,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`

	// Joined for display: the request's number, or the outage's utility.
	Number       string `bun:"number,scanonly"`
	Utility      string `bun:"utility,scanonly"`
	Organization string `bun:"organization_code,scanonly"`
}

// OutageNumber is the id of the outage the alert is of, 0 for a request's.
func (al EscalationAlert) OutageNumber() int64 {
	if al.OutageID == nil {
		return 0
	}
	return *al.OutageID
}

// AlertAddressees are the roles an alert of the given level goes to: the
// first level to the dispatcher on duty and the manager of the organization
// holding the request or that declared the outage (when there is one), the
// second to HQ (analysts) as well as the dispatcher.
func AlertAddressees(level int, held bool) []Role {
	if level >= 2 {
		return []Role{RoleDispatcher, RoleAnalyst}
	}
	if held {
		return []Role{RoleDispatcher, RoleOrgManager}
	}
	return []Role{RoleDispatcher}
}

// SeesAlert reports whether the actor is an addressee of alert a: city
// admins see all; an organization's manager sees those addressed to its
// organization.
func (a Actor) SeesAlert(al EscalationAlert) bool {
	switch {
	case a.Role == RoleCityAdmin:
		return true
	case a.Role != al.Role:
		return false
	case a.Role == RoleOrgManager:
		return al.OrganizationID != nil && *al.OrganizationID == a.OrganizationID
	}
	return true
}

// ComputeCycle sets the deadlines, reaction and resolution times of a
// request stored before cycles existed, from the start of its current cycle
// (intake, or its last reopen): the figures then count from intake like
// those of new requests. Its escalation starts over; the sweep raises it
// again if it is still running and overdue.
func (r *Request) ComputeCycle(cat *Category, cal *Calendar, start time.Time) {
	r.startCycle(cat, cal, start)
	r.ReactionSeconds, r.ResolutionSeconds = nil, nil
	if r.AcceptedAt != nil {
		r.ReactionSeconds = r.sinceCycleStart(*r.AcceptedAt)
	}
	if r.ResolvedAt != nil {
		r.ResolutionSeconds = r.sinceCycleStart(*r.ResolvedAt)
	}
}

// EscalationStore is what the request page, the API and the alerts list
// read of a city's cycles and escalation alerts; rows are scoped by the
// actor in the query (a citizen sees no alerts).
type EscalationStore interface {
	// Cycles returns the cycles of a request, the first first.
	Cycles(ctx context.Context, a Actor, requestID int64) ([]RequestCycle, error)
	// RequestAlerts returns the alerts of a request, the oldest first.
	RequestAlerts(ctx context.Context, a Actor, requestID int64) ([]EscalationAlert, error)
	// Alerts returns up to limit of the newest alerts addressed to the actor.
	Alerts(ctx context.Context, a Actor, limit int) ([]EscalationAlert, error)
}
