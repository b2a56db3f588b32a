package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// An outage past its expected end escalates like an overdue request: at
// that end the dispatcher on duty and the manager of the supplier whose
// outage it is get a first-level alert, in the API's and the page's alert
// list and by e-mail; the city's delay later the dispatcher and HQ get the
// second. Nobody else sees them: not another organization's manager, not
// the supplier's operators, not a user of another city, in this city or in
// their own.
func TestOutageLateAlerts(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-03 10:00"))
			mp := mailtest.Start(t)
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now; c.SMTPURL = mp.URL() })
			ctx := context.Background()
			admin, disp := s.Login("kazan", "admin"), s.Login("kazan", "dispatcher")
			otherManager := s.InviteManager(t, admin) // of the operator's management company
			settings := s.Call("GET", "/t/kazan/api/v1/settings", admin, nil).JSON(t)
			settings["escalation_second_level_minutes"] = 30
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings); r.Status != 200 {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			var supplier int64
			for _, o := range s.Call("GET", "/t/kazan/api/v1/organizations?limit=100", admin, nil).JSON(t)["items"].([]any) {
				if m := o.(map[string]any); m["code"] == "vodokanal-kazan" {
					supplier = int64(m["id"].(float64))
				}
			}
			if supplier == 0 {
				t.Fatal("the demo has no vodokanal-kazan")
			}
			invite := func(login string, role string, org int64) string {
				t.Helper()
				fields := map[string]any{"role": role, "email": login + "@example.org"}
				if org != 0 {
					fields["organization_id"] = org
				}
				s.Invite("kazan", login, login+" password", fields)
				return s.LoginPassword("kazan", login, login+" password")
			}
			duty := invite("duty-dispatcher", "dispatcher", 0)
			hq := invite("hq-analyst", "analyst", 0)
			waterBoss := invite("water-boss", "org_manager", supplier)
			waterOp := invite("water-operator", "org_operator", supplier)
			invite("mc-boss", "org_manager", s.UserOrg(t, "kazan", "operator"))

			o := s.Call("POST", "/t/kazan/api/v1/outages", disp, map[string]any{"utility": "water", "organization": "vodokanal-kazan",
				"street": "Копылова", "starts_at": clk.Now().Add(-time.Hour), "ends_at": clk.Now().Add(time.Hour),
				"notice_ru": "Ремонт водовода", "notice_en": "Water main repair"})
			if o.Status != http.StatusCreated {
				t.Fatalf("declare: %d %s", o.Status, o.Body)
			}
			id := int64(o.JSON(t)["id"].(float64))
			seen := func(city, token string) string {
				t.Helper()
				r := s.Call("GET", "/t/"+city+"/api/v1/alerts", token, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("alerts: %d %s", r.Status, r.Body)
				}
				var out []string
				for _, a := range r.JSON(t)["items"].([]any) {
					if al := a.(map[string]any); al["outage"] == float64(id) {
						if al["deadline"] != "outage_end" || al["utility"] != "water" || al["number"] != nil {
							t.Errorf("alert %v", al)
						}
						out = append(out, fmt.Sprintf("%v:%v", al["level"], al["role"]))
					}
				}
				return strings.Join(out, ",")
			}
			sweep := func() {
				t.Helper()
				if _, _, err := s.Backend.Sweep(ctx, "kazan", clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			sweep()
			if got := seen("kazan", duty); got != "" {
				t.Fatalf("alerts before the expected end: %s", got)
			}

			clk.Add(61 * time.Minute)
			sweep()
			for who, want := range map[string]string{duty: "1:dispatcher", waterBoss: "1:org_manager", hq: "", otherManager: ""} {
				if got := seen("kazan", who); got != want {
					t.Errorf("first level: sees %q, want %q", got, want)
				}
			}
			page := string(s.Page("GET", "/t/kazan/alerts?lang=ru", duty, nil, nil).Body)
			if !strings.Contains(page, fmt.Sprintf(`data-outage="%d"`, id)) || !strings.Contains(page, fmt.Sprintf("отключение № %d", id)) {
				t.Errorf("the dispatcher's alerts page lacks the outage: %s", apitest.Truncate([]byte(page)))
			}
			if page := string(s.Page("GET", "/t/kazan/alerts", otherManager, nil, nil).Body); strings.Contains(page, fmt.Sprintf(`data-outage="%d"`, id)) {
				t.Errorf("another organization's manager sees the outage's alert on the page")
			}
			// The supplier's operator reads no alerts; another city's
			// dispatcher is refused here, and sees nothing of it at home.
			foreign := s.Token(apitest.Dispatcher.Of("nizhnekamsk"))
			s.Run(t,
				apitest.Scenario{Name: "the supplier's operator", Path: "/alerts", As: apitest.Principal{Token: waterOp},
					ExpectedStatus: http.StatusForbidden},
				apitest.Scenario{Name: "another city's dispatcher", Path: "/alerts", As: apitest.Principal{Token: foreign},
					ExpectedStatus: http.StatusUnauthorized},
			)
			if got := seen("nizhnekamsk", foreign); got != "" {
				t.Errorf("another city's dispatcher sees %s", got)
			}
			for _, to := range []string{"duty-dispatcher@example.org", "water-boss@example.org"} {
				m := mp.Wait(t, to)
				if !strings.Contains(m.Subject, fmt.Sprint(id)) || !strings.Contains(m.Text, fmt.Sprintf("https://kazan.opencity.test/outages/%d", id)) {
					t.Errorf("the mail to %s: %q %q", to, m.Subject, m.Text)
				}
			}

			clk.Add(31 * time.Minute)
			sweep()
			for who, want := range map[string]string{duty: "2:dispatcher,1:dispatcher", waterBoss: "1:org_manager", hq: "2:analyst", otherManager: ""} {
				if got := seen("kazan", who); got != want {
					t.Errorf("second level: sees %q, want %q", got, want)
				}
			}
			m := mp.Wait(t, "hq-analyst@example.org")
			if !strings.Contains(m.Text, "Ремонт водовода") && !strings.Contains(m.Text, "Water main repair") {
				t.Errorf("HQ's mail: %q", m.Text)
			}
			apitest.WaitFor(t, "the dispatcher's second mail", func() bool { return len(mp.Messages(t, "duty-dispatcher@example.org")) >= 2 })
			for _, to := range []string{"mc-boss@example.org", "water-operator@example.org"} {
				if got := mp.Messages(t, to); len(got) != 0 {
					t.Errorf("%s was told: %+v", to, got)
				}
			}
		})
	}
}
