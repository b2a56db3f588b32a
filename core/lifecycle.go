package core

import (
	"github.com/opencity/opencity/core/i18n"
	"slices"
	"strings"
	"time"
)

// Action is something a person does to a request.
type Action string

// The actions of the lifecycle. Each is also the access-rule action on
// ObjRequests, so a city's policies decide which roles may use it.
const (
	ActionAssign    Action = "assign"
	ActionAccept    Action = "accept"
	ActionStart     Action = "start"
	ActionResolve   Action = "resolve"
	ActionReturn    Action = "return"
	ActionDelegate  Action = "delegate"
	ActionClose     Action = "close"
	ActionReopen    Action = "reopen"
	ActionReject    Action = "reject"
	ActionDuplicate Action = "duplicate"
	ActionRecall    Action = "recall"
)

// Party says whose the request must be for an actor to act on it, beyond
// the access rules of the role.
type Party int

const (
	// PartyStaff: city staff who see every request (dispatchers, admins).
	PartyStaff Party = iota
	// PartyOrg: a member of the responsible organization or of the contractor
	// it delegated to.
	PartyOrg
	// PartyResponsible: a member of the responsible organization only.
	PartyResponsible
	// PartyOwner: the citizen who filed the request, or city staff.
	PartyOwner
)

// Rule is one row of the transition table.
type Rule struct {
	From    []Status
	To      Status // "" keeps the status (delegation)
	Party   Party
	Comment bool // a comment (reason) is required
}

// Lifecycle is the one transition table, enforced on every path.
var Lifecycle = map[Action]Rule{
	ActionAssign:    {From: []Status{StatusNew, StatusReturned, StatusOutage}, To: StatusAssigned, Party: PartyStaff},
	ActionAccept:    {From: []Status{StatusAssigned, StatusReopened}, To: StatusAccepted, Party: PartyOrg},
	ActionStart:     {From: []Status{StatusAccepted}, To: StatusInProgress, Party: PartyOrg},
	ActionResolve:   {From: []Status{StatusAccepted, StatusInProgress}, To: StatusResolved, Party: PartyOrg, Comment: true},
	ActionReturn:    {From: []Status{StatusAssigned, StatusAccepted, StatusReopened}, To: StatusReturned, Party: PartyResponsible, Comment: true},
	ActionDelegate:  {From: []Status{StatusAssigned, StatusAccepted, StatusInProgress, StatusReopened}, Party: PartyResponsible},
	ActionClose:     {From: []Status{StatusResolved}, To: StatusClosed, Party: PartyOwner},
	ActionReopen:    {From: []Status{StatusResolved, StatusClosed}, To: StatusReopened, Party: PartyOwner, Comment: true},
	ActionReject:    {From: []Status{StatusNew, StatusReturned}, To: StatusRejected, Party: PartyStaff, Comment: true},
	ActionDuplicate: {From: []Status{StatusNew, StatusReturned, StatusAssigned, StatusOutage}, To: StatusDuplicate, Party: PartyStaff},
	// Recall takes the request back from the organization holding it and
	// gives it to another, in one step.
	ActionRecall: {From: []Status{StatusAssigned, StatusAccepted, StatusInProgress, StatusReopened}, To: StatusAssigned, Party: PartyStaff, Comment: true},
}

// Actions lists the lifecycle actions in a stable order.
var Actions = []Action{ActionAssign, ActionAccept, ActionStart, ActionResolve, ActionReturn, ActionDelegate,
	ActionClose, ActionReopen, ActionReject, ActionDuplicate, ActionRecall}

// OpenStatuses are the statuses in which a request is with an organization
// and awaits its work: the reaction and resolution times run only in these.
var OpenStatuses = []Status{StatusAssigned, StatusAccepted, StatusInProgress, StatusReopened}

// TriageStatuses are the statuses in which a request waits for the
// dispatcher: routing could not place it, or an organization returned it.
var TriageStatuses = []Status{StatusNew, StatusReturned}

// UnfinishedStatuses are the statuses in which a request still waits for
// someone, the dispatcher, an organization or the end of an outage: HQ
// counts them as open.
var UnfinishedStatuses = append(append(slices.Clone(TriageStatuses), OpenStatuses...), StatusOutage)

// Open reports whether a request in status s still awaits work (one of
// OpenStatuses).
func (s Status) Open() bool { return slices.Contains(OpenStatuses, s) }

// NextDue is the deadline that matters now: the reaction time until the
// request is accepted, then the resolution time until it is resolved; nil
// when none runs (the request is not running, or has no deadline).
func (r *Request) NextDue() *time.Time {
	switch {
	case !r.Status.Running():
		return nil
	case r.AcceptedAt == nil && r.ReactionDueAt != nil:
		return r.ReactionDueAt
	case r.ResolvedAt == nil:
		return r.ResolutionDueAt
	}
	return nil
}

// Overdue reports whether r is running (in triage or with an organization)
// and past its reaction time (not yet accepted) or its resolution time (not
// yet resolved) at now. The store's overdue filter is the same rule in SQL
// (core/store, overdueExpr).
func (r *Request) Overdue(now time.Time) bool {
	return r.Status.Running() && ((r.AcceptedAt == nil && r.ReactionDueAt != nil && now.After(*r.ReactionDueAt)) ||
		(r.ResolvedAt == nil && r.ResolutionDueAt != nil && now.After(*r.ResolutionDueAt)))
}

// ActionInput is what the caller gives with an action.
type ActionInput struct {
	Comment      string `json:"comment"`
	Organization string `json:"organization"` // assign, delegate: the organization's code
	Original     string `json:"original"`     // duplicate: the original's number
}

// Change is what applying an action needs besides the request: the
// organization named by the input, the original of a duplicate, the category
// and calendar for due times, the city's reopen window (0: none), and the
// time.
type Change struct {
	Actor        Actor
	Action       Action
	Input        ActionInput
	Organization *Organization
	Original     *Request
	Category     *Category
	Calendar     *Calendar
	ReopenDays   int
	Now          time.Time
}

// MaxComment bounds comments and reasons.
const MaxComment = 4000

// Apply performs one lifecycle action on r and returns the history event.
// It checks the transition table and the actor's relation to the request;
// the caller has already checked the role's access rules.
func (r *Request) Apply(c Change) (*RequestEvent, error) {
	rule, ok := Lifecycle[c.Action]
	if !ok {
		return nil, E(ENOTFOUND, "error.no_action", "Action", string(c.Action))
	}
	comment := strings.TrimSpace(c.Input.Comment)
	f := FieldErrors{}
	if rule.Comment && comment == "" {
		f.Add("comment", "error.give_reason")
	}
	checkLen(f, "comment", comment, MaxComment)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if !slices.Contains(rule.From, r.Status) {
		return nil, E(ECONFLICT, "error.transition", "Action", i18n.Code("act."+string(c.Action)), "Status", i18n.Code("status."+string(r.Status)))
	}
	if err := r.checkParty(rule.Party, c.Actor); err != nil {
		return nil, err
	}
	if c.Action == ActionReject && c.Category.Wish() {
		return nil, E(ECONFLICT, "error.wish_not_rejected")
	}
	from := r.Status
	ev := &RequestEvent{RequestID: r.ID, Kind: string(c.Action), FromState: string(from), Comment: comment,
		Public: true, CreatedAt: c.Now}
	if c.Actor.UserID != 0 {
		id := c.Actor.UserID
		ev.ActorID = &id
	}
	switch c.Action {
	case ActionAssign:
		if err := c.needOrg(""); err != nil {
			return nil, err
		}
		// The dispatcher takes a request out of an outage it is not about.
		r.OutageID = nil
		r.assign(c.Organization.ID, c.Category, c.Calendar, c.Now)
		ev.OrganizationID = &c.Organization.ID
	case ActionRecall:
		if err := c.needOrg(""); err != nil {
			return nil, err
		}
		if r.OrganizationID != nil && c.Organization.ID == *r.OrganizationID {
			return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
				Fields: FieldErrors{"organization": M("error.recall_same")}}
		}
		from := r.Organization
		r.handOff(ReturnRecalled, c, comment)
		r.assign(c.Organization.ID, c.Category, c.Calendar, c.Now)
		ev.OrganizationID = &c.Organization.ID
		ev.Note = M("event.recalled", "From", from, "To", c.Organization.Code)
	case ActionAccept:
		r.AcceptedAt = &c.Now
		r.ReactionSeconds = r.sinceCycleStart(c.Now)
	case ActionResolve:
		r.ResolvedAt = &c.Now
		r.ResolutionSeconds = r.sinceCycleStart(c.Now)
	case ActionReturn:
		r.Returns++
		ev.OrganizationID = r.OrganizationID
		r.handOff(ReturnReturned, c, comment)
	case ActionDelegate:
		if err := c.needOrg(OrgContractor); err != nil {
			return nil, err
		}
		if r.OrganizationID != nil && c.Organization.ID == *r.OrganizationID {
			return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
				Fields: FieldErrors{"organization": M("error.delegate_self")}}
		}
		r.ExecutorID = &c.Organization.ID
		ev.OrganizationID = &c.Organization.ID
	case ActionClose:
		r.ClosedAt = &c.Now
	case ActionReopen:
		if r.OrganizationID == nil {
			return nil, E(ECONFLICT, "error.reopen_no_org")
		}
		if err := c.checkReopenWindow(r); err != nil {
			return nil, err
		}
		r.Reopens++
		r.ClosedAt, r.ResolvedAt, r.ResolutionSeconds, r.AcceptedAt, r.ReactionSeconds = nil, nil, nil, nil, nil
		r.Cycle++
		r.startCycle(c.Category, c.Calendar, c.Now)
		r.assign(*r.OrganizationID, c.Category, c.Calendar, c.Now)
	case ActionDuplicate:
		if c.Original == nil {
			return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
				Fields: FieldErrors{"original": M("error.give_original")}}
		}
		if c.Original.ID == r.ID {
			return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
				Fields: FieldErrors{"original": M("error.duplicate_self")}}
		}
		r.DuplicateOf = &c.Original.ID
		ev.Note = M("event.duplicate_of", "Number", c.Original.Number)
	}
	if rule.To != "" {
		r.Status = rule.To
	}
	r.UpdatedAt = c.Now
	ev.ToState = string(r.Status)
	return ev, nil
}

func (c Change) needOrg(kind string) error {
	var msg Msg
	switch {
	case c.Organization == nil:
		msg = M("error.give_organization")
	case !c.Organization.Active:
		msg = M("error.org_inactive")
	case kind != "" && c.Organization.Kind != kind:
		msg = M("error.org_kind", "Kind", i18n.Code("kind."+kind))
	}
	if msg.Code != "" {
		return &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"organization": msg}}
	}
	return nil
}

// assign gives the request to an organization. The due times keep running
// from the start of the cycle, whoever held the request before; a request
// that has none yet gets them from its cycle's start (or intake).
func (r *Request) assign(orgID int64, cat *Category, cal *Calendar, now time.Time) {
	r.OrganizationID, r.ExecutorID = &orgID, nil
	r.AssignedAt = &now
	if r.CycleStartedAt == nil || (r.ReactionDueAt == nil && r.ResolutionDueAt == nil) {
		start := r.CreatedAt
		if r.CycleStartedAt != nil {
			start = *r.CycleStartedAt
		}
		r.startCycle(cat, cal, start)
	}
}

// checkReopenWindow refuses to reopen a request closed longer ago than the
// city's reopen window; the citizen files a new request that follows it.
func (c Change) checkReopenWindow(r *Request) error {
	if r.Status != StatusClosed || r.ClosedAt == nil || c.ReopenDays <= 0 {
		return nil
	}
	if c.Now.After(r.ClosedAt.AddDate(0, 0, c.ReopenDays)) {
		return &Error{Code: EINVALID, Message: "error.reopen_too_late",
			Fields: FieldErrors{"comment": M("error.reopen_window", "Count", c.ReopenDays, "Number", r.Number)}}
	}
	return nil
}

// EmergencyReaction is the reaction time of every emergency.
const EmergencyReaction = 30 * time.Minute

// checkParty checks the actor's relation to the request.
func (r *Request) checkParty(p Party, a Actor) error {
	isOrg := func(id *int64) bool { return id != nil && a.OrganizationID != 0 && *id == a.OrganizationID }
	ok := false
	switch p {
	case PartyStaff:
		ok = a.SeesAllRequests() && a.Role != RoleAnalyst
	case PartyOrg:
		ok = isOrg(r.OrganizationID) || isOrg(r.ExecutorID)
	case PartyResponsible:
		ok = isOrg(r.OrganizationID)
	case PartyOwner:
		ok = (a.Role == RoleCitizen && (r.CreatedBy == a.UserID || (r.CitizenID != nil && *r.CitizenID == a.UserID))) ||
			(a.SeesAllRequests() && a.Role != RoleAnalyst)
	}
	if !ok {
		return E(EFORBIDDEN, "error.not_yours")
	}
	return nil
}
