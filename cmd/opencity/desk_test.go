package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// peakCity provisions a city with the bench directory (every account's
// password "demo"), a year of history and thousands of requests waiting
// at the desk, written through the store (not HTTP) with their deadlines
// computed; the escalation has flagged the overdue ones. It returns the number of waiting requests.
func (s *testServer) peakCity(t *testing.T, slug string, waiting int) int {
	t.Helper()
	ctx := context.Background()
	loc, err := bench.PrepareCity(ctx, s.Backend, slug, 40, "demo")
	if err != nil {
		t.Fatalf("peak city: prepare: %v", err)
	}
	// Suspended while it is filled, so that the server's sweep leaves its
	// rows alone until they are ready.
	if _, err := s.Backend.Registry().SetStatus(ctx, "test", slug, tenants.StatusSuspended); err != nil {
		t.Fatalf("peak city: suspend: %v", err)
	}
	now := time.Now().In(loc)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	h := bench.History{Requests: 2 * waiting, Years: 1, End: end, Seed: 14, Buildings: 40}
	if _, err := bench.Fill(ctx, s.Backend, slug, h, nil); err != nil {
		t.Fatalf("peak city: fill: %v", err)
	}
	scope, err := s.Backend.Scope(slug)
	if err != nil {
		t.Fatalf("peak city: scope: %v", err)
	}
	if _, err := bench.MakeWaiting(ctx, scope, waiting); err != nil {
		t.Fatalf("peak city: make waiting: %v", err)
	}
	st := store.New(scope)
	// The deadlines of the generated history are computed here (a sweep
	// that began before the suspension may still be at it) until none is
	// left, so that no row moves while a test walks the pages.
	for {
		if _, err := st.Backfill(ctx, loc, 1000); err != nil {
			t.Fatalf("peak city: backfill: %v", err)
		}
		var left int
		s.inCity(t, slug, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewRaw("SELECT count(*) FROM requests WHERE cycle_started_at IS NULL").Scan(ctx, &left)
		})
		if left == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 4 {
		if _, err := st.Escalate(ctx, time.Now()); err != nil {
			t.Fatalf("peak city: escalate: %v", err)
		}
	}
	if _, err := s.Backend.Registry().SetStatus(ctx, "test", slug, tenants.StatusActive); err != nil {
		t.Fatalf("peak city: activate: %v", err)
	}
	counts, err := st.DeskCounts(ctx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, core.DeskFilter{}, time.Now())
	if err != nil {
		t.Fatalf("peak city: desk counts: %v", err)
	}
	return counts[core.QueueAll]
}

// overdueOne is an overdue request of the city with its category and
// district codes, read straight from its storage.
func (s *testServer) overdueOne(t *testing.T, slug string) (number, category, district string) {
	t.Helper()
	s.inCity(t, slug, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT r.number, c.code, d.code FROM requests AS r JOIN categories AS c ON c.id = r.category_id
			JOIN districts AS d ON d.id = r.district_id WHERE r.status = 'in_progress' AND r.resolution_due_at < ?
			ORDER BY r.id LIMIT 1`, time.Now().UTC()).Scan(ctx, &number, &category, &district)
	})
	return number, category, district
}

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
			waiting := s.peakCity(t, "peak", 3000)
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
			number, cat, dist := s.overdueOne(t, "peak")
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
