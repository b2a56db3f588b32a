package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Wishes and suggestions never reach the dispatcher's triage: the desk
// lists none of them in any page of its whole queue (a request for triage
// filed beside them is there), and the API refuses to reject one. (The
// headquarters' list of them is core/pages' TestWishesGoToHeadquarters.)
func TestWishesStayOffTheDesk(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			c := s.Client.WithT(t)
			wish := func(name string, building int) apitest.Scenario {
				return apitest.Scenario{Name: name, Method: "POST", Path: "/requests", As: apitest.Dispatcher,
					Body: map[string]any{"category": "wishes", "building_id": building, "description": "Просим поставить скамейку",
						"applicant": map[string]string{"name": "Мария Иванова", "phone": "+7 917 444-12-34"}},
					ExpectedStatus: http.StatusCreated,
					After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
						c.Set(name, r.JSON(t)["number"].(string))
					}}
			}
			c.Run(t, wish("wish1", 1), wish("wish2", 2), wish("wish3", 8))

			// A request routing cannot place (an address no building has) is
			// on the desk beside them: the walk sees the queue.
			c.Run(t, apitest.Scenario{Name: "a request for triage", Method: "POST", Path: "/requests", As: apitest.Dispatcher,
				Body: map[string]any{"category": "lift", "address": "ул. Несуществующая, 999", "description": "Лифт стоит",
					"applicant": map[string]string{"phone": "+7 917 444-12-35"}},
				ExpectedStatus: http.StatusCreated, ExpectedContent: []string{`"status":"new"`},
				After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
					c.Set("triage", r.JSON(t)["number"].(string))
				}})
			triage := c.Var("triage")
			numbers := []string{c.Var("wish1"), c.Var("wish2"), c.Var("wish3")}
			seen := false
			for _, it := range c.DeskWalk("kazan", c.Token(apitest.Dispatcher), url.Values{"queue": {"all"}, "limit": {"100"}}) {
				seen = seen || it["number"] == triage
				for _, w := range numbers {
					if it["number"] == w {
						t.Errorf("wish %s on the desk", w)
					}
				}
			}
			if !seen {
				t.Errorf("the desk does not list the request for triage %s", triage)
			}

			c.Run(t, apitest.Scenario{Name: "rejecting a wish", Method: "POST", Path: "/requests/{wish1}/reject", As: apitest.Dispatcher,
				Body: map[string]string{"comment": "спам"}, ExpectedStatus: http.StatusConflict})
		})
	}
}
