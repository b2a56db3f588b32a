package main

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/xuri/excelize/v2"
)

// HQ over HTTP: the analyst's figures, league tables, drill-down down to
// the requests and their exports (XLSX opened with excelize, CSV for
// Russian Excel), with no personal data anywhere; bad filters answer with
// every field at once; other roles and other cities get nothing.
func TestHQPagesAndExports(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			cit, analyst, op := s.Login("kazan", "citizen"), s.Login("kazan", "analyst"), s.Login("kazan", "operator")
			number := s.Submit("kazan", cit, "Лифт стоит HQ-SECRET-TEXT")
			org := s.Call("GET", "/t/kazan/api/v1/requests/"+number, analyst, nil).JSON(t)["organization"].(string)
			private := []string{"HQ-SECRET-TEXT", "917 123-45-67", "Иван Петров"}
			clean := func(label string, body []byte) {
				t.Helper()
				for _, p := range private {
					if bytes.Contains(body, []byte(p)) {
						t.Errorf("%s shows personal data %q", label, p)
					}
				}
			}

			// The API: figures with the request counted, a league, a drill-down.
			r := s.Call("GET", "/t/kazan/api/v1/analytics/dashboard", analyst, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("dashboard: %d %s", r.Status, r.Body)
			}
			cur := r.JSON(t)["current"].(map[string]any)["figures"].(map[string]any)
			if cur["received"].(float64) < 1 || cur["apartments"].(float64) <= 0 {
				t.Errorf("dashboard figures: %v", cur)
			}
			r = s.Call("GET", "/t/kazan/api/v1/analytics/leagues/management_company?rank=deadlines", analyst, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"code":"`+org+`"`) {
				t.Errorf("league: %d %s", r.Status, r.Body)
			}
			r = s.Call("GET", "/t/kazan/api/v1/analytics/organizations/"+org+"/buildings/1/requests", analyst, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), number) {
				t.Errorf("drill-down requests: %d %s", r.Status, r.Body)
			}
			clean("API drill-down", r.Body)
			r = s.Call("GET", "/t/kazan/api/v1/analytics/dashboard?from=yesterday&district=atlantis&channel=fax", analyst, nil)
			fields, _ := r.JSON(t)["errors"].(map[string]any)
			if r.Status != http.StatusUnprocessableEntity || fields["from"] == nil || fields["district"] == nil || fields["channel"] == nil {
				t.Errorf("bad filters: %d %s", r.Status, r.Body)
			}

			// The pages, in the city's language, down to the request.
			r = s.Page("GET", "/t/kazan/hq/", analyst, nil, nil)
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
			// history make one, with its evidence and a way to its requests.
			for range 4 {
				s.Submit("kazan", cit, "Лифт снова стоит")
			}
			r = s.Call("GET", "/t/kazan/api/v1/analytics/hotspots", analyst, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"level":"building","place":"1"`) ||
				!strings.Contains(string(r.Body), `"category":"lift"`) {
				t.Errorf("hot spots: %d %s", r.Status, r.Body)
			}
			r = s.Call("GET", "/t/kazan/api/v1/analytics/hotspots/requests?level=building&place=1&category=lift", analyst, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), number) {
				t.Errorf("hot spot's requests: %d %s", r.Status, r.Body)
			}
			clean("API hot spot's requests", r.Body)
			r = s.Call("GET", "/t/kazan/api/v1/analytics/hotspots?min_count=many&min_ratio=0.5", analyst, nil)
			fields, _ = r.JSON(t)["errors"].(map[string]any)
			if r.Status != http.StatusUnprocessableEntity || fields["min_count"] == nil {
				t.Errorf("bad hot spot limits: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/analytics/hotspots/requests?level=planet&place=1", analyst, nil); r.Status != http.StatusNotFound {
				t.Errorf("unknown place level: %d %s", r.Status, r.Body)
			}

			r = s.Page("GET", "/t/kazan/hq/", analyst, nil, nil)
			if !strings.Contains(string(r.Body), `id="hotspots-table"`) || !strings.Contains(string(r.Body), "/t/kazan/hq/hotspots/requests?") {
				t.Errorf("the dashboard shows no hot spots: %s", r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/hotspots/requests?level=building&place=1&category=lift", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/t/kazan/requests/"+number) {
				t.Errorf("hot spot's requests page: %d %s", r.Status, r.Body)
			}
			clean("hot spot's requests page", r.Body)

			// Trends: a year of months by default, the request counted in
			// its group; the page draws the chart as inline SVG.
			r = s.Call("GET", "/t/kazan/api/v1/analytics/trends", analyst, nil)
			if r.Status != http.StatusOK || r.JSON(t)["step"] != "month" || len(r.JSON(t)["points"].([]any)) < 12 ||
				!strings.Contains(string(r.Body), `"group":"building"`) {
				t.Errorf("trends: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/analytics/trends?step=hour", analyst, nil); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("trends by the hour: %d %s", r.Status, r.Body)
			}
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

			// The map: the building of the requests placed, none left
			// off; a tile server set by the city admin brings tiles and
			// widens the page's image policy to it alone; a bad one is refused.
			r = s.Call("GET", "/t/kazan/api/v1/analytics/map", analyst, nil)
			if r.Status != http.StatusOK || len(r.JSON(t)["points"].([]any)) < 1 || r.JSON(t)["tiles"] == nil {
				t.Errorf("map: %d %s", r.Status, r.Body)
			}
			admin := s.Login("kazan", "admin")
			settings := s.Call("GET", "/t/kazan/api/v1/settings", admin, nil).JSON(t)
			settings["map_tile_url"] = "javascript:alert(1)"
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), "map_tile_url") {
				t.Errorf("a bad tile server: %d %s", r.Status, r.Body)
			}
			settings["map_tile_url"] = "https://tiles.example.org/{z}/{x}/{y}.png"
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings); r.Status != http.StatusOK {
				t.Errorf("a tile server: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/hq/map", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `href="https://tiles.example.org/`) ||
				!strings.Contains(r.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://tiles.example.org;") {
				t.Errorf("map with tiles: %d %s %s", r.Status, r.Header.Get("Content-Security-Policy"), r.Body)
			}

			// Nobody else: an operator and a citizen are refused pages,
			// exports and the API; another city's analyst token is unknown here.
			for _, tok := range []string{op, cit} {
				for _, path := range []string{"/t/kazan/hq/", "/t/kazan/hq/leagues/district?format=xlsx", "/t/kazan/hq/hotspots", "/t/kazan/hq/trends", "/t/kazan/hq/map",
					"/t/kazan/hq/hotspots/requests?level=building&place=1",
					"/t/kazan/hq/organizations/" + org + "/buildings/1?format=csv"} {
					if r := s.Page("GET", path, tok, nil, nil); r.Status != http.StatusForbidden {
						t.Errorf("%s for a non-analyst: %d", path, r.Status)
					}
				}
				if r := s.Call("GET", "/t/kazan/api/v1/analytics/dashboard", tok, nil); r.Status != http.StatusForbidden {
					t.Errorf("API dashboard for a non-analyst: %d", r.Status)
				}
			}
			foreign := s.Login("nizhnekamsk", "analyst")
			for _, path := range []string{"/t/kazan/api/v1/analytics/dashboard", "/t/kazan/hq/?format=csv", "/t/kazan/api/v1/analytics/hotspots"} {
				if r := s.Page("GET", path, foreign, nil, nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusSeeOther {
					t.Errorf("%s with another city's analyst: %d %s", path, r.Status, r.Body)
				}
			}
			// The analyst lands on the dashboard.
			if r := s.LoginForm("/t/kazan/login", "analyst", "demo", "ru"); !strings.HasSuffix(r.Header.Get("Location"), "/t/kazan/hq/") {
				t.Errorf("analyst lands on %q", r.Header.Get("Location"))
			}
		})
	}
}
