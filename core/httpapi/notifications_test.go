package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/core/sms/smstest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Notifications end to end, through a real SMTP server (mailpit) and a
// local fake of SMS.ru: the applicant (in the language they chose) and a
// co-applicant hear of acceptance, resolution with the organization's
// answer, and rejection with its reason, by e-mail with the tracking link
// and by SMS; the organization hears of its new assignment; an SMS the
// gateway fails is retried; the opt-out link in a mail stops the mails to
// that address; no log line names an address or a phone number.
func TestNotifications(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			mp := mailtest.Start(t)
			fake := smstest.Start(t)
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.SMTPURL = mp.URL()
				c.SMS = server.SMSConfig{SMSRuAPIID: smstest.APIID, SMSRuURL: fake.URL, SMSRuFrom: "OpenCity"}
			})
			logs := servertest.CaptureLogs(t)
			disp := s.Login("kazan", "dispatcher")
			citizen := s.Login("kazan", "citizen")
			operator := s.Login("kazan", "operator")
			var opOrg, opEmail string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code, o.email FROM users AS u JOIN organizations AS o ON o.id = u.organization_id WHERE u.login = 'operator'").Scan(ctx, &opOrg, &opEmail)
			})
			if opEmail == "" {
				t.Fatal("the operator's organization has no e-mail in the demo")
			}

			const anna, annaPhone, oleg = "anna.notify@example.org", "79171234567", "oleg.notify@example.org"
			fake.FailNext(1) // the first SMS meets a gateway that is down
			r := s.Call("POST", "/t/kazan/api/v1/requests", citizen, map[string]any{"category": "lift", "building_id": 1,
				"description": "the lift is stuck", "applicant": map[string]string{"name": "Anna", "phone": "+7 917 123-45-67", "email": anna, "lang": "en"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			num := r.JSON(t)["number"].(string)
			if j := s.Page("POST", "/t/kazan/desk/call/join", disp, map[string]string{"join": num, "applicant.name": "Олег",
				"applicant.phone": "+7 917 765-43-21", "applicant.email": oleg}, nil); j.Status != http.StatusSeeOther {
				t.Fatalf("join: %d %s", j.Status, apitest.Truncate(j.Body))
			}
			if got := s.Get("kazan", disp, num); got["status"] != "assigned" || got["organization"] != opOrg {
				s.MustAct("kazan", disp, num, "recall", map[string]string{"organization": opOrg, "comment": "to the operator's company"}, "assigned")
			}
			assigned := mp.Wait(t, opEmail)
			if !strings.Contains(assigned.Text, num) || !strings.Contains(assigned.Text, "https://kazan.opencity.test/requests/"+num) {
				t.Errorf("the organization's mail: %q %q", assigned.Subject, assigned.Text)
			}

			s.MustAct("kazan", operator, num, "accept", nil, "accepted")
			accepted := mp.Wait(t, anna)
			if accepted.Subject != "Request "+num+" accepted" || !strings.Contains(accepted.Text, "https://kazan.opencity.test/track/") {
				t.Errorf("accepted, in English with the tracking link: %q %q", accepted.Subject, accepted.Text)
			}
			if !strings.Contains(accepted.Text, "https://kazan.opencity.test/notifications/off/") {
				t.Errorf("no opt-out link: %q", accepted.Text)
			}
			if co := mp.Wait(t, oleg); !strings.Contains(co.Subject, "принято") {
				t.Errorf("the co-applicant is told in the city's language: %q", co.Subject)
			}
			if got := fake.Wait(t, annaPhone); !strings.Contains(got[0].Text, num) || got[0].From != "OpenCity" {
				t.Errorf("SMS: %+v", got)
			}
			fake.Wait(t, "79177654321")

			// The city admin words the English "resolved" notice in the console,
			// after a preview; a broken template is refused with a field message.
			admin := s.Login("kazan", "admin")
			form := map[string]string{"kind": "resolved", "lang": "en", "subject": "Done: {{.Number}}",
				"body": "{{.Number}} is done. {{.Answer}} Confirm: {{.Link}}", "sms": "{{.Number}} done {{.Link}}"}
			form["preview"] = "1"
			if pv := s.Page("POST", "/t/kazan/admin/notifications", admin, form, nil); pv.Status != 200 || !strings.Contains(string(pv.Body), "Done: 2026-000123") {
				t.Fatalf("preview: %d %s", pv.Status, apitest.Truncate(pv.Body))
			}
			delete(form, "preview")
			form["subject"] = "Done: {{.Number"
			if bad := s.Page("POST", "/t/kazan/admin/notifications", admin, form, nil); bad.Status != http.StatusUnprocessableEntity && bad.Status != http.StatusBadRequest {
				t.Fatalf("a broken template: %d", bad.Status)
			}
			form["subject"] = "Done: {{.Number}}"
			if sv := s.Page("POST", "/t/kazan/admin/notifications", admin, form, nil); sv.Status != http.StatusSeeOther {
				t.Fatalf("save: %d %s", sv.Status, apitest.Truncate(sv.Body))
			}
			if pg := s.Page("GET", "/t/kazan/admin/notifications?kind=resolved&lang=en", admin, nil, nil); pg.Status != 200 || !strings.Contains(string(pg.Body), "Done: {{.Number}}") {
				t.Fatalf("the console page: %d %s", pg.Status, apitest.Truncate(pg.Body))
			}
			if pg := s.Page("POST", "/t/kazan/admin/notifications", disp, form, nil); pg.Status != http.StatusForbidden {
				t.Errorf("a dispatcher saved a template: %d", pg.Status)
			}

			s.MustAct("kazan", operator, num, "start", nil, "in_progress")
			s.MustAct("kazan", operator, num, "resolve", map[string]string{"comment": "The lift was repaired."}, "resolved")
			apitest.WaitFor(t, "the resolved mail", func() bool { return len(mp.Messages(t, anna)) >= 2 })
			resolved := mp.Messages(t, anna)[0]
			if resolved.Subject != "Done: "+num || !strings.Contains(resolved.Text, "The lift was repaired.") ||
				!strings.Contains(resolved.Text, "Confirm: https://kazan.opencity.test/track/") {
				t.Errorf("resolved: %q %q", resolved.Subject, resolved.Text)
			}

			// Anna turns notifications off by the link in her mail.
			link := mp.Link(t, anna, "https://kazan.opencity.test/notifications/off/")
			path := strings.Replace(link, "https://kazan.opencity.test", "/t/kazan", 1)
			if g := s.Call("GET", path, "", nil); g.Status != 200 || !strings.Contains(string(g.Body), "optout-confirm") {
				t.Fatalf("opt-out page: %d %s", g.Status, apitest.Truncate(g.Body))
			}
			if g := s.Call("GET", path, "", nil); g.Status != 200 {
				t.Fatalf("opt-out page again: %d", g.Status)
			}
			ck, csrf := s.PageSession(path)
			if p := s.Call("POST", path, "", nil, "Cookie", ck.Name+"="+ck.Value, "X-CSRF-Token", csrf); p.Status != 200 || !strings.Contains(string(p.Body), "optout-done") {
				t.Fatalf("opt-out: %d %s", p.Status, apitest.Truncate(p.Body))
			}
			if p := s.Call("GET", "/t/kazan/notifications/off/0123456789abcdef0123456789abcdef", "", nil); p.Status != 200 {
				t.Errorf("the page of an unknown token: %d", p.Status)
			}

			// Another request of Anna's is rejected: the SMS says why, no mail goes.
			r = s.Call("POST", "/t/kazan/api/v1/requests", citizen, map[string]any{"category": "lift", "building_id": 1,
				"description": "a second stuck lift", "applicant": map[string]string{"name": "Anna", "phone": "+7 917 123-45-67", "email": anna, "lang": "en"}})
			second := r.JSON(t)["number"].(string)
			if got := s.Get("kazan", disp, second); got["status"] == "assigned" {
				if got["organization"] != opOrg {
					s.MustAct("kazan", disp, second, "recall", map[string]string{"organization": opOrg, "comment": "to the operator's company"}, "assigned")
				}
				s.MustAct("kazan", operator, second, "return", map[string]string{"comment": "not ours"}, "returned")
			}
			s.MustAct("kazan", disp, second, "reject", map[string]string{"comment": "Reported twice by mistake."}, "rejected")
			apitest.WaitFor(t, "the rejection SMS", func() bool {
				for _, m := range fake.Messages() {
					if m.To == annaPhone && strings.Contains(m.Text, second) && strings.Contains(m.Text, "Reported twice by mistake.") {
						return true
					}
				}
				return false
			})
			var optedOut int
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT count(*) FROM notifications WHERE address = ? AND kind = 'rejected'", anna).Scan(ctx, &optedOut)
			})
			if optedOut != 0 {
				t.Errorf("a mail was made for an address that opted out")
			}
			for _, m := range mp.Messages(t, anna) {
				if strings.Contains(m.Subject, second) {
					t.Errorf("mailed after opting out: %q", m.Subject)
				}
			}

			for _, rec := range logs.Records() {
				b, _ := json.Marshal(rec)
				line := string(b)
				for _, pd := range []string{anna, oleg, annaPhone, "79177654321", opEmail, "Anna", "Олег"} {
					if strings.Contains(line, pd) {
						t.Errorf("personal data %q in the log: %s", pd, line)
					}
				}
			}
		})
	}
}
