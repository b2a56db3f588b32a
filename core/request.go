package core

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where a request stands in its lifecycle.
type Status string

// The lifecycle of DESIGN.md.
const (
	StatusNew        Status = "new"
	StatusAssigned   Status = "assigned"
	StatusAccepted   Status = "accepted"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
	StatusReturned   Status = "returned"
	StatusReopened   Status = "reopened"
	StatusRejected   Status = "rejected"
	StatusDuplicate  Status = "duplicate"
	// StatusOutage: attached at intake to an outage of its utility at its
	// building; answered by the outage's notice and resolved when it closes.
	StatusOutage Status = "outage"
)

// Statuses lists every status.
var Statuses = []Status{StatusNew, StatusAssigned, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed,
	StatusReturned, StatusReopened, StatusRejected, StatusDuplicate, StatusOutage}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Channel is how a request reached the city.
type Channel string

// Intake channels.
const (
	ChannelCallCentre Channel = "call_centre"
	ChannelPortal     Channel = "portal"
	ChannelMobile     Channel = "mobile"
	ChannelOpen311    Channel = "open311"
	ChannelExternal   Channel = "external"
)

// Channels lists every channel.
var Channels = []Channel{ChannelCallCentre, ChannelPortal, ChannelMobile, ChannelOpen311, ChannelExternal}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Priority orders the work of organizations.
type Priority string

// Priorities.
const (
	PriorityEmergency Priority = "emergency"
	PriorityNormal    Priority = "normal"
	PriorityPlanned   Priority = "planned"
)

// Priorities lists every priority, the most urgent first.
var Priorities = []Priority{PriorityEmergency, PriorityNormal, PriorityPlanned}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return slices.Contains(Priorities, p) }

// Names writes a list of a domain's values (statuses, priorities, channels)
// as strings, for messages and the OpenAPI description's enums.
func Names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// Request is one citizen's request about housing and communal services.
type Request struct {
	ID             int64    `bun:"id,pk,autoincrement"`
	Number         string   `bun:"number,notnull"`
	Channel        Channel  `bun:"channel,notnull"`
	Status         Status   `bun:"status,notnull"`
	Priority       Priority `bun:"priority,notnull"`
	CategoryID     int64    `bun:"category_id,notnull"`
	BuildingID     *int64   `bun:"building_id"`
	DistrictID     *int64   `bun:"district_id"`
	Address        string   `bun:"address,notnull"`
	Apartment      string   `bun:"apartment,notnull"`
	Entrance       string   `bun:"entrance,notnull"`
	Lat            *float64 `bun:"lat"`
	Lon            *float64 `bun:"lon"`
	Description    string   `bun:"description,notnull"`
	ApplicantName  string   `bun:"applicant_name,notnull"`
	ApplicantPhone string   `bun:"applicant_phone,notnull"`
	ApplicantEmail string   `bun:"applicant_email,notnull"`
	// ApplicantLang is the language the applicant is notified in; "" for
	// the city's locale.
	ApplicantLang   string     `bun:"applicant_lang,notnull"`
	CitizenID       *int64     `bun:"citizen_id"`
	CreatedBy       int64      `bun:"created_by,notnull"`
	OrganizationID  *int64     `bun:"organization_id"`
	ExecutorID      *int64     `bun:"executor_id"`
	ExternalSource  *string    `bun:"external_source"`
	ExternalID      *string    `bun:"external_id"`
	IdempotencyKey  *string    `bun:"idempotency_key"`
	Fingerprint     string     `bun:"fingerprint,notnull"`
	DuplicateOf     *int64     `bun:"duplicate_of"`
	ReactionDueAt   *time.Time `bun:"reaction_due_at"`
	ResolutionDueAt *time.Time `bun:"resolution_due_at"`
	AssignedAt      *time.Time `bun:"assigned_at"`
	AcceptedAt      *time.Time `bun:"accepted_at"`
	ResolvedAt      *time.Time `bun:"resolved_at"`
	ClosedAt        *time.Time `bun:"closed_at"`
	// ReactionSeconds (cycle start → accepted) and ResolutionSeconds (cycle
	// start → resolved) are kept for analytics; the cycle starts at intake.
	ReactionSeconds       *int64     `bun:"reaction_seconds"`
	ResolutionSeconds     *int64     `bun:"resolution_seconds"`
	ReactionEscalatedAt   *time.Time `bun:"reaction_escalated_at"`
	ResolutionEscalatedAt *time.Time `bun:"resolution_escalated_at"`
	Rating                *int       `bun:"rating"`
	RatingComment         string     `bun:"rating_comment,notnull"`
	// Reopens counts the citizen's reopenings, Returns the organizations'
	// "not ours" returns; HQ's figures count requests with at least one.
	Reopens int `bun:"reopens,notnull"`
	Returns int `bun:"returns,notnull"`
	// CreatedDay is the date of intake in the city's time zone
	// (YYYY-MM-DD): the day HQ's figures count the request on.
	CreatedDay string `bun:"created_day,notnull"`
	// Cycle numbers the current cycle (1 from intake, one more per reopen),
	// started at CycleStartedAt; the due, accepted, resolved, seconds and
	// escalated fields are the current cycle's (RequestCycle keeps each).
	Cycle          int        `bun:"cycle,notnull"`
	CycleStartedAt *time.Time `bun:"cycle_started_at"`
	// EscalationLevel is how far the current cycle was escalated (0 none,
	// 1 at its deadline, 2 after the city's delay), raised at EscalatedAt.
	EscalationLevel int        `bun:"escalation_level,notnull"`
	EscalatedAt     *time.Time `bun:"escalated_at"`
	// FollowsID names the closed request this one was filed about when the
	// time to reopen it had passed.
	FollowsID *int64 `bun:"follows_id"`
	// MediaURL links to media kept elsewhere, given at intake through
	// Open311 (media_url); "" for none.
	MediaURL string `bun:"media_url,notnull"`
	// OutageID names the outage the request was attached to at intake.
	OutageID *int64 `bun:"outage_id"`
	// SearchText is the applicant's name, the address and the description
	// folded for search (SearchDocument); whoever writes those fields
	// writes it too, and the databases' text indexes follow it.
	SearchText string    `bun:"search_text,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`

	// Joined for display; not columns of requests.
	CategoryCode string `bun:"category_code,scanonly"`
	Organization string `bun:"organization_code,scanonly"`
	Executor     string `bun:"executor_code,scanonly"`
	Follows      string `bun:"follows_number,scanonly"`

	// Handoff is set by a return or a recall for the store to record; not a
	// column.
	Handoff *RequestReturn `bun:"-"`
}

// RequestEvent is one entry of a request's history.
type RequestEvent struct {
	ID        int64  `bun:"id,pk,autoincrement"`
	RequestID int64  `bun:"request_id,notnull"`
	ActorID   *int64 `bun:"actor_id"`
	Kind      string `bun:"kind,notnull"`
	// OrganizationID names the organization an assignment or delegation went to.
	OrganizationID *int64 `bun:"organization_id"`
	FromState      string `bun:"from_status,notnull"`
	ToState        string `bun:"to_status,notnull"`
	// Note is what the system says about the event (routing decision,
	// escalation, duplicate, rating), rendered in the reader's language;
	// Comment is what a person wrote.
	Note      Msg       `bun:"note,notnull"`
	Comment   string    `bun:"comment,notnull"`
	Public    bool      `bun:"public,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`

	// AuthorRole is the role of the event's author, joined where the
	// audience matters (OutsiderHistory); empty for the system's events.
	AuthorRole Role `bun:"author_role,scanonly"`
}

// Location is a point given by a citizen who has no building to name.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Applicant is the person a request is for: personal data.
type Applicant struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	// Lang is the language the applicant is notified in ("ru", "en"); the
	// city's locale when empty or not one the catalog speaks.
	Lang string `json:"lang"`
}

// NewRequest is what intake accepts from any channel.
type NewRequest struct {
	Category    string    `json:"category"`
	BuildingID  *int64    `json:"building_id"`
	Address     string    `json:"address"`
	Apartment   string    `json:"apartment"`
	Entrance    string    `json:"entrance"`
	Location    *Location `json:"location"`
	Description string    `json:"description"`
	Priority    Priority  `json:"priority"`
	Channel     Channel   `json:"channel"`
	Applicant   Applicant `json:"applicant"`
	// Follows is the number of a closed request of the same applicant that
	// this one is about, when the time to reopen that one has passed.
	Follows string `json:"follows"`
}

// Limits on free text, in characters.
const (
	MaxDescription = 4000
	MaxAddress     = 300
	MaxShortText   = 100
)

// Normalize trims whitespace in every text field.
func (n *NewRequest) Normalize() {
	n.Category = strings.TrimSpace(n.Category)
	n.Address = strings.TrimSpace(n.Address)
	n.Apartment = strings.TrimSpace(n.Apartment)
	n.Entrance = strings.TrimSpace(n.Entrance)
	n.Description = strings.TrimSpace(n.Description)
	n.Applicant.Name = strings.TrimSpace(n.Applicant.Name)
	n.Applicant.Phone = strings.TrimSpace(n.Applicant.Phone)
	n.Applicant.Email = strings.TrimSpace(n.Applicant.Email)
	n.Follows = strings.TrimSpace(n.Follows)
}

// Validate checks the shape of the input and reports every fault at once;
// references (category, building) are checked by the store inside the
// intake transaction. The applicant's phone number may be written any way
// (ParsePhone in region) and is rewritten in E.164 form. Text holding a NUL
// character is refused (MsgNULCharacter).
func (n *NewRequest) Validate(region string) error {
	f := FieldErrors{}
	if n.Category == "" {
		f.Add("category", "error.required")
	}
	checkLen(f, "category", n.Category, MaxShortText)
	if n.BuildingID == nil && n.Address == "" && n.Location == nil {
		f.Add("address", "error.give_address")
	}
	if n.BuildingID != nil && *n.BuildingID <= 0 {
		f.Add("building_id", "error.not_positive_id")
	}
	checkLen(f, "address", n.Address, MaxAddress)
	checkLen(f, "apartment", n.Apartment, MaxShortText)
	checkLen(f, "entrance", n.Entrance, MaxShortText)
	checkLen(f, "follows", n.Follows, MaxShortText)
	if n.Location != nil {
		if !(n.Location.Lat >= -90 && n.Location.Lat <= 90) { // NaN too, from a form
			f.Add("location.lat", "error.lat_range")
		}
		if !(n.Location.Lon >= -180 && n.Location.Lon <= 180) {
			f.Add("location.lon", "error.lon_range")
		}
	}
	if n.Description == "" {
		f.Add("description", "error.required")
	}
	checkLen(f, "description", n.Description, MaxDescription)
	if n.Priority != "" && !n.Priority.Valid() {
		f.Add("priority", "error.one_of", "List", strings.Join(Names(Priorities), ", "))
	}
	if n.Channel != "" && !n.Channel.Valid() {
		f.Add("channel", "error.one_of", "List", strings.Join(Names(Channels), ", "))
	}
	checkLen(f, "applicant.name", n.Applicant.Name, MaxShortText)
	if n.Applicant.Phone != "" {
		if p, ok := ParsePhone(n.Applicant.Phone, region); ok {
			n.Applicant.Phone = p
		} else {
			f.Add("applicant.phone", MsgNotPhone)
		}
	}
	if n.Applicant.Email != "" {
		if a, err := mail.ParseAddress(n.Applicant.Email); err != nil || a.Address != n.Applicant.Email {
			f.Add("applicant.email", "error.not_email")
		}
	}
	if n.Applicant.Phone == "" && n.Applicant.Email == "" {
		f.Add("applicant.phone", "error.give_contact")
	}
	return f.Err()
}

// checkLen refuses text that is not UTF-8, holds a NUL character or is
// longer than max characters.
func checkLen(f FieldErrors, field, s string, max int) {
	if !utf8.ValidString(s) {
		f.Add(field, "error.not_utf8")
	} else if strings.ContainsRune(s, 0) {
		f.Add(field, MsgNULCharacter)
	} else if utf8.RuneCountInString(s) > max {
		f.Add(field, "error.too_long")
	}
}

// Attachment is a photo of a request, kept in the city's upload folder under
// its SHA-256.
type Attachment struct {
	ID          int64     `bun:"id,pk,autoincrement"`
	RequestID   int64     `bun:"request_id,notnull"`
	EventID     *int64    `bun:"event_id"`
	FileName    string    `bun:"file_name,notnull"`
	ContentType string    `bun:"content_type,notnull"`
	Size        int64     `bun:"size,notnull"`
	SHA256      string    `bun:"sha256,notnull"`
	Public      bool      `bun:"public,notnull"`
	CreatedBy   *int64    `bun:"created_by"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
}
