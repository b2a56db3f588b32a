package httpapi

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

func (a *API) requestRoutes() []Route {
	filters := []Param{
		{"limit", "integer", "page size, 1 to 100 (20)"},
		{"cursor", "string", "next_cursor of the previous page"},
		{"total", "boolean", "also count all matching requests"},
		{"status", "string", "comma-separated statuses"},
		{"category", "string", "category or category group code"},
		{"organization", "string", "responsible or executing organization code"},
		{"district", "string", "district code"},
		{"overdue", "boolean", "only requests past a due time"},
		{"created_from", "string", "RFC 3339 or YYYY-MM-DD (city time), inclusive"},
		{"created_to", "string", "RFC 3339 or YYYY-MM-DD (city time), exclusive"},
		{"q", "string", "search: a request number, the applicant's phone written any way (+7 917 555-01-23, 8 (917) 555-01-23, 917 555 01 23), or words of the applicant's name, the address or the description — every word must match, in any order, ё and е and case alike, address abbreviations (ул., пр., д., корп. …) as the words they stand for"},
	}
	rs := []Route{
		endpoint(Route{Method: "POST", Path: "/requests", Obj: core.ObjRequests, Act: core.ActCreate, Summary: "Submit a request; Idempotency-Key makes retries safe",
			Status: 201, Also: 200, Headers: []Param{{"Idempotency-Key", "string",
				"any text up to " + strconv.Itoa(core.MaxIdempotencyKey) + " bytes chosen by the client; a retry with the same key answers 200 with the request made first instead of creating another"}}}, a.createRequest),
		endpoint(Route{Method: "GET", Path: "/requests", Obj: core.ObjRequests, Act: core.ActRead, Summary: "A queue of requests, newest first, with filters and keyset pages",
			Status: 200, Query: filters}, a.listRequests),
		endpoint(Route{Method: "GET", Path: "/requests/:number", Obj: core.ObjRequests, Act: core.ActRead, Summary: "One request with its history",
			Status: 200}, a.getRequest),
		endpoint(Route{Method: "POST", Path: "/requests/:number/comments", Obj: core.ObjRequests, Act: core.ActComment, Summary: "Comment on a request, publicly or internally",
			Status: 201}, a.comment),
		endpoint(Route{Method: "POST", Path: "/requests/:number/rating", Obj: core.ObjRequests, Act: core.ActRate, Summary: "The citizen rates a resolved request",
			Status: 200}, a.rate),
		endpoint(Route{Method: "POST", Path: "/requests/:number/photos", Obj: core.ObjRequests, Act: core.ActAttach, Summary: "Attach a photo (multipart field photo; JPEG, PNG or WebP up to 10 MB)",
			Status: 201, Upload: &Upload{File: "photo", Fields: []Param{{"public", "boolean",
				"false keeps the photo internal (staff only); a citizen's photos are always public; default true"}}}}, a.uploadPhoto),
		{Method: "GET", Path: "/requests/:number/photos/:id", Obj: core.ObjRequests, Act: core.ActRead, Summary: "A photo of a request",
			Status: 200, Produces: []string{"image/jpeg", "image/png"}, Handler: a.getPhoto},
	}
	for _, act := range core.Actions {
		rs = append(rs, endpoint(Route{Method: "POST", Path: "/requests/:number/" + string(act), Obj: core.ObjRequests, Act: string(act),
			Summary: actionSummary[act], Status: 200, OptionalBody: true}, a.act(act)))
	}
	return rs
}

var actionSummary = map[core.Action]string{
	core.ActionAssign:    "Assign to an organization (dispatcher); due times start",
	core.ActionAccept:    "Accept (the organization)",
	core.ActionStart:     "Start the work (the organization)",
	core.ActionResolve:   "Resolve with a comment (the organization)",
	core.ActionReturn:    "Return as not ours, with a reason (the organization)",
	core.ActionDelegate:  "Delegate to a contractor; the organization stays responsible",
	core.ActionClose:     "Confirm the fix and close (the citizen)",
	core.ActionReopen:    "Dispute the fix and reopen, with a comment (the citizen)",
	core.ActionReject:    "Reject with a reason (dispatcher)",
	core.ActionDuplicate: "Mark as a duplicate of another request (dispatcher)",
	core.ActionRecall:    "Recall from the organization holding it and assign to another, with a reason (dispatcher); the deadlines keep running from intake",
}

type eventJSON struct {
	Kind         string `json:"kind"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	Organization *int64 `json:"organization_id,omitempty"`
	// Note is what the system says about the event (a routing decision,
	// an escalation), in the reader's language; Comment is what a person
	// wrote.
	Note      string    `json:"note,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	Public    bool      `json:"public"`
	CreatedAt time.Time `json:"created_at"`
}

type originalJSON struct {
	Number  string      `json:"number"`
	Status  core.Status `json:"status"`
	History []eventJSON `json:"history"`
}

type requestJSON struct {
	ID                int64           `json:"id"`
	Number            string          `json:"number"`
	Status            core.Status     `json:"status"`
	Channel           core.Channel    `json:"channel"`
	Priority          core.Priority   `json:"priority"`
	Category          string          `json:"category"`
	BuildingID        *int64          `json:"building_id,omitempty"`
	DistrictID        *int64          `json:"district_id,omitempty"`
	Address           string          `json:"address,omitempty"`
	Apartment         string          `json:"apartment,omitempty"`
	Entrance          string          `json:"entrance,omitempty"`
	Location          *core.Location  `json:"location,omitempty"`
	Description       string          `json:"description"`
	Applicant         *core.Applicant `json:"applicant,omitempty"`
	Organization      string          `json:"organization,omitempty"`
	Executor          string          `json:"executor,omitempty"`
	ReactionDueAt     *time.Time      `json:"reaction_due_at,omitempty"`
	ResolutionDueAt   *time.Time      `json:"resolution_due_at,omitempty"`
	Overdue           bool            `json:"overdue"`
	ReactionSeconds   *int64          `json:"reaction_seconds,omitempty"`
	ResolutionSeconds *int64          `json:"resolution_seconds,omitempty"`
	Rating            *int            `json:"rating,omitempty"`
	// Cycle numbers the current cycle (1 from intake, one more per reopen);
	// EscalationLevel is how far it was escalated (0 none, 1 at its
	// deadline, 2 after the city's delay).
	Cycle           int              `json:"cycle"`
	EscalationLevel int              `json:"escalation_level"`
	Follows         string           `json:"follows,omitempty"`
	Outage          *int64           `json:"outage_id,omitempty" doc:"the outage the request waits for or waited for"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	History         []eventJSON      `json:"history,omitempty"`
	Cycles          []cycleJSON      `json:"cycles,omitempty"`
	Alerts          []alertJSON      `json:"alerts,omitempty"`
	Photos          []attachmentJSON `json:"photos,omitempty"`
	Original        *originalJSON    `json:"original,omitempty"`
}

type requestList struct {
	Items      []requestJSON `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
	Total      *int          `json:"total,omitempty"`
}

// requestView renders a request for the actor: personal data only for the
// roles that need it.
func requestView(r *core.Request, a core.Actor, now time.Time) requestJSON {
	v := requestJSON{
		ID: r.ID, Number: r.Number, Status: r.Status, Channel: r.Channel, Priority: r.Priority,
		Category: r.CategoryCode, BuildingID: r.BuildingID, DistrictID: r.DistrictID,
		Address: r.Address, Apartment: r.Apartment, Entrance: r.Entrance, Description: r.Description,
		Organization: r.Organization, Executor: r.Executor, ReactionDueAt: r.ReactionDueAt, ResolutionDueAt: r.ResolutionDueAt,
		ReactionSeconds: r.ReactionSeconds, ResolutionSeconds: r.ResolutionSeconds, Rating: r.Rating,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Cycle: r.Cycle, EscalationLevel: r.EscalationLevel, Follows: r.Follows, Outage: r.OutageID,
	}
	v.Overdue = r.Overdue(now)
	if r.Lat != nil && r.Lon != nil {
		v.Location = &core.Location{Lat: *r.Lat, Lon: *r.Lon}
	}
	if a.SeesPersonalData() {
		v.Applicant = &core.Applicant{Name: r.ApplicantName, Phone: r.ApplicantPhone, Email: r.ApplicantEmail}
	} else {
		v.Apartment = ""
	}
	return v
}

func eventsView(evs []core.RequestEvent, lang string) []eventJSON {
	out := make([]eventJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, eventJSON{Kind: e.Kind, From: e.FromState, To: e.ToState, Organization: e.OrganizationID,
			Note: e.Note.Text(lang), Comment: e.Comment, Public: e.Public, CreatedAt: e.CreatedAt})
	}
	return out
}

func (a *API) requests(c *gin.Context) *core.Requests {
	return a.Services().Requests(CityFromContext(c.Request.Context()))
}

func (a *API) createRequest(c *Call, in core.NewRequest) (*requestJSON, error) {
	r, created, err := a.requests(c.Context).Submit(c.Ctx, c.Actor, in, c.GetHeader("Idempotency-Key"))
	if err != nil {
		return nil, err
	}
	if !created {
		c.Replayed()
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", strings.TrimSuffix(c.Request.URL.Path, "/")+"/"+r.Number)
	v := requestView(r, c.Actor, a.Now())
	return &v, nil
}

func (a *API) getRequest(c *Call, _ none) (*requestJSON, error) {
	ctx, actor, st := c.Ctx, c.Actor, c.City.Store
	r, err := st.RequestByNumber(ctx, actor, c.Param("number"))
	if err != nil {
		return nil, err
	}
	evs, err := st.RequestEvents(ctx, actor, r.ID)
	if err != nil {
		return nil, err
	}
	photos, err := st.Attachments(ctx, r.ID, !actor.SeesAllRequests() && actor.Role == core.RoleCitizen)
	if err != nil {
		return nil, err
	}
	v := requestView(r, actor, a.Now())
	v.History = eventsView(evs, Lang(c.Context))
	if v.Cycles, v.Alerts, err = cyclesAndAlerts(c, r.ID); err != nil {
		return nil, err
	}
	for _, p := range photos {
		v.Photos = append(v.Photos, attachmentView(p, r.Number))
	}
	if r.DuplicateOf != nil {
		// The citizen of a duplicate follows the original's progress: its
		// status and public history, never its personal data.
		orig, oevs, err := st.PublicTrail(ctx, *r.DuplicateOf)
		if err != nil {
			return nil, err
		}
		v.Original = &originalJSON{Number: orig.Number, Status: orig.Status, History: eventsView(oevs, Lang(c.Context))}
	}
	return &v, nil
}

// Page sizes of lists.
const defaultPage = 20

func (a *API) listRequests(c *Call, _ none) (*requestList, error) {
	city := c.City
	q := core.RequestQuery{Limit: defaultPage, Now: a.Now()}
	f := core.FieldErrors{}
	q.Limit = intParam(c.Context, f, "limit", defaultPage, 1, core.MaxPage)
	if s := c.Query("cursor"); s != "" {
		id, ok := decodeCursor(s)
		if !ok {
			f.Add("cursor", "error.cursor")
		}
		q.BeforeID = id
	}
	q.WithTotal = boolParam(c.Context, f, "total")
	q.Overdue = boolParam(c.Context, f, "overdue")
	if s := c.Query("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			status := core.Status(strings.TrimSpace(st))
			if !status.Valid() {
				f.Add("status", "error.unknown_status", "Status", st)
			}
			q.Statuses = append(q.Statuses, status)
		}
	}
	for name, dst := range map[string]*string{"category": &q.Category, "organization": &q.Organization, "district": &q.District} {
		if s := c.Query(name); s != "" {
			if !core.ValidSlug(s) {
				f.Add(name, "error.not_code")
			}
			*dst = s
		}
	}
	q.CreatedFrom = timeParam(c.Context, f, "created_from", city.Location)
	q.CreatedTo = timeParam(c.Context, f, "created_to", city.Location)
	q.Text = strings.TrimSpace(c.Query("q"))
	if len([]rune(q.Text)) > 200 {
		f.Add("q", "error.too_long")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	actor := c.Actor
	page, err := city.Store.ListRequests(c.Ctx, actor, q)
	if err != nil {
		return nil, err
	}
	out := &requestList{Items: make([]requestJSON, len(page.Items))}
	for i := range page.Items {
		out.Items[i] = requestView(&page.Items[i], actor, q.Now)
	}
	if page.NextID > 0 {
		out.NextCursor = encodeCursor(page.NextID)
	}
	if page.Total >= 0 {
		out.Total = &page.Total
	}
	return out, nil
}

func (a *API) act(action core.Action) func(c *Call, in core.ActionInput) (*requestJSON, error) {
	return func(c *Call, in core.ActionInput) (*requestJSON, error) {
		r, err := a.requests(c.Context).Act(c.Ctx, c.Actor, c.Param("number"), action, in)
		if err != nil {
			return nil, err
		}
		v := requestView(r, c.Actor, a.Now())
		return &v, nil
	}
}

type commentInput struct {
	Comment string `json:"comment"`
	Public  *bool  `json:"public" doc:"Staff and organizations: false keeps the comment internal (default true). A citizen's comment is always public: the field is ignored for citizens."`
}

func (a *API) comment(c *Call, in commentInput) (*eventJSON, error) {
	public := in.Public == nil || *in.Public
	ev, err := a.requests(c.Context).Comment(c.Ctx, c.Actor, c.Param("number"), in.Comment, public)
	if err != nil {
		return nil, err
	}
	return &eventsView([]core.RequestEvent{*ev}, Lang(c.Context))[0], nil
}

type ratingInput struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

func (a *API) rate(c *Call, in ratingInput) (*requestJSON, error) {
	r, err := a.requests(c.Context).Rate(c.Ctx, c.Actor, c.Param("number"), in.Rating, in.Comment)
	if err != nil {
		return nil, err
	}
	v := requestView(r, c.Actor, a.Now())
	return &v, nil
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(string(b), "id:"), 10, 64)
	if err != nil || n <= 0 || !strings.HasPrefix(string(b), "id:") {
		return 0, false
	}
	return n, true
}
