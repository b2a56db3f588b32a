package cityconsole

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

type routingSettings struct {
	Router string          `json:"router"`
	Plugin string          `json:"plugin,omitempty"`
	Config json.RawMessage `json:"config"`
}

type routeTest struct {
	Category   string        `json:"category"`
	BuildingID *int64        `json:"building_id,omitempty"`
	Address    string        `json:"address,omitempty"`
	Priority   core.Priority `json:"priority,omitempty"`
}

// routeResult is the simulator's answer, as the API gives it.
type routeResult struct {
	Triage       bool   `json:"triage"`
	Reason       string `json:"reason"`
	Source       string `json:"source"`
	Organization *struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"organization"`
	Priority core.Priority `json:"priority"`
}

type routingData struct {
	Rules         []core.RoutingRule
	Settings      routingSettings
	Categories    []core.Category
	Groups        []core.CategoryGroup
	Districts     []core.District
	Organizations []core.Organization
	Targets       []string
	Result        *routeResult
	Edit          *core.RoutingRule
	OrgNames      map[string]string
}

func (cs *Console) routingData(c *gin.Context) (*routingData, error) {
	d := &routingData{Targets: []string{core.TargetOrganization, core.TargetManagementCompany, core.TargetResourceSupplier, core.TargetTriage},
		OrgNames: map[string]string{}}
	var rules list[core.RoutingRule]
	var cats list[core.Category]
	var groups list[core.CategoryGroup]
	var ds list[core.District]
	var orgs list[core.Organization]
	for _, x := range []struct {
		path string
		out  any
	}{{"/routing/rules", &rules}, {"/routing/settings", &d.Settings}, {"/categories", &cats}, {"/category-groups", &groups},
		{"/districts", &ds}, {"/organizations", &orgs}} {
		if err := cs.api.call(c, "GET", x.path, nil, nil, nil, x.out); err != nil {
			return nil, err
		}
	}
	d.Rules, d.Categories, d.Groups, d.Districts, d.Organizations = rules.Items, cats.Items, groups.Items, ds.Items, orgs.Items
	for _, o := range orgs.Items {
		d.OrgNames[strconv.FormatInt(o.ID, 10)] = o.Code
	}
	return d, nil
}

func (cs *Console) showRouting(c *gin.Context, p *web.Page, status int, tpl string, mod func(*routingData)) {
	d, err := cs.routingData(c)
	if err != nil {
		cs.views.Fail(c, tpl, p, err)
		return
	}
	if mod != nil {
		mod(d)
	}
	p.Data = d
	cs.views.Render(c, status, tpl, p)
}

// routing shows the rule table, the router choice and the simulator.
func (cs *Console) routing(c *gin.Context) {
	p := cs.page(c, "routing_title", "routing")
	p.Form = url.Values{"active": {"on"}}
	cs.showRouting(c, p, http.StatusOK, "routing.html", nil)
}

// ruleJSON is the API's rule input.
type ruleJSON struct {
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

func ruleForm(f *web.Form) ruleJSON {
	active := f.Bool("active")
	r := ruleJSON{Name: f.String("name"), Active: &active, Category: f.String("category"), Group: f.String("group"),
		District: f.String("district"), BuildingID: f.OptInt64("building_id"), TimeFrom: f.String("time_from"), TimeTo: f.String("time_to"),
		Target: f.String("target"), OrganizationID: f.OptInt64("organization_id"), Priority: core.Priority(f.String("priority"))}
	switch f.String("emergency") {
	case "yes":
		t := true
		r.Emergency = &t
	case "no":
		fl := false
		r.Emergency = &fl
	}
	return r
}

func (cs *Console) saveRule(c *gin.Context, id string) {
	f := web.ReadForm(c)
	in := ruleForm(f)
	p := cs.page(c, "routing_title", "routing")
	p.Form = f.Values
	err := f.Err()
	tpl := "routing.html"
	if err == nil && id == "" {
		err = cs.api.call(c, "POST", "/routing/rules", nil, nil, in, nil)
	} else if err == nil {
		tpl = "rule.html"
		err = cs.api.call(c, "PUT", "/routing/rules/:id", gin.Params{{Key: "id", Value: id}}, nil, in, nil)
	}
	if err != nil {
		if id != "" {
			tpl = "rule.html"
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		cs.showRouting(c, p, p.SetError(c, err), tpl, func(d *routingData) { d.Edit = &core.RoutingRule{ID: n} })
		return
	}
	done(c, "/routing")
}

func (cs *Console) createRule(c *gin.Context) { cs.saveRule(c, "") }
func (cs *Console) updateRule(c *gin.Context) { cs.saveRule(c, c.Param("id")) }

// editRule shows one rule's form, filled from the rule table.
func (cs *Console) editRule(c *gin.Context) {
	p := cs.page(c, "rule_edit", "routing")
	d, err := cs.routingData(c)
	if err != nil {
		cs.views.Fail(c, "rule.html", p, err)
		return
	}
	for i := range d.Rules {
		r := d.Rules[i]
		if strconv.FormatInt(r.ID, 10) != c.Param("id") {
			continue
		}
		d.Edit = &r
		p.Form = url.Values{"name": {r.Name}, "category": {r.Category}, "group": {r.Group}, "district": {r.District},
			"time_from": {r.TimeFrom}, "time_to": {r.TimeTo}, "target": {r.Target}, "priority": {string(r.Priority)}}
		if r.Active {
			p.Form.Set("active", "on")
		}
		if r.BuildingID != nil {
			p.Form.Set("building_id", strconv.FormatInt(*r.BuildingID, 10))
		}
		if r.OrganizationID != nil {
			p.Form.Set("organization_id", strconv.FormatInt(*r.OrganizationID, 10))
		}
		if r.Emergency != nil {
			p.Form.Set("emergency", map[bool]string{true: "yes", false: "no"}[*r.Emergency])
		}
		p.Data = d
		cs.views.Render(c, http.StatusOK, "rule.html", p)
		return
	}
	cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
}

func (cs *Console) deleteRule(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "confirm_title", "routing")
	cf := web.Confirmation{Question: "confirm_delete_rule", Subject: "#" + c.Param("id"), Action: c.Request.URL.Path,
		Back: base(c) + "/routing", Hidden: f.Values, Danger: true}
	if !web.Confirmed(f) {
		cs.views.Confirm(c, p, cf)
		return
	}
	if err := cs.api.call(c, "DELETE", "/routing/rules/:id", gin.Params{{Key: "id", Value: c.Param("id")}}, nil, nil, nil); err != nil {
		p.SetError(c, err)
		cf.Hidden = nil
		cs.views.Confirm(c, p, cf)
		return
	}
	done(c, "/routing")
}

// saveRoutingSettings chooses the built-in rules or a catalog plugin with
// its JSON config.
func (cs *Console) saveRoutingSettings(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "routing_title", "routing")
	p.Form = f.Values
	in := routingSettings{Router: f.String("router"), Plugin: f.String("plugin")}
	if cfg := f.String("config"); cfg != "" {
		if !json.Valid([]byte(cfg)) {
			f.Errors.Add("config", "must be a JSON object")
		}
		in.Config = json.RawMessage(cfg)
	}
	err := f.Err()
	if err == nil {
		err = cs.api.call(c, "PUT", "/routing/settings", nil, nil, in, nil)
	}
	if err != nil {
		cs.showRouting(c, p, p.SetError(c, err), "routing.html", nil)
		return
	}
	done(c, "/routing")
}

// testRouting runs the simulator: where would such a request go, and why.
func (cs *Console) testRouting(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "routing_title", "routing")
	p.Form = f.Values
	p.Form.Set("active", "on") // the add-rule form below keeps its default
	in := routeTest{Category: f.String("test_category"), BuildingID: f.OptInt64("test_building_id"), Address: f.String("test_address"),
		Priority: core.Priority(f.String("test_priority"))}
	var res routeResult
	err := f.Err()
	if err == nil {
		err = cs.api.call(c, "POST", "/routing/test", nil, nil, in, &res)
	}
	if err != nil {
		status := p.SetError(c, err)
		for _, k := range []string{"category", "building_id", "address", "priority"} {
			if m, ok := p.Errors[k]; ok {
				p.Errors["test_"+k] = m
				delete(p.Errors, k)
			}
		}
		cs.showRouting(c, p, status, "routing.html", nil)
		return
	}
	cs.showRouting(c, p, http.StatusOK, "routing.html", func(d *routingData) { d.Result = &res })
}

// moveRule moves a rule up, down or to the top of the table through the
// API's reorder.
func (cs *Console) moveRule(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "routing_title", "routing")
	var rules list[core.RoutingRule]
	if err := cs.api.call(c, "GET", "/routing/rules", nil, nil, nil, &rules); err != nil {
		cs.views.Fail(c, "routing.html", p, err)
		return
	}
	ids := make([]int64, len(rules.Items))
	at := -1
	for i, r := range rules.Items {
		ids[i] = r.ID
		if strconv.FormatInt(r.ID, 10) == c.Param("id") {
			at = i
		}
	}
	if at < 0 {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	switch f.String("dir") {
	case "top":
		moved := ids[at]
		copy(ids[1:at+1], ids[:at])
		ids[0] = moved
	case "up":
		if at > 0 {
			ids[at-1], ids[at] = ids[at], ids[at-1]
		}
	case "down":
		if at < len(ids)-1 {
			ids[at+1], ids[at] = ids[at], ids[at+1]
		}
	}
	if err := cs.api.call(c, "POST", "/routing/rules/reorder", nil, nil, map[string][]int64{"ids": ids}, nil); err != nil {
		cs.showRouting(c, p, p.SetError(c, err), "routing.html", nil)
		return
	}
	done(c, "/routing")
}
