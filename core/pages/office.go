package pages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// officeData is the organization's queue with its filters.
type officeData struct {
	Rows       []queueRow
	Statuses   []core.Status
	Categories []core.Category
	Export     string // the CSV link with the same filters
}

// queueFilter reads the office's filters: status, category, overdue, text.
// Unknown statuses are ignored, so a hand-edited link still shows a queue.
func queueFilter(q url.Values) core.RequestQuery {
	var rq core.RequestQuery
	if s := core.Status(q.Get("status")); s.Valid() {
		rq.Statuses = []core.Status{s}
	}
	rq.Category = strings.TrimSpace(q.Get("category"))
	rq.Overdue = q.Get("overdue") != ""
	if t := strings.TrimSpace(q.Get(fSearch)); len(t) <= 200 {
		rq.Text = t
	}
	return rq
}

func (p *Pages) workQueue(c *gin.Context, ct *httpapi.City, actor core.Actor) ([]core.Request, error) {
	rq := queueFilter(c.Request.URL.Query())
	rq.Now = p.api.Now()
	return ct.Store.WorkQueue(c.Request.Context(), actor, rq)
}

// office is the organization's queue: waiting to be accepted first, overdue
// rows highlighted, with filters.
func (p *Pages) office(c *gin.Context) {
	ct, actor := city(c)
	rs, err := p.workQueue(c, ct, actor)
	if err != nil {
		p.fail(c, err)
		return
	}
	cats, err := ct.Store.Categories(c.Request.Context(), false)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "office_title")
	names, err := categoryNames(c, ct, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg.Nav = "nav"
	pg.Form = c.Request.URL.Query()
	export := base(ct) + "/office/export.csv"
	if q := c.Request.URL.Query(); len(q) > 0 {
		q.Del("lang")
		q.Del("ok")
		export += "?" + q.Encode()
	}
	pg.Data = &officeData{Rows: queueRows(rs, names, p.api.Now(), pg.Lang), Statuses: core.Statuses, Categories: cats, Export: export}
	p.views.Render(c, http.StatusOK, "office.html", pg)
}

// export downloads the queue, with the page's filters, as CSV for Excel in
// the reader's language (see writeCSV).
func (p *Pages) export(c *gin.Context) {
	ct, actor := city(c)
	rs, err := p.workQueue(c, ct, actor)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "office_title")
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="queue-`+p.api.Now().In(ct.Location).Format("2006-01-02")+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	t := queueTable(pg, rs, p.api.Now())
	if err := writeCSV(c.Writer, pg.Lang, headers(pg, t), ct.Location, t, core.CSVComma(pg.Lang, c.Query("sep"))); err != nil {
		_ = c.Error(err)
	}
}
