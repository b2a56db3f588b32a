package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/core/webhooktest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The city and an organization subscribe real receivers. Intake never waits
// for them; a receiver that fails, then hangs, then recovers gets every
// event, signed, in order per request; a redelivery repeats the event id; an
// endpoint that fails for three days is disabled. Another organization's
// manager, an operator, a citizen and another city cannot see or touch the
// endpoints and deliveries.
func TestWebhooksDeliverAtLeastOnceInOrder(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := servertest.NewClock(time.Now())
			mp := mailtest.Start(t)
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.Now, c.WebhookTimeout, c.SMTPURL = clock.Now, 300*time.Millisecond, mp.URL()
			})
			admin := s.Login("kazan", "admin")
			disp := s.Login("kazan", "dispatcher")
			citizen := s.Login("kazan", "citizen")
			operator := s.Login("kazan", "operator")
			manager := s.InviteManager(t, admin)
			managerP := apitest.Account("manager", "manager password")
			var opOrg string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code FROM users AS u JOIN organizations AS o ON o.id = u.organization_id WHERE u.login = 'operator'").Scan(ctx, &opOrg)
			})

			cityRC, orgRC := webhooktest.Start(t), webhooktest.Start(t)
			subscribe := func(rc *webhooktest.Receiver, token, url string, events []string) int64 {
				r := s.Call("POST", "/t/kazan/api/v1/webhooks/endpoints", token, map[string]any{"url": url, "events": events})
				if r.Status != http.StatusCreated {
					t.Fatalf("subscribe: %d %s", r.Status, r.Body)
				}
				m := r.JSON(t)
				sec, _ := m["secret"].(string)
				if !strings.HasPrefix(sec, "whsec_") {
					t.Fatalf("no secret in %s", r.Body)
				}
				rc.SetSecret(sec)
				return int64(m["id"].(float64))
			}
			cityEP := subscribe(cityRC, admin, cityRC.URL, []string{"request.assigned", "request.status_changed", "request.commented", "request.overdue"})
			orgEP := subscribe(orgRC, manager, orgRC.URL+"/hook", []string{"request.assigned", "request.status_changed", "request.commented"})
			s.Set("cityEP", itoa(cityEP))
			s.Set("orgEP", itoa(orgEP))
			s.Set("cityURL", cityRC.URL)
			s.Set("orgURL", orgRC.URL)
			refused := func(name string, body map[string]any) apitest.Scenario {
				return apitest.Scenario{Name: name, Method: "POST", Path: "/webhooks/endpoints", As: apitest.CityAdmin, Body: body,
					ExpectedStatus: http.StatusUnprocessableEntity}
			}
			s.Run(t,
				apitest.Scenario{Name: "the list shows no secret", Path: "/webhooks/endpoints", As: apitest.CityAdmin,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{"{orgURL}"}, NotExpectedContent: []string{cityRC.Secret(), orgRC.Secret()}},
				refused("no url", map[string]any{"events": []string{"request.assigned"}}),
				refused("ftp", map[string]any{"url": "ftp://example.org/x", "events": []string{"request.assigned"}}),
				refused("credentials", map[string]any{"url": "https://u:p@example.org/x", "events": []string{"request.assigned"}}),
				refused("no events", map[string]any{"url": cityRC.URL}),
				refused("unknown", map[string]any{"url": cityRC.URL, "events": []string{"request.exploded"}}),
			)

			// The receivers are down; intake and the lifecycle go on.
			cityRC.Set(webhooktest.Fail)
			orgRC.Set(webhooktest.Fail)
			num := s.Submit("kazan", citizen, "the lift is stuck between floors")
			if got := s.Get("kazan", disp, num); got["status"] != "assigned" {
				s.MustAct("kazan", disp, num, "assign", map[string]string{"organization": opOrg}, "assigned")
			} else if got["organization"] != opOrg {
				s.MustAct("kazan", disp, num, "recall", map[string]string{"organization": opOrg, "comment": "wrong company"}, "assigned")
			}
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+num+"/comments", disp, map[string]any{"comment": "internal note", "public": false}); r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			s.MustAct("kazan", operator, num, "accept", nil, "accepted")
			other := s.Submit("kazan", citizen, "another lift")
			var otherOrg string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT code FROM organizations WHERE code <> ? AND kind = 'management_company' ORDER BY id LIMIT 1", opOrg).Scan(ctx, &otherOrg)
			})
			s.MustAct("kazan", disp, other, "recall", map[string]string{"organization": otherOrg, "comment": "wrong company"}, "assigned")
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+other+"/comments", disp, map[string]any{"comment": "for the other company", "public": true}); r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			apitest.WaitFor(t, "a failed attempt", func() bool { return cityRC.Tries() > 0 })
			// Hanging: the relay gives up on each attempt after its timeout.
			cityRC.Set(webhooktest.Hang)
			orgRC.Set(webhooktest.Hang)
			clock.Add(time.Minute)
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "hanging attempts given up", func() bool {
				cf, _ := endpointField(t, s, admin, cityEP, "failures").(float64)
				of, _ := endpointField(t, s, admin, orgEP, "failures").(float64)
				return cf >= 2 && of >= 2
			})
			// Recovered: everything arrives, in order.
			cityRC.Set(webhooktest.Accept)
			orgRC.Set(webhooktest.Accept)
			s.MustAct("kazan", operator, num, "start", nil, "in_progress")
			clock.Add(time.Hour)
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "every event delivered", func() bool {
				ids, _ := cityRC.Events(num)
				oids, _ := orgRC.Events(num)
				if len(ids) >= 6 && len(oids) >= 4 {
					return true
				}
				if testing.Verbose() {
					t.Logf("city %v org %v bad %d", ids, oids, cityRC.Bad())
					s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
						var rows []map[string]any
						err := tx.NewRaw("SELECT id, retry_at, lease_until, failures FROM webhook_endpoints").Scan(ctx, &rows)
						t.Logf("endpoints %v %v now %v", rows, err, clock.Now().UTC())
						return nil
					})
				}
				return false
			})
			ids, _ := cityRC.Events(num)
			for i := 1; i < len(ids); i++ {
				if webhooktest.EventSeq(ids[i]) < webhooktest.EventSeq(ids[i-1]) {
					t.Errorf("out of order: %v", ids)
				}
			}
			joined := strings.Join(ids, " ")
			for _, want := range []string{"_assigned", "_status_changed", "_commented"} {
				if !strings.Contains(joined, want) {
					t.Errorf("city endpoint lacks %s: %v", want, ids)
				}
			}
			oids, _ := orgRC.Events(num)
			if strings.Contains(strings.Join(oids, " "), "_commented") {
				t.Errorf("the organization got an internal comment: %v", oids)
			}
			if oo, _ := orgRC.Events(other); strings.Contains(strings.Join(oo, " "), "_commented") {
				t.Errorf("the organization got a comment on a request it no longer holds: %v", oo)
			}
			if bad := cityRC.Bad() + orgRC.Bad(); bad != 0 {
				t.Errorf("bad signatures: %d", bad)
			}
			first := cityRC.Got()[0]
			if b, _ := json.Marshal(first); first["api_version"] == nil || first["type"] == nil || strings.Contains(string(b), "Иван") ||
				strings.Contains(string(b), "917") {
				t.Errorf("payload: %v", first)
			}

			// The delivery log, and a redelivery with the same event id.
			r := s.Call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(orgEP)+"/deliveries?limit=50", manager, nil)
			if r.Status != 200 {
				t.Fatalf("deliveries: %d %s", r.Status, r.Body)
			}
			var delID int64
			var delEvent string
			for _, it := range r.JSON(t)["items"].([]any) {
				d := it.(map[string]any)
				if d["status"] == "delivered" && d["number"] == num && d["attempts"].(float64) >= 2 {
					delID, delEvent = int64(d["id"].(float64)), d["event_id"].(string)
				}
			}
			if delID == 0 {
				t.Fatalf("no retried delivery in the log: %s", r.Body)
			}

			// The attacker's side: another organization's manager, an operator,
			// a citizen, another city's administrator.
			cityDel := s.Call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/deliveries", admin, nil).JSON(t)["items"].([]any)
			cityDelID := int64(cityDel[0].(map[string]any)["id"].(float64))
			s.Set("cityDelID", itoa(cityDelID))
			attacks := []apitest.Scenario{
				{Name: "a manager reads the city's deliveries", Path: "/webhooks/endpoints/{cityEP}/deliveries", As: managerP,
					ExpectedStatus: http.StatusNotFound},
				{Name: "a manager redelivers the city's delivery", Method: "POST", Path: "/webhooks/deliveries/{cityDelID}/redeliver", As: managerP,
					ExpectedStatus: http.StatusNotFound},
				{Name: "a manager lists the endpoints", Path: "/webhooks/endpoints", As: managerP,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{"{orgURL}"}, NotExpectedContent: []string{"{cityURL}\""}},
			}
			for _, who := range []struct {
				name string
				p    apitest.Principal
			}{{"operator", apitest.Operator}, {"citizen", apitest.Citizen}, {"dispatcher", apitest.Dispatcher}} {
				name, p := who.name, who.p
				attacks = append(attacks,
					apitest.Scenario{Name: "the " + name + " subscribes", Method: "POST", Path: "/webhooks/endpoints", As: p,
						Body: map[string]any{"url": cityRC.URL, "events": []string{"request.assigned"}}, ExpectedStatus: http.StatusForbidden},
					apitest.Scenario{Name: "the " + name + " reads deliveries", Path: "/webhooks/endpoints/{orgEP}/deliveries", As: p,
						ExpectedStatus: http.StatusForbidden})
			}
			nkm := apitest.CityAdmin.Of("nizhnekamsk")
			attacks = append(attacks,
				apitest.Scenario{Name: "another city reads kazan's deliveries", Path: "/t/nizhnekamsk/api/v1/webhooks/endpoints/{cityEP}/deliveries", As: nkm,
					ExpectedStatus: http.StatusNotFound},
				apitest.Scenario{Name: "another city's token in kazan", Path: "/webhooks/endpoints", As: nkm,
					ExpectedStatus: http.StatusUnauthorized})
			s.Run(t, attacks...)

			_, before := orgRC.Events(num)
			if r := s.Call("POST", "/t/kazan/api/v1/webhooks/deliveries/"+itoa(delID)+"/redeliver", manager, nil); r.Status != http.StatusAccepted {
				t.Fatalf("redeliver: %d %s", r.Status, r.Body)
			}
			apitest.WaitFor(t, "the redelivery", func() bool { _, all := orgRC.Events(num); return all > before })
			got := orgRC.Got()
			if last := got[len(got)-1]["id"]; last != delEvent {
				t.Errorf("redelivered %v, want %s", last, delEvent)
			}

			// The console shows the log with "Send again", which works there too.
			page := s.Page("GET", "/t/kazan/admin/webhooks?endpoint="+itoa(orgEP), admin, nil, nil)
			if page.Status != 200 || !strings.Contains(string(page.Body), `action="/t/kazan/admin/webhooks/deliveries/`+itoa(delID)+`/redeliver"`) ||
				!strings.Contains(string(page.Body), delEvent) || strings.Contains(string(page.Body), orgRC.Secret()) {
				t.Fatalf("console: %d %s", page.Status, apitest.Truncate(page.Body))
			}
			_, before = orgRC.Events(num)
			if r := s.Page("POST", "/t/kazan/admin/webhooks/deliveries/"+itoa(delID)+"/redeliver", admin, map[string]string{"endpoint": itoa(orgEP)}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("console redeliver: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			apitest.WaitFor(t, "the console's redelivery", func() bool { _, all := orgRC.Events(num); return all > before })
			if r := s.Page("POST", "/t/kazan/admin/webhooks/deliveries/"+itoa(cityDelID)+"/redeliver", manager, map[string]string{}, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager redelivered the city's delivery in the console: %d", r.Status)
			}

			// Down for three days: given up and disabled; nothing blocks intake.
			cityRC.Set(webhooktest.Fail)
			s.Submit("kazan", citizen, "a third lift")
			state := func(id int64) (st string, failures int) {
				s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT status, failures FROM webhook_endpoints WHERE id = ?", id).Scan(ctx, &st, &failures)
				})
				return st, failures
			}
			for i := 0; i < 10; i++ {
				if st, _ := state(cityEP); st == "disabled" {
					break
				}
				_, n := state(cityEP)
				clock.Add(12 * time.Hour)
				s.Backend.NudgeRelay("kazan")
				apitest.WaitFor(t, "a retry", func() bool { st, f := state(cityEP); return f > n || st == "disabled" })
			}
			if st, _ := state(cityEP); st != "disabled" {
				t.Fatalf("after three days of failures the endpoint is %s", st)
			}
			told := mp.Wait(t, "admin@kazan.example.org")
			if !strings.Contains(told.Subject, cityRC.URL) {
				t.Errorf("the owner was told %q", told.Subject)
			}
			if st, _ := state(orgEP); st != "enabled" {
				t.Errorf("the organization's healthy endpoint is %s", st)
			}
			admin, manager = s.Login("kazan", "admin"), s.LoginPassword("kazan", "manager", "manager password")
			if r := s.Call("POST", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/enable", manager, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager enabled the city's endpoint: %d", r.Status)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/enable", admin, nil); r.Status != http.StatusNoContent {
				t.Errorf("enable: %d %s", r.Status, r.Body)
			}
			if st := endpointField(t, s, admin, cityEP, "status"); st != "enabled" {
				t.Errorf("re-enabled endpoint is %v", st)
			}
		})
	}
}

// endpointField is a field of a webhook endpoint as the endpoint list shows
// it to token; nil when the list lacks the endpoint.
func endpointField(t *testing.T, s *servertest.Server, token string, id int64, field string) any {
	t.Helper()
	r := s.Call("GET", "/t/kazan/api/v1/webhooks/endpoints", token, nil)
	for _, it := range r.JSON(t)["items"].([]any) {
		e := it.(map[string]any)
		if int64(e["id"].(float64)) == id {
			return e[field]
		}
	}
	return nil
}
