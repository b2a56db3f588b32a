package cityconsole

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

type routingData struct {
	Rules         []core.RoutingRule
	Settings      core.RouterChoice
	Categories    []core.Category
	Groups        []core.CategoryGroup
	Districts     []core.District
	Organizations []core.Organization
	Targets       []string
	Result        *core.RouteTrial
	Edit          *core.RoutingRule
}

func (cs *Console) routingData(c *gin.Context) (*routingData, error) {
	k := callOf(c)
	ra, dir := cs.routingAdmin(k), cs.directory(k)
	d := &routingData{Targets: []string{core.TargetOrganization, core.TargetManagementCompany, core.TargetResourceSupplier, core.TargetTriage}}
	var err error
	if d.Rules, err = ra.Rules(k.ctx, k.actor); err != nil {
		return nil, err
	}
	if d.Settings, err = ra.RouterChoice(k.ctx, k.actor); err != nil {
		return nil, err
	}
	if d.Categories, err = dir.Categories().List(k.ctx, k.actor, false); optional(err) != nil {
		return nil, err
	}
	if d.Groups, err = dir.CategoryGroups().List(k.ctx, k.actor, false); optional(err) != nil {
		return nil, err
	}
	if d.Districts, err = dir.Districts().List(k.ctx, k.actor, false); optional(err) != nil {
		return nil, err
	}
	if d.Organizations, err = dir.Organizations().List(k.ctx, k.actor, false); optional(err) != nil {
		return nil, err
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

func ruleForm(f *web.Form) core.RuleInput {
	active := f.Bool("active")
	r := core.RuleInput{Name: f.String("name"), Active: &active, Category: f.String("category"), Group: f.String("group"),
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

// ruleID reads the :id of a rule page; nil when it names no rule.
func ruleID(c *gin.Context) *int64 {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}

// saveRule adds a rule (id nil) or changes one.
func (cs *Console) saveRule(c *gin.Context, id *int64) {
	f := web.ReadForm(c)
	in := ruleForm(f)
	p := cs.page(c, "routing_title", "routing")
	p.Form = f.Values
	tpl := "routing.html"
	if id != nil {
		tpl = "rule.html"
	}
	err := f.Err()
	if err == nil {
		k := callOf(c)
		if id == nil {
			_, err = cs.routingAdmin(k).AddRule(k.ctx, k.actor, in)
		} else {
			_, err = cs.routingAdmin(k).ChangeRule(k.ctx, k.actor, *id, in)
		}
	}
	if err != nil {
		edit := &core.RoutingRule{}
		if id != nil {
			edit.ID = *id
		}
		cs.showRouting(c, p, p.SetError(c, err), tpl, func(d *routingData) { d.Edit = edit })
		return
	}
	done(c, "/routing")
}

func (cs *Console) createRule(c *gin.Context) { cs.saveRule(c, nil) }

func (cs *Console) updateRule(c *gin.Context) {
	id := ruleID(c)
	if id == nil {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	cs.saveRule(c, id)
}

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
		name := r.Name
		if r.NameCode != "" {
			name = p.T(r.NameCode)
		}
		p.Form = url.Values{"name": {name}, "category": {r.Category}, "group": {r.Group}, "district": {r.District},
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
	id := ruleID(c)
	if id == nil {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	k := callOf(c)
	if err := cs.routingAdmin(k).DeleteRule(k.ctx, k.actor, *id); err != nil {
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
	in := core.RouterChoice{Router: f.String("router"), Plugin: f.String("plugin")}
	if cfg := f.String("config"); cfg != "" {
		in.Config = []byte(cfg)
	}
	err := f.Err()
	if err == nil {
		k := callOf(c)
		_, err = cs.routingAdmin(k).ChooseRouter(k.ctx, k.actor, in)
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
	in := core.RouteTest{Category: f.String("test_category"), BuildingID: f.OptInt64("test_building_id"), Address: f.String("test_address"),
		Priority: core.Priority(f.String("test_priority"))}
	var res *core.RouteTrial
	err := f.Err()
	if err == nil {
		k := callOf(c)
		res, err = cs.routingAdmin(k).TestRoute(k.ctx, k.actor, in)
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
	cs.showRouting(c, p, http.StatusOK, "routing.html", func(d *routingData) { d.Result = res })
}

// moveRule moves a rule up, down or to the top of the table.
func (cs *Console) moveRule(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "routing_title", "routing")
	id := ruleID(c)
	if id == nil {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	k := callOf(c)
	err := cs.routingAdmin(k).MoveRule(k.ctx, k.actor, *id, f.String("dir"))
	if core.ErrorCode(err) == core.ENOTFOUND {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	if err != nil {
		cs.showRouting(c, p, p.SetError(c, err), "routing.html", nil)
		return
	}
	done(c, "/routing")
}
