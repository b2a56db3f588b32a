package httpapi

import (
	"github.com/opencity/opencity/core"
)

var statisticsParams = []Param{
	{"from", "string", "first month, YYYY-MM in the city's time zone (eleven months before to)"},
	{"to", "string", "last month, YYYY-MM (the current month)"},
}

func (a *API) statisticsRoutes() []Route {
	return []Route{
		endpoint(Route{Method: "GET", Path: "/statistics",
			Summary: "Public statistics, open to everyone: per district and management company and month, requests received, resolved on time and the median time to resolve; no personal data",
			Status:  200, Query: statisticsParams},
			func(c *Call, _ none) (*core.Statistics, error) {
				q := c.Request.URL.Query()
				return a.Services().PublicStatistics(c.City).Get(c.Ctx, core.StatisticsQuery{From: q.Get("from"), To: q.Get("to")})
			}),
	}
}
