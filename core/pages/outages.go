package pages

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// Form fields of the outage pages.
const (
	fUtility   = "utility"
	fKind      = "kind"
	fBuildings = "buildings"
	fStreet    = "street"
	fDistrict  = "district"
	fStartsAt  = "starts_at"
	fEndsAt    = "ends_at"
	fNoticeRU  = "notice_ru"
	fNoticeEN  = "notice_en"
	// localTime is the value of a datetime-local field, in the city's time.
	localTime = "2006-01-02T15:04"
)

// outagesData is the outages page: the outages the user sees and the form
// to declare one.
type outagesData struct {
	Outages   []core.Outage
	Orgs      []core.Organization // resource suppliers, for the dispatcher's choice
	Districts []core.District
	Utilities []string
	Kinds     []string
	// OrgScoped: the user declares for their own organization only.
	OrgScoped bool
	Now       time.Time
}

// outageData is one outage's page: its buildings, its requests and the
// closing form.
type outageData struct {
	O     *core.OutageView
	Rows  []queueRow
	Now   time.Time
	Close bool // the user may close it
}

func (p *Pages) outageService(ct *httpapi.City) *core.Outages {
	return p.api.Services().Outages(ct)
}

// outages lists the outages (an organization's people: their own) with the
// form to declare one.
func (p *Pages) outages(c *gin.Context) { p.outagesPage(c, http.StatusOK, nil) }

func (p *Pages) outagesPage(c *gin.Context, status int, ferr error) {
	ct, actor := city(c)
	ctx := c.Request.Context()
	pg := p.views.Page(c, "outages_title")
	pg.Nav = "nav"
	list, err := p.outageService(ct).List(ctx, actor, core.OutageQuery{})
	if err != nil {
		p.fail(c, err)
		return
	}
	dir, err := ct.Store.Directory(ctx, false)
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &outagesData{Outages: list, Districts: dir.Districts, Utilities: core.Utilities, Kinds: core.OutageKinds,
		OrgScoped: !actor.SeesAllRequests(), Now: p.api.Now()}
	for _, o := range dir.Organizations {
		if o.Active && o.Kind == core.OrgResourceSupplier {
			d.Orgs = append(d.Orgs, o)
		}
	}
	if ferr != nil {
		pg.Form = c.Request.PostForm
		status = pg.SetError(c, formWide(ferr))
	}
	pg.Data = d
	p.views.Render(c, status, "outages.html", pg)
}

// outageDeclare declares an outage from the form; a fault shows the form
// again with its messages and everything typed.
func (p *Pages) outageDeclare(c *gin.Context) {
	ct, actor := city(c)
	in, ferrs := outageForm(c, ct.Location)
	if len(ferrs) > 0 {
		// Every other fault of the form's shape is shown with these.
		in.Normalize()
		in.Validate(ferrs)
		p.outagesPage(c, 0, ferrs.Err())
		return
	}
	o, err := p.outageService(ct).Declare(c.Request.Context(), actor, in)
	if err != nil {
		p.outagesPage(c, 0, err)
		return
	}
	back(c, base(ct)+"/outages/"+strconv.FormatInt(o.ID, 10), "outage_declared")
}

// outageForm reads the declaration form; times are the city's local time,
// building ids are separated by commas or spaces.
func outageForm(c *gin.Context, loc *time.Location) (core.NewOutage, core.FieldErrors) {
	f := core.FieldErrors{}
	in := core.NewOutage{Utility: c.PostForm(fUtility), Kind: c.PostForm(fKind), Organization: c.PostForm(fOrg),
		Street: c.PostForm(fStreet), District: c.PostForm(fDistrict),
		NoticeRU: c.PostForm(fNoticeRU), NoticeEN: c.PostForm(fNoticeEN)}
	for _, s := range strings.FieldsFunc(c.PostForm(fBuildings), func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			f.Add(fBuildings, "error.outage_building_ids")
			continue
		}
		in.Buildings = append(in.Buildings, id)
	}
	for _, t := range []struct {
		field string
		to    *time.Time
	}{{fStartsAt, &in.StartsAt}, {fEndsAt, &in.EndsAt}} {
		s := strings.TrimSpace(c.PostForm(t.field))
		if s == "" {
			continue
		}
		v, err := time.ParseInLocation(localTime, s, loc)
		if err != nil {
			f.Add(t.field, "error.date")
			continue
		}
		*t.to = v
	}
	return in, f
}

// outageID reads the page's outage id; anything else names no outage.
func outageID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.NotFound("outage")
	}
	return id, nil
}

// outage shows one outage with its buildings and requests (HQ's requests
// per outage) and, while it is open, the closing form.
func (p *Pages) outage(c *gin.Context) { p.outagePage(c, nil) }

func (p *Pages) outagePage(c *gin.Context, ferr error) {
	ct, actor := city(c)
	pg := p.views.Page(c, "outage_title")
	pg.Nav = "nav"
	id, err := outageID(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	v, err := p.outageService(ct).Get(c.Request.Context(), actor, id)
	if err != nil {
		p.fail(c, err)
		return
	}
	names, err := categoryNames(c, ct, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	now := p.api.Now()
	d := &outageData{O: v, Rows: queueRows(v.Requests, names, now, pg.Lang), Now: now,
		Close: v.Open() && pg.Can(core.ObjOutages, string(core.ActionClose))}
	status := http.StatusOK
	if ferr != nil {
		pg.Form = c.Request.PostForm
		status = pg.SetError(c, formWide(ferr))
	}
	pg.Data = d
	p.views.Render(c, status, "outage.html", pg)
}

// outageClose closes the outage and resolves its waiting requests.
func (p *Pages) outageClose(c *gin.Context) {
	ct, actor := city(c)
	id, err := outageID(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	_, _, err = p.outageService(ct).Close(c.Request.Context(), actor, id, core.CloseOutage{Comment: c.PostForm(fComment)})
	if err == nil {
		back(c, base(ct)+"/outages/"+strconv.FormatInt(id, 10), "outage_closed_ok")
		return
	}
	switch core.ErrorCode(err) {
	case core.EINVALID, core.ECONFLICT:
		p.outagePage(c, err)
	default:
		p.fail(c, err)
	}
}

// publicOutages returns the open outages of the city (building 0) or of a
// building for the portal's pages and the forms; a failure hides them
// rather than the page.
func (p *Pages) publicOutages(c *gin.Context, ct *httpapi.City, building int64) []core.Outage {
	os, err := p.outageService(ct).Public(c.Request.Context(), building)
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return os
}
