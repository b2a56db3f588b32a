package pages

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// hqData is an HQ page: its filters, the way to the other HQ tables, and
// one table, shown and exported the same.
type hqData struct {
	Action      string // the filter form's address: the page itself
	Tabs        []hqLink
	Crumbs      []hqLink
	Ranks       []hqLink // a league table's orders
	Districts   []core.District
	Orgs        map[string][]core.Organization // by kind
	Groups      []string
	Categories  []core.Category
	Channels    []core.Channel
	Headers     []string
	Rows        [][]shownCell
	Numeric     []bool // which columns hold numbers (aligned right)
	XLSX, CSV   string
	Empty       bool
	HasTable    bool
	HiddenRank  string // the league order kept by the filter form
	PeriodTitle string
	Note        string        // a line under the title: how the table was made
	Side        *hqAside      // the dashboard's hot spots
	RanksTitle  string        // what Ranks choose: "hq.rank_by" by default
	HiddenStep  string        // the trend's step kept by the filter form
	Chart       template.HTML // an SVG drawn on the server
	ChartTitle  string
	Map         *shownMap
}

// hqAside is a short table beside the page's own, leading to its page.
type hqAside struct {
	Title, More, MoreLink, Empty string
	Headers                      []string
	Numeric                      []bool
	Rows                         [][]shownCell
}

type hqLink struct {
	Label, Link string
	Current     bool
}

type shownCell struct {
	Text, Link, Class string
}

// choices links the page to itself with each of options as the query
// parameter key, the rest of its filter kept; the current one is the
// request's, or def when it names none. Labels are the catalog's messages
// prefix+option.
func choices(c *gin.Context, pg *web.Page, key string, options []string, def, prefix string) []hqLink {
	query, current := c.Request.URL.Query(), c.Query(key)
	links := make([]hqLink, 0, len(options))
	for _, o := range options {
		links = append(links, hqLink{Label: pg.T(prefix + o), Link: c.Request.URL.Path + keep(query, key, o),
			Current: o == current || (current == "" && o == def)})
	}
	return links
}

// hqBase is the address of HQ's pages in a city.
func hqBase(ct *httpapi.City) string { return base(ct) + "/hq" }

// keep is the page's filter as a query string for links ("" or "?…"),
// without what belongs to one page (format, order, language, notices).
func keep(q url.Values, extra ...string) string {
	v := url.Values{}
	for k, vs := range q {
		switch k {
		case "format", "sep", "lang", "ok", "rank", "step":
			continue
		}
		if len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// analytics is the city's HQ service.
func (p *Pages) analytics(ct *httpapi.City) *core.Analytics { return p.api.Services().Analytics(ct) }

// hqPage starts an HQ page: the filter form's choices and the tabs.
func (p *Pages) hqPage(c *gin.Context, title, current string) (*web.Page, *hqData, error) {
	ct, _ := city(c)
	pg := p.views.Page(c, title)
	pg.Nav = "nav"
	pg.Form = c.Request.URL.Query()
	dir, err := ct.Store.Directory(c.Request.Context(), false)
	if err != nil {
		return nil, nil, err
	}
	d := &hqData{Action: c.Request.URL.Path, Districts: dir.Districts, Orgs: map[string][]core.Organization{},
		Categories: dir.Categories, Channels: core.Channels}
	for _, o := range dir.Organizations {
		d.Orgs[o.Kind] = append(d.Orgs[o.Kind], o)
	}
	for _, cat := range dir.Categories {
		if cat.GroupCode != "" && !slices.Contains(d.Groups, cat.GroupCode) {
			d.Groups = append(d.Groups, cat.GroupCode)
		}
	}
	q := keep(c.Request.URL.Query())
	hq := hqBase(ct)
	d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.dashboard"), Link: hq + "/" + q, Current: current == "dashboard"})
	for _, k := range core.Leagues {
		d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.league." + k), Link: hq + "/leagues/" + k + q, Current: current == k})
	}
	d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.hotspots"), Link: hq + "/hotspots" + q, Current: current == "hotspots"})
	d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.summary"), Link: hq + "/summary", Current: current == "summary"})
	d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.trends"), Link: hq + "/trends" + q, Current: current == "trends"})
	d.Tabs = append(d.Tabs, hqLink{Label: pg.T("hq.map"), Link: hq + "/map" + q, Current: current == "map"})
	return pg, d, nil
}

// shown is t as the page writes it: headers, which columns are numbers,
// and the cells in the reader's language.
func (t *hqTable) shown(pg *web.Page) (headers []string, numeric []bool, rows [][]shownCell) {
	for i, col := range t.Columns {
		headers = append(headers, t.header(pg, i))
		numeric = append(numeric, col.Kind != cellText && col.Kind != cellTime && col.Kind != cellDate)
	}
	for _, r := range t.Rows {
		row := make([]shownCell, len(r))
		for i, cell := range r {
			row[i] = shownCell{Text: cell.show(pg), Link: cell.Link, Class: cell.Class}
		}
		rows = append(rows, row)
	}
	return headers, numeric, rows
}

// show renders t into d, with its export links.
func (d *hqData) show(pg *web.Page, c *gin.Context, t *hqTable) {
	d.HasTable = true
	d.Headers, d.Numeric, d.Rows = t.shown(pg)
	d.Empty = len(t.Rows) == 0
	q := c.Request.URL.Query()
	q.Del("lang")
	q.Set("format", "xlsx")
	d.XLSX = c.Request.URL.Path + "?" + q.Encode()
	q.Set("format", "csv")
	d.CSV = c.Request.URL.Path + "?" + q.Encode()
}

// hqAnswer shows t as the page, or sends it as a file when the query asks
// for a format (xlsx, csv).
func (p *Pages) hqAnswer(c *gin.Context, pg *web.Page, d *hqData, t *hqTable, err error) {
	if err != nil {
		if core.ErrorCode(err) != core.EINVALID {
			p.fail(c, err)
			return
		}
		pg.Data = d
		p.views.Render(c, pg.SetError(c, err), "hq.html", pg)
		return
	}
	switch c.Query("format") {
	case "":
	case "xlsx", "csv":
		ct, _ := city(c)
		p.hqExport(c, pg, ct, t)
		return
	default:
		pg.Data = d
		p.views.Render(c, pg.SetError(c, &core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"format": core.M("error.one_of", "List", "xlsx, csv")}}), "hq.html", pg)
		return
	}
	d.show(pg, c, t)
	pg.Data = d
	p.views.Render(c, http.StatusOK, "hq.html", pg)
}

// hqDashboard is HQ's landing page: the figures of the period beside the
// previous period and the year before.
func (p *Pages) hqDashboard(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.dashboard", "dashboard")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	dash, err := p.analytics(ct).Dashboard(c.Request.Context(), actor, httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		t = dashboardTable(pg, dash)
		if c.Query("format") == "" {
			err = p.dashboardHotSpots(c, pg, d, ct, actor, query, dash.Current.Period)
		}
	}
	p.hqAnswer(c, pg, d, t, err)
}

// hqLeague is a league table, worst first, each row leading to its
// drill-down (an organization's buildings, or a district's dashboard).
func (p *Pages) hqLeague(c *gin.Context) {
	ct, actor := city(c)
	kind := c.Param("kind")
	if !slices.Contains(core.Leagues, kind) {
		p.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	pg, d, err := p.hqPage(c, "hq.league."+kind, kind)
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	rank := c.Query("rank")
	d.HiddenRank = rank
	d.Ranks = choices(c, pg, "rank", core.LeagueRanks, core.RankPerThousand, "hq.rank_by.")
	l, err := p.analytics(ct).League(c.Request.Context(), actor, kind, rank, httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		t = leagueTable(pg, l, func(code string) string {
			if kind == core.LeagueDistricts {
				return hq + "/" + keep(query, "district", code)
			}
			return hq + "/organizations/" + url.PathEscape(code) + keep(query)
		})
	}
	p.hqAnswer(c, pg, d, t, err)
}

// hqBuildings drills an organization down to its buildings.
func (p *Pages) hqBuildings(c *gin.Context) {
	ct, actor := city(c)
	code := c.Param("code")
	pg, d, err := p.hqPage(c, "hq.buildings", "")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	b, err := p.analytics(ct).Buildings(c.Request.Context(), actor, code, httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		d.Crumbs = []hqLink{{Label: pg.T("hq.league." + b.Kind), Link: hq + "/leagues/" + b.Kind + keep(query)}, {Label: b.Name(pg.Lang)}}
		t = buildingsTable(pg, b, func(id int64) string {
			return hq + "/organizations/" + url.PathEscape(code) + "/buildings/" + strconv.FormatInt(id, 10) + keep(query)
		})
	}
	p.hqAnswer(c, pg, d, t, err)
}

// hqRequests is the last step of a drill-down: an organization's requests
// about one building, without personal data.
func (p *Pages) hqRequests(c *gin.Context) {
	ct, actor := city(c)
	code := c.Param("code")
	id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
	if perr != nil || id < 0 {
		p.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	pg, d, err := p.hqPage(c, "hq.requests", "")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	b, err := p.analytics(ct).Requests(c.Request.Context(), actor, code, id, httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		org := hq + "/organizations/" + url.PathEscape(code)
		place := b.Address
		if id == 0 {
			place = pg.T("hq.no_building")
		}
		d.Crumbs = []hqLink{{Label: b.Name(pg.Lang), Link: org + keep(query)}, {Label: place}}
		t = requestsTable(pg, b, func(number string) string { return base(ct) + "/requests/" + url.PathEscape(number) })
	}
	p.hqAnswer(c, pg, d, t, err)
}
