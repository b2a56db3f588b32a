package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The dispatcher finds a caller's request through the API by a phone
// written any way, by words in any order and in any case, and by its
// number; intake reports every fault at once, a NUL character included
// (refused alike on both databases).
func TestSearchAndIntakeFaults(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			found := func(name, q string) apitest.Scenario { // q escaped
				return apitest.Scenario{Name: name, Path: "/requests?q=" + q, As: apitest.Dispatcher,
					ExpectedStatus: http.StatusOK, ExpectedContent: []string{`"{number}"`}}
			}
			s.Client.WithT(t).Run(t,
				apitest.Scenario{Name: "a call taken", Method: "POST", Path: "/requests", As: apitest.Dispatcher,
					Body: map[string]any{"category": "lift", "building_id": 1, "description": "Зюзюкин лифт гудит ночью",
						"applicant": map[string]string{"name": "Семёнов", "phone": "8 (917) 482-19-37"}},
					ExpectedStatus: http.StatusCreated,
					After: func(t testing.TB, c *apitest.Client, r apitest.Response) {
						c.Set("number", r.JSON(t)["number"].(string))
					}},
				found("the phone with +7", url.QueryEscape("+7 917 482-19-37")),
				found("the phone without its country code", url.QueryEscape("917 482 19 37")),
				found("words in another order", url.QueryEscape("гудит зюзюкин")),
				found("a name without ё", url.QueryEscape("семенов")),
				found("the number", "{number}"),
				apitest.Scenario{Name: "every fault at once", Method: "POST", Path: "/requests", As: apitest.Dispatcher,
					Body: map[string]any{"category": "teleport", "address": "ул. Баумана, 1\u0000", "description": "x\u0000",
						"applicant": map[string]string{"phone": "12345"}},
					ExpectedStatus: http.StatusUnprocessableEntity,
					ExpectedFields: []string{"category", "address", "description", "applicant.phone"}},
			)
		})
	}
}
