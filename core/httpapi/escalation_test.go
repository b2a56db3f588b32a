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

// The reaction clock starts at intake, in triage too; an overdue request
// raises first-level alerts at its deadline and second-level ones after the
// city's delay, to the roles they are addressed to; the dispatcher recalls
// a request from the organization holding it and gives it to another in one
// step; a return "not ours" and a recall are charged to the organization.
func TestClockFromIntakeEscalationAndRecall(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-03 10:00")) // a Tuesday morning in Kazan
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			ctx := context.Background()
			admin, disp, op, cit, analyst := s.Login("kazan", "admin"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator"),
				s.Login("kazan", "citizen"), s.Login("kazan", "analyst")
			manager := s.InviteManager(t, admin)

			settings := map[string]any{"work_start": "09:00", "work_end": "18:00", "weekend": []int{0, 6}, "days": []any{},
				"auto_close_days": 3, "reopen_days": 400, "escalation_second_level_minutes": 1}
			r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings)
			errs, _ := r.JSON(t)["errors"].(map[string]any)
			if r.Status != 422 || errs["reopen_days"] == nil || errs["escalation_second_level_minutes"] == nil {
				t.Errorf("bad reopen window and delay: %d %s", r.Status, r.Body)
			}
			settings["reopen_days"], settings["escalation_second_level_minutes"] = 30, 30
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings).JSON(t); r["reopen_days"] != 30.0 || r["escalation_second_level_minutes"] != 30.0 {
				t.Fatalf("settings: %v", r)
			}

			// An emergency without a building waits in triage; its 30 minutes run from intake.
			em := s.Call("POST", "/t/kazan/api/v1/requests", disp, map[string]any{"category": "lift", "address": "ул. Пушкина, 1",
				"description": "Застряли в лифте", "priority": "emergency", "applicant": map[string]string{"phone": "+7 917 000-00-01"}}).JSON(t)
			num := em["number"].(string)
			if em["status"] != "new" {
				t.Fatalf("the emergency went to %v, not triage", em["status"])
			}
			if got, want := em["reaction_due_at"], clk.Now().Add(30*time.Minute).UTC().Format(time.RFC3339); got != want {
				t.Errorf("the emergency in triage is due %v, want %s", got, want)
			}
			clk.Add(31 * time.Minute)
			if esc, _, err := s.Backend.Sweep(ctx, "kazan", clk.Now()); err != nil || esc != 1 {
				t.Fatalf("sweep in triage: %d %v", esc, err)
			}
			m := s.Get("kazan", disp, num)
			if m["overdue"] != true || m["escalation_level"] != 1.0 || alertRoles(m, 1) != "dispatcher" {
				t.Errorf("after its deadline in triage: overdue %v level %v alerts %v", m["overdue"], m["escalation_level"], m["alerts"])
			}
			if list := alertNumbers(t, s, disp); list != num {
				t.Errorf("the dispatcher's alerts: %q", list)
			}
			if list := alertNumbers(t, s, analyst); list != "" {
				t.Errorf("HQ alerted at the first level: %q", list)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests/"+num, cit, nil); r.Status != http.StatusNotFound {
				t.Errorf("a citizen reads another caller's request: %d", r.Status)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/alerts", cit, nil); r.Status != http.StatusForbidden {
				t.Errorf("a citizen reads alerts: %d", r.Status)
			}

			// Assigned late: the deadline stays the one from intake.
			m = s.MustAct("kazan", disp, num, "assign", map[string]string{"organization": "uk-aviastroitel"}, "assigned")
			if m["reaction_due_at"] != em["reaction_due_at"] {
				t.Errorf("assignment moved the deadline: %v, was %v", m["reaction_due_at"], em["reaction_due_at"])
			}
			// Still overdue 30 minutes after the first level: the second, to HQ.
			clk.Add(30 * time.Minute)
			if esc, _, err := s.Backend.Sweep(ctx, "kazan", clk.Now()); err != nil || esc != 1 {
				t.Fatalf("second-level sweep: %d %v", esc, err)
			}
			m = s.Get("kazan", disp, num)
			if m["escalation_level"] != 2.0 || alertRoles(m, 2) != "dispatcher,analyst" {
				t.Errorf("second level: %v %v", m["escalation_level"], m["alerts"])
			}
			if list := alertNumbers(t, s, analyst); list != num {
				t.Errorf("HQ's alerts: %q", list)
			}
			if list := alertNumbers(t, s, manager); list != "" {
				t.Errorf("the manager was alerted though no alert was addressed to the company: %q", list)
			}

			// Recall: only the dispatcher, with a reason, to another organization.
			if r := s.Act("kazan", op, num, "recall", map[string]string{"organization": "krovlya-kazan", "comment": "забираю"}); r.Status != http.StatusForbidden {
				t.Errorf("an operator recalls: %d", r.Status)
			}
			nkm := s.Login("nizhnekamsk", "dispatcher")
			if r := s.Act("nizhnekamsk", nkm, num, "recall", map[string]string{"organization": "krovlya-kazan", "comment": "чужая"}); r.Status == http.StatusOK {
				t.Errorf("another city's dispatcher recalled: %s", r.Body)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+num+"/recall", nkm, map[string]string{"organization": "krovlya-kazan", "comment": "чужая"}); r.Status != http.StatusUnauthorized {
				t.Errorf("another city's token in Kazan: %d", r.Status)
			}
			r = s.Act("kazan", disp, num, "recall", map[string]string{"organization": "uk-aviastroitel"})
			errs, _ = r.JSON(t)["errors"].(map[string]any)
			if r.Status != 422 || errs["comment"] == nil || errs["organization"] != nil {
				t.Errorf("recall without a reason: %d %s", r.Status, r.Body)
			}
			r = s.Act("kazan", disp, num, "recall", map[string]string{"organization": "uk-aviastroitel", "comment": "молчат"})
			if errs, _ = r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs["organization"] == nil {
				t.Errorf("recall to the same organization: %d %s", r.Status, r.Body)
			}
			if got := s.Get("kazan", disp, num)["organization"]; got != "uk-aviastroitel" {
				t.Fatalf("refused recalls changed the holder to %v", got)
			}
			m = s.MustAct("kazan", disp, num, "recall", map[string]string{"organization": "krovlya-kazan", "comment": "не отвечают"}, "assigned")
			if m["organization"] != "krovlya-kazan" || m["reaction_due_at"] != em["reaction_due_at"] {
				t.Errorf("after the recall: %v due %v", m["organization"], m["reaction_due_at"])
			}
			m = s.Get("kazan", disp, num)
			hist := m["history"].([]any)
			last := hist[len(hist)-1].(map[string]any)
			if last["kind"] != "recall" || !strings.Contains(last["note"].(string), "отозвана у uk-aviastroitel и передана krovlya-kazan") || last["comment"] != "не отвечают" {
				t.Errorf("the recall in the history: %v", last)
			}

			// Return "not ours": charged to the organization that returned it.
			lift := s.Submit("kazan", cit, "Лифт стоит")
			s.MustAct("kazan", op, lift, "return", map[string]string{"comment": "не наш дом"}, "returned")
			returns := map[string]string{}
			scope, _ := s.Backend.Scope("kazan")
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				var rows []struct {
					Number string `bun:"number"`
					Kind   string `bun:"kind"`
					Org    string `bun:"org"`
					Cycle  int    `bun:"cycle"`
				}
				err := tx.NewRaw(`SELECT r.number, t.kind, o.code AS org, t.cycle FROM request_returns AS t
					JOIN requests AS r ON r.id = t.request_id JOIN organizations AS o ON o.id = t.organization_id ORDER BY t.id`).Scan(ctx, &rows)
				for _, row := range rows {
					returns[row.Number] = row.Kind + " " + row.Org + " " + string(rune('0'+row.Cycle))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if returns[num] != "recalled uk-aviastroitel 1" || returns[lift] != "returned uk-aviastroitel 1" || len(returns) != 2 {
				t.Errorf("returns charged: %v", returns)
			}
			// The returned request stays on its clock in triage.
			if m := s.Get("kazan", disp, lift); m["reaction_due_at"] == nil || m["status"] != "returned" {
				t.Errorf("returned request lost its deadline: %v", m)
			}

			// The dispatcher's page offers the recall; an operator's does not.
			page := "/t/kazan/requests/" + num
			if b := string(s.Page("GET", page, disp, nil, nil).Body); !strings.Contains(b, `id="f-recall"`) || !strings.Contains(b, `id="alerts"`) {
				t.Errorf("the dispatcher's page lacks the recall form or the alerts")
			}
			// uk-aviastroitel no longer holds it: not found for its operator.
			if r := s.Page("GET", page, op, nil, nil); r.Status != http.StatusNotFound {
				t.Errorf("the former holder's operator still sees the request: %d", r.Status)
			}
			r = s.Page("POST", page+"/recall", disp, map[string]string{"organization": "uk-aviastroitel", "comment": " "}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "укажите причину") {
				t.Errorf("page recall without a reason: %d", r.Status)
			}
			if r := s.Page("POST", page+"/recall", disp, map[string]string{"organization": "uk-aviastroitel", "comment": "вернули"}, nil); r.Status != http.StatusSeeOther ||
				r.Header.Get("Location") != page+"?ok=done_recall" {
				t.Errorf("page recall: %d %s", r.Status, r.Header.Get("Location"))
			}
			if b := string(s.Page("GET", "/t/kazan/alerts", manager, nil, nil).Body); strings.Contains(b, num) {
				t.Errorf("the manager's alerts list shows an alert of before its company held the request")
			}
			if b := string(s.Page("GET", "/t/kazan/alerts", analyst, nil, nil).Body); !strings.Contains(b, num) {
				t.Errorf("HQ's alerts page lacks %s", num)
			}
		})
	}
}

// alertRoles lists the roles of a request's alerts of one level, in order.
func alertRoles(m map[string]any, level float64) string {
	var roles []string
	as, _ := m["alerts"].([]any)
	for _, a := range as {
		if al := a.(map[string]any); al["level"] == level {
			roles = append(roles, al["role"].(string))
		}
	}
	return strings.Join(roles, ",")
}

// alertNumbers lists the distinct request numbers of the caller's alerts.
func alertNumbers(t *testing.T, s *servertest.Server, token string) string {
	t.Helper()
	r := s.Client.WithT(t).Call("GET", "/t/kazan/api/v1/alerts", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("alerts: %d %s", r.Status, r.Body)
	}
	var out []string
	for _, a := range r.JSON(t)["items"].([]any) {
		n, _ := a.(map[string]any)["number"].(string) // none for an outage's alert
		if n != "" && (len(out) == 0 || out[len(out)-1] != n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}
