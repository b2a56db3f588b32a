package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/opencity/opencity/core"
)

// HQFilter reads HQ's filter from query parameters (hqFilterParams).
func HQFilter(q url.Values) core.HQFilter {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return core.HQFilter{From: g("from"), To: g("to"), District: g("district"), ManagementCompany: g("management_company"),
		Contractor: g("contractor"), Supplier: g("resource_supplier"), Category: g("category"), Channel: g("channel")}
}

var hqFilterParams = []Param{
	{"from", "string", "first day of the period, YYYY-MM-DD in the city's time zone (29 days before to)"},
	{"to", "string", "last day of the period, YYYY-MM-DD (today)"},
	{"district", "string", "district code"},
	{"management_company", "string", "management company code: its requests and its buildings' apartments"},
	{"contractor", "string", "contractor code: its requests and the apartments of the districts it serves"},
	{"resource_supplier", "string", "resource supplier code: its requests and the apartments of the districts it serves"},
	{"category", "string", "category or category group code"},
	{"channel", "string", "intake channel: " + strings.Join(core.Names(core.Channels), ", ")},
}

// HotSpotLimits reads the hot spots' thresholds from query parameters;
// a value that is not a number is the caller's mistake.
func HotSpotLimits(q url.Values) (core.HotSpotLimits, error) {
	var lim core.HotSpotLimits
	fe := core.FieldErrors{}
	if s := strings.TrimSpace(q.Get("min_count")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe.Add("min_count", "error.not_integer")
		}
		lim.MinCount = n
	}
	if s := strings.TrimSpace(q.Get("min_ratio")); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fe.Add("min_ratio", "error.not_number")
		}
		lim.MinRatio = v
	}
	return lim, fe.Err()
}

var hotSpotParams = append([]Param{
	{"min_count", "integer", "fewest requests of a category in a place that make a hot spot (5)"},
	{"min_ratio", "number", "lowest ratio of the period's count to the place's expected count (3)"},
}, hqFilterParams...)

var trendParams = append([]Param{
	{"step", "string", "a point per " + strings.Join(core.TrendSteps, ", ") + " (month); weeks run from Monday"},
}, hqFilterParams...)

var placeParams = append([]Param{
	{"level", "string", "kind of place: " + strings.Join(core.PlaceLevels, ", ")},
	{"place", "string", "the place: a building id, a street as in the registry's addresses, or a district code"},
}, hqFilterParams...)

func (a *API) analyticsRoutes() []Route {
	const o = core.ObjAnalytics
	s := func(c *Call) *core.Analytics { return a.Services().Analytics(c.City) }
	league := append([]Param{{"rank", "string", "per_thousand (most requests per 1,000 apartments first, the default) or deadlines (fewest deadlines met first)"}},
		hqFilterParams...)
	return []Route{
		endpoint(Route{Method: "GET", Path: "/analytics/dashboard", Obj: o, Act: core.ActRead,
			Summary: "HQ's figures for a period and filters, beside the previous period and the same period a year earlier", Status: 200, Query: hqFilterParams},
			func(c *Call, _ none) (*core.Dashboard, error) {
				return s(c).Dashboard(c.Ctx, c.Actor, HQFilter(c.Request.URL.Query()))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/leagues/:kind", Obj: o, Act: core.ActRead,
			Summary: "A league table (management_company, contractor, resource_supplier or district) ranked worst first, with the previous period as trend",
			Status:  200, Query: league},
			func(c *Call, _ none) (*core.League, error) {
				return s(c).League(c.Ctx, c.Actor, c.Param("kind"), c.Query("rank"), HQFilter(c.Request.URL.Query()))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/organizations/:code/buildings", Obj: o, Act: core.ActRead,
			Summary: "An organization's requests in the period per building (id 0: requests naming no building)", Status: 200, Query: hqFilterParams},
			func(c *Call, _ none) (*core.OrgBuildings, error) {
				return s(c).Buildings(c.Ctx, c.Actor, c.Param("code"), HQFilter(c.Request.URL.Query()))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/organizations/:code/buildings/:id/requests", Obj: o, Act: core.ActRead,
			Summary: "An organization's requests about one building (0: about none) in the period, newest first, without personal data",
			Status:  200, Query: hqFilterParams},
			func(c *Call, _ none) (*core.BuildingRequests, error) {
				id, err := strconv.ParseInt(c.Param("id"), 10, 64)
				if err != nil || id < 0 {
					return nil, core.E(core.ENOTFOUND, "error.no_building")
				}
				return s(c).Requests(c.Ctx, c.Actor, c.Param("code"), id, HQFilter(c.Request.URL.Query()))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/hotspots", Obj: o, Act: core.ActRead,
			Summary: "Buildings, streets and districts where a category or group repeats far above its own 12-month baseline in the period, hottest first",
			Status:  200, Query: hotSpotParams},
			func(c *Call, _ none) (*core.HotSpots, error) {
				lim, err := HotSpotLimits(c.Request.URL.Query())
				if err != nil {
					return nil, err
				}
				return s(c).HotSpots(c.Ctx, c.Actor, HQFilter(c.Request.URL.Query()), lim)
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/trends", Obj: o, Act: core.ActRead,
			Summary: "Requests received per category group and day, week or month; without from, the year up to to",
			Status:  200, Query: trendParams},
			func(c *Call, _ none) (*core.Trends, error) {
				return s(c).Trends(c.Ctx, c.Actor, HQFilter(c.Request.URL.Query()), c.Query("step"))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/map", Obj: o, Act: core.ActRead,
			Summary: "The period's requests per building and its hot spots, projected (Web Mercator) into the map's pixels, with the districts' outlines and the tiles of the city's tile server",
			Status:  200, Query: hqFilterParams},
			func(c *Call, _ none) (*core.CityMap, error) {
				return s(c).Map(c.Ctx, c.Actor, HQFilter(c.Request.URL.Query()))
			}),
		endpoint(Route{Method: "GET", Path: "/analytics/hotspots/requests", Obj: o, Act: core.ActRead,
			Summary: "The requests of the period about a hot spot's place (category narrows them), newest first, without personal data",
			Status:  200, Query: placeParams},
			func(c *Call, _ none) (*core.BuildingRequests, error) {
				return s(c).PlaceRequests(c.Ctx, c.Actor, c.Query("level"), c.Query("place"), HQFilter(c.Request.URL.Query()))
			}),
	}
}
