package pages

import (
	"maps"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// dashboardHotSpots is how many hot spots the dashboard shows; the hot
// spots page lists them all.
const dashboardHotSpots = 10

// hotSpotsLink leads from a hot spot to its requests: the period's
// requests of its category about its place.
func hotSpotsLink(hq string, query url.Values, h core.HotSpot) string {
	return hq + "/hotspots/requests" + keep(query, "level", h.Level, "place", h.Place, "category", h.Category)
}

// hotSpotsTable lays hot spots out with their evidence, each linked to its
// requests.
func hotSpotsTable(pg *web.Page, hs *core.HotSpots, link func(core.HotSpot) string) *hqTable {
	t := &hqTable{Name: "hotspots", Title: pg.T("hq.hotspots"), Columns: []hqColumn{
		{"hq.place_level", cellText}, {"hq.place", cellText}, {"hq.district", cellText}, {"category", cellText},
		{"hq.hot_count", cellCount}, {"hq.hot_baseline", cellCount}, {"hq.hot_expected", cellDecimal}, {"hq.hot_ratio", cellDecimal},
	}}
	for _, h := range hs.Rows {
		place := text(h.Name(pg.Lang))
		place.Link = link(h)
		cat := pg.Category(h.Category)
		if h.Group {
			cat = pg.Group(h.Category)
		}
		district := "—"
		if h.District != "" {
			district = pg.District(h.District)
		}
		expected, ratio := h.Expected, h.Ratio
		t.Rows = append(t.Rows, []hqCell{text(pg.T("hq.place_level." + h.Level)), place, text(district), text(cat),
			count(h.Count), count(h.BaselineCount), decimal(&expected), decimal(&ratio)})
	}
	return t
}

// dashboardHotSpots shows the hottest spots on the dashboard, so nobody
// has to look for them: those of its period, or of the period's last
// core.DashboardHotSpotDays days when the period is longer (a year's
// dashboard shows where housing fails now; the hot spots page counts the
// whole period).
func (p *Pages) dashboardHotSpots(c *gin.Context, pg *web.Page, d *hqData, ct *httpapi.City, actor core.Actor, query url.Values, period core.Period) error {
	title := pg.T("hq.hotspots")
	if recent, ok := core.RecentHotSpotPeriod(period); ok {
		query = maps.Clone(query)
		query.Set("from", recent.From)
		query.Set("to", recent.To)
		title = pg.T("hq.hotspots_recent", "Period", span(recent))
	}
	hs, err := p.analytics(ct).HotSpots(c.Request.Context(), actor, httpapi.HQFilter(query), core.HotSpotLimits{})
	if err != nil {
		return err
	}
	hq := hqBase(ct)
	more := len(hs.Rows) > dashboardHotSpots
	if more {
		hs.Rows = hs.Rows[:dashboardHotSpots]
	}
	t := hotSpotsTable(pg, hs, func(h core.HotSpot) string { return hotSpotsLink(hq, query, h) })
	side := &hqAside{Title: title, MoreLink: hq + "/hotspots" + keep(query), Empty: pg.T("hq.no_hotspots")}
	if more {
		side.More = pg.T("hq.all_hotspots")
	}
	side.Headers, side.Numeric, side.Rows = t.shown(pg)
	d.Side = side
	return nil
}

// hqHotSpots lists the period's hot spots with their evidence.
func (p *Pages) hqHotSpots(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.hotspots", "hotspots")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	lim, err := httpapi.HotSpotLimits(query)
	var hs *core.HotSpots
	if err == nil {
		hs, err = p.analytics(ct).HotSpots(c.Request.Context(), actor, httpapi.HQFilter(query), lim)
	}
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		d.Note = pg.T("hq.hotspots_rule", "Baseline", span(hs.Baseline), "MinCount", hs.MinCount,
			"MinRatio", localNumber(formatRatio(hs.MinRatio), pg.Lang))
		t = hotSpotsTable(pg, hs, func(h core.HotSpot) string { return hotSpotsLink(hq, query, h) })
	}
	p.hqAnswer(c, pg, d, t, err)
}

// hqPlaceRequests lists the requests behind a hot spot.
func (p *Pages) hqPlaceRequests(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.hot_requests", "")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	b, err := p.analytics(ct).PlaceRequests(c.Request.Context(), actor, c.Query("level"), c.Query("place"), httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		back := url.Values{}
		for k, v := range query {
			if k != "level" && k != "place" && k != "category" {
				back[k] = v
			}
		}
		place := b.Address
		if b.NameRU != "" {
			place = core.LocalName(b.NameRU, b.NameEN, pg.Lang)
		}
		d.Crumbs = []hqLink{{Label: pg.T("hq.hotspots"), Link: hq + "/hotspots" + keep(back)}, {Label: place}}
		t = requestsTable(pg, b, func(number string) string { return base(ct) + "/requests/" + url.PathEscape(number) })
		t.Name = "hotspot-requests"
	}
	if core.ErrorCode(err) == core.ENOTFOUND {
		p.fail(c, err)
		return
	}
	p.hqAnswer(c, pg, d, t, err)
}

// span writes a period as dd.mm.yyyy–dd.mm.yyyy.
func span(p core.Period) string {
	from, _ := time.Parse(time.DateOnly, p.From)
	to, _ := time.Parse(time.DateOnly, p.To)
	return from.Format("02.01.2006") + "–" + to.Format("02.01.2006")
}

func formatRatio(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
