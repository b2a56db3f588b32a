package pages

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// svgShape is what a test reads of an SVG: its texts and the vertices of
// its paths.
type svgShape struct {
	texts []string
	paths []int // vertices per path
}

func readSVG(t *testing.T, svg string) svgShape {
	t.Helper()
	var out svgShape
	dec := xml.NewDecoder(strings.NewReader(svg))
	var inText bool
	var buf bytes.Buffer
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
			}
			switch e.Name.Local {
			case "text":
				inText = true
				buf.Reset()
			case "path":
				for _, a := range e.Attr {
					if a.Name.Local == "d" {
						out.paths = append(out.paths, strings.Count(a.Value, "M")+strings.Count(a.Value, "L"))
					}
				}
			}
		case xml.CharData:
			if inText {
				buf.Write(e)
			}
		case xml.EndElement:
			if e.Name.Local == "text" {
				inText = false
				out.texts = append(out.texts, buf.String())
			}
		}
	}
	if root != "svg" {
		t.Fatalf("the chart's root is %q", root)
	}
	return out
}

// The trend chart is an SVG whose title and legend come from the catalog
// and the directory in the reader's language, with a line of one vertex
// per point for each group and each group's peak written at it.
func TestTrendChartSVG(t *testing.T) {
	tr := &core.Trends{Step: core.StepMonth, Filter: core.HQFilter{From: "2025-12-01", To: "2026-11-30"}}
	for m := 0; m < 12; m++ {
		from := []string{"2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01",
			"2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"}[m]
		tr.Points = append(tr.Points, core.Period{From: from, To: from})
	}
	tr.Series = []core.TrendSeries{
		{Group: "utilities", NameRU: "Коммунальные услуги", NameEN: "Utilities", Counts: []int64{9, 8, 7, 3, 2, 1, 1, 1, 2, 4, 37, 20}, Peak: 10},
		{Group: "building", NameRU: "Дом", NameEN: "Building", Counts: []int64{2, 2, 2, 3, 5, 2, 2, 2, 2, 2, 2, 2}, Peak: 4},
	}
	for _, tc := range []struct {
		lang  string
		texts []string
	}{
		{"ru", []string{"Обращения по месяцам", "Коммунальные услуги", "Дом", "окт 2026", "дек 2025", "37", "5"}},
		{"en", []string{"Requests by month", "Utilities", "Building", "Oct 2026", "37"}},
	} {
		pg := testPage(t, tc.lang)
		svg, err := trendChart(pg, tr)
		if err != nil {
			t.Fatal(err)
		}
		if f := os.Getenv("HQ3_DUMP"); f != "" {
			_ = os.WriteFile(f+tc.lang+".svg", []byte(svg), 0o644)
		}
		// The site's Content-Security-Policy blocks inline styles: the
		// drawing's colours are presentation attributes.
		if strings.Contains(string(svg), "style=") || !strings.Contains(string(svg), `stroke="rgb(84,112,198)"`) {
			t.Errorf("%s: the chart relies on inline styles: %.300s", tc.lang, svg)
		}
		shape := readSVG(t, string(svg))
		all := "\x00" + strings.Join(shape.texts, "\x00") + "\x00"
		for _, want := range tc.texts {
			if !strings.Contains(all, "\x00"+want+"\x00") {
				t.Errorf("%s: no text %q in %q", tc.lang, want, shape.texts)
			}
		}
		lines := 0
		for _, n := range shape.paths {
			if n == 12 {
				lines++
			}
		}
		if lines != 2 {
			t.Errorf("%s: %d paths of 12 vertices, want one per group (%v)", tc.lang, lines, shape.paths)
		}
	}
	if svg, err := trendChart(testPage(t, "ru"), &core.Trends{Step: core.StepDay}); err != nil || svg != "" {
		t.Errorf("an empty trend draws %q, %v", svg, err)
	}
}

// testPage is a page in lang without a request: enough for T.
func testPage(t *testing.T, lang string) *web.Page {
	t.Helper()
	return &web.Page{Lang: lang}
}
