package pages

import (
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-analyze/charts"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// Charts are drawn on the server as SVG by go-analyze/charts (a maintained
// Go port of Apache ECharts' layouts): the page shows them inline, so they
// read without JavaScript and print with the page. The library escapes
// every text it writes. Its style attributes are written as SVG
// presentation attributes, since the site's Content-Security-Policy blocks
// inline styles.

// pointLabel names a trend's point in the reader's language: a day or a
// week's first day as dd.mm, a month as its short name and year.
func pointLabel(pg *web.Page, p core.Period, step string) string {
	d, _ := time.Parse(time.DateOnly, p.From)
	switch step {
	case core.StepMonth:
		return pg.T("hq.month."+strconv.Itoa(int(d.Month()))) + " " + strconv.Itoa(d.Year())
	case core.StepWeek:
		return d.Format("02.01")
	}
	return d.Format("02.01")
}

// trendChart draws a trend as lines, one per category group, each with
// its peak marked; "" when there is nothing to draw.
func trendChart(pg *web.Page, tr *core.Trends) (template.HTML, error) {
	if len(tr.Series) == 0 || len(tr.Points) == 0 {
		return "", nil
	}
	values := make([][]float64, len(tr.Series))
	names := make([]string, len(tr.Series))
	for i, s := range tr.Series {
		names[i] = s.Name(pg.Lang)
		values[i] = make([]float64, len(s.Counts))
		for j, n := range s.Counts {
			values[i][j] = float64(n)
		}
	}
	opt := charts.NewLineChartOptionWithData(values)
	opt.Title.Text = pg.T("hq.trends_chart." + tr.Step)
	opt.Legend.SeriesNames = names
	opt.Padding = charts.NewBox(16, 16, 24, 16)
	opt.XAxis.Labels = make([]string, len(tr.Points))
	for i, p := range tr.Points {
		opt.XAxis.Labels[i] = pointLabel(pg, p, tr.Step)
	}
	if tr.Step == core.StepDay {
		opt.Symbol.Shape = charts.SymbolNone
	} else {
		opt.Symbol.Shape = charts.SymbolCircle
	}
	for i := range opt.SeriesList {
		opt.SeriesList[i].MarkPoint.AddPoints(charts.SeriesMarkTypeMax)
	}
	// Noto Sans measures Cyrillic as the browser draws it; the default
	// Roboto of the library lays Russian legends over each other.
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: 960, Height: 400,
		Font: charts.GetFont(charts.FontFamilyNotoSans)})
	if err := p.LineChart(opt); err != nil {
		return "", err
	}
	b, err := p.Bytes()
	if err != nil {
		return "", err
	}
	return template.HTML(presentationAttrs(b)), nil // the library's own SVG, its texts escaped
}

var styleAttr = regexp.MustCompile(`\sstyle="([^"]*)"`)

// presentationAttrs rewrites each style="name:value;…" attribute of an SVG
// as name="value" presentation attributes (fill, stroke, stroke-width,
// font-size, font-family are all of them): the same drawing, allowed by a
// Content-Security-Policy without 'unsafe-inline' styles.
func presentationAttrs(svg []byte) []byte {
	return styleAttr.ReplaceAllFunc(svg, func(m []byte) []byte {
		decl := html.UnescapeString(string(styleAttr.FindSubmatch(m)[1]))
		var b strings.Builder
		for _, d := range strings.Split(decl, ";") {
			name, value, ok := strings.Cut(d, ":")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if !ok || name == "" || strings.ContainsFunc(name, func(r rune) bool { return !(r == '-' || r >= 'a' && r <= 'z') }) {
				continue
			}
			b.WriteString(" " + name + `="` + html.EscapeString(value) + `"`)
		}
		return []byte(b.String())
	})
}
