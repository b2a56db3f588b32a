package pages

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// requestData is a request's page: the request, its history as the user may
// see it, its photos and the forms the user may use in its status.
type requestData struct {
	R        *core.Request
	Category string // the category's name in the page's language
	History  []core.RequestEvent
	Photos   []core.Attachment
	Overdue  bool
	Due      *time.Time
	Left     string
	Personal bool // the user may see the applicant's contacts
	// CoApplicants are the callers who joined the request (Personal only).
	CoApplicants []core.CoApplicant
	// Can holds the forms to show: lifecycle actions, "comment", "rate",
	// "photo".
	Can map[string]bool
	// Orgs are the organizations a dispatcher assigns to; Contractors those
	// an organization delegates to.
	Orgs, Contractors []core.Organization
	// Failed names the form whose errors the page shows.
	Failed string
	// Original is the request this one duplicates, by number.
	Original string
	// Tracking is the link a citizen follows the request by.
	Tracking string
	// Cycles are the request's cycles, Alerts its escalation alerts (staff).
	Cycles []core.RequestCycle
	Alerts []core.EscalationAlert
	// Outages are the open outages at the request's building.
	Outages []core.Outage
	// TooLate is the message of a closed request the citizen can no longer
	// reopen (the city's window passed); the page offers a new request that
	// follows it instead.
	TooLate core.Msg
}

// request shows a request to anyone who may see it; the store's scoping
// answers "not found" for another organization's or citizen's request.
func (p *Pages) request(c *gin.Context) {
	p.showRequest(c, "", nil)
}

// showRequest renders the request page; after a refused form, failed names
// it and the page carries its error and input.
func (p *Pages) showRequest(c *gin.Context, failed string, ferr error) {
	ct, actor := city(c)
	pg := p.views.Page(c, "request_title")
	pg.Nav = "nav"
	if failed != "" {
		pg.Form = c.Request.PostForm
	}
	d, err := p.requestData(c, ct, actor, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	d.Failed = failed
	status := http.StatusOK
	if ferr != nil {
		status = pg.SetError(c, ferr)
	}
	pg.Data = d
	p.views.Render(c, status, "request.html", pg)
}

func (p *Pages) requestData(c *gin.Context, ct *httpapi.City, actor core.Actor, lang string) (*requestData, error) {
	ctx := c.Request.Context()
	st := ct.Store
	r, err := st.RequestByNumber(ctx, actor, c.Param("number"))
	if err != nil {
		return nil, err
	}
	d := &requestData{R: r, Personal: actor.SeesPersonalData(), Can: map[string]bool{},
		Tracking: base(ct) + "/requests/" + r.Number}
	if d.History, err = st.RequestEvents(ctx, actor, r.ID); err != nil {
		return nil, err
	}
	if d.Personal {
		if d.CoApplicants, err = st.CoApplicants(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	citizen := !actor.SeesAllRequests() && actor.Role == core.RoleCitizen
	if d.Photos, err = st.Attachments(ctx, r.ID, citizen); err != nil {
		return nil, err
	}
	wish := false
	if cat, err := st.Category(ctx, r.CategoryCode); err == nil {
		wish = cat.Wish()
		d.Category = core.LocalName(cat.NameRU, cat.NameEN, lang)
	}
	now := p.api.Now()
	d.Overdue = r.Overdue(now)
	if d.Due = r.NextDue(); d.Due != nil {
		d.Left = remaining(*d.Due, now, lang)
	}
	for _, a := range core.Actions {
		if slices.Contains(core.Lifecycle[a].From, r.Status) && p.allowed(c, string(a)) && !(wish && a == core.ActionReject) {
			d.Can[string(a)] = true
		}
	}
	d.Can["comment"] = p.allowed(c, core.ActComment)
	d.Can["photo"] = p.allowed(c, core.ActAttach)
	d.Can["rate"] = actor.Role == core.RoleCitizen && r.Rating == nil &&
		(r.Status == core.StatusResolved || r.Status == core.StatusClosed) && p.allowed(c, core.ActRate)
	if d.Cycles, err = st.Cycles(ctx, actor, r.ID); err != nil {
		return nil, err
	}
	if d.Alerts, err = st.RequestAlerts(ctx, actor, r.ID); err != nil {
		return nil, err
	}
	if d.Can[string(core.ActionReopen)] && r.Status == core.StatusClosed && r.ClosedAt != nil {
		kv, err := st.Settings(ctx)
		if err != nil {
			return nil, err
		}
		if days := core.ReopenDays(kv); now.After(r.ClosedAt.AddDate(0, 0, days)) {
			d.TooLate = core.M("error.reopen_window", "Count", days, "Number", r.Number)
			d.Can[string(core.ActionReopen)] = false
		}
	}
	if d.Can[string(core.ActionAssign)] || d.Can[string(core.ActionDelegate)] || d.Can[string(core.ActionRecall)] {
		orgs, err := st.Organizations(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			if !o.Active {
				continue
			}
			d.Orgs = append(d.Orgs, o)
			if o.Kind == core.OrgContractor {
				d.Contractors = append(d.Contractors, o)
			}
		}
	}
	if r.DuplicateOf != nil {
		if orig, _, err := ct.Store.PublicTrail(ctx, *r.DuplicateOf); err == nil {
			d.Original = orig.Number
		}
	}
	if r.BuildingID != nil {
		d.Outages = p.publicOutages(c, ct, *r.BuildingID)
	}
	return d, nil
}

// refuse shows the request page again with the error of a form.
func (p *Pages) refuse(c *gin.Context, form string, err error) {
	if core.ErrorCode(err) == core.ENOTFOUND && fieldErrors(err) == nil {
		p.fail(c, err)
		return
	}
	p.showRequest(c, form, err)
}

func requestPath(ct *httpapi.City, number string) string {
	return base(ct) + "/requests/" + number
}

// act performs a lifecycle action from the request page. Resolving may carry
// a photo of the work, stored through the API's photo rules first (a
// category may require one).
func (p *Pages) act(a core.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		ct, actor := city(c)
		number := c.Param("number")
		if a == core.ActionResolve {
			if err := p.savePhoto(c, true); err != nil {
				p.refuse(c, string(a), err)
				return
			}
		}
		in := core.ActionInput{Comment: c.PostForm(fComment), Organization: c.PostForm(fOrg), Original: c.PostForm(fOriginal)}
		if _, err := p.requests(ct).Act(ctx, actor, number, a, in); err != nil {
			p.refuse(c, string(a), err)
			return
		}
		back(c, requestPath(ct, number), "done_"+string(a))
	}
}

// savePhoto stores the photo of a form, if one was sent: JPEG, PNG or WebP
// up to 10 MB, as the API takes them. Work photos are public.
func (p *Pages) savePhoto(c *gin.Context, public bool) error {
	fh, err := c.FormFile(fPhoto)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0 && fh.Filename == "") {
		return nil
	}
	if err != nil {
		return httpapi.PhotoFormError(err)
	}
	if !p.allowed(c, core.ActAttach) {
		return core.E(core.EFORBIDDEN, "error.no_photo_right")
	}
	ct, actor := city(c)
	_, err = httpapi.SavePhoto(c.Request.Context(), p.api.Photos, ct, actor, c.Param("number"), fh, public, p.api.Now())
	return err
}

// attach adds a photo to a request.
func (p *Pages) attach(c *gin.Context) {
	ct, actor := city(c)
	if _, err := c.FormFile(fPhoto); err != nil {
		p.refuse(c, "photo", httpapi.PhotoFormError(err))
		return
	}
	public := c.PostForm(fPublicNote) != "" || actor.Role == core.RoleCitizen
	if err := p.savePhoto(c, public); err != nil {
		p.refuse(c, "photo", err)
		return
	}
	back(c, requestPath(ct, c.Param("number")), "done_photo")
}

// comment adds a comment; staff choose whether the citizen sees it.
func (p *Pages) comment(c *gin.Context) {
	ct, actor := city(c)
	number := c.Param("number")
	public := c.PostForm(fPublicNote) != ""
	if _, err := p.requests(ct).Comment(c.Request.Context(), actor, number, c.PostForm(fComment), public); err != nil {
		p.refuse(c, "comment", err)
		return
	}
	back(c, requestPath(ct, number), "done_comment")
}

// rate records the citizen's stars.
func (p *Pages) rate(c *gin.Context) {
	ct, actor := city(c)
	number := c.Param("number")
	stars, err := strconv.Atoi(c.PostForm(fRating))
	if err != nil {
		stars = 0 // intake's rule answers "must be from 1 to 5"
	}
	if _, err := p.requests(ct).Rate(c.Request.Context(), actor, number, stars, c.PostForm(fComment)); err != nil {
		p.refuse(c, "rate", err)
		return
	}
	back(c, requestPath(ct, number), "done_rate")
}

// photo serves a photo of a request the user may see.
func (p *Pages) photo(c *gin.Context) {
	ctx := c.Request.Context()
	ct, actor := city(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		p.fail(c, core.E(core.ENOTFOUND, "error.photo_not_found"))
		return
	}
	att, err := ct.Store.Attachment(ctx, actor, c.Param("number"), id)
	if err != nil {
		p.fail(c, err)
		return
	}
	if err := httpapi.ServePhoto(c, p.api.Photos, ct.Slug, att); err != nil {
		p.fail(c, err)
	}
}
