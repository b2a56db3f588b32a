package pages_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// An outage in a browser: the dispatcher declares a water outage for a
// street, a call about water from one of its buildings is taken on the
// call form (which shows the outage) and a citizen's portal request through
// the API comes from another; both wait for it in the desk's outage queue
// and on its page, the dispatcher closes it and both are resolved.
func TestBrowserOutage(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			disp := s.Login("kazan", "dispatcher")
			info, _ := s.Call("GET", "/t/kazan/api/v1", "", nil).JSON(t)["city"].(map[string]any)
			loc, err := time.LoadLocation(fmt.Sprint(info["timezone"]))
			if err != nil {
				t.Fatal(err)
			}
			items, _ := s.Call("GET", "/t/kazan/api/v1/buildings?q=Копылова", disp, nil).JSON(t)["items"].([]any)
			if len(items) < 2 {
				t.Fatalf("buildings on Kopylova: %v", items)
			}
			b1, b2 := fmt.Sprint(items[0].(map[string]any)["id"]), fmt.Sprint(items[1].(map[string]any)["id"])

			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.LogIn(base, "dispatcher")
			b.Navigate(base + "/outages/?lang=ru")
			now := time.Now().In(loc)
			b.Submit("#declare", "utility", "water", "kind", "emergency", "organization", "vodokanal-kazan", "street", "Копылова",
				"starts_at", now.Add(-time.Hour).Format("2006-01-02T15:04"), "ends_at", now.Add(5*time.Hour).Format("2006-01-02T15:04"),
				"notice_ru", "Авария на водоводе, вода будет к вечеру", "notice_en", "Water main burst, water back tonight")
			id := webtest.Value(b, "outage", chromedp.AttributeValue(chromedp.CSS("#outage"), "data-outage")).Value
			if id == "" || !strings.Contains(b.Location(), "/t/kazan/outages/"+id) {
				t.Fatalf("after declaring: %s %s", b.Location(), b.Text("main"))
			}
			if got := b.Text("#outage-counts"); !strings.Contains(got, "домов: 2") {
				t.Errorf("the outage covers %q", got)
			}

			// The call form names the outage once the building is known.
			b.Navigate(base + "/desk/call?lang=ru")
			webtest.Value(b, "pick category and building", chromedp.Evaluate[bool](fmt.Sprintf(
				`document.querySelector("#category").value = "water-network-fault"; document.querySelector("#building_id").value = %q; true`, b1)))
			b.Click("#check-matches")
			if got := b.Text("#outages"); !strings.Contains(got, "Авария на водоводе, вода будет к вечеру") {
				t.Errorf("the call form shows %q", got)
			}
			b.Run("fill the call",
				chromedp.SetValue(chromedp.CSS(`[name="applicant.name"]`), "Иван Звонков"),
				chromedp.SetValue(chromedp.CSS(`[name="applicant.phone"]`), "8 (917) 111-22-33"),
				chromedp.SetValue(chromedp.CSS(`#description`), "Нет холодной воды"))
			b.Click("#send")
			call := b.Text("#number")
			if got := b.Attr("#status", "data-status"); got != "outage" {
				t.Errorf("the call %s: %s", call, got)
			}
			if h := b.Text("#history"); !strings.Contains(h, "Авария на водоводе, вода будет к вечеру") {
				t.Errorf("the call's history: %q", h)
			}

			// The citizen's portal request through the API, from the other building.
			cit := s.Login("kazan", "citizen")
			r := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "water-network-fault", "building_id": json.Number(b2),
				"description": "Нет воды в кране"}).JSON(t)
			portal, _ := r["number"].(string)
			if r["status"] != "outage" || r["channel"] != "portal" {
				t.Errorf("the portal request: %v", r)
			}

			b.Navigate(base + "/desk/?queue=outage&lang=ru")
			if got := deskCount(t, b, "#q-outage .count"); got != 2 {
				t.Errorf("the outage queue counts %d", got)
			}
			b.Navigate(base + "/outages/" + id + "?lang=ru")
			if got := b.Text("#outage-counts"); !strings.Contains(got, "заявок: 2, ожидают: 2") {
				t.Errorf("the outage's requests: %q", got)
			}
			b.Submit("#close-outage", "comment", "Водовод починили")
			if got := b.Text("#outage-counts"); !strings.Contains(got, "заявок: 2, ожидают: 0") {
				t.Errorf("after closing: %q", got)
			}
			for _, n := range []string{call, portal} {
				if got := s.Call("GET", "/t/kazan/api/v1/requests/"+n, disp, nil).JSON(t)["status"]; got != "resolved" {
					t.Errorf("%s after the closing: %v", n, got)
				}
			}
			b.Navigate(base + "/requests/" + call + "?lang=ru")
			if got := b.Attr("#status", "data-status"); got != "resolved" {
				t.Errorf("the call's page after the closing: %s", got)
			}

			// An outage past its expected end is named on the desk.
			late := s.Call("POST", "/t/kazan/api/v1/outages", disp, map[string]any{"utility": "power", "district": "kirovsky",
				"starts_at": time.Now().Add(-3 * time.Hour).Format(time.RFC3339), "ends_at": time.Now().Add(-time.Hour).Format(time.RFC3339),
				"notice_ru": "Нет света", "notice_en": "No power"}).JSON(t)
			b.Navigate(base + "/desk/?lang=ru")
			if got := b.Text("#late-outages"); !strings.Contains(got, fmt.Sprintf("№ %v", late["id"])) {
				t.Errorf("the desk names late outages as %q", got)
			}
		})
	}
}
