package pages_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/xuri/excelize/v2"
)

// HQ's pages: the analyst's figures, league tables, drill-down down to
// the requests and their exports (XLSX opened with excelize, CSV for
// Russian Excel), hot spots, trends and the map, with no personal data
// anywhere; a bad date is the form's message; other roles and other
// cities get nothing; the analyst lands on the dashboard. (HQ's API is
// core/httpapi's TestHQAnalyticsAPI.)
func TestHQPagesAndExports(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, analyst, op := s.Login("kazan", "citizen"), s.Login("kazan", "analyst"), s.Login("kazan", "operator")
			number := s.Submit("kazan", cit, "Лифт стоит HQ-SECRET-TEXT")
			org := s.Get("kazan", analyst, number)["organization"].(string)
			private := []string{"HQ-SECRET-TEXT", "917 123-45-67", "Иван Петров"}
			clean := func(label string, body []byte) {
				t.Helper()
				for _, p := range private {
					if bytes.Contains(body, []byte(p)) {
						t.Errorf("%s shows personal data %q", label, p)
					}
				}
			}

			// The pages, in the city's language, down to the request.
			r := s.Page("GET", "/t/kazan/hq/", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Показатели штаба") || !strings.Contains(string(r.Body), `id="nav-hq"`) {
				t.Fatalf("dashboard page: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/leagues/management_company", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/t/kazan/hq/organizations/"+org) {
				t.Fatalf("league page: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/organizations/"+org, analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/t/kazan/hq/organizations/"+org+"/buildings/1") {
				t.Fatalf("buildings page: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/organizations/"+org+"/buildings/1", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/t/kazan/requests/"+number) {
				t.Fatalf("requests page: %d %s", r.Status, r.Body)
			}
			clean("requests page", r.Body)
			r = s.Page("GET", "/t/kazan/hq/?from=2026-13-01", analyst, nil, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "не дата") {
				t.Errorf("bad date on the page: %d", r.Status)
			}

			// XLSX: Russian headers, numbers as numbers, dates as dates.
			r = s.Page("GET", "/t/kazan/hq/leagues/management_company?format=xlsx", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("xlsx: %d %s", r.Status, r.Header)
			}
			f, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			sheet := f.GetSheetName(0)
			if h, _ := f.GetCellValue(sheet, "A1"); h != "Место" {
				t.Errorf("xlsx header A1 = %q, want Место", h)
			}
			if typ, _ := f.GetCellType(sheet, "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("xlsx received is not a number: %v", typ)
			}
			r = s.Page("GET", "/t/kazan/hq/organizations/"+org+"/buildings/1?format=xlsx", analyst, nil, nil)
			clean("requests xlsx", r.Body)
			f, err = excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			sheet = f.GetSheetName(0)
			rows, _ := f.GetRows(sheet)
			if len(rows) < 2 || rows[1][0] != number {
				t.Fatalf("requests xlsx rows: %v", rows)
			}
			if style, _ := f.GetCellStyle(sheet, "B2"); style == 0 {
				t.Errorf("the received time is not formatted as a date")
			} else if raw, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true}); !strings.Contains(raw, ".") {
				t.Errorf("the received time is not a date serial: %q", raw)
			}
			for _, row := range rows {
				clean("requests xlsx row", []byte(strings.Join(row, "|")))
			}

			// CSV for Russian Excel: BOM, ';', Russian headers.
			r = s.Page("GET", "/t/kazan/hq/leagues/district?format=csv", analyst, nil, nil)
			if r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
				t.Fatalf("csv: %d %q", r.Status, r.Body)
			}
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff"))))
			cr.Comma = ';'
			recs, err := cr.ReadAll()
			if err != nil || len(recs) < 2 || recs[0][0] != "Место" || recs[0][4] != "На 1000 квартир" {
				t.Errorf("csv: %v %v", err, recs)
			}

			// Hot spots: five lifts in one building in a city without
			// history make one, shown on the dashboard with a way to its
			// requests.
			for range 4 {
				s.Submit("kazan", cit, "Лифт снова стоит")
			}
			r = s.Page("GET", "/t/kazan/hq/", analyst, nil, nil)
			if !strings.Contains(string(r.Body), `id="hotspots-table"`) || !strings.Contains(string(r.Body), "/t/kazan/hq/hotspots/requests?") {
				t.Errorf("the dashboard shows no hot spots: %s", r.Body)
			}
			// A year's dashboard shows the hot spots of its last 30 days
			// under their dates, and leads to the hot spots of those days.
			msk, _ := time.LoadLocation("Europe/Moscow")
			to := time.Now().In(msk)
			recent := to.AddDate(0, 0, -29)
			r = s.Page("GET", "/t/kazan/hq/?from="+to.AddDate(0, 0, -364).Format(time.DateOnly)+"&to="+to.Format(time.DateOnly), analyst, nil, nil)
			if want := "Очаги за " + recent.Format("02.01.2006") + "–" + to.Format("02.01.2006"); r.Status != http.StatusOK ||
				!strings.Contains(string(r.Body), want) || !strings.Contains(string(r.Body), `id="hotspots-table"`) ||
				!strings.Contains(string(r.Body), "from="+recent.Format(time.DateOnly)+"&amp;") {
				t.Errorf("a year's dashboard: want the hot spots of %s with links to their days: %d %s", want, r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/hotspots/requests?level=building&place=1&category=lift", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/t/kazan/requests/"+number) {
				t.Errorf("hot spot's requests page: %d %s", r.Status, r.Body)
			}
			clean("hot spot's requests page", r.Body)

			// Trends: the page draws the chart as inline SVG; the workbook
			// has a row per day.
			r = s.Page("GET", "/t/kazan/hq/trends?step=week", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `<figure class="hq-chart"`) ||
				!strings.Contains(string(r.Body), "<svg") || !strings.Contains(string(r.Body), "Обращения по неделям") {
				t.Errorf("trends page: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/trends?format=xlsx&step=day", analyst, nil, nil)
			if f, err := excelize.OpenReader(bytes.NewReader(r.Body)); err != nil {
				t.Errorf("trends xlsx: %v", err)
			} else if h, _ := f.GetCellValue(f.GetSheetName(0), "A1"); h != "День" {
				t.Errorf("trends xlsx A1 = %q", h)
			}

			// The map: a tile server set by the city admin brings tiles
			// and widens the page's image policy to it alone.
			admin := s.Login("kazan", "admin")
			settings := s.Call("GET", "/t/kazan/api/v1/settings", admin, nil).JSON(t)
			settings["map_tile_url"] = "https://tiles.example.org/{z}/{x}/{y}.png"
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings); r.Status != http.StatusOK {
				t.Fatalf("a tile server: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/map", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `href="https://tiles.example.org/`) ||
				!strings.Contains(r.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://tiles.example.org;") {
				t.Errorf("map with tiles: %d %s %s", r.Status, r.Header.Get("Content-Security-Policy"), r.Body)
			}

			// Nobody else: an operator and a citizen are refused pages and
			// exports; another city's analyst token is unknown here.
			for _, tok := range []string{op, cit} {
				for _, path := range []string{"/t/kazan/hq/", "/t/kazan/hq/leagues/district?format=xlsx", "/t/kazan/hq/hotspots", "/t/kazan/hq/trends", "/t/kazan/hq/map",
					"/t/kazan/hq/hotspots/requests?level=building&place=1",
					"/t/kazan/hq/organizations/" + org + "/buildings/1?format=csv"} {
					if r := s.Page("GET", path, tok, nil, nil); r.Status != http.StatusForbidden {
						t.Errorf("%s for a non-analyst: %d", path, r.Status)
					}
				}
			}
			foreign := s.Login("nizhnekamsk", "analyst")
			if r := s.Page("GET", "/t/kazan/hq/?format=csv", foreign, nil, nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusSeeOther {
				t.Errorf("the dashboard's CSV with another city's analyst: %d %s", r.Status, r.Body)
			}
			// The analyst lands on the dashboard.
			if r := s.LoginForm("/t/kazan/login", "analyst", "demo", "ru"); !strings.HasSuffix(r.Header.Get("Location"), "/t/kazan/hq/") {
				t.Errorf("analyst lands on %q", r.Header.Get("Location"))
			}
		})
	}
}
