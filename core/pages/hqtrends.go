package pages

import (
	"html/template"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// trendsTable lays a trend out as the chart's data: a row per point, a
// column per category group.
func trendsTable(pg *web.Page, tr *core.Trends) *hqTable {
	t := &hqTable{Name: "trends-" + tr.Step, Title: pg.T("hq.trends"), Columns: []hqColumn{{"hq.point." + tr.Step, cellText}},
		Labels: []string{""}}
	for _, s := range tr.Series {
		t.Columns = append(t.Columns, hqColumn{"hq.received", cellCount})
		t.Labels = append(t.Labels, s.Name(pg.Lang))
	}
	for i, p := range tr.Points {
		label := pointLabel(pg, p, tr.Step)
		if tr.Step == core.StepWeek {
			label = span(p)
		}
		row := []hqCell{text(label)}
		for _, s := range tr.Series {
			c := count(s.Counts[i])
			if s.Peak == i {
				c.Class = "peak"
			}
			row = append(row, c)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// hqTrends shows the requests per category group by day, week or month,
// as a chart and as its table.
func (p *Pages) hqTrends(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.trends", "trends")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	step := c.Query("step")
	d.HiddenStep = step
	d.Ranks = choices(c, pg, "step", core.TrendSteps, core.StepMonth, "hq.step.")
	d.RanksTitle = "hq.step"
	tr, err := p.analytics(ct).Trends(c.Request.Context(), actor, httpapi.HQFilter(query), step)
	var t *hqTable
	if err == nil {
		t = trendsTable(pg, tr)
		if c.Query("format") == "" {
			var svg template.HTML
			if svg, err = trendChart(pg, tr); err == nil && svg != "" {
				d.Chart = svg
				d.ChartTitle = pg.T("hq.trends_chart."+tr.Step) + ", " + span(core.Period{From: tr.Filter.From, To: tr.Filter.To})
			}
		}
	}
	p.hqAnswer(c, pg, d, t, err)
}
