package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// RoutingStore is what the routing endpoints need from a city's storage.
type RoutingStore interface {
	core.RoutingStore
	CreateRoutingRule(ctx context.Context, r *core.RoutingRule) error
	UpdateRoutingRule(ctx context.Context, r *core.RoutingRule) error
	DeleteRoutingRule(ctx context.Context, id int64) error
	ReorderRoutingRules(ctx context.Context, ids []int64) error
	RoutingSettings(ctx context.Context) (core.RoutingSettings, error)
	SetRoutingSettings(ctx context.Context, s core.RoutingSettings) (core.RoutingSettings, error)
	Building(ctx context.Context, id int64) (*core.Building, error)
	BuildingByAddress(ctx context.Context, address string) (*core.Building, error)
}

// Routing gives the API each city's effective router (its plugin, then its
// rules, then triage) and checks plugin names against the vendor's catalog.
type Routing interface {
	Router(city *City) core.Router
	// CheckPlugin returns nil when ref (name@version) is in the catalog.
	CheckPlugin(ctx context.Context, ref string) error
}

// RouterFor returns the city's effective router: through Routing when the
// server has plugins, otherwise the city's built-in rules. Intake routes new
// requests with it; it never returns an error from the plugin path (those
// fall back), only from the rules' storage when there is no Routing.
func (a *API) RouterFor(city *City) core.Router {
	if a.Routing != nil {
		return a.Routing.Router(city)
	}
	return core.RulesRouter{Store: city.Store}
}

type ruleList struct {
	Items []core.RoutingRule `json:"items"`
}

type reorderInput struct {
	IDs []int64 `json:"ids"`
}

func (a *API) routingRoutes() []Route {
	const o = core.ObjRouting
	return []Route{
		{Method: "GET", Path: "/routing/rules", Obj: o, Act: core.ActRead, Summary: "The city's routing rules, in order", Out: ruleList{}, Status: 200, Handler: a.listRules},
		{Method: "POST", Path: "/routing/rules", Obj: o, Act: core.ActCreate, Summary: "Add a routing rule at the end", In: ruleInput{}, Out: core.RoutingRule{}, Status: 201, Handler: a.createRule},
		{Method: "POST", Path: "/routing/rules/reorder", Obj: o, Act: core.ActUpdate, Summary: "Put the rules in the given order", In: reorderInput{}, Out: ruleList{}, Status: 200, Handler: a.reorderRules},
		{Method: "PUT", Path: "/routing/rules/:id", Obj: o, Act: core.ActUpdate, Summary: "Change a routing rule", In: ruleInput{}, Out: core.RoutingRule{}, Status: 200, Handler: a.updateRule},
		{Method: "DELETE", Path: "/routing/rules/:id", Obj: o, Act: core.ActDelete, Summary: "Delete a routing rule", Status: 204, Handler: a.deleteRule},
		{Method: "GET", Path: "/routing/settings", Obj: o, Act: core.ActRead, Summary: "Which router the city uses: its rules or a catalog plugin with its config", Out: routingSettingsJSON{}, Status: 200, Handler: a.getRoutingSettings},
		{Method: "PUT", Path: "/routing/settings", Obj: o, Act: core.ActUpdate, Summary: "Choose the rules or a catalog plugin, with its JSON config", In: routingSettingsJSON{}, Out: routingSettingsJSON{}, Status: 200, Handler: a.putRoutingSettings},
		{Method: "POST", Path: "/routing/test", Obj: o, Act: core.ActRead, Summary: "Which organization a request would go to, and why, without creating it", In: routeTestInput{}, Out: routeTestOutput{}, Status: 200, Handler: a.testRouting},
	}
}

// ruleInput is a rule as the admin sends it.
type ruleInput struct {
	Name           string        `json:"name"`
	Active         *bool         `json:"active"`
	Category       string        `json:"category"`
	Group          string        `json:"group"`
	District       string        `json:"district"`
	BuildingID     *int64        `json:"building_id"`
	TimeFrom       string        `json:"time_from"`
	TimeTo         string        `json:"time_to"`
	Emergency      *bool         `json:"emergency"`
	Target         string        `json:"target"`
	OrganizationID *int64        `json:"organization_id"`
	Priority       core.Priority `json:"priority"`
}

func (in ruleInput) rule() *core.RoutingRule {
	active := in.Active == nil || *in.Active
	return &core.RoutingRule{Name: in.Name, Active: active, Category: in.Category, Group: in.Group, District: in.District,
		BuildingID: in.BuildingID, TimeFrom: in.TimeFrom, TimeTo: in.TimeTo, Emergency: in.Emergency,
		Target: in.Target, OrganizationID: in.OrganizationID, Priority: in.Priority}
}

func (a *API) listRules(c *gin.Context) {
	rules, err := CityFromContext(c.Request.Context()).Store.RoutingRules(c.Request.Context())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	if rules == nil {
		rules = []core.RoutingRule{}
	}
	if rules == nil {
		rules = []core.RoutingRule{}
	}
	c.JSON(http.StatusOK, ruleList{Items: rules})
}

func (a *API) createRule(c *gin.Context) {
	var in ruleInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	r := in.rule()
	if err := CityFromContext(c.Request.Context()).Store.CreateRoutingRule(c.Request.Context(), r); err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

func ruleID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.Errorf(core.ENOTFOUND, "routing rule not found")
	}
	return id, nil
}

func (a *API) updateRule(c *gin.Context) {
	id, err := ruleID(c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	var in ruleInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	r := in.rule()
	r.ID = id
	if err := CityFromContext(c.Request.Context()).Store.UpdateRoutingRule(c.Request.Context(), r); err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (a *API) deleteRule(c *gin.Context) {
	id, err := ruleID(c)
	if err == nil {
		err = CityFromContext(c.Request.Context()).Store.DeleteRoutingRule(c.Request.Context(), id)
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) reorderRules(c *gin.Context) {
	var in reorderInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	if err := CityFromContext(c.Request.Context()).Store.ReorderRoutingRules(c.Request.Context(), in.IDs); err != nil {
		WriteProblem(c, err)
		return
	}
	a.listRules(c)
}

type routingSettingsJSON struct {
	Router    string          `json:"router"`           // "rules" or "plugin"
	Plugin    string          `json:"plugin,omitempty"` // name@version
	Config    json.RawMessage `json:"config"`
	UpdatedAt *time.Time      `json:"updated_at,omitempty"`
}

func routingSettingsView(s core.RoutingSettings) routingSettingsJSON {
	v := routingSettingsJSON{Router: "rules", Plugin: s.Plugin, Config: s.Config}
	if s.Plugin != "" {
		v.Router = "plugin"
	}
	if len(v.Config) == 0 {
		v.Config = json.RawMessage("{}")
	}
	if !s.UpdatedAt.IsZero() {
		v.UpdatedAt = &s.UpdatedAt
	}
	return v
}

func (a *API) getRoutingSettings(c *gin.Context) {
	s, err := CityFromContext(c.Request.Context()).Store.RoutingSettings(c.Request.Context())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, routingSettingsView(s))
}

func (a *API) putRoutingSettings(c *gin.Context) {
	var in routingSettingsJSON
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	f := core.FieldErrors{}
	switch in.Router {
	case "rules":
		if in.Plugin != "" {
			f.Add("plugin", "leave empty when the router is rules")
		}
	case "plugin":
		switch {
		case in.Plugin == "":
			f.Add("plugin", "name a catalog plugin as name@version")
		case a.Routing == nil:
			f.Add("plugin", "plugins are not available on this server")
		default:
			if err := a.Routing.CheckPlugin(ctx, in.Plugin); err != nil {
				if core.ErrorCode(err) == core.EINTERNAL {
					WriteProblem(c, err)
					return
				}
				f.Add("plugin", err.Error())
			}
		}
	default:
		f.Add("router", "must be rules or plugin")
	}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		var obj map[string]any
		if json.Unmarshal(in.Config, &obj) != nil {
			f.Add("config", "must be a JSON object")
		}
	} else {
		in.Config = json.RawMessage("{}")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	s, err := CityFromContext(ctx).Store.SetRoutingSettings(ctx, core.RoutingSettings{Plugin: in.Plugin, Config: in.Config})
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, routingSettingsView(s))
}
