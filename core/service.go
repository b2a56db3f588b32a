package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opencity/opencity/core/i18n"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Store is one city's storage. Every method runs in a transaction scoped to
// that city, and every read takes the actor so rows are scoped in the query.
type Store interface {
	PhoneRegions
	// IntakeLookup returns the category and building a new request names,
	// with field errors for unknown ones.
	IntakeLookup(ctx context.Context, categoryCode string, buildingID *int64) (*Category, *Building, error)
	// RequestByKey returns the request a user submitted with an idempotency key.
	RequestByKey(ctx context.Context, userID int64, key string) (*Request, error)
	// CreateRequest numbers and stores r with its first history events. When
	// r carries an idempotency key already used by the same creator it
	// returns the stored request and created=false instead.
	CreateRequest(ctx context.Context, r *Request, events []*RequestEvent, year int) (stored *Request, created bool, err error)
	// UpdateRequest locks a request the actor can see and saves what fn
	// changed, with the events fn returns.
	UpdateRequest(ctx context.Context, actor Actor, number string, loc *time.Location,
		fn func(ctx context.Context, r *Request, l Lookup) ([]*RequestEvent, error)) (*Request, error)
	// Lookup runs fn with reference lookups in one transaction.
	Lookup(ctx context.Context, loc *time.Location, fn func(ctx context.Context, l Lookup) error) error
	RequestByNumber(ctx context.Context, actor Actor, number string) (*Request, error)
	ListRequests(ctx context.Context, actor Actor, q RequestQuery) (*RequestPage, error)
	RequestEvents(ctx context.Context, actor Actor, requestID int64) ([]RequestEvent, error)
	AddComment(ctx context.Context, actor Actor, number string, ev *RequestEvent) (*RequestEvent, error)
	// RequestUpdates lists, oldest first, at most limit public events that
	// changed the status of a request the actor sees, or commented on it,
	// made in [from, to).
	RequestUpdates(ctx context.Context, actor Actor, from, to time.Time, limit int) ([]RequestUpdate, error)

	// WorkingCalendar returns the city's working calendar in loc, for the
	// deadlines counted in working time.
	WorkingCalendar(ctx context.Context, loc *time.Location) (*Calendar, error)
	// Directory returns the city's directory (see RoutingStore); without
	// buildings it is the snapshot routing reads, so intake takes the
	// organization the router chose from it without a transaction.
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)

	UserByLogin(ctx context.Context, login string) (*User, error)
	CreateToken(ctx context.Context, t *Token) error
	ActorByToken(ctx context.Context, hash string, now time.Time) (Actor, error)
	// ActorByUserID is the actor of an active account (a page session's
	// user); ENOTFOUND for an unknown or inactive one.
	ActorByUserID(ctx context.Context, id int64) (Actor, error)
}

// Lookup resolves references inside a store transaction.
type Lookup interface {
	OrganizationByCode(ctx context.Context, code string) (*Organization, error)
	OrganizationByID(ctx context.Context, id int64) (*Organization, error)
	RequestByNumber(ctx context.Context, number string) (*Request, error)
	RequestByID(ctx context.Context, id int64) (*Request, error)
	Category(ctx context.Context, id int64) (*Category, error)
	Calendar(ctx context.Context) (*Calendar, error)
	// WorkPhotos counts the photos that staff or organizations attached to a
	// request (not the citizen's).
	WorkPhotos(ctx context.Context, requestID int64) (int, error)
	// Settings returns the city's settings as stored.
	Settings(ctx context.Context) (map[string]string, error)
}

// CalendarDay marks a date as a holiday or a transferred working day.
type CalendarDay struct {
	Day     string `bun:"day,pk" json:"day"` // 2006-01-02
	Working bool   `bun:"working,notnull" json:"working"`
	Name    string `bun:"name,notnull" json:"name"`
}

// RequestQuery selects a page of requests, newest first.
type RequestQuery struct {
	Limit        int
	BeforeID     int64 // keyset cursor: only requests with a smaller id
	WithTotal    bool
	Statuses     []Status
	Category     string // a category or category group code
	Organization string // responsible or executing organization code
	District     string
	Overdue      bool
	CreatedFrom  *time.Time
	CreatedTo    *time.Time
	Text         string
	Now          time.Time // for Overdue
}

// RequestUpdate is one public event of a request's history with the
// status the request had after it: what Open311's updates extension lists.
type RequestUpdate struct {
	EventID   int64     `bun:"event_id"`
	Number    string    `bun:"number"`
	Kind      string    `bun:"kind"`
	Status    Status    `bun:"status"`
	Comment   string    `bun:"comment"`
	Note      Msg       `bun:"note"`
	CreatedAt time.Time `bun:"created_at"`
}

// RequestPage is one page of a request list.
type RequestPage struct {
	Items  []Request
	NextID int64 // 0 when there is no next page
	Total  int   // -1 unless asked for
}

// Requests is intake and the lifecycle of one city's requests. Every
// method passes the gate first: the caller's role must be granted the
// method's action on requests (create, comment, rate, or the lifecycle
// action itself); which requests it reaches is then scoped by the store.
type Requests struct {
	Store    Store
	Gate     Gate
	City     string
	Location *time.Location
	Router   Router // nil: every request goes to triage
	Now      func() time.Time
	Observer IntakeObserver // nil: nobody is told
	// Outages finds the outage a new request attaches to; nil: none do.
	Outages OutageFinder
	// Changes is told after a request or its history changed, so the
	// city's outbound work (webhooks, notifications) runs soon; nil for
	// nobody. The change itself is already durable (the event outbox).
	Changes ChangeObserver
}

// ChangeObserver is told that a city's requests changed.
type ChangeObserver interface {
	Changed(city string)
}

func (s *Requests) changed() {
	if s.Changes != nil {
		s.Changes.Changed(s.City)
	}
}

// OutageFinder finds the outage new requests about a utility from a
// building attach to at now (OutageStore.ActiveOutage); nil when none.
type OutageFinder interface {
	ActiveOutage(ctx context.Context, utility string, buildingID int64, now time.Time) (*Outage, error)
}

// IntakeObserver is told of each new request stored at intake (not of
// replays): its city, channel and the source of its routing decision
// ("rules", "plugin:kazan@1.0.0", "fallback:triage", "none" …). The server's
// metrics count intake with it.
type IntakeObserver interface {
	Intake(city string, channel Channel, source string)
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// Submit validates, routes and stores a new request for actor. A retry with
// the same idempotency key returns the first request with created=false; the
// same key with a different body is a conflict.
func (s *Requests) Submit(ctx context.Context, actor Actor, in NewRequest, key string) (*Request, bool, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, ActCreate); err != nil {
		return nil, false, err
	}
	return s.submit(ctx, actor, in, key, Via{})
}

// Via is what the adapter of another intake protocol adds to a
// submission: the channel the protocol itself is (open311), which the
// submitter does not choose, and a link to media kept elsewhere.
type Via struct {
	Channel  Channel
	MediaURL string // an absolute http or https URL, up to MaxMediaURL bytes; "" for none
	// ExternalSource and ExternalID name the record of an external system
	// the request comes from (an import connector's code and the source's
	// id); "" for none.
	ExternalSource, ExternalID string
	// Triage, when set, sends the request to the dispatcher's triage queue
	// with this reason instead of asking the router: an import whose
	// category or address the city does not know.
	Triage Msg
}

// MaxMediaURL bounds a media link, in bytes.
const MaxMediaURL = 2000

// MsgNotURL is the field message of a media link that is not an absolute
// http or https URL.
const MsgNotURL = "error.not_url"

// SubmitVia is Submit for the adapter of another protocol (Open311, an
// import connector): the request carries via's channel whatever the
// submitter's role may choose, and a channel given in in is refused like
// any other the role may not set. key is the idempotency key, "" for
// protocols that have none.
func (s *Requests) SubmitVia(ctx context.Context, actor Actor, in NewRequest, key string, via Via) (*Request, bool, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, ActCreate); err != nil {
		return nil, false, err
	}
	if !via.Channel.Valid() {
		return nil, false, fmt.Errorf("submit via unknown channel %q", via.Channel)
	}
	return s.submit(ctx, actor, in, key, via)
}

// checkMediaURL adds the fault of a media link to f.
func checkMediaURL(f FieldErrors, field, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if len(s) > MaxMediaURL || !utf8.ValidString(s) || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.Add(field, MsgNotURL)
	}
}

// submit is Submit past the gate, for intakes whose own gate let the
// caller in (PublicIntake files as the city's anonymous account).
func (s *Requests) submit(ctx context.Context, actor Actor, in NewRequest, key string, via Via) (*Request, bool, error) {
	in.Normalize()
	if actor.Role == RoleCitizen {
		// A citizen submits for themselves; contacts default to the profile.
		if in.Applicant.Name == "" {
			in.Applicant.Name = actor.Name
		}
		if in.Applicant.Phone == "" {
			in.Applicant.Phone = actor.Phone
		}
		if in.Applicant.Email == "" {
			in.Applicant.Email = actor.Email
		}
	}
	key = strings.TrimSpace(key)
	faults, err := s.checkShape(ctx, actor, &in, key, nil)
	if err != nil {
		return nil, false, err
	}
	if via.Channel != "" {
		if in.Channel != "" {
			faults.Add("channel", MsgChannelCitizen)
		}
		in.Channel = via.Channel
		checkMediaURL(faults, "media_url", via.MediaURL)
	}
	if len(faults) > 0 {
		_, _, err := s.lookup(ctx, &in, faults)
		return nil, false, err
	}
	fp := fingerprint(in)
	// A retry with a used idempotency key is found by the store's write
	// itself (CreateRequest), so a new request costs no query for it; a
	// retry whose references no longer hold is answered here.
	cat, building, err := s.lookup(ctx, &in, faults)
	var follows *Request
	if err == nil && in.Follows != "" {
		follows, err = s.followed(ctx, actor, in.Follows)
	}
	if err != nil {
		return s.replayOr(ctx, actor, key, fp, err)
	}
	if in.Channel == "" {
		in.Channel = ChannelPortal
		if actor.Role == RoleDispatcher {
			in.Channel = ChannelCallCentre
		}
	}
	now := s.Now().UTC().Truncate(time.Microsecond) // as the databases keep it
	r := &Request{
		Channel: in.Channel, Status: StatusNew, Priority: in.Priority, CategoryID: cat.ID, CategoryCode: cat.Code,
		BuildingID: in.BuildingID, Address: in.Address, Apartment: in.Apartment, Entrance: in.Entrance,
		Description: in.Description, ApplicantName: in.Applicant.Name, ApplicantPhone: in.Applicant.Phone,
		ApplicantEmail: in.Applicant.Email, ApplicantLang: applicantLang(in.Applicant.Lang), CreatedBy: actor.UserID, Fingerprint: fp, CreatedAt: now, UpdatedAt: now,
		CreatedDay: now.In(s.Location).Format(time.DateOnly),
		Cycle:      1, MediaURL: via.MediaURL,
	}
	if via.ExternalID != "" {
		r.ExternalSource, r.ExternalID = &via.ExternalSource, &via.ExternalID
	}
	if r.Priority == "" {
		r.Priority = cat.DefaultPriority
	}
	if building != nil {
		r.DistrictID = &building.DistrictID
		if r.Address == "" {
			r.Address = building.AddressRU
		}
	}
	if in.Location != nil {
		r.Lat, r.Lon = &in.Location.Lat, &in.Location.Lon
	}
	if actor.Role == RoleCitizen {
		id := actor.UserID
		r.CitizenID = &id
	}
	if key != "" {
		r.IdempotencyKey = &key
	}
	if follows != nil {
		r.FollowsID, r.Follows = &follows.ID, follows.Number
	}
	r.SearchText = SearchDocument(r)
	events := []*RequestEvent{{ActorID: actorID(actor), Kind: "created", ToState: string(StatusNew), Public: true, CreatedAt: now}}
	outage, err := s.outageFor(ctx, cat, building, now)
	if err != nil {
		return nil, false, err
	}
	source := "outage"
	if outage != nil {
		// Answered by the outage's notice at once, never routed to triage.
		events = append(events, r.attachOutage(outage, now))
	} else {
		var route *RequestEvent
		if route, source, err = s.route(ctx, r, cat, building, now, via.Triage); err != nil {
			return nil, false, err
		}
		events = append(events, route)
	}
	stored, created, err := s.Store.CreateRequest(ctx, r, events, now.In(s.Location).Year())
	if err != nil {
		return nil, false, err
	}
	if !created {
		return s.replay(stored, fp)
	}
	if s.Observer != nil {
		s.Observer.Intake(s.City, stored.Channel, source)
	}
	s.changed()
	return stored, true, nil
}

// outageFor returns the outage a new request of cat at building attaches
// to, or nil: none without a building, a utility or an outage finder.
func (s *Requests) outageFor(ctx context.Context, cat *Category, b *Building, now time.Time) (*Outage, error) {
	if s.Outages == nil || b == nil || cat.Utility == "" {
		return nil, nil
	}
	return s.Outages.ActiveOutage(ctx, cat.Utility, b.ID, now)
}

// followed returns the closed request a new one follows, as the actor sees
// it: a citizen only their own.
func (s *Requests) followed(ctx context.Context, actor Actor, number string) (*Request, error) {
	old, err := s.Store.RequestByNumber(ctx, actor, number)
	if errors.Is(err, ErrNotFound) {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"follows": M("error.no_request_number", "Number", number)}}
	}
	if err != nil {
		return nil, err
	}
	if old.Status != StatusClosed {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"follows": M("error.follows_closed")}}
	}
	return old, nil
}

// replayOr answers a submission refused with err: the request first
// submitted with the same idempotency key when there is one, err otherwise.
func (s *Requests) replayOr(ctx context.Context, actor Actor, key, fp string, err error) (*Request, bool, error) {
	var e *Error
	if key == "" || !errors.As(err, &e) || e.Code != EINVALID {
		return nil, false, err
	}
	prev, perr := s.Store.RequestByKey(ctx, actor.UserID, key)
	if errors.Is(perr, ErrNotFound) {
		return nil, false, err
	}
	if perr != nil {
		return nil, false, perr
	}
	return s.replay(prev, fp)
}

func (s *Requests) replay(prev *Request, fp string) (*Request, bool, error) {
	if prev.Fingerprint != fp {
		return nil, false, E(ECONFLICT, "error.idempotency_reused")
	}
	return prev, false, nil
}

// route asks the router where r goes and applies the decision: assignment
// with due times, or the dispatcher's triage queue. A router failure or a
// decision naming no active organization of the city sends the request to
// triage; it is never lost. A triage reason given sends it there without
// asking the router. It returns the history event and the source of the
// decision.
func (s *Requests) route(ctx context.Context, r *Request, cat *Category, b *Building, now time.Time, triage Msg) (*RequestEvent, string, error) {
	ev := &RequestEvent{Kind: "routed", FromState: string(StatusNew), ToState: string(StatusNew), Public: false, CreatedAt: now}
	d := Decision{Triage: true, Reason: M("route.none"), Source: "none"}
	if !triage.IsZero() {
		d = Decision{Triage: true, Reason: triage, Source: "import"}
	} else if s.Router != nil {
		var err error
		d, err = s.Router.Route(ctx, RouteInput{City: s.City, Request: r, Category: *cat, Building: b, At: now.In(s.Location)})
		if err != nil {
			slog.WarnContext(ctx, "routing failed", "city", s.City, "err", err)
			d = Decision{Triage: true, Reason: M("route.failed", "Error", err.Error()), Source: "fallback"}
		}
	}
	from := r.Priority
	if d.Priority.Valid() && d.Priority != r.Priority {
		r.Priority = d.Priority
	}
	org, cal, err := s.placeAndCalendar(ctx, d, cat, r.Priority)
	if err != nil {
		return nil, "", err
	}
	if org == nil && !d.Triage && d.OrganizationID != 0 {
		d = Decision{Triage: true, Reason: M("route.inactive_org", "ID", d.OrganizationID), Source: d.Source}
	}
	// The clock starts at intake, whoever holds the request: triage too.
	r.startCycle(cat, cal, now)
	ev.Note = M("event.route", "Reason", d.Reason, "Source", SourceArg(d.Source))
	if r.Priority != from {
		ev.Note = M("event.route_priority", "Reason", d.Reason, "Source", SourceArg(d.Source),
			"From", i18n.Code("priority."+string(from)), "To", i18n.Code("priority."+string(r.Priority)))
	}
	if org == nil {
		ev.Kind = "triage"
		return ev, d.Source, nil
	}
	r.assign(org.ID, cat, cal, now)
	r.Status = StatusAssigned
	r.Organization = org.Code
	ev.Kind = string(ActionAssign)
	ev.ToState = string(StatusAssigned)
	ev.OrganizationID = &org.ID
	return ev, d.Source, nil
}

// placeAndCalendar returns the active organization the decision names (nil
// for triage, or when it names none of the city's active ones) and the
// calendar the deadlines are counted in. It costs no transaction: the
// organization comes from the directory the router read, the working
// calendar from the store's memo.
func (s *Requests) placeAndCalendar(ctx context.Context, d Decision, cat *Category, p Priority) (*Organization, *Calendar, error) {
	cal := DefaultCalendar(s.Location)
	if cat.WorkingTime && p != PriorityEmergency {
		var err error
		if cal, err = s.Store.WorkingCalendar(ctx, s.Location); err != nil {
			return nil, nil, err
		}
	}
	if d.Triage || d.OrganizationID == 0 {
		return nil, cal, nil
	}
	dir, err := s.Store.Directory(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	org := dir.Organization(d.OrganizationID)
	if org != nil && !org.Active {
		org = nil
	}
	return org, cal, nil
}

// Act performs a lifecycle action on the request with the given number.
func (s *Requests) Act(ctx context.Context, actor Actor, number string, action Action, in ActionInput) (*Request, error) {
	if _, ok := Lifecycle[action]; !ok {
		return nil, E(ENOTFOUND, "error.no_action", "Action", string(action))
	}
	if err := s.Gate.Allow(ctx, actor, ObjRequests, string(action)); err != nil {
		return nil, err
	}
	in.Organization = strings.TrimSpace(in.Organization)
	in.Original = strings.TrimSpace(in.Original)
	if err := in.check(action); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	defer s.changed()
	return s.Store.UpdateRequest(ctx, actor, number, s.Location, func(ctx context.Context, r *Request, l Lookup) ([]*RequestEvent, error) {
		c := Change{Actor: actor, Action: action, Input: in, Now: now}
		var err error
		if action == ActionAssign || action == ActionDelegate || action == ActionRecall {
			if in.Organization == "" {
				return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"organization": M("error.required")}}
			}
			if c.Organization, err = l.OrganizationByCode(ctx, in.Organization); errors.Is(err, ErrNotFound) {
				return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
					Fields: FieldErrors{"organization": M("error.no_organization_code", "Code", in.Organization)}}
			} else if err != nil {
				return nil, err
			}
		}
		if action == ActionAssign || action == ActionReopen || action == ActionResolve || action == ActionRecall {
			if c.Category, err = l.Category(ctx, r.CategoryID); err != nil {
				return nil, err
			}
			if c.Calendar, err = l.Calendar(ctx); err != nil {
				return nil, err
			}
		}
		if action == ActionReject {
			// Wishes go to the headquarters' review, never rejected at the desk.
			if c.Category, err = l.Category(ctx, r.CategoryID); err != nil {
				return nil, err
			}
		}
		if action == ActionReopen {
			kv, err := l.Settings(ctx)
			if err != nil {
				return nil, err
			}
			c.ReopenDays = ReopenDays(kv)
		}
		if action == ActionDuplicate && in.Original != "" {
			orig, err := l.RequestByNumber(ctx, in.Original)
			if errors.Is(err, ErrNotFound) {
				return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
					Fields: FieldErrors{"original": M("error.no_request_number", "Number", in.Original)}}
			} else if err != nil {
				return nil, err
			}
			// Point at the root, so chains of duplicates never form.
			for i := 0; orig.DuplicateOf != nil && i < 10; i++ {
				if orig, err = l.RequestByID(ctx, *orig.DuplicateOf); err != nil {
					return nil, err
				}
			}
			c.Original = orig
		}
		if action == ActionResolve && c.Category.PhotoRequired {
			n, err := l.WorkPhotos(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			if n == 0 && slices.Contains(Lifecycle[action].From, r.Status) {
				return nil, &Error{Code: EINVALID, Message: "error.photo_needed",
					Fields: FieldErrors{"photo": M("error.attach_photo_first")}}
			}
		}
		ev, err := r.Apply(c)
		if err != nil {
			return nil, err
		}
		return []*RequestEvent{ev}, nil
	})
}

// Comment adds a comment to a request. Citizens' comments are always public;
// staff and organizations choose.
func (s *Requests) Comment(ctx context.Context, actor Actor, number, text string, public bool) (*RequestEvent, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, ActComment); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	f := FieldErrors{}
	if text == "" {
		f.Add("comment", "error.required")
	}
	checkLen(f, "comment", text, MaxComment)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if actor.Role == RoleCitizen {
		public = true
	}
	ev := &RequestEvent{ActorID: actorID(actor), Kind: "comment", Comment: text, Public: public, CreatedAt: s.Now().UTC()}
	defer s.changed()
	return s.Store.AddComment(ctx, actor, number, ev)
}

// Rate records the citizen's rating (1–5) of a resolved or closed request.
func (s *Requests) Rate(ctx context.Context, actor Actor, number string, stars int, comment string) (*Request, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, ActRate); err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	f := FieldErrors{}
	if stars < 1 || stars > 5 {
		f.Add("rating", "error.rating_range")
	}
	checkLen(f, "comment", comment, MaxComment)
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	return s.Store.UpdateRequest(ctx, actor, number, s.Location, func(ctx context.Context, r *Request, l Lookup) ([]*RequestEvent, error) {
		if r.Status != StatusResolved && r.Status != StatusClosed {
			return nil, E(ECONFLICT, "error.rate_status")
		}
		if err := r.checkParty(PartyOwner, actor); err != nil || actor.Role != RoleCitizen {
			return nil, E(EFORBIDDEN, "error.rate_owner")
		}
		r.Rating, r.RatingComment, r.UpdatedAt = &stars, comment, now
		return []*RequestEvent{{ActorID: actorID(actor), Kind: "rated", FromState: string(r.Status), ToState: string(r.Status),
			Note: M("event.rated", "Stars", stars), Comment: comment, Public: true, CreatedAt: now}}, nil
	})
}

func actorID(a Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// fingerprint identifies the content of a submission, so a reused
// idempotency key with another body is caught.
func fingerprint(in NewRequest) string {
	b, _ := json.Marshal(in) // a struct of plain fields always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// MaxPage bounds list pages.
const MaxPage = 100
