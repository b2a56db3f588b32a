package httpapi

import (
	"github.com/opencity/opencity/core"
)

func (a *API) settingsRoutes() []Route {
	s := func(c *Call) *core.Settings { return a.Services().Settings(c.City) }
	return []Route{
		endpoint(Route{Method: "GET", Path: "/settings", Obj: core.ObjSettings, Act: core.ActRead, Summary: "Working calendar and auto-close", Status: 200},
			func(c *Call, _ none) (*core.CitySettings, error) { return s(c).Get(c.Ctx, c.Actor) }),
		endpoint(Route{Method: "PUT", Path: "/settings", Obj: core.ObjSettings, Act: core.ActUpdate, Summary: "Change the working calendar, holidays and auto-close days", Status: 200},
			func(c *Call, in core.CitySettings) (*core.CitySettings, error) { return s(c).Put(c.Ctx, c.Actor, in) }),
		endpoint(Route{Method: "GET", Path: "/settings/access", Obj: core.ObjCity, Act: core.ActRead, Summary: "Settings of accounts and access", Status: 200},
			func(c *Call, _ none) (core.AccessSettings, error) { return s(c).Access(c.Ctx, c.Actor) }),
		endpoint(Route{Method: "PUT", Path: "/settings/access", Obj: core.ObjCity, Act: core.ActUpdate, Summary: "Change the settings of accounts and access", Status: 200},
			func(c *Call, in core.AccessSettings) (core.AccessSettings, error) {
				return s(c).PutAccess(c.Ctx, c.Actor, in)
			}),
	}
}
