package pages

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// deskTab is one queue of the desk with its count and link.
type deskTab struct {
	Queue   core.Queue
	Count   int
	Link    string
	Current bool
}

// deskGroup is a category group with its categories, for the filter.
type deskGroup struct {
	Group      core.CategoryGroup
	Categories []core.Category
}

// deskData is the desk: the queues with their counts, the filter's
// choices, one page of the current queue and the link to the next.
type deskData struct {
	Tabs      []deskTab
	Queue     core.Queue
	Total     int
	Rows      []queueRow
	Next      string // the next page's link, "" on the last
	Counts    string // the counts' JSON address with the same filters
	Groups    []deskGroup
	Districts []core.District
	Channels  []core.Channel
	Prios     []core.Priority
	Ages      []core.Age
	Sorts     []core.DeskSort
	// Others are the parameters with no field of their own in the filter
	// form, whose errors are shown under it.
	Others []string
	// LateOutages are the open outages past their expected end (escalated).
	LateOutages []core.Outage
}

// deskFilterKeys are the query parameters a queue tab keeps.
var deskFilterKeys = []string{"category", "district", "channel", "priority", "age", "sort"}

// desk is the dispatcher's desk: the queues (triage, returned, overdue,
// escalated, emergencies …) with their counts, filters and keyset pages.
// Without JavaScript a reload shows fresh counts; the script refreshes them
// in place from deskCounts.
func (p *Pages) desk(c *gin.Context) {
	ct, actor := city(c)
	ctx := c.Request.Context()
	qs := c.Request.URL.Query()
	pg := p.views.Page(c, "desk_title")
	pg.Nav = "nav"
	pg.Form = qs
	desk := p.api.Services().Desk(ct)
	q := httpapi.DeskQuery(qs.Get)
	d := &deskData{Channels: core.Channels, Prios: core.Priorities, Ages: core.Ages, Sorts: core.DeskSorts,
		Others: []string{"queue", "cursor", "limit"}}
	status := http.StatusOK
	page, err := desk.Page(ctx, actor, q)
	if core.ErrorCode(err) == core.EINVALID {
		// A hand-edited link: say what is wrong and show the whole desk.
		status = pg.SetError(c, err)
		q = core.DeskQuery{}
		page, err = desk.Page(ctx, actor, q)
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	q.Normalize()
	names, err := categoryNames(c, ct, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	if err := p.deskChoices(c, ct, d); err != nil {
		p.fail(c, err)
		return
	}
	keep := url.Values{}
	if status == http.StatusOK {
		for _, k := range deskFilterKeys {
			if v := qs.Get(k); v != "" {
				keep.Set(k, v)
			}
		}
	}
	link := func(extra url.Values) string {
		v := url.Values{}
		for k, x := range keep {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		if len(v) == 0 {
			return base(ct) + "/desk/"
		}
		return base(ct) + "/desk/?" + v.Encode()
	}
	for _, qu := range desk.Queues() {
		d.Tabs = append(d.Tabs, deskTab{Queue: qu, Count: page.Counts[qu], Current: qu == q.Queue,
			Link: link(url.Values{"queue": {string(qu)}})})
	}
	d.Queue, d.Total = q.Queue, page.Counts[q.Queue]
	d.Rows = queueRows(page.Items, names, p.api.Now(), pg.Lang)
	if page.NextCursor != "" {
		d.Next = link(url.Values{"queue": {string(q.Queue)}, "cursor": {page.NextCursor}})
	}
	d.Counts = base(ct) + "/desk/counts"
	now := p.api.Now()
	for _, o := range p.publicOutages(c, ct, 0) {
		if o.Overdue(now) {
			d.LateOutages = append(d.LateOutages, o)
		}
	}
	if len(keep) > 0 {
		f := url.Values{}
		for k, x := range keep {
			if k != "sort" {
				f[k] = x
			}
		}
		if len(f) > 0 {
			d.Counts += "?" + f.Encode()
		}
	}
	pg.Data = d
	c.Header("Cache-Control", "no-store")
	p.views.Render(c, status, "desk.html", pg)
}

// deskChoices fills the filter's choices: category groups with their
// categories, districts.
func (p *Pages) deskChoices(c *gin.Context, ct *httpapi.City, d *deskData) error {
	ctx := c.Request.Context()
	groups, err := ct.Store.CategoryGroups(ctx)
	if err != nil {
		return err
	}
	cats, err := ct.Store.Categories(ctx, false)
	if err != nil {
		return err
	}
	for _, g := range groups {
		dg := deskGroup{Group: g}
		for _, cat := range cats {
			if cat.GroupCode == g.Code && cat.Active {
				dg.Categories = append(dg.Categories, cat)
			}
		}
		d.Groups = append(d.Groups, dg)
	}
	d.Districts, err = ct.Store.Districts(ctx)
	return err
}

// deskCounts answers the desk's script: the count of every queue under the
// filters of the page, as JSON (see httpapi's desk counts).
func (p *Pages) deskCounts(c *gin.Context) {
	ct, actor := city(c)
	counts, err := p.api.Services().Desk(ct).Counts(c.Request.Context(), actor, httpapi.DeskFilter(c.Query))
	if err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, counts)
}
