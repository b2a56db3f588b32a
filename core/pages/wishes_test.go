package pages_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Wishes and suggestions get no Reject button on their page: they are on
// the headquarters' weekly list, grouped by category and district with
// counts and links, for the analyst (without personal data) and the city
// admin; nobody else reads it, another city's token is refused, and a
// forged week is a form message. The city admin records the weekly
// review's decision there, into every request's history, and the next
// week's agenda reports it. (The desk and the API keep wishes out of
// triage: see core/httpapi's TestWishesStayOffTheDesk.)
func TestWishesGoToHeadquarters(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			disp := s.Login("kazan", "dispatcher")
			phone := "+7 917 444-12-34"
			var numbers []string
			for i, b := range []int{1, 2, 8} { // two in Aviastroitelny, one in Vakhitovsky
				body := map[string]any{"category": "wishes", "building_id": b, "description": "Просим поставить скамейку " + string(rune('А'+i)),
					"applicant": map[string]string{"name": "Мария Иванова", "phone": phone}}
				r := s.Call("POST", "/t/kazan/api/v1/requests", disp, body)
				if r.Status != http.StatusCreated {
					t.Fatalf("submit a wish: %d %s", r.Status, r.Body)
				}
				numbers = append(numbers, r.JSON(t)["number"].(string))
			}

			// No Reject button on a wish's page.
			pg := s.Page("GET", "/t/kazan/requests/"+numbers[0], disp, nil, nil)
			if pg.Status != http.StatusOK || strings.Contains(string(pg.Body), `id="f-reject"`) {
				t.Errorf("a wish's page offers Reject: %d", pg.Status)
			}

			// The analyst's list: grouped, counted, linked, no personal data.
			analyst := s.Login("kazan", "analyst")
			pg = s.Page("GET", "/t/kazan/hq/wishes", analyst, nil, nil)
			body := string(pg.Body)
			if pg.Status != http.StatusOK {
				t.Fatalf("analyst's wishes: %d %s", pg.Status, body)
			}
			for _, n := range numbers {
				if !strings.Contains(body, `/t/kazan/requests/`+n+`"`) {
					t.Errorf("the list has no link to %s", n)
				}
			}
			if !strings.Contains(body, `<td class="count">2</td>`) || !strings.Contains(body, `<b id="wishes-total">3</b>`) {
				t.Errorf("counts by category and district wrong: %s", body)
			}
			if strings.Contains(body, "Мария Иванова") || strings.Contains(body, "444-12-34") || strings.Contains(body, "9174441234") || strings.Contains(body, `<form method="post"`) {
				t.Errorf("the analyst's list shows personal data or a form")
			}
			admin := s.Login("kazan", "admin")
			if pg := s.Page("GET", "/t/kazan/hq/wishes", admin, nil, nil); pg.Status != http.StatusOK || !strings.Contains(string(pg.Body), numbers[2]) {
				t.Errorf("city admin's wishes: %d", pg.Status)
			}

			// Nobody else, and no other city's token.
			for _, who := range []string{"dispatcher", "operator", "citizen"} {
				if pg := s.Page("GET", "/t/kazan/hq/wishes", s.Login("kazan", who), nil, nil); pg.Status != http.StatusForbidden {
					t.Errorf("%s reads the wishes: %d", who, pg.Status)
				}
			}
			other := s.Login("nizhnekamsk", "analyst")
			if pg := s.Page("GET", "/t/kazan/hq/wishes", other, nil, nil); pg.Status == http.StatusOK {
				t.Errorf("another city's analyst reads kazan's wishes")
			}
			if pg := s.Page("GET", "/t/nizhnekamsk/hq/wishes", other, nil, nil); pg.Status != http.StatusOK || strings.Contains(string(pg.Body), numbers[0]) {
				t.Errorf("nizhnekamsk's list: %d, or it shows kazan's wishes", pg.Status)
			}

			// The weekly review: the three benches are one item; the city
			// admin records the decision there, the analyst cannot.
			pg = s.Page("GET", "/t/kazan/hq/wishes", admin, nil, nil)
			if !strings.Contains(string(pg.Body), `id="decide-0"`) || !strings.Contains(string(pg.Body), `data-numbers="`+strings.Join(numbers, " ")+`"`) {
				t.Fatalf("the admin's review has no form for the benches as one item: %s", pg.Body)
			}
			decide := func(city, token string, form url.Values) apitest.Response {
				t.Helper()
				return s.PageForm("POST", "/t/"+city+"/hq/wishes/decide", token, form, nil)
			}
			benches := url.Values{"number": numbers, "cluster": {"0"}, "decision": {"planned"}, "reason": {"Благоустройство дворов, весна"}}
			// Without the plan's date: a Russian message beside the item's
			// form, what was typed kept, nothing recorded.
			pg = decide("kazan", admin, benches)
			if body := string(pg.Body); pg.Status != http.StatusUnprocessableEntity || !strings.Contains(body, "обязательно") ||
				!strings.Contains(body, `value="Благоустройство дворов, весна"`) {
				t.Errorf("a planned decision without a date: %d %s", pg.Status, body)
			}
			if r := decide("kazan", analyst, url.Values{"number": numbers, "decision": {"already_planned"}}); r.Status != http.StatusForbidden {
				t.Errorf("the analyst decided: %d", r.Status)
			}
			// Another city's admin cannot reach Kazan's wishes through its own city.
			otherAdmin := s.Login("nizhnekamsk", "admin")
			if r := decide("nizhnekamsk", otherAdmin, url.Values{"number": numbers[:1], "decision": {"already_planned"}}); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("nizhnekamsk's admin decided on kazan's wish: %d", r.Status)
			}
			for _, n := range numbers {
				for _, ev := range s.Get("kazan", admin, n)["history"].([]any) {
					if ev.(map[string]any)["kind"] == "wish_decision" {
						t.Fatalf("a refused decision reached %s's history", n)
					}
				}
			}
			benches.Set("plan_date", "2027-05-01")
			if r := decide("kazan", admin, benches); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=done_wish_decision") {
				t.Fatalf("the decision: %d %s", r.Status, r.Body)
			}
			for _, n := range numbers {
				found := false
				for _, ev := range s.Get("kazan", admin, n)["history"].([]any) {
					e := ev.(map[string]any)
					found = found || e["kind"] == "wish_decision" && e["note"] == "включено в план на 2027-05-01"
				}
				if !found {
					t.Errorf("%s's history has no decision", n)
				}
			}
			// The next week's printable agenda reports the decision and the
			// wishes' progress, to the analyst too.
			week := s.Page("GET", "/t/kazan/hq/wishes", analyst, nil, nil)
			next := regexp.MustCompile(`wishes\?week=(\d{4}-W\d{2})" id="next-week"`).FindStringSubmatch(string(week.Body))
			if len(next) < 2 || next[1] == "" {
				t.Fatalf("no link to the next week: %s", week.Body)
			}
			pg = s.Page("GET", "/t/kazan/hq/wishes/agenda?week="+next[1], analyst, nil, nil)
			body = string(pg.Body)
			if pg.Status != http.StatusOK || !strings.Contains(body, `id="decided"`) || !strings.Contains(body, "Включить в план 2027-05-01") ||
				!strings.Contains(body, numbers[0]) || strings.Contains(body, `<form method="post"`) || strings.Contains(body, "Мария Иванова") {
				t.Errorf("the agenda: %d %s", pg.Status, body)
			}

			// A forged week: the form says so and the current week is shown.
			pg = s.Page("GET", "/t/kazan/hq/wishes?week=2026-W99", analyst, nil, nil)
			if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(string(pg.Body), `id="week-error"`) ||
				!strings.Contains(string(pg.Body), numbers[0]) {
				t.Errorf("forged week: %d", pg.Status)
			}
		})
	}
}
