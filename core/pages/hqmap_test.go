package pages

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// The map's table lists the buildings with the most requests first (then
// by address); the page keeps the first mapPageRows of them and says so,
// the exports keep them all.
func TestMapTableMostFirst(t *testing.T) {
	m := &core.CityMap{}
	for i := range mapPageRows + 50 {
		// Counts 1…150 in a scrambled order, two buildings with the top count.
		n := int64((i*37)%(mapPageRows+50) + 1)
		m.Points = append(m.Points, core.MapPoint{BuildingID: int64(i + 1), Address: fmt.Sprintf("ул. Пушкина, д. %d", i+1), Count: n})
	}
	m.Points = append(m.Points, core.MapPoint{BuildingID: 999, Address: "ул. Баумана, д. 1", Count: mapPageRows + 50})
	pg := &web.Page{Lang: "ru"}
	tab, note := mapTable(pg, m, false)
	if len(tab.Rows) != len(m.Points) || note != "" {
		t.Fatalf("the export has %d rows for %d points, note %q", len(tab.Rows), len(m.Points), note)
	}
	if tab.Rows[0][0].Text != "ул. Баумана, д. 1" || tab.Rows[1][2].Num != float64(mapPageRows+50) || tab.Rows[2][2].Num != float64(mapPageRows+49) {
		t.Errorf("first rows: %v / %v / %v", tab.Rows[0], tab.Rows[1], tab.Rows[2])
	}
	for i := 1; i < len(tab.Rows); i++ {
		if tab.Rows[i][2].Num > tab.Rows[i-1][2].Num {
			t.Fatalf("row %d (%v) has more requests than row %d (%v)", i, tab.Rows[i][2].Num, i-1, tab.Rows[i-1][2].Num)
		}
	}

	page, note := mapTable(pg, m, true)
	if len(page.Rows) != mapPageRows || fmt.Sprint(page.Rows) != fmt.Sprint(tab.Rows[:mapPageRows]) ||
		!strings.Contains(note, fmt.Sprint(mapPageRows)) || !strings.Contains(note, fmt.Sprint(len(m.Points))) {
		t.Errorf("the page has %d rows, note %q", len(page.Rows), note)
	}
	few := &core.CityMap{Points: m.Points[:mapPageRows]}
	if page, note := mapTable(pg, few, true); len(page.Rows) != mapPageRows || note != "" {
		t.Errorf("a map of %d buildings: %d rows on the page, note %q", mapPageRows, len(page.Rows), note)
	}
}
