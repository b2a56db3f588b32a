package core

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// RoutingAdminStore is what RoutingAdmin needs from a city's storage. The
// rule writes validate the rule and check that the codes and ids it names
// exist in the city.
type RoutingAdminStore interface {
	RoutingStore
	CreateRoutingRule(ctx context.Context, r *RoutingRule) error
	UpdateRoutingRule(ctx context.Context, r *RoutingRule) error
	DeleteRoutingRule(ctx context.Context, id int64) error
	// ReorderRoutingRules puts the rules in the order of ids, which must
	// name every rule of the city once.
	ReorderRoutingRules(ctx context.Context, ids []int64) error
	RoutingSettings(ctx context.Context) (RoutingSettings, error)
	SetRoutingSettings(ctx context.Context, s RoutingSettings) (RoutingSettings, error)
	Building(ctx context.Context, id int64) (*Building, error)
	BuildingByAddress(ctx context.Context, address string) (*Building, error)
}

// PluginCatalog checks plugin references against the vendor's catalog.
type PluginCatalog interface {
	// CheckPlugin returns nil when ref (name@version) is in the catalog, an
	// EINVALID or ENOTFOUND *Error saying why not otherwise.
	CheckPlugin(ctx context.Context, ref string) error
}

// RoutingAdmin is the use cases of a city's routing: the rule table, the
// choice between the rules and a catalog plugin, and the simulator.
type RoutingAdmin struct {
	Store RoutingAdminStore
	Gate  Gate
	// Plugins is the vendor's catalog; nil when the server has no plugins,
	// and then no plugin may be chosen.
	Plugins PluginCatalog
	// Router is the city's effective router (plugin, rules, triage), which
	// the simulator asks.
	Router   Router
	Location *time.Location
	Now      func() time.Time
}

// RuleInput is a routing rule as an admin writes it; Active defaults to true.
type RuleInput struct {
	Name           string   `json:"name"`
	Active         *bool    `json:"active"`
	Category       string   `json:"category"`
	Group          string   `json:"group"`
	District       string   `json:"district"`
	BuildingID     *int64   `json:"building_id"`
	TimeFrom       string   `json:"time_from"`
	TimeTo         string   `json:"time_to"`
	Emergency      *bool    `json:"emergency"`
	Target         string   `json:"target" enum:"rule_targets"`
	OrganizationID *int64   `json:"organization_id"`
	Priority       Priority `json:"priority"`
}

func (in RuleInput) rule(id int64) *RoutingRule {
	active := in.Active == nil || *in.Active
	return &RoutingRule{ID: id, Name: in.Name, Active: active, Category: in.Category, Group: in.Group, District: in.District,
		BuildingID: in.BuildingID, TimeFrom: in.TimeFrom, TimeTo: in.TimeTo, Emergency: in.Emergency,
		Target: in.Target, OrganizationID: in.OrganizationID, Priority: in.Priority}
}

// Rules returns the rule table in order; never nil.
func (s *RoutingAdmin) Rules(ctx context.Context, actor Actor) ([]RoutingRule, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActRead); err != nil {
		return nil, err
	}
	rules, err := s.Store.RoutingRules(ctx)
	if rules == nil && err == nil {
		rules = []RoutingRule{}
	}
	return rules, err
}

// AddRule appends a rule to the table.
func (s *RoutingAdmin) AddRule(ctx context.Context, actor Actor, in RuleInput) (*RoutingRule, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActCreate); err != nil {
		return nil, err
	}
	r := in.rule(0)
	return r, s.Store.CreateRoutingRule(ctx, r)
}

// ChangeRule replaces the rule id, keeping its place in the table.
func (s *RoutingAdmin) ChangeRule(ctx context.Context, actor Actor, id int64, in RuleInput) (*RoutingRule, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActUpdate); err != nil {
		return nil, err
	}
	r := in.rule(id)
	old, err := s.rule(ctx, id)
	if err != nil {
		return nil, err
	}
	if old.Keeps(in.Name) { // a starter rule keeps its name in every language
		r.Name, r.NameCode = old.Name, old.NameCode
	}
	return r, s.Store.UpdateRoutingRule(ctx, r)
}

// rule finds the rule id in the table (ENOTFOUND when there is none).
func (s *RoutingAdmin) rule(ctx context.Context, id int64) (*RoutingRule, error) {
	rules, err := s.Store.RoutingRules(ctx)
	if err != nil {
		return nil, err
	}
	for i := range rules {
		if rules[i].ID == id {
			return &rules[i], nil
		}
	}
	return nil, NotFound("routing rule")
}

// DeleteRule removes the rule id.
func (s *RoutingAdmin) DeleteRule(ctx context.Context, actor Actor, id int64) error {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActDelete); err != nil {
		return err
	}
	return s.Store.DeleteRoutingRule(ctx, id)
}

// ReorderRules puts the rules in the order of ids (every rule once) and
// returns the table.
func (s *RoutingAdmin) ReorderRules(ctx context.Context, actor Actor, ids []int64) ([]RoutingRule, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActUpdate); err != nil {
		return nil, err
	}
	if err := s.Store.ReorderRoutingRules(ctx, ids); err != nil {
		return nil, err
	}
	return s.Rules(ctx, actor)
}

// Moves of a rule in the table.
const (
	MoveTop  = "top"
	MoveUp   = "up"
	MoveDown = "down"
)

// MoveRule moves the rule id to the top of the table, or one place up or
// down (a no-op at the edge).
func (s *RoutingAdmin) MoveRule(ctx context.Context, actor Actor, id int64, dir string) error {
	rules, err := s.Rules(ctx, actor)
	if err != nil {
		return err
	}
	ids := make([]int64, len(rules))
	at := -1
	for i, r := range rules {
		ids[i] = r.ID
		if r.ID == id {
			at = i
		}
	}
	if at < 0 {
		return E(ENOTFOUND, "error.rule_not_found")
	}
	switch dir {
	case MoveTop:
		copy(ids[1:at+1], ids[:at])
		ids[0] = id
	case MoveUp:
		if at > 0 {
			ids[at-1], ids[at] = ids[at], ids[at-1]
		}
	case MoveDown:
		if at < len(ids)-1 {
			ids[at+1], ids[at] = ids[at], ids[at+1]
		}
	default:
		return &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"dir": M("error.move_dir")}}
	}
	_, err = s.ReorderRules(ctx, actor, ids)
	return err
}

// Routers a city can choose.
const (
	RouterRules  = "rules"
	RouterPlugin = "plugin"
)

// RouterChoice is which router a city uses: its rules, or a catalog plugin
// (name@version) with the plugin's JSON config for the city.
type RouterChoice struct {
	Router    string          `json:"router"`           // "rules" or "plugin"
	Plugin    string          `json:"plugin,omitempty"` // name@version
	Config    json.RawMessage `json:"config"`
	UpdatedAt *time.Time      `json:"updated_at,omitempty"`
}

func routerChoice(s RoutingSettings) RouterChoice {
	v := RouterChoice{Router: RouterRules, Plugin: s.Plugin, Config: s.Config}
	if s.Plugin != "" {
		v.Router = RouterPlugin
	}
	if len(v.Config) == 0 {
		v.Config = json.RawMessage("{}")
	}
	if !s.UpdatedAt.IsZero() {
		v.UpdatedAt = &s.UpdatedAt
	}
	return v
}

// RouterChoice returns which router the city uses.
func (s *RoutingAdmin) RouterChoice(ctx context.Context, actor Actor) (RouterChoice, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActRead); err != nil {
		return RouterChoice{}, err
	}
	rs, err := s.Store.RoutingSettings(ctx)
	return routerChoice(rs), err
}

// ChooseRouter sets the city's router: the rules (no plugin), or a plugin
// of the catalog with a JSON object as its config (none: {}).
func (s *RoutingAdmin) ChooseRouter(ctx context.Context, actor Actor, in RouterChoice) (RouterChoice, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActUpdate); err != nil {
		return RouterChoice{}, err
	}
	f := FieldErrors{}
	switch in.Router {
	case RouterRules:
		if in.Plugin != "" {
			f.Add("plugin", "error.plugin_with_rules")
		}
	case RouterPlugin:
		switch {
		case in.Plugin == "":
			f.Add("plugin", "error.plugin_ref")
		case s.Plugins == nil:
			f.Add("plugin", "error.plugins_off")
		default:
			if err := s.Plugins.CheckPlugin(ctx, in.Plugin); err != nil {
				if ErrorCode(err) == EINTERNAL {
					return RouterChoice{}, err
				}
				f.AddMsg("plugin", MsgOf(err))
			}
		}
	default:
		f.Add("router", "error.router_kind")
	}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		var obj map[string]any
		if json.Unmarshal(in.Config, &obj) != nil {
			f.Add("config", "error.json_object")
		}
	} else {
		in.Config = json.RawMessage("{}")
	}
	if err := f.Err(); err != nil {
		return RouterChoice{}, err
	}
	rs, err := s.Store.SetRoutingSettings(ctx, RoutingSettings{Plugin: in.Plugin, Config: in.Config})
	if err != nil {
		return RouterChoice{}, err
	}
	return routerChoice(rs), nil
}

// RouteTest is a request that is routed but never created: a category, a
// registry building or a free address, and optionally a priority and an
// intake time (default: now).
type RouteTest struct {
	Category   string     `json:"category"`
	BuildingID *int64     `json:"building_id"`
	Address    string     `json:"address"`
	Priority   Priority   `json:"priority"`
	At         *time.Time `json:"at"`
}

// RouteTrial is the simulator's answer: the router's decision, the
// organization it names (nil with triage), the request's resulting priority
// and the registry building the address matched (nil for a free address).
type RouteTrial struct {
	Decision     Decision
	Organization *Organization
	Priority     Priority
	Building     *Building
}

// TestRoute answers which organization a request would go to, and why,
// with the city's effective router, without creating the request.
func (s *RoutingAdmin) TestRoute(ctx context.Context, actor Actor, in RouteTest) (*RouteTrial, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRouting, ActRead); err != nil {
		return nil, err
	}
	dir, err := s.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	f := FieldErrors{}
	var cat *Category
	for i := range dir.Categories {
		if dir.Categories[i].Code == in.Category && dir.Categories[i].Active {
			cat = &dir.Categories[i]
		}
	}
	if cat == nil {
		f.Add("category", "error.unknown_category", "Code", in.Category)
	}
	if in.Priority != "" && !in.Priority.Valid() {
		f.Add("priority", "error.one_of", "List", strings.Join(Names(Priorities), ", "))
	}
	var b *Building
	switch {
	case in.BuildingID != nil:
		b, err = s.Store.Building(ctx, *in.BuildingID)
		if ErrorCode(err) == ENOTFOUND {
			f.Add("building_id", "error.no_building")
		} else if err != nil {
			return nil, err
		}
	case strings.TrimSpace(in.Address) != "":
		b, err = s.Store.BuildingByAddress(ctx, in.Address)
		if ErrorCode(err) == ENOTFOUND {
			b = nil // a free address: routed without a registry building
		} else if err != nil {
			return nil, err
		}
	default:
		f.Add("building_id", "error.give_building_or_address")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	at := s.Now()
	if in.At != nil {
		at = *in.At
	}
	req := &Request{Priority: in.Priority, Address: in.Address, Channel: ChannelPortal}
	if req.Priority == "" {
		req.Priority = cat.DefaultPriority
	}
	if b != nil {
		req.BuildingID, req.DistrictID, req.Address = &b.ID, &b.DistrictID, b.AddressRU
	}
	d, err := s.Router.Route(ctx, RouteInput{City: s.Gate.City, Request: req, Category: *cat, Building: b, At: at.In(s.Location)})
	if err != nil {
		return nil, err
	}
	out := &RouteTrial{Decision: d, Priority: req.Priority, Building: b}
	if d.Priority != "" {
		out.Priority = d.Priority
	}
	if !d.Triage {
		out.Organization = dir.Organization(d.OrganizationID)
	}
	return out, nil
}
