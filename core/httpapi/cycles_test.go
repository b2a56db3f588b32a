package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Each cycle keeps its own times and lateness: a reopen starts a new cycle
// and the first keeps its record. After the city's reopen window the
// citizen is told to file a new request, which follows the old one.
// Requests stored before cycles existed get their deadlines from intake.
func TestCyclesReopenWindowAndFollowUp(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-03 10:00"))
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			ctx := context.Background()
			disp, op, cit := s.Login("kazan", "dispatcher"), s.Login("kazan", "operator"), s.Login("kazan", "citizen")

			// The first cycle: accepted 40 minutes after intake (late: 30), resolved.
			n := s.Submit("kazan", cit, "Лифт застрял")
			clk.Add(40 * time.Minute)
			s.MustAct("kazan", op, n, "accept", nil, "accepted")
			clk.Add(time.Hour)
			s.MustAct("kazan", op, n, "resolve", map[string]string{"comment": "Починили"}, "resolved")
			// The citizen disputes: a second cycle, answered in time.
			clk.Add(time.Hour)
			m := s.MustAct("kazan", cit, n, "reopen", map[string]string{"comment": "Снова стоит"}, "reopened")
			if m["cycle"] != 2.0 || m["reaction_due_at"] != clk.Now().Add(30*time.Minute).UTC().Format(time.RFC3339) {
				t.Errorf("the second cycle: %v due %v", m["cycle"], m["reaction_due_at"])
			}
			clk.Add(10 * time.Minute)
			s.MustAct("kazan", op, n, "accept", nil, "accepted")
			s.MustAct("kazan", op, n, "resolve", map[string]string{"comment": "Заменили трос"}, "resolved")
			s.MustAct("kazan", cit, n, "close", nil, "closed")
			cycles := s.Get("kazan", disp, n)["cycles"].([]any)
			if len(cycles) != 2 {
				t.Fatalf("cycles: %v", cycles)
			}
			first, second := cycles[0].(map[string]any), cycles[1].(map[string]any)
			if first["reaction_seconds"] != 2400.0 || first["resolution_seconds"] != 6000.0 || first["reaction_late"] != true ||
				first["resolution_late"] != false || first["organization"] != "uk-aviastroitel" || first["closed_at"] != nil {
				t.Errorf("the first cycle lost its record: %v", first)
			}
			if second["reaction_seconds"] != 600.0 || second["reaction_late"] != false || second["closed_at"] == nil {
				t.Errorf("the second cycle: %v", second)
			}
			if b := string(s.Page("GET", "/t/kazan/requests/"+n, disp, nil, nil).Body); !strings.Contains(b, `id="cycles"`) || !strings.Contains(b, "с опозданием") {
				t.Errorf("the request page lacks its cycles")
			}

			// 31 days after closing the window (30, the default) has passed.
			clk.Add(31 * 24 * time.Hour)
			cit, disp = s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher") // the old tokens have expired
			r := s.Act("kazan", cit, n, "reopen", map[string]string{"comment": "Опять"})
			errs, _ := r.JSON(t)["errors"].(map[string]any)
			if r.Status != http.StatusUnprocessableEntity || r.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(errs["comment"].(string), "подайте новую заявку по заявке "+n) {
				t.Errorf("reopen after the window: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			if b := string(s.Page("GET", "/t/kazan/requests/"+n, cit, nil, nil).Body); !strings.Contains(b, `id="follow-up"`) || strings.Contains(b, `id="f-reopen"`) {
				t.Errorf("the citizen's page after the window offers no new request, or still the reopen form")
			}
			if b := string(s.Page("GET", "/t/kazan/new?follows="+n, cit, nil, nil).Body); !strings.Contains(b, `name="follows" value="`+n+`"`) {
				t.Errorf("the new request form does not carry the old number")
			}
			body := map[string]any{"category": "lift", "building_id": 1, "description": "Лифт снова стоит", "follows": n}
			fr := s.Call("POST", "/t/kazan/api/v1/requests", cit, body)
			if fr.Status != http.StatusCreated {
				t.Fatalf("the follow-up: %d %s", fr.Status, fr.Body)
			}
			follow := fr.JSON(t)
			if follow["follows"] != n {
				t.Errorf("the new request does not follow %s: %v", n, follow["follows"])
			}
			if b := string(s.Page("GET", "/t/kazan/requests/"+follow["number"].(string), cit, nil, nil).Body); !strings.Contains(b, `id="follows"`) {
				t.Errorf("the follow-up's page does not show the old request")
			}
			// Only a closed request, and only one the citizen may see.
			body["follows"] = follow["number"]
			r = s.Call("POST", "/t/kazan/api/v1/requests", cit, body)
			if errs, _ = r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs["follows"] == nil {
				t.Errorf("following an open request: %d %s", r.Status, r.Body)
			}
			other := s.Call("POST", "/t/kazan/api/v1/requests", disp, map[string]any{"category": "lift", "building_id": 1,
				"description": "Чужая заявка", "applicant": map[string]string{"phone": "+7 917 000-00-02"}}).JSON(t)["number"].(string)
			body["follows"] = other
			r = s.Call("POST", "/t/kazan/api/v1/requests", cit, body)
			if errs, _ = r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs["follows"] == nil || strings.Contains(string(r.Body), "Чужая") {
				t.Errorf("following another person's request: %d %s", r.Status, r.Body)
			}

			// A request stored before cycles existed: the sweep computes its
			// deadlines from intake, in the city's calendar.
			scope, _ := s.Backend.Scope("kazan")
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewRaw("DELETE FROM request_cycles WHERE request_id = (SELECT id FROM requests WHERE number = ?)", other).Exec(ctx); err != nil {
					return err
				}
				_, err := tx.NewRaw(`UPDATE requests SET cycle_started_at = NULL, reaction_due_at = NULL, resolution_due_at = NULL
					WHERE number = ?`, other).Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			before := s.Get("kazan", disp, other)
			if before["reaction_due_at"] != nil {
				t.Fatalf("the legacy row kept a deadline: %v", before["reaction_due_at"])
			}
			if _, _, err := s.Backend.Sweep(ctx, "kazan", clk.Now()); err != nil {
				t.Fatal(err)
			}
			after := s.Get("kazan", disp, other)
			created, _ := time.Parse(time.RFC3339, after["created_at"].(string))
			if after["reaction_due_at"] != created.Add(30*time.Minute).UTC().Format(time.RFC3339) || len(after["cycles"].([]any)) != 1 {
				t.Errorf("backfilled: due %v from %v, cycles %v", after["reaction_due_at"], after["created_at"], after["cycles"])
			}
		})
	}
}
