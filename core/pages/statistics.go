package pages

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// statisticsData is the public statistics page: one kind of group at a
// time, with its tabs, the months form and the table.
type statisticsData struct {
	hqData
	Kind        string
	JSON        string // the same figures as open data, from the API
	GeneratedAt string
}

// statisticsKinds are the groups of the public statistics, in tab order.
var statisticsKinds = []string{core.StatDistrict, core.StatManagementCompany}

// statistics is the city's public statistics, open to everyone: per
// district or management company (kind) and month. format=csv or xlsx
// sends the table as a file.
func (p *Pages) statistics(c *gin.Context) {
	ct, _ := city(c)
	pg := p.views.Page(c, "stats.title")
	pg.Nav = "nav"
	pg.Form = c.Request.URL.Query()
	kind := c.DefaultQuery("kind", core.StatDistrict)
	d := &statisticsData{Kind: kind}
	d.Action = c.Request.URL.Path
	for _, k := range statisticsKinds {
		d.Tabs = append(d.Tabs, hqLink{Label: pg.T("stats.kind." + k), Link: c.Request.URL.Path + keep(c.Request.URL.Query(), "kind", k),
			Current: k == kind})
	}
	months := url.Values{}
	for _, k := range []string{"from", "to"} {
		if v := c.Query(k); v != "" {
			months.Set(k, v)
		}
	}
	d.JSON = base(ct) + "/api/v1/statistics"
	if len(months) > 0 {
		d.JSON += "?" + months.Encode()
	}
	invalid := func(err error) {
		pg.Data = d
		p.views.Render(c, pg.SetError(c, err), "statistics.html", pg)
	}
	if kind != core.StatDistrict && kind != core.StatManagementCompany {
		invalid(&core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"kind": core.M("error.one_of", "List", core.StatDistrict+", "+core.StatManagementCompany)}})
		return
	}
	s, err := p.api.Services().PublicStatistics(ct).Get(c.Request.Context(), core.StatisticsQuery{From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		if core.ErrorCode(err) != core.EINVALID {
			p.fail(c, err)
			return
		}
		invalid(err)
		return
	}
	d.GeneratedAt = pg.Time(s.GeneratedAt)
	t := statisticsTable(pg, kind, s)
	switch c.Query("format") {
	case "":
	case "xlsx", "csv":
		p.hqExport(c, pg, ct, t)
		return
	default:
		invalid(&core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"format": core.M("error.one_of", "List", "xlsx, csv")}})
		return
	}
	pg.Form.Set("from", s.From)
	pg.Form.Set("to", s.To)
	d.show(pg, c, t)
	pg.Data = d
	p.views.Render(c, http.StatusOK, "statistics.html", pg)
}

// statisticsTable lays out the rows of one kind, month by month, with the
// groups named in the reader's language.
func statisticsTable(pg *web.Page, kind string, s *core.Statistics) *hqTable {
	t := &hqTable{Name: "statistics-" + kind, Title: pg.T("stats.kind." + kind), Columns: []hqColumn{
		{"stats.month", cellText}, {"stats.name", cellText}, {"stats.received", cellCount}, {"stats.resolved", cellCount},
		{"stats.on_time", cellShare}, {"stats.median", cellDuration}}}
	for _, r := range s.Rows {
		if r.Kind != kind {
			continue
		}
		t.Rows = append(t.Rows, []hqCell{text(r.Month), text(pg.Name(r.NameRU, r.NameEN)), count(r.Received),
			count(r.Resolved), shareCell(r.ResolvedOnTimeShare), seconds(r.ResolutionMedianSeconds)})
	}
	return t
}
