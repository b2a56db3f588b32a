package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// An outage through the API: declared by the water supplier for a street,
// two requests about water from its buildings (a citizen's and a
// dispatcher's call) attach to it and wait in the desk's outage queue, the
// public sees its notice, and its closing resolves both. From the
// attacker's side: other roles, another organization's operator, another
// city, forged ids.
func TestOutagesAPI(t *testing.T) {
	water, power := apitest.OperatorOf("vodokanal-kazan"), apitest.OperatorOf("energosbyt-kazan")
	start, end := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(5*time.Hour).Format(time.RFC3339)
	declare := map[string]any{"utility": "water", "kind": "emergency", "street": "Копылова", "starts_at": start, "ends_at": end,
		"notice_ru": "Авария на водоводе, вода будет к вечеру", "notice_en": "Water main burst, water back tonight"}
	waterRequest := `{"category": "water-network-fault", "building_id": {b1}, "description": "нет воды",
		"applicant": {"name": "Житель", "phone": "+7 917 000-00-09"}}`
	keep := func(name, field string) func(t testing.TB, c *apitest.Client, r apitest.Response) {
		return func(t testing.TB, c *apitest.Client, r apitest.Response) {
			c.Set(name, fmt.Sprint(r.JSON(t)[field]))
		}
	}
	scenarios := []apitest.Scenario{
		{Name: "the street's buildings", Path: "/buildings?q=Копылова", As: apitest.Dispatcher, ExpectedStatus: 200,
			After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
				items, _ := r.JSON(t)["items"].([]any)
				if len(items) < 2 {
					t.Fatalf("buildings on Kopylova: %s", r.Body)
				}
				c.Set("b1", fmt.Sprint(items[0].(map[string]any)["id"]))
			}},
		{Name: "a citizen declares", Method: "POST", Path: "/outages", As: apitest.Citizen, Body: declare, ExpectedStatus: 403},
		{Name: "an analyst declares", Method: "POST", Path: "/outages", As: apitest.Analyst, Body: declare, ExpectedStatus: 403},
		{Name: "an empty outage", Method: "POST", Path: "/outages", As: apitest.Dispatcher, Body: map[string]any{}, ExpectedStatus: 422,
			ExpectedFields: []string{"utility", "buildings", "starts_at", "ends_at", "notice_ru", "notice_en"}},
		{Name: "a forged building", Method: "POST", Path: "/outages", As: apitest.Dispatcher, ExpectedStatus: 422, ExpectedFields: []string{"buildings"},
			Body: map[string]any{"utility": "water", "buildings": []int64{987654321}, "starts_at": start, "ends_at": end, "notice_ru": "x", "notice_en": "x"}},
		{Name: "the power supplier declares water", Method: "POST", Path: "/outages", As: power, Body: declare, ExpectedStatus: 422,
			ExpectedFields: []string{"utility"}},
		{Name: "the water supplier declares", Method: "POST", Path: "/outages", As: water, Body: declare, ExpectedStatus: 201,
			ExpectedContent: []string{`"organization":"vodokanal-kazan"`, `"open":true`}, After: keep("outage", "id")},
		{Name: "a citizen's water request attaches", Method: "POST", Path: "/requests", As: apitest.Citizen, Body: waterRequest, ExpectedStatus: 201,
			ExpectedContent: []string{`"status":"outage"`, `"outage_id":{outage}`}, After: keep("citizens", "number")},
		{Name: "a call about water attaches", Method: "POST", Path: "/requests", As: apitest.Dispatcher, Body: waterRequest, ExpectedStatus: 201,
			ExpectedContent: []string{`"status":"outage"`, `"channel":"call_centre"`}, After: keep("call", "number")},
		{Name: "the answer is the notice", Path: "/requests/{citizens}", As: apitest.Citizen, ExpectedStatus: 200,
			ExpectedContent: []string{"заявка относится к отключению", "Авария на водоводе, вода будет к вечеру"}},
		{Name: "the public sees it", Path: "/public/outages?building_id={b1}", ExpectedStatus: 200,
			Headers: map[string]string{"Accept-Language": "ru"}, ExpectedContent: []string{"Авария на водоводе", `"id":{outage}`}},
		{Name: "a forged building id in public", Path: "/public/outages?building_id=abc", ExpectedStatus: 422, ExpectedFields: []string{"building_id"}},
		{Name: "a citizen reads the staff list", Path: "/outages", As: apitest.Citizen, ExpectedStatus: 403},
		{Name: "the desk's outage queue", Path: "/desk?queue=outage", As: apitest.Dispatcher, ExpectedStatus: 200,
			ExpectedContent: []string{`"total":2`, "{citizens}", "{call}"}},
		{Name: "HQ sees the requests per outage", Path: "/outages/{outage}", As: apitest.Analyst, ExpectedStatus: 200,
			ExpectedContent: []string{`"requests":2`, `"waiting":2`, "{citizens}", "{call}"}},
		{Name: "the power supplier does not see it", Path: "/outages/{outage}", As: power, ExpectedStatus: 404},
		{Name: "the power supplier's list", Path: "/outages", As: power, ExpectedStatus: 200, NotExpectedContent: []string{"vodokanal-kazan"}},
		{Name: "the power supplier closes it", Method: "POST", Path: "/outages/{outage}/close", As: power, ExpectedStatus: 404},
		{Name: "an analyst closes it", Method: "POST", Path: "/outages/{outage}/close", As: apitest.Analyst, ExpectedStatus: 403},
		{Name: "another city reads it", Path: "/t/nizhnekamsk/api/v1/outages/{outage}", As: apitest.Dispatcher.Of("nizhnekamsk"), ExpectedStatus: 404},
		{Name: "another city closes it", Method: "POST", Path: "/t/nizhnekamsk/api/v1/outages/{outage}/close", As: apitest.Dispatcher.Of("nizhnekamsk"), ExpectedStatus: 404},
		{Name: "kazan's token in another city", Method: "POST", Path: "/t/nizhnekamsk/api/v1/outages/{outage}/close", As: apitest.Dispatcher, ExpectedStatus: 401},
		{Name: "a forged id", Method: "POST", Path: "/outages/abc/close", As: apitest.Dispatcher, ExpectedStatus: 404},
		{Name: "a zero id", Path: "/outages/0", As: apitest.Dispatcher, ExpectedStatus: 404},
		{Name: "an unknown id", Method: "POST", Path: "/outages/987654321/close", As: apitest.Dispatcher, ExpectedStatus: 404},
		{Name: "still waiting", Path: "/requests/{citizens}", As: apitest.Citizen, ExpectedStatus: 200, ExpectedContent: []string{`"status":"outage"`}},
		{Name: "the water supplier closes it", Method: "POST", Path: "/outages/{outage}/close", As: water, Body: map[string]string{"comment": "Водовод починили"},
			ExpectedStatus: 200, ExpectedContent: []string{`"resolved":2`, `"open":false`}},
		{Name: "closed twice", Method: "POST", Path: "/outages/{outage}/close", As: apitest.Dispatcher, ExpectedStatus: 409},
		{Name: "the citizen's request is resolved", Path: "/requests/{citizens}", As: apitest.Citizen, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"resolved"`, "Водовод починили"}},
		{Name: "the call is resolved", Path: "/requests/{call}", As: apitest.Dispatcher, ExpectedStatus: 200, ExpectedContent: []string{`"status":"resolved"`}},
		{Name: "no longer public", Path: "/public/outages", ExpectedStatus: 200, NotExpectedContent: []string{`"id":{outage}`}},
	}
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			servertest.Start(t, kind).Run(t, scenarios...)
		})
	}
}

// The outage pages from the attacker's side: another organization's
// operator neither reads nor closes an outage through the pages (404, as a
// forged id), a citizen has no outage pages, the supplier closes its own.
func TestOutagePagesAccess(t *testing.T) {
	water, power := apitest.OperatorOf("vodokanal-kazan"), apitest.OperatorOf("energosbyt-kazan")
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			start, end := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(5*time.Hour).Format(time.RFC3339)
			o := s.Call("POST", "/t/kazan/api/v1/outages", s.Token(water), map[string]any{"utility": "water", "street": "Копылова",
				"starts_at": start, "ends_at": end, "notice_ru": "Нет воды", "notice_en": "No water"})
			if o.Status != 201 {
				t.Fatalf("declare: %d %s", o.Status, o.Body)
			}
			id := fmt.Sprint(o.JSON(t)["id"])
			s.Token(power) // the operator's account exists
			attacker := s.From("127.0.0.31")
			if r := attacker.LoginForm("/t/kazan/login", power.Login, power.Password, "ru"); r.Status != 303 {
				t.Fatalf("the power operator's page login: %d", r.Status)
			}
			get := func(c *apitest.Client, path string) int {
				t.Helper()
				r, err := c.HTTP.Get(c.Base + path)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				return r.StatusCode
			}
			if st := get(attacker, "/t/kazan/outages/"+id); st != 404 {
				t.Errorf("another organization reads the outage's page: %d", st)
			}
			for _, path := range []string{"/t/kazan/outages/" + id + "/close", "/t/kazan/outages/abc/close", "/t/kazan/outages/999999/close"} {
				if r := attacker.FormPost(path, url.Values{"comment": {"взлом"}}, "ru"); r.Status != 404 {
					t.Errorf("the power operator closes %s through the page: %d", path, r.Status)
				}
			}
			citizen := s.From("127.0.0.32")
			citizen.LoginForm("/t/kazan/login", "citizen", "demo", "ru")
			if st := get(citizen, "/t/kazan/outages/"); st != 403 {
				t.Errorf("a citizen's outage page: %d", st)
			}
			owner := s.From("127.0.0.33")
			owner.LoginForm("/t/kazan/login", water.Login, water.Password, "ru")
			if r := owner.FormPost("/t/kazan/outages/"+id+"/close", url.Values{"comment": {"Починили"}}, "ru"); r.Status != 303 {
				t.Errorf("the supplier closes its outage through the page: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			if r := s.Call("GET", "/t/kazan/api/v1/outages/"+id, s.Token(water), nil); !strings.Contains(string(r.Body), `"open":false`) {
				t.Errorf("after the page's closing: %s", r.Body)
			}
		})
	}
}
