package httpapi

import (
	"context"

	"github.com/opencity/opencity/core"
)

// Routing gives the API each city's effective router (its plugin, then its
// rules, then triage) and checks plugin names against the vendor's catalog.
type Routing interface {
	Router(city *City) core.Router
	// CheckPlugin returns nil when ref (name@version) is in the catalog.
	CheckPlugin(ctx context.Context, ref string) error
}

// RouterFor returns the city's effective router (see Services.RouterFor).
func (a *API) RouterFor(city *City) core.Router { return a.Services().RouterFor(city) }

type reorderInput struct {
	IDs []int64 `json:"ids"`
}

// routeTestOutput is the routing decision for a request that is not created.
type routeTestOutput struct {
	Triage       bool          `json:"triage"`
	Reason       string        `json:"reason"`
	Source       string        `json:"source"`
	Organization *orgJSON      `json:"organization"`
	Priority     core.Priority `json:"priority"`
	BuildingID   *int64        `json:"building_id"`
}

type orgJSON struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (a *API) routingRoutes() []Route {
	const o = core.ObjRouting
	s := func(c *Call) *core.RoutingAdmin { return a.Services().RoutingAdmin(c.City) }
	ruleID := func(c *Call) (int64, error) { return pathID(c, "id", "routing rule") }
	return []Route{
		endpoint(Route{Method: "GET", Path: "/routing/rules", Obj: o, Act: core.ActRead, Summary: "The city's routing rules, in order", Status: 200},
			func(c *Call, _ none) (listOf[core.RoutingRule], error) {
				rules, err := s(c).Rules(c.Ctx, c.Actor)
				return itemsOf(rules), err
			}),
		endpoint(Route{Method: "POST", Path: "/routing/rules", Obj: o, Act: core.ActCreate, Summary: "Add a routing rule at the end", Status: 201},
			func(c *Call, in core.RuleInput) (*core.RoutingRule, error) { return s(c).AddRule(c.Ctx, c.Actor, in) }),
		endpoint(Route{Method: "POST", Path: "/routing/rules/reorder", Obj: o, Act: core.ActUpdate, Summary: "Put the rules in the given order", Status: 200},
			func(c *Call, in reorderInput) (listOf[core.RoutingRule], error) {
				rules, err := s(c).ReorderRules(c.Ctx, c.Actor, in.IDs)
				return itemsOf(rules), err
			}),
		endpoint(Route{Method: "PUT", Path: "/routing/rules/:id", Obj: o, Act: core.ActUpdate, Summary: "Change a routing rule", Status: 200},
			func(c *Call, in core.RuleInput) (*core.RoutingRule, error) {
				id, err := ruleID(c)
				if err != nil {
					return nil, err
				}
				return s(c).ChangeRule(c.Ctx, c.Actor, id, in)
			}),
		endpoint(Route{Method: "DELETE", Path: "/routing/rules/:id", Obj: o, Act: core.ActDelete, Summary: "Delete a routing rule", Status: 204},
			func(c *Call, _ none) (none, error) {
				id, err := ruleID(c)
				if err == nil {
					err = s(c).DeleteRule(c.Ctx, c.Actor, id)
				}
				return none{}, err
			}),
		endpoint(Route{Method: "GET", Path: "/routing/settings", Obj: o, Act: core.ActRead, Summary: "Which router the city uses: its rules or a catalog plugin with its config", Status: 200},
			func(c *Call, _ none) (core.RouterChoice, error) { return s(c).RouterChoice(c.Ctx, c.Actor) }),
		endpoint(Route{Method: "PUT", Path: "/routing/settings", Obj: o, Act: core.ActUpdate, Summary: "Choose the rules or a catalog plugin, with its JSON config", Status: 200},
			func(c *Call, in core.RouterChoice) (core.RouterChoice, error) {
				return s(c).ChooseRouter(c.Ctx, c.Actor, in)
			}),
		endpoint(Route{Method: "POST", Path: "/routing/test", Obj: o, Act: core.ActRead, Summary: "Which organization a request would go to, and why, without creating it", Status: 200},
			func(c *Call, in core.RouteTest) (*routeTestOutput, error) {
				t, err := s(c).TestRoute(c.Ctx, c.Actor, in)
				if err != nil {
					return nil, err
				}
				out := &routeTestOutput{Triage: t.Decision.Triage, Reason: t.Decision.Reason.Text(Lang(c.Context)), Source: t.Decision.Source, Priority: t.Priority}
				if t.Building != nil {
					out.BuildingID = &t.Building.ID
				}
				if o := t.Organization; o != nil {
					name := o.NameRU
					if Lang(c.Context) == "en" {
						name = o.NameEN
					}
					out.Organization = &orgJSON{ID: o.ID, Code: o.Code, Kind: o.Kind, Name: name}
				}
				return out, nil
			}),
	}
}
