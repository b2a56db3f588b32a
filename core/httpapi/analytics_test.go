package httpapi_test

import (
	"maps"
	"net/http"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// HQ's API: the analyst's figures with a request counted, league tables,
// drill-down down to the requests, hot spots with their evidence, trends
// and the map, with no personal data anywhere; bad filters and limits
// answer with a message per field; a tile server that is no http(s)
// template is refused. An operator and a citizen get nothing; another
// city's analyst token is unknown here. (HQ's pages and exports are
// core/pages' TestHQPagesAndExports.)
func TestHQAnalyticsAPI(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			c := s.Client.WithT(t)
			cit, analyst := c.Token(apitest.Citizen), c.Token(apitest.Analyst)
			c.Set("number", c.Submit("kazan", cit, "Лифт стоит HQ-SECRET-TEXT"))
			c.Set("org", c.Get("kazan", analyst, c.Var("number"))["organization"].(string))
			private := []string{"HQ-SECRET-TEXT", "917 123-45-67", "Иван Петров"}
			settings := c.Call("GET", "/t/kazan/api/v1/settings", c.Token(apitest.CityAdmin), nil).JSON(t)
			withTiles := func(tiles string) map[string]any {
				m := maps.Clone(settings)
				m["map_tile_url"] = tiles
				return m
			}

			c.Run(t,
				apitest.Scenario{Name: "the dashboard counts the request", Path: "/analytics/dashboard", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK,
					After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
						cur := r.JSON(t)["current"].(map[string]any)["figures"].(map[string]any)
						if cur["received"].(float64) < 1 || cur["apartments"].(float64) <= 0 {
							t.Errorf("dashboard figures: %v", cur)
						}
					}},
				apitest.Scenario{Name: "a league table", Path: "/analytics/leagues/management_company?rank=deadlines", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"code":"{org}"`}},
				apitest.Scenario{Name: "the drill-down to the requests", Path: "/analytics/organizations/{org}/buildings/1/requests", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{"{number}"}, NotExpectedContent: private},
				apitest.Scenario{Name: "bad filters, every field at once", Path: "/analytics/dashboard?from=yesterday&district=atlantis&channel=fax", As: apitest.Analyst,
					ExpectedStatus: http.StatusUnprocessableEntity, ExpectedFields: []string{"from", "district", "channel"}},

				// Hot spots: five lifts in one building in a city without
				// history make one, with its evidence and a way to its requests.
				apitest.Scenario{Name: "five lifts in one building are a hot spot", Path: "/analytics/hotspots", As: apitest.Analyst,
					Before: func(t testing.TB, c *apitest.Client) {
						for range 4 {
							c.Submit("kazan", cit, "Лифт снова стоит")
						}
					},
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"level":"building","place":"1"`, `"category":"lift"`}},
				apitest.Scenario{Name: "the hot spot's requests", Path: "/analytics/hotspots/requests?level=building&place=1&category=lift", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{"{number}"}, NotExpectedContent: private},
				apitest.Scenario{Name: "bad hot spot limits", Path: "/analytics/hotspots?min_count=many&min_ratio=0.5", As: apitest.Analyst,
					ExpectedStatus: http.StatusUnprocessableEntity, ExpectedFields: []string{"min_count"}},
				apitest.Scenario{Name: "an unknown place level", Path: "/analytics/hotspots/requests?level=planet&place=1", As: apitest.Analyst,
					ExpectedStatus: http.StatusNotFound},

				// Trends: a year of months by default, the request counted in its group.
				apitest.Scenario{Name: "trends", Path: "/analytics/trends", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"group":"building"`},
					After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
						if m := r.JSON(t); m["step"] != "month" || len(m["points"].([]any)) < 12 {
							t.Errorf("trends: step %v, %d points", m["step"], len(m["points"].([]any)))
						}
					}},
				apitest.Scenario{Name: "trends by the hour", Path: "/analytics/trends?step=hour", As: apitest.Analyst,
					ExpectedStatus: http.StatusUnprocessableEntity},

				// The map: the building of the requests placed, none left off;
				// the city admin's tile server reaches it, a bad one is refused.
				apitest.Scenario{Name: "the map", Path: "/analytics/map", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK,
					After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
						if m := r.JSON(t); len(m["points"].([]any)) < 1 || m["tiles"] == nil {
							t.Errorf("map: %s", r.Body)
						}
					}},
				apitest.Scenario{Name: "a bad tile server", Method: "PUT", Path: "/settings", As: apitest.CityAdmin, Body: withTiles("javascript:alert(1)"),
					ExpectedStatus: http.StatusUnprocessableEntity, ExpectedContent: []string{"map_tile_url"}},
				apitest.Scenario{Name: "a tile server", Method: "PUT", Path: "/settings", As: apitest.CityAdmin, Body: withTiles("https://tiles.example.org/{z}/{x}/{y}.png"),
					ExpectedStatus: http.StatusOK},
				apitest.Scenario{Name: "the map with the tile server", Path: "/analytics/map", As: apitest.Analyst,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"tile_url":"https://tiles.example.org/{z}/{x}/{y}.png"`}},
			)

			// Nobody else: an operator and a citizen are refused; another
			// city's analyst token is unknown here.
			var refused []apitest.Scenario
			for _, p := range []apitest.Principal{apitest.Operator, apitest.Citizen} {
				for _, path := range []string{"/analytics/dashboard", "/analytics/hotspots", "/analytics/trends", "/analytics/map",
					"/analytics/leagues/district", "/analytics/organizations/{org}/buildings/1/requests"} {
					refused = append(refused, apitest.Scenario{Name: p.String() + " " + path, Path: path, As: p,
						ExpectedStatus: http.StatusForbidden, NotExpectedContent: []string{"{number}"}})
				}
			}
			for _, path := range []string{"/analytics/dashboard", "/analytics/hotspots"} {
				refused = append(refused, apitest.Scenario{Name: "another city's analyst " + path, Path: path, As: apitest.Analyst.Of("nizhnekamsk"),
					ExpectedStatus: http.StatusUnauthorized})
			}
			c.Run(t, refused...)
		})
	}
}
