package pages_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The analyst in a browser: the dashboard shows the hot spot nobody
// searched for (five lifts in one building), its link leads to the
// requests behind it; the trends tab draws its chart and the map tab the
// buildings and the hot spot as SVG, whose ring leads to the same
// requests. No JavaScript is needed on the way.
func TestBrowserHQHotSpotAndMap(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit := s.Login("kazan", "citizen")
			var numbers []string
			for range 5 {
				numbers = append(numbers, s.Submit("kazan", cit, "Лифт стоит"))
			}
			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.LogIn(base, "analyst")
			if !strings.HasSuffix(b.Location(), "/t/kazan/hq/") {
				t.Fatalf("the analyst lands on %s", b.Location())
			}
			hot := b.Text("#hotspots-table")
			if !strings.Contains(hot, "Лифт") || !strings.Contains(hot, "Дом") {
				t.Fatalf("the dashboard's hot spots: %q", hot)
			}
			b.Screenshot("hq-dashboard-hotspots")
			b.Click(`#hotspots-table tbody tr:first-child a`)
			if !strings.Contains(b.Location(), "/hq/hotspots/requests?") {
				t.Fatalf("the hot spot leads to %s", b.Location())
			}
			table := b.Text("#hq-table")
			for _, n := range numbers {
				if !strings.Contains(table, n) {
					t.Errorf("the hot spot's requests miss %s: %q", n, table)
				}
			}

			b.Click(`nav.tabs a[href*="/hq/trends"]`)
			if b.Text("#hq-chart figcaption") == "" || !strings.Contains(b.HTML(), "Обращения по месяцам") {
				t.Errorf("the trends page draws no chart")
			}

			b.Click(`nav.tabs a[href*="/hq/map"]`)
			b.Screenshot("hq-map")
			html := b.HTML()
			i, j := strings.Index(html, "<svg"), strings.Index(html, "</svg>")
			if i < 0 || j < i {
				t.Fatalf("the map has no SVG")
			}
			var svg struct {
				Groups []struct {
					Class   string `xml:"class,attr"`
					Circles []struct {
						Class string `xml:"class,attr"`
						ID    string `xml:"id,attr"`
					} `xml:"circle"`
					Links []struct {
						ID string `xml:"id,attr"`
					} `xml:"a"`
					Districts []struct {
						Text string `xml:"text"`
					} `xml:"g"`
				} `xml:"g"`
			}
			if err := xml.Unmarshal([]byte(html[i:j+len("</svg>")]), &svg); err != nil {
				t.Fatalf("the map's SVG: %v", err)
			}
			got := map[string]int{}
			for _, g := range svg.Groups {
				got[g.Class] = len(g.Circles) + len(g.Links) + len(g.Districts)
				if g.Class == "map-points" {
					for _, c := range g.Circles {
						if c.ID == "point-1" {
							got["building 1"]++
						}
					}
				}
			}
			if got["map-points"] < 1 || got["building 1"] != 1 || got["map-hotspots"] < 1 || got["map-districts"] < 1 {
				t.Errorf("the map shows %v", got)
			}
			if note := b.Text("#map-note"); !strings.Contains(note, "Не на карте") {
				t.Errorf("the map's note: %q", note)
			}
			b.Click(`#hotspot-1 circle`)
			if !strings.Contains(b.Location(), "/hq/hotspots/requests?") {
				t.Errorf("the map's hot spot leads to %s", b.Location())
			}
		})
	}
}
