package pages_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/xuri/excelize/v2"
)

// The weekly summary over HTTP: a request filed on Monday 16 November
// 2026 and left alone is counted in week 47 and, eight days on, listed
// overdue without personal data, on the page and in the workbook (a
// sheet per section, numbers and dates as numbers, Russian headers); a
// bad week is the week field's message; other roles and cities get
// nothing.
func TestWeeklySummaryPage(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := servertest.NewClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clock.Now })
			number := s.Submit("kazan", s.Login("kazan", "citizen"), "Лифт стоит HQ-SECRET-TEXT")
			clock.Add(8 * 24 * time.Hour)
			analyst := s.Login("kazan", "analyst")

			r := s.Page("GET", "/t/kazan/hq/summary", analyst, nil, nil)
			body := string(r.Body)
			if r.Status != http.StatusOK || !strings.Contains(body, `id="summary-figures-table"`) ||
				!strings.Contains(body, `id="summary-overdue-table"`) || !strings.Contains(body, "/t/kazan/requests/"+number) ||
				!strings.Contains(body, `value="2026-W47"`) || !strings.Contains(body, "16.11.2026–22.11.2026") {
				t.Fatalf("summary page: %d %s", r.Status, body)
			}
			for _, p := range []string{"HQ-SECRET-TEXT", "917 123-45-67", "Иван Петров"} {
				if strings.Contains(body, p) {
					t.Errorf("the summary shows personal data %q", p)
				}
			}

			r = s.Page("GET", "/t/kazan/hq/summary?week=2026-W47&format=xlsx", analyst, nil, nil)
			if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "summary-2026-W47.xlsx") {
				t.Fatalf("summary xlsx: %d %v", r.Status, r.Header)
			}
			f, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			sheets := f.GetSheetList()
			if len(sheets) != 3 {
				t.Fatalf("sheets %v", sheets)
			}
			raw := excelize.Options{RawCellValue: true}
			cell := func(sheet, at string) string {
				v, err := f.GetCellValue(sheet, at, raw)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			if cell(sheets[0], "A1") != "Показатель" || cell(sheets[0], "A3") != "Поступило" || cell(sheets[0], "B3") != "1" {
				t.Errorf("figures sheet: %q %q %q", cell(sheets[0], "A1"), cell(sheets[0], "A3"), cell(sheets[0], "B3"))
			}
			found := false
			for row := 2; ; row++ {
				n := cell(sheets[2], "A"+strconv.Itoa(row))
				if n == "" {
					break
				}
				if n != number {
					continue
				}
				found = true
				// The deadline as a date serial, the lateness in days.
				due, err1 := strconv.ParseFloat(cell(sheets[2], "G"+strconv.Itoa(row)), 64)
				late, err2 := strconv.ParseFloat(cell(sheets[2], "H"+strconv.Itoa(row)), 64)
				if err1 != nil || err2 != nil || due < 46000 || late <= 0 || late > 8 {
					t.Errorf("overdue row: due %v (%v), late %v (%v)", due, err1, late, err2)
				}
			}
			if !found {
				t.Errorf("the overdue sheet misses %s", number)
			}
			if bytes.Contains(r.Body, []byte("HQ-SECRET-TEXT")) {
				t.Error("the workbook holds the description")
			}

			r = s.Page("GET", "/t/kazan/hq/summary?week=2026-W99", analyst, nil, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `id="week-error"`) {
				t.Errorf("bad week: %d %s", r.Status, r.Body)
			}

			// The analyst subscribes on the page, then unsubscribes.
			r = s.Page("POST", "/t/kazan/hq/summary/subscription", analyst, map[string]string{"on": "1", "week": "2026-W46"}, nil)
			if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "week=2026-W46") {
				t.Fatalf("subscribe: %d %v", r.Status, r.Header)
			}
			if r := s.Page("GET", "/t/kazan/hq/summary", analyst, nil, nil); !strings.Contains(string(r.Body), `id="unsubscribe"`) {
				t.Errorf("subscribed page: %s", r.Body)
			}
			if r := s.Page("POST", "/t/kazan/hq/summary/subscription", analyst, map[string]string{"on": "0"}, nil); r.Status != http.StatusSeeOther {
				t.Errorf("unsubscribe: %d %v", r.Status, r.Header)
			}
			if r := s.Page("GET", "/t/kazan/hq/summary", analyst, nil, nil); !strings.Contains(string(r.Body), `id="subscribe"`) {
				t.Errorf("unsubscribed page: %s", r.Body)
			}

			for _, who := range []string{"citizen", "operator", "dispatcher"} {
				tok := s.Login("kazan", who)
				if r := s.Page("POST", "/t/kazan/hq/summary/subscription", tok, map[string]string{"on": "1"}, nil); r.Status != http.StatusForbidden {
					t.Errorf("the %s subscribes: %d", who, r.Status)
				}
				for _, path := range []string{"/t/kazan/hq/summary", "/t/kazan/hq/summary?format=xlsx"} {
					if r := s.Page("GET", path, tok, nil, nil); r.Status != http.StatusForbidden {
						t.Errorf("%s for the %s: %d", path, who, r.Status)
					}
				}
			}
			foreign := s.Login("nizhnekamsk", "analyst")
			if r := s.Page("GET", "/t/kazan/hq/summary?format=xlsx", foreign, nil, nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusSeeOther {
				t.Errorf("another city's analyst: %d", r.Status)
			}
		})
	}
}
