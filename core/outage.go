package core

import (
	"github.com/opencity/opencity/core/i18n"
	"slices"
	"strings"
	"time"
)

// Outage is a planned or emergency shutdown (отключение) of a utility for a
// set of buildings. While it is open and has started, new requests about
// that utility from those buildings attach to it at intake (StatusOutage)
// and are answered by its notice instead of going to triage; closing it
// resolves them together.
type Outage struct {
	ID int64 `bun:"id,pk,autoincrement"`
	// Utility is one of Utilities: the requests of categories with the same
	// Category.Utility attach to the outage.
	Utility string `bun:"utility,notnull"`
	Kind    string `bun:"kind,notnull"` // one of OutageKinds
	// OrganizationID is the organization the outage is of (the resource
	// supplier, or the organization that declared it); nil when the
	// dispatcher named none. Attached requests are held by it.
	OrganizationID *int64 `bun:"organization_id"`
	// StartsAt and EndsAt (expected) are UTC; an open outage past EndsAt
	// is overdue and escalated by the sweep (EscalatedAt).
	StartsAt time.Time `bun:"starts_at,notnull"`
	EndsAt   time.Time `bun:"ends_at,notnull"`
	// NoticeRU and NoticeEN are the text residents read, in both languages.
	NoticeRU string `bun:"notice_ru,notnull"`
	NoticeEN string `bun:"notice_en,notnull"`
	// ClosedAt is when the outage was closed (nil while open), by ClosedBy,
	// with the note its requests were resolved with.
	ClosedAt    *time.Time `bun:"closed_at"`
	ClosedBy    *int64     `bun:"closed_by"`
	CloseNote   string     `bun:"close_note,notnull"`
	EscalatedAt *time.Time `bun:"escalated_at"`
	// EscalationLevel is how far the sweep escalated it: 0 none, 1 at
	// EscalatedAt, 2 the city's second-level delay after it.
	EscalationLevel int       `bun:"escalation_level,notnull"`
	CreatedBy       int64     `bun:"created_by,notnull"`
	CreatedAt       time.Time `bun:"created_at,notnull"`

	// Joined for display; not columns of outages.
	Organization string `bun:"organization_code,scanonly"`
	// Buildings counts the buildings it covers; Linked the requests
	// attached to it, Waiting those of them still waiting for it.
	Buildings int `bun:"buildings,scanonly"`
	Linked    int `bun:"linked,scanonly"`
	Waiting   int `bun:"waiting,scanonly"`
}

// Kinds of outage.
const (
	OutagePlanned   = "planned"
	OutageEmergency = "emergency"
)

// OutageKinds lists the kinds of outage.
var OutageKinds = []string{OutagePlanned, OutageEmergency}

// Open reports whether the outage is not closed yet.
func (o *Outage) Open() bool { return o.ClosedAt == nil }

// Active reports whether new requests attach to the outage at now: it is
// open and has started.
func (o *Outage) Active(now time.Time) bool { return o.Open() && !now.Before(o.StartsAt) }

// Overdue reports whether the outage is open past its expected end at now.
func (o *Outage) Overdue(now time.Time) bool { return o.Open() && now.After(o.EndsAt) }

// Notice is the residents' text in lang ("ru" or "en"), the other one when
// that one is empty.
func (o *Outage) Notice(lang string) string {
	if lang == "en" && o.NoticeEN != "" || o.NoticeRU == "" {
		return o.NoticeEN
	}
	return o.NoticeRU
}

// Limits of an outage's input.
const (
	// MaxOutageBuildings bounds the buildings one outage covers.
	MaxOutageBuildings = 5000
	// MaxNotice bounds each notice text, in characters.
	MaxNotice = 2000
)

// NewOutage is what declaring an outage takes. The buildings it covers are
// the union of those named by id, those on a street (every word of Street
// in the address, as the buildings' search reads it) and those of a
// district; at least one must result.
type NewOutage struct {
	Utility string `json:"utility" enum:"utilities" doc:"the utility shut off: requests of categories of this utility attach to the outage"`
	Kind    string `json:"kind" enum:"outage_kinds" doc:"planned or emergency (default planned)"`
	// Organization is an organization's code; an organization's own
	// people always declare for their organization.
	Organization string    `json:"organization" doc:"code of the organization whose outage it is (the resource supplier); organizations' people may leave it empty: their own"`
	Buildings    []int64   `json:"buildings" doc:"ids of buildings it covers"`
	Street       string    `json:"street" doc:"every building whose address has all these words (e.g. \"Копылова\")"`
	District     string    `json:"district" doc:"every building of this district (code)"`
	StartsAt     time.Time `json:"starts_at" doc:"when the supply stops (RFC 3339)"`
	EndsAt       time.Time `json:"ends_at" doc:"when it is expected back (RFC 3339); later than starts_at"`
	NoticeRU     string    `json:"notice_ru" doc:"the text residents read, in Russian"`
	NoticeEN     string    `json:"notice_en" doc:"the text residents read, in English"`
}

// Normalize trims the texts of in.
func (in *NewOutage) Normalize() {
	in.Utility, in.Kind, in.Organization = strings.TrimSpace(in.Utility), strings.TrimSpace(in.Kind), strings.TrimSpace(in.Organization)
	in.Street, in.District = strings.TrimSpace(in.Street), strings.TrimSpace(in.District)
	in.NoticeRU, in.NoticeEN = strings.TrimSpace(in.NoticeRU), strings.TrimSpace(in.NoticeEN)
	if in.Kind == "" {
		in.Kind = OutagePlanned
	}
}

// Validate checks the shape of in, every field at once (the buildings and
// codes are checked against the directory by the service).
func (in *NewOutage) Validate(f FieldErrors) {
	if !slices.Contains(Utilities, in.Utility) {
		f.Add("utility", "error.one_of", "List", strings.Join(Utilities, ", "))
	}
	if !slices.Contains(OutageKinds, in.Kind) {
		f.Add("kind", "error.one_of", "List", strings.Join(OutageKinds, ", "))
	}
	if in.StartsAt.IsZero() {
		f.Add("starts_at", "error.required")
	}
	if in.EndsAt.IsZero() {
		f.Add("ends_at", "error.required")
	} else if !in.StartsAt.IsZero() && !in.EndsAt.After(in.StartsAt) {
		f.Add("ends_at", "error.outage_ends_before")
	}
	if in.NoticeRU == "" {
		f.Add("notice_ru", "error.required")
	}
	if in.NoticeEN == "" {
		f.Add("notice_en", "error.required")
	}
	checkLen(f, "notice_ru", in.NoticeRU, MaxNotice)
	checkLen(f, "notice_en", in.NoticeEN, MaxNotice)
	checkLen(f, "street", in.Street, 200)
	if len(in.Buildings) == 0 && in.Street == "" && in.District == "" {
		f.Add("buildings", "error.outage_no_buildings")
	}
	if len(in.Buildings) > MaxOutageBuildings {
		f.Add("buildings", "error.outage_too_many", "Max", MaxOutageBuildings)
	}
	for _, id := range in.Buildings {
		if id <= 0 {
			f.Add("buildings", "error.no_building", "ID", id)
		}
	}
}

// FieldDoc implements the OpenAPI description's field documentation.
func (NewOutage) FieldDoc(string) string { return "" }

// CloseOutage is what closing an outage takes: the note its requests are
// resolved with (the outage's notice when empty).
type CloseOutage struct {
	Comment string `json:"comment" doc:"the note every attached request is resolved with; optional"`
}

// attachOutage puts a new request under the outage o at intake: it waits
// for the outage (StatusOutage), held by the outage's organization, with
// no deadline running (its cycle starts now); the history says why and
// gives the residents' notice in the reader's language.
func (r *Request) attachOutage(o *Outage, now time.Time) *RequestEvent {
	id := o.ID
	r.OutageID = &id
	r.Status = StatusOutage
	r.OrganizationID = o.OrganizationID
	r.Organization = o.Organization
	r.startCycle(nil, nil, now)
	return &RequestEvent{Kind: "outage", FromState: string(StatusNew), ToState: string(StatusOutage), Public: true,
		OrganizationID: o.OrganizationID, CreatedAt: now,
		Note: M("event.outage", "ID", o.ID, "Notice", i18n.Texts{"ru": o.NoticeRU, "en": o.NoticeEN})}
}

// ResolveByOutage resolves r, waiting for the outage o, as o closes: the
// one transition out of StatusOutage besides the dispatcher's assignment.
// It is recorded in the request's current cycle (the store saves it) and
// returns the history event with the closing note.
func (r *Request) ResolveByOutage(o *Outage, actor Actor, note string, now time.Time) (*RequestEvent, error) {
	if r.Status != StatusOutage || r.OutageID == nil || *r.OutageID != o.ID {
		return nil, E(ECONFLICT, "error.transition", "Action", i18n.Code("act.resolve"), "Status", i18n.Code("status."+string(r.Status)))
	}
	r.Status = StatusResolved
	r.ResolvedAt = &now
	r.ResolutionSeconds = r.sinceCycleStart(now)
	r.UpdatedAt = now
	return &RequestEvent{RequestID: r.ID, ActorID: actorID(actor), Kind: "outage_closed", FromState: string(StatusOutage),
		ToState: string(StatusResolved), Public: true, Comment: note, CreatedAt: now,
		Note: M("event.outage_closed", "ID", o.ID)}, nil
}
