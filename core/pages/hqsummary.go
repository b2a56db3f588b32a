package pages

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// summaryData is the weekly summary page: the week's figures beside the
// week before, its hot spots and the requests overdue now.
type summaryData struct {
	*hqData
	Summary  *core.WeeklySummary
	Span     string
	XLSX     string
	Prev     string
	Next     string
	Sections []summarySection
	// Subscribed tells whether the reader gets the summary by e-mail.
	Subscribed bool
}

// summarySection is one table of the summary as the page shows it.
type summarySection struct {
	ID, Title, Empty, Note, More, MoreLink string
	Headers                                []string
	Numeric                                []bool
	Rows                                   [][]shownCell
}

// summaryTables are the summary's tables in the order of the page and of
// the workbook's sheets.
func summaryTables(pg *web.Page, s *core.WeeklySummary, hq, requests string) []*hqTable {
	figures := figuresTable(pg, "summary-"+s.Week, pg.T("hq.summary_figures"), []string{"hq.week", "hq.week_before"},
		[]core.PeriodFigures{s.Current, s.Previous})
	q := url.Values{"from": {s.Current.Period.From}, "to": {s.Current.Period.To}}
	hot := hotSpotsTable(pg, s.HotSpots, func(h core.HotSpot) string { return hotSpotsLink(hq, q, h) })
	return []*hqTable{figures, hot, overdueTable(pg, s, requests)}
}

// overdueTable lists the requests overdue now without personal data, the
// one late the longest first.
func overdueTable(pg *web.Page, s *core.WeeklySummary, requests string) *hqTable {
	t := &hqTable{Name: "overdue", Title: pg.T("hq.summary_overdue"), Columns: []hqColumn{
		{"hq.number", cellText}, {"hq.created", cellTime}, {"category", cellText}, {"hq.district", cellText},
		{"hq.organization", cellText}, {"priority", cellText}, {"hq.due", cellTime}, {"hq.late", cellDuration},
	}}
	for _, r := range s.Overdue {
		num := text(r.Number)
		num.Link = requests + "/" + url.PathEscape(r.Number)
		district := "—"
		if r.District != "" {
			district = pg.District(r.District)
		}
		late := r.LateSeconds
		t.Rows = append(t.Rows, []hqCell{num, {Kind: cellTime, At: r.CreatedAt}, text(pg.Category(r.Category)), text(district),
			text(orDash(pg.Org(r.Organization), r.Organization)), text(pg.T("priority." + string(r.Priority))),
			{Kind: cellTime, At: r.Due}, seconds(&late)})
	}
	return t
}

// hqSummary is HQ's weekly summary of an ISO week (?week=2026-W48; the
// last complete week by default), as a page or as one workbook
// (?format=xlsx) with a sheet per section. A bad week is shown beside the
// week field, with the last complete week.
func (p *Pages) hqSummary(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.summary", "summary")
	if err != nil {
		p.fail(c, err)
		return
	}
	svc := p.analytics(ct)
	status := http.StatusOK
	s, err := svc.WeeklySummary(c.Request.Context(), actor, c.Query("week"))
	if core.ErrorCode(err) == core.EINVALID {
		status = pg.SetError(c, err)
		s, err = svc.WeeklySummary(c.Request.Context(), actor, "")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	hq := hqBase(ct)
	tables := summaryTables(pg, s, hq, base(ct)+"/requests")
	switch c.Query("format") {
	case "":
	case "xlsx":
		if status != http.StatusOK {
			break
		}
		name := "summary-" + s.Week
		c.Header("Cache-Control", "no-store")
		c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		c.Status(http.StatusOK)
		if err := writeWorkbook(c.Writer, pg, ct.Location, tables...); err != nil {
			_ = c.Error(err)
		}
		return
	default:
		status = pg.SetError(c, &core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"format": core.M("error.one_of", "List", "xlsx")}})
	}
	sd := &summaryData{hqData: d, Summary: s, Span: span(s.Current.Period),
		XLSX: c.Request.URL.Path + "?" + url.Values{"week": {s.Week}, "format": {"xlsx"}}.Encode(),
		Prev: c.Request.URL.Path + "?week=" + s.Prev, Next: c.Request.URL.Path + "?week=" + s.Next}
	empties := []string{"hq.empty", "hq.no_hotspots", "hq.no_overdue"}
	for i, t := range tables {
		sec := summarySection{ID: []string{"summary-figures", "summary-hotspots", "summary-overdue"}[i], Title: t.Title, Empty: pg.T(empties[i])}
		sec.Headers, sec.Numeric, sec.Rows = t.shown(pg)
		sd.Sections = append(sd.Sections, sec)
	}
	sd.Sections[0].Empty = ""
	if s.HotSpots.More {
		sd.Sections[1].More, sd.Sections[1].MoreLink = pg.T("hq.all_hotspots"), hq+"/hotspots?"+
			url.Values{"from": {s.Current.Period.From}, "to": {s.Current.Period.To}}.Encode()
	}
	if int64(len(s.Overdue)) < s.OverdueTotal {
		sd.Sections[2].Note = pg.T("hq.overdue_shown", "Shown", len(s.Overdue), "Total", s.OverdueTotal)
	}
	if sd.Subscribed, err = svc.SummarySubscription(c.Request.Context(), actor); err != nil {
		p.fail(c, err)
		return
	}
	pg.Data = sd
	p.views.Render(c, status, "hq_summary.html", pg)
}

// hqSummarySubscribe turns the reader's own weekly summary e-mail on
// (on=1) or off.
func (p *Pages) hqSummarySubscribe(c *gin.Context) {
	ct, actor := city(c)
	on := c.PostForm("on") == "1"
	if err := p.analytics(ct).SubscribeSummary(c.Request.Context(), actor, on); err != nil {
		p.fail(c, err)
		return
	}
	flash := "done_summary_unsubscribed"
	if on {
		flash = "done_summary_subscribed"
	}
	v := url.Values{"ok": {flash}}
	if w, ok := core.ParseISOWeek(c.PostForm("week"), ct.Location); ok {
		v.Set("week", core.ISOWeek(w))
	}
	back(c, hqBase(ct)+"/summary?"+v.Encode(), "")
}
