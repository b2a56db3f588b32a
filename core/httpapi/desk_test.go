package httpapi_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The desk through the API at peak: counts, filters combined, keyset pages
// that walk the whole filtered queue once, the deadline order, an overdue
// request found by its filter; and from the attacker's side: an
// organization's operator gets neither the desk nor its counts, another
// city's token is refused, another city's requests never appear, and forged
// filter values are one problem document with a message per field.
func TestDeskAPIAtPeak(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			waiting := s.PeakCity(t, "peak", 3000)
			if waiting < 2000 {
				t.Fatalf("only %d requests waiting at the desk", waiting)
			}
			dispatcher := apitest.Principal{City: "peak", Login: bench.DispatcherLogin}
			tok := s.Token(dispatcher)

			r := s.Call("GET", "/t/peak/api/v1/desk?limit=10", tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("desk: %d %s", r.Status, r.Body)
			}
			m := r.JSON(t)
			counts := m["counts"].(map[string]any)
			// Requests fall overdue as the clock runs and nothing else
			// changes them: a later count is never smaller.
			all := int(counts["all"].(float64))
			if int(m["total"].(float64)) != all || all < waiting {
				t.Errorf("total %v, counts %v; want at least %d waiting", m["total"], counts, waiting)
			}
			for _, q := range []string{"new", "returned", "overdue", "escalated", "emergency"} {
				if n, _ := counts[q].(float64); n < 50 {
					t.Errorf("queue %s counts %v", q, counts[q])
				}
			}
			if n, ok := counts["outage"].(float64); !ok || n != 0 {
				t.Errorf("an outage count without outages: %v", counts)
			}
			rc := s.Call("GET", "/t/peak/api/v1/desk/counts", tok, nil).JSON(t)
			if rc["all"].(float64) < counts["all"].(float64) || rc["overdue"].(float64) < counts["overdue"].(float64) ||
				rc["new"] != counts["new"] || rc["returned"] != counts["returned"] {
				t.Errorf("counts %v, the desk a moment before says %v", rc, counts)
			}

			// Filters combined; the pages give the whole filtered queue once.
			f := url.Values{"queue": {"all"}, "category": {"utilities"}, "district": {"kirovsky"}, "channel": {"call_centre"},
				"limit": {"17"}}
			first := s.Call("GET", "/t/peak/api/v1/desk?"+f.Encode(), tok, nil).JSON(t)
			items := s.DeskWalk("peak", tok, f)
			seen := map[string]bool{}
			for _, it := range items {
				n := it["number"].(string)
				if seen[n] {
					t.Fatalf("%s twice in the pages", n)
				}
				seen[n] = true
				if it["channel"] != "call_centre" || !slices.Contains([]string{"power-supply", "water-network-fault", "heating", "hot-water", "sewerage"}, it["category"].(string)) {
					t.Errorf("%s does not match the filters: %v %v", n, it["channel"], it["category"])
				}
			}
			if total := int(first["total"].(float64)); len(items) != total || total < 40 {
				t.Errorf("%d requests through the pages, total %d", len(items), total)
			}

			// The deadline order: deadlines never go back, those without one last.
			dl := s.DeskWalk("peak", tok, url.Values{"queue": {"overdue"}, "sort": {"deadline"}, "limit": {"100"}})
			var last time.Time
			for _, it := range dl {
				due := it["resolution_due_at"].(string)
				// core.Request.NextDue: the reaction time until accepted
				// (a request is accepted once it has a reaction time).
				if it["reaction_due_at"] != nil && it["reaction_seconds"] == nil {
					due = it["reaction_due_at"].(string)
				}
				d, _ := time.Parse(time.RFC3339Nano, due)
				if d.Before(last) {
					t.Fatalf("deadline order goes back at %s: %s after %s", it["number"], d, last)
				}
				last = d
			}

			// An overdue request found by its filter.
			number, cat, dist := s.OverdueOne(t, "peak")
			found := false
			for _, it := range s.DeskWalk("peak", tok, url.Values{"queue": {"overdue"}, "category": {cat}, "district": {dist}, "limit": {"100"}}) {
				found = found || it["number"] == number
				if it["overdue"] != true {
					t.Errorf("%s in the overdue queue is not overdue", it["number"])
				}
			}
			if !found {
				t.Errorf("overdue %s (%s, %s) not found by its filter", number, cat, dist)
			}

			// The attacker's side: an organization's operator and another
			// city's dispatcher are refused; forged filter values are one
			// problem document naming every field.
			op := apitest.Principal{City: "peak", Login: "op-emergency-service"}
			forged := url.Values{"queue": {"vip"}, "sort": {"random"}, "category": {"nope"}, "district": {"atlantis"},
				"channel": {"fax"}, "priority": {"urgent"}, "age": {"2h"}, "limit": {"lots"}, "cursor": {"forged"}}
			mark := "Искрит щиток МЕТКА-ДРУГОГО-ГОРОДА"
			s.Run(t,
				apitest.Scenario{Name: "operator desk", Path: "/t/peak/api/v1/desk", As: op, ExpectedStatus: http.StatusForbidden},
				apitest.Scenario{Name: "operator counts", Path: "/t/peak/api/v1/desk/counts", As: op, ExpectedStatus: http.StatusForbidden},
				apitest.Scenario{Name: "another city's token", Path: "/t/peak/api/v1/desk", As: apitest.Dispatcher,
					ExpectedStatus: http.StatusUnauthorized},
				apitest.Scenario{Name: "an emergency waiting in kazan", Method: "POST", Path: "/requests", As: apitest.Dispatcher,
					Body: map[string]any{"category": "power-supply", "building_id": 1, "description": mark, "priority": "emergency",
						"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}},
					ExpectedStatus: http.StatusCreated},
				apitest.Scenario{Name: "forged filters", Path: "/t/peak/api/v1/desk?" + forged.Encode(), As: dispatcher,
					ExpectedStatus: http.StatusUnprocessableEntity, ExpectedFields: slices.Collect(maps.Keys(forged))},
				apitest.Scenario{Name: "forged count filters", Path: "/t/peak/api/v1/desk/counts?channel=fax&district=atlantis", As: dispatcher,
					ExpectedStatus: http.StatusUnprocessableEntity, ExpectedFields: []string{"channel", "district"},
					After: func(t testing.TB, _ *apitest.Client, r apitest.Response) {
						if fields := r.Fields(t); len(fields) != 2 {
							t.Errorf("forged count filters: %s", r.Body)
						}
					}},
			)
			for _, p := range []string{"/desk/", "/desk/counts"} {
				if r := s.Page("GET", "/t/peak"+p, s.Token(op), nil, nil); r.Status != http.StatusForbidden {
					t.Errorf("operator on the page %s: %d", p, r.Status)
				}
			}
			kazan := s.Token(apitest.Dispatcher)
			inKazan := false
			for _, it := range s.DeskWalk("kazan", kazan, url.Values{"queue": {"emergency"}, "limit": {"100"}}) {
				inKazan = inKazan || it["description"] == mark
			}
			if !inKazan {
				t.Errorf("kazan's waiting emergency is not on kazan's desk")
			}
			for _, it := range s.DeskWalk("peak", tok, url.Values{"queue": {"emergency"}, "limit": {"100"}}) {
				if strings.Contains(it["description"].(string), "МЕТКА") {
					t.Fatalf("another city's request on the desk: %v", it["number"])
				}
			}

			// The page says what is wrong in the city's language and still shows the desk.
			pg := s.Page("GET", "/t/peak/desk/?channel=fax&district=atlantis", tok, nil, nil)
			if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(string(pg.Body), `class="form-error"`) ||
				!strings.Contains(string(pg.Body), "atlantis") || !strings.Contains(string(pg.Body), `id="q-all"`) {
				t.Errorf("forged page filters: %d %s", pg.Status, apitest.Truncate(pg.Body))
			}
		})
	}
}
