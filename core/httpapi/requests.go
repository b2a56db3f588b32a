package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

type eventJSON struct {
	Kind      string    `json:"kind"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	Public    bool      `json:"public"`
	CreatedAt time.Time `json:"created_at"`
}

type requestJSON struct {
	ID              int64           `json:"id"`
	Number          string          `json:"number"`
	Status          core.Status     `json:"status"`
	Channel         core.Channel    `json:"channel"`
	Priority        core.Priority   `json:"priority"`
	Category        string          `json:"category"`
	BuildingID      *int64          `json:"building_id,omitempty"`
	DistrictID      *int64          `json:"district_id,omitempty"`
	Address         string          `json:"address,omitempty"`
	Apartment       string          `json:"apartment,omitempty"`
	Entrance        string          `json:"entrance,omitempty"`
	Location        *core.Location  `json:"location,omitempty"`
	Description     string          `json:"description"`
	Applicant       *core.Applicant `json:"applicant,omitempty"`
	OrganizationID  *int64          `json:"organization_id,omitempty"`
	ReactionDueAt   *time.Time      `json:"reaction_due_at,omitempty"`
	ResolutionDueAt *time.Time      `json:"resolution_due_at,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	History         []eventJSON     `json:"history,omitempty"`
}

// requestView renders a request for the actor: personal data only for the
// roles that need it.
func requestView(r *core.Request, a core.Actor) requestJSON {
	v := requestJSON{
		ID: r.ID, Number: r.Number, Status: r.Status, Channel: r.Channel, Priority: r.Priority,
		Category: r.CategoryCode, BuildingID: r.BuildingID, DistrictID: r.DistrictID,
		Address: r.Address, Apartment: r.Apartment, Entrance: r.Entrance, Description: r.Description,
		OrganizationID: r.OrganizationID, ReactionDueAt: r.ReactionDueAt, ResolutionDueAt: r.ResolutionDueAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
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

func (a *API) requests(c *gin.Context) *core.Requests {
	city := CityFromContext(c.Request.Context())
	return &core.Requests{Store: city.Store, Location: city.Location, Now: a.Now}
}

func (a *API) createRequest(c *gin.Context) {
	var in core.NewRequest
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	actor := ActorFromContext(c.Request.Context())
	r, created, err := a.requests(c).Submit(c.Request.Context(), actor, in, c.GetHeader("Idempotency-Key"))
	if err != nil {
		WriteProblem(c, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", strings.TrimSuffix(c.Request.URL.Path, "/")+"/"+r.Number)
	c.JSON(status, requestView(r, actor))
}

func (a *API) getRequest(c *gin.Context) {
	ctx := c.Request.Context()
	actor := ActorFromContext(ctx)
	st := CityFromContext(ctx).Store
	r, err := st.RequestByNumber(ctx, actor, c.Param("number"))
	if err != nil {
		WriteProblem(c, err)
		return
	}
	evs, err := st.RequestEvents(ctx, actor, r.ID)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	v := requestView(r, actor)
	for _, e := range evs {
		v.History = append(v.History, eventJSON{Kind: e.Kind, From: e.FromState, To: e.ToState, Comment: e.Comment, Public: e.Public, CreatedAt: e.CreatedAt})
	}
	c.JSON(http.StatusOK, v)
}

// Page sizes of lists.
const (
	defaultPage = 20
)

func (a *API) listRequests(c *gin.Context) {
	q := core.RequestQuery{Limit: defaultPage}
	f := core.FieldErrors{}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > core.MaxPage {
			f.Add("limit", "must be a number from 1 to 100")
		}
		q.Limit = n
	}
	if s := c.Query("cursor"); s != "" {
		id, ok := decodeCursor(s)
		if !ok {
			f.Add("cursor", "is not a cursor from a previous page")
		}
		q.BeforeID = id
	}
	switch c.Query("total") {
	case "", "false":
	case "true":
		q.WithTotal = true
	default:
		f.Add("total", "must be true or false")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	actor := ActorFromContext(ctx)
	page, err := CityFromContext(ctx).Store.ListRequests(ctx, actor, q)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	items := make([]requestJSON, len(page.Items))
	for i := range page.Items {
		items[i] = requestView(&page.Items[i], actor)
	}
	out := gin.H{"items": items}
	if page.NextID > 0 {
		out["next_cursor"] = encodeCursor(page.NextID)
	}
	if page.Total >= 0 {
		out["total"] = page.Total
	}
	c.JSON(http.StatusOK, out)
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
