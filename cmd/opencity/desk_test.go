package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// deskWalkAPI follows the desk's pages through the API and returns the
// requests in the order seen.
func (s *testServer) deskWalkAPI(t *testing.T, city, token string, params url.Values) []map[string]any {
	t.Helper()
	var out []map[string]any
	for pages := 0; ; pages++ {
		r := s.call("GET", "/t/"+city+"/api/v1/desk?"+params.Encode(), token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("desk %v: %d %s", params, r.Status, r.Body)
		}
		m := r.json(t)
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, _ := m["next_cursor"].(string)
		if next == "" || pages > 500 {
			return out
		}
		params.Set("cursor", next)
	}
}

// The desk through the API at peak: counts, filters combined, keyset pages
// that walk the whole filtered queue once, the deadline order, an overdue
// request found by its filter; and from the attacker's side: an
// organization's operator gets neither the desk nor its counts, another
// city's token is refused, another city's requests never appear, and forged
// filter values are one problem document with a message per field.
func TestDeskAPIAtPeak(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			waiting := s.PeakCity(t, "peak", 3000)
			if waiting < 2000 {
				t.Fatalf("only %d requests waiting at the desk", waiting)
			}
			tok := s.login("peak", bench.DispatcherLogin)

			r := s.call("GET", "/t/peak/api/v1/desk?limit=10", tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("desk: %d %s", r.Status, r.Body)
			}
			m := r.json(t)
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
			rc := s.call("GET", "/t/peak/api/v1/desk/counts", tok, nil).json(t)
			if rc["all"].(float64) < counts["all"].(float64) || rc["overdue"].(float64) < counts["overdue"].(float64) ||
				rc["new"] != counts["new"] || rc["returned"] != counts["returned"] {
				t.Errorf("counts %v, the desk a moment before says %v", rc, counts)
			}

			// Filters combined; the pages give the whole filtered queue once.
			f := url.Values{"queue": {"all"}, "category": {"utilities"}, "district": {"kirovsky"}, "channel": {"call_centre"},
				"limit": {"17"}}
			first := s.call("GET", "/t/peak/api/v1/desk?"+f.Encode(), tok, nil).json(t)
			items := s.deskWalkAPI(t, "peak", tok, f)
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
			dl := s.deskWalkAPI(t, "peak", tok, url.Values{"queue": {"overdue"}, "sort": {"deadline"}, "limit": {"100"}})
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
			for _, it := range s.deskWalkAPI(t, "peak", tok, url.Values{"queue": {"overdue"}, "category": {cat}, "district": {dist}, "limit": {"100"}}) {
				found = found || it["number"] == number
				if it["overdue"] != true {
					t.Errorf("%s in the overdue queue is not overdue", it["number"])
				}
			}
			if !found {
				t.Errorf("overdue %s (%s, %s) not found by its filter", number, cat, dist)
			}

			// The attacker's side.
			op := s.login("peak", "op-emergency-service")
			for _, p := range []string{"/desk", "/desk/counts"} {
				if r := s.call("GET", "/t/peak/api/v1"+p, op, nil); r.Status != http.StatusForbidden {
					t.Errorf("operator on %s: %d %s", p, r.Status, r.Body)
				}
			}
			for _, p := range []string{"/desk/", "/desk/counts"} {
				if r := s.page("GET", "/t/peak"+p, op, nil, nil); r.Status != http.StatusForbidden {
					t.Errorf("operator on the page %s: %d", p, r.Status)
				}
			}
			kazan := s.login("kazan", "dispatcher")
			if r := s.call("GET", "/t/peak/api/v1/desk", kazan, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("another city's token on the desk: %d %s", r.Status, r.Body)
			}
			mark := "Искрит щиток МЕТКА-ДРУГОГО-ГОРОДА"
			body := map[string]any{"category": "power-supply", "building_id": 1, "description": mark, "priority": "emergency",
				"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}}
			if r := s.call("POST", "/t/kazan/api/v1/requests", kazan, body); r.Status != http.StatusCreated {
				t.Fatalf("kazan submit: %d %s", r.Status, r.Body)
			}
			inKazan := false
			for _, it := range s.deskWalkAPI(t, "kazan", kazan, url.Values{"queue": {"emergency"}, "limit": {"100"}}) {
				inKazan = inKazan || it["description"] == mark
			}
			if !inKazan {
				t.Errorf("kazan's waiting emergency is not on kazan's desk")
			}
			for _, it := range s.deskWalkAPI(t, "peak", tok, url.Values{"queue": {"emergency"}, "limit": {"100"}}) {
				if strings.Contains(it["description"].(string), "МЕТКА") {
					t.Fatalf("another city's request on the desk: %v", it["number"])
				}
			}

			// Forged values: one problem, every field named.
			forged := url.Values{"queue": {"vip"}, "sort": {"random"}, "category": {"nope"}, "district": {"atlantis"},
				"channel": {"fax"}, "priority": {"urgent"}, "age": {"2h"}, "limit": {"lots"}, "cursor": {"forged"}}
			r = s.call("GET", "/t/peak/api/v1/desk?"+forged.Encode(), tok, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("forged filters: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			fields, _ := r.json(t)["errors"].(map[string]any)
			for name := range forged {
				if _, ok := fields[name]; !ok {
					t.Errorf("no message for the forged %s: %s", name, r.Body)
				}
			}
			r = s.call("GET", "/t/peak/api/v1/desk/counts?channel=fax&district=atlantis", tok, nil)
			if fields, _ := r.json(t)["errors"].(map[string]any); r.Status != http.StatusUnprocessableEntity || len(fields) != 2 {
				t.Errorf("forged count filters: %d %s", r.Status, r.Body)
			}
			// The page says what is wrong in the city's language and still shows the desk.
			pg := s.page("GET", "/t/peak/desk/?channel=fax&district=atlantis", tok, nil, nil)
			if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(string(pg.Body), `class="form-error"`) ||
				!strings.Contains(string(pg.Body), "atlantis") || !strings.Contains(string(pg.Body), `id="q-all"`) {
				t.Errorf("forged page filters: %d %s", pg.Status, pg.Body)
			}
		})
	}
}
