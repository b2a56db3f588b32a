package pages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/core/webhooktest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// A citizen's request assigned in a browser: the dispatcher sends it to
// the operator's company on the request's page; the company's webhook
// endpoint (a real local receiver) gets the signed request.assigned event
// (its signature verified with the endpoint's secret) and the company its
// e-mail in mailpit; when the company accepts it the citizen's e-mail
// reaches mailpit with the tracking link, which opens the request's
// tracking page in the browser.
func TestBrowserNotifications(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			mp := mailtest.Start(t)
			s := servertest.Start(t, kind, func(c *server.Config) { c.SMTPURL = mp.URL() })
			admin := s.Login("kazan", "admin")
			disp := s.Login("kazan", "dispatcher")
			citizen := s.Login("kazan", "citizen")
			operator := s.Login("kazan", "operator")
			manager := s.InviteManager(t, admin)
			var opOrg, opEmail, otherOrg string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT o.code, o.email FROM users AS u JOIN organizations AS o ON o.id = u.organization_id WHERE u.login = 'operator'").Scan(ctx, &opOrg, &opEmail); err != nil {
					return err
				}
				return tx.NewRaw("SELECT code FROM organizations WHERE code <> ? AND kind = 'management_company' ORDER BY id LIMIT 1", opOrg).Scan(ctx, &otherOrg)
			})
			rc := webhooktest.Start(t)
			r := s.Call("POST", "/t/kazan/api/v1/webhooks/endpoints", manager, map[string]any{"url": rc.URL + "/opencity", "events": []string{"request.assigned"}})
			if r.Status != 201 {
				t.Fatalf("subscribe: %d %s", r.Status, r.Body)
			}
			rc.SetSecret(r.JSON(t)["secret"].(string))

			const email = "maria.browser@example.org"
			r = s.Call("POST", "/t/kazan/api/v1/requests", citizen, map[string]any{"category": "lift", "building_id": 1,
				"description": "the lift is stuck", "applicant": map[string]string{"name": "Maria", "email": email, "lang": "ru"}})
			if r.Status != 201 {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			num := r.JSON(t)["number"].(string)
			if got := s.Get("kazan", disp, num); got["organization"] == opOrg {
				s.MustAct("kazan", disp, num, "recall", map[string]string{"organization": otherOrg, "comment": "first elsewhere"}, "assigned")
			}
			before, _ := rc.Events(num)

			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.LogIn(base, "dispatcher")
			b.Navigate(base + "/requests/" + num + "?lang=ru")
			b.Submit("#f-recall button", "#recall-org", opOrg, "#recall-comment", "это их дом")
			if got := b.Attr("#status", "data-status"); got != "assigned" {
				t.Fatalf("after the recall: %s %s", got, b.Text("main"))
			}
			apitest.WaitFor(t, "the signed request.assigned event", func() bool {
				ids, _ := rc.Events(num)
				return len(ids) > len(before)
			})
			got := rc.Got()
			last, bad := got[len(got)-1], rc.Bad()
			if last["type"] != "request.assigned" || bad != 0 {
				t.Errorf("the receiver got %v (%d with a bad signature)", last, bad)
			}
			if data, _ := last["data"].(map[string]any); data["organization"] != opOrg {
				t.Errorf("assigned to %v", data["organization"])
			}
			if m := mp.Wait(t, opEmail); !strings.Contains(m.Text, num) {
				t.Errorf("the company's e-mail: %q", m.Text)
			}

			// An outage declared produces the signed outage.declared event for
			// the city's endpoint.
			cityRC := webhooktest.Start(t)
			r = s.Call("POST", "/t/kazan/api/v1/webhooks/endpoints", admin, map[string]any{"url": cityRC.URL, "events": []string{"outage.declared"}})
			if r.Status != 201 {
				t.Fatalf("subscribe the city: %d %s", r.Status, r.Body)
			}
			cityRC.SetSecret(r.JSON(t)["secret"].(string))
			o := s.Call("POST", "/t/kazan/api/v1/outages", disp, map[string]any{"utility": "power", "district": "kirovsky",
				"starts_at": time.Now().Add(-time.Hour).Format(time.RFC3339), "ends_at": time.Now().Add(3 * time.Hour).Format(time.RFC3339),
				"notice_ru": "Нет света", "notice_en": "No power"})
			if o.Status != 201 {
				t.Fatalf("declare: %d %s", o.Status, o.Body)
			}
			apitest.WaitFor(t, "the signed outage.declared event", func() bool {
				return len(cityRC.Got()) > 0
			})
			ev := cityRC.Got()[0]
			if data, _ := ev["data"].(map[string]any); ev["type"] != "outage.declared" || data["notice_en"] != "No power" || cityRC.Bad() != 0 {
				t.Errorf("outage event: %v", ev)
			}

			s.MustAct("kazan", operator, num, "accept", nil, "accepted")
			link := mp.Link(t, email, "https://kazan.opencity.test/track/")
			b.Navigate(strings.Replace(link, "https://kazan.opencity.test", base, 1))
			if got := b.Text("#number"); got != num {
				t.Fatalf("the tracking link opens %q: %s", got, b.Text("main"))
			}
			if got := b.Attr("#status", "data-status"); got != "accepted" {
				t.Errorf("the tracking page says %s", got)
			}
		})
	}
}
