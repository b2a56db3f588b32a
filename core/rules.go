package core

import (
	"context"
	"encoding/json"
	"github.com/opencity/opencity/core/clock"
	"github.com/opencity/opencity/core/i18n"
	"strings"
	"time"
)

// Targets of a routing rule.
const (
	TargetOrganization      = "organization"       // a fixed organization
	TargetManagementCompany = "management_company" // the building's management company
	TargetResourceSupplier  = "resource_supplier"  // the supplier of the category's utility
	TargetTriage            = "triage"             // the dispatcher's triage queue
)

// Targets lists every rule target.
var Targets = []string{TargetOrganization, TargetManagementCompany, TargetResourceSupplier, TargetTriage}

// RoutingRule is one row of a city's ordered rule table. Empty match fields
// match anything; the first active rule that matches and whose target can be
// resolved decides.
type RoutingRule struct {
	ID       int64  `bun:"id,pk,autoincrement" json:"id"`
	Position int    `bun:"position,notnull" json:"position"`
	Name     string `bun:"name,notnull" json:"name"`
	// NameCode is the catalog message that names a starter rule in the
	// reader's language ("rule.starter.management_company"); "" for a rule
	// the admin named, whose Name is shown as written.
	NameCode string `bun:"name_code,notnull" json:"name_code,omitempty"`
	Active   bool   `bun:"active,notnull" json:"active"`
	// Match.
	Category   string `bun:"category_code,notnull" json:"category"`
	Group      string `bun:"group_code,notnull" json:"group"`
	District   string `bun:"district_code,notnull" json:"district"`
	BuildingID *int64 `bun:"building_id" json:"building_id"`
	TimeFrom   string `bun:"time_from,notnull" json:"time_from"` // "HH:MM" city time, "" all day
	TimeTo     string `bun:"time_to,notnull" json:"time_to"`
	Emergency  *bool  `bun:"emergency" json:"emergency"` // nil: either
	// Outcome.
	Target         string   `bun:"target,notnull" json:"target" enum:"rule_targets"`
	OrganizationID *int64   `bun:"organization_id" json:"organization_id"`
	Priority       Priority `bun:"priority,notnull" json:"priority,omitempty"` // "" keeps the request's
}

// Validate checks the rule's shape; the store checks that the codes and ids
// it names exist in the city.
func (r *RoutingRule) Validate() error {
	f := FieldErrors{}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len([]rune(r.Name)) > 200 {
		f.Add("name", "error.required_200")
	}
	switch r.Target {
	case TargetOrganization:
		if r.OrganizationID == nil {
			f.Add("organization_id", "error.org_required_for_target")
		}
	case TargetManagementCompany, TargetResourceSupplier, TargetTriage:
		if r.OrganizationID != nil {
			f.Add("organization_id", "error.org_only_for_target")
		}
	default:
		f.Add("target", "error.one_of", "List", strings.Join(Targets, ", "))
	}
	if (r.TimeFrom == "") != (r.TimeTo == "") {
		f.Add("time_to", "error.time_pair")
	}
	for field, v := range map[string]string{"time_from": r.TimeFrom, "time_to": r.TimeTo} {
		if v != "" && !clock.Valid(v) {
			f.Add(field, "error.time_of_day")
		}
	}
	if r.Priority != "" && !r.Priority.Valid() {
		f.Add("priority", "error.empty_or_one_of", "List", strings.Join(Names(Priorities), ", "))
	}
	return f.Err()
}

// RoutingSettings say which router a city uses.
type RoutingSettings struct {
	// Plugin is "name@version" of a catalog plugin, "" for the built-in rules.
	Plugin string
	// Config is the plugin's JSON config for this city.
	Config json.RawMessage
	// UpdatedAt changes with every save; plugins are reconfigured after it.
	UpdatedAt time.Time
}

// Directory is a snapshot of a city's directory, as routers see it.
type Directory struct {
	Categories    []Category
	Groups        []CategoryGroup
	Districts     []District
	Organizations []Organization
	// OrgDistricts lists the district ids each organization serves.
	OrgDistricts map[int64][]int64
	Buildings    []Building // only when asked for
}

// District returns the district with id, nil when unknown.
func (d *Directory) District(id int64) *District {
	for i := range d.Districts {
		if d.Districts[i].ID == id {
			return &d.Districts[i]
		}
	}
	return nil
}

// Category returns the category with id, nil when unknown.
func (d *Directory) Category(id int64) *Category {
	for i := range d.Categories {
		if d.Categories[i].ID == id {
			return &d.Categories[i]
		}
	}
	return nil
}

// Organization returns the organization with id, nil when unknown.
func (d *Directory) Organization(id int64) *Organization {
	for i := range d.Organizations {
		if d.Organizations[i].ID == id {
			return &d.Organizations[i]
		}
	}
	return nil
}

// DistrictByCode returns the district with code, nil when unknown.
func (d *Directory) DistrictByCode(code string) *District {
	for i := range d.Districts {
		if d.Districts[i].Code == code {
			return &d.Districts[i]
		}
	}
	return nil
}

// OrganizationByCode returns the organization with code, nil when unknown.
func (d *Directory) OrganizationByCode(code string) *Organization {
	for i := range d.Organizations {
		if d.Organizations[i].Code == code {
			return &d.Organizations[i]
		}
	}
	return nil
}

// Serves reports whether organization org serves district.
func (d *Directory) Serves(org, district int64) bool {
	for _, x := range d.OrgDistricts[org] {
		if x == district {
			return true
		}
	}
	return false
}

// ResourceSupplier returns the active supplier of utility serving district
// (any supplier of it when none serves the district or district is 0).
func (d *Directory) ResourceSupplier(utility string, district int64) *Organization {
	var any *Organization
	for i := range d.Organizations {
		o := &d.Organizations[i]
		if o.Kind != OrgResourceSupplier || o.Utility != utility || utility == "" || !o.Active {
			continue
		}
		if district != 0 && d.Serves(o.ID, district) {
			return o
		}
		if any == nil {
			any = o
		}
	}
	return any
}

// RoutingStore is what the built-in router reads from a city's storage.
type RoutingStore interface {
	RoutingRules(ctx context.Context) ([]RoutingRule, error)
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
}

// RulesRouter is the built-in router: the city's rule table, applied by
// ApplyRules.
type RulesRouter struct {
	Store RoutingStore
}

// Route implements Router.
func (r RulesRouter) Route(ctx context.Context, in RouteInput) (Decision, error) {
	rules, err := r.Store.RoutingRules(ctx)
	if err != nil {
		return Decision{}, err
	}
	dir, err := r.Store.Directory(ctx, false)
	if err != nil {
		return Decision{}, err
	}
	return ApplyRules(rules, dir, in), nil
}

// ApplyRules decides by the first active rule that matches in and whose
// target resolves to an active organization; without one, the request goes
// to triage. It is a pure function of its inputs.
func ApplyRules(rules []RoutingRule, dir *Directory, in RouteInput) Decision {
	district := int64(0)
	if in.Building != nil {
		district = in.Building.DistrictID
	} else if in.Request != nil && in.Request.DistrictID != nil {
		district = *in.Request.DistrictID
	}
	districtCode := ""
	if d := dir.District(district); d != nil {
		districtCode = d.Code
	}
	emergency := in.Category.Emergency || (in.Request != nil && in.Request.Priority == PriorityEmergency)
	var skipped []Msg
	for _, r := range rules {
		if !r.Active || !r.matches(in, districtCode, emergency) {
			continue
		}
		if r.Target == TargetTriage {
			return Decision{Triage: true, Priority: r.Priority, Source: "rules",
				Reason: M("route.rule_triage", "Rule", r.Position, "Name", r.Label())}
		}
		org, why, miss := r.resolve(dir, in, district)
		if org == nil {
			skipped = append(skipped, M("route.skipped", "Rule", r.Position, "Name", r.Label(), "Miss", miss))
			continue
		}
		return Decision{OrganizationID: org.ID, Priority: r.Priority, Source: "rules",
			Reason: M("route.rule_org", "Rule", r.Position, "Name", r.Label(), "Why", why, "Org", org.Code)}
	}
	if len(skipped) > 0 {
		return Decision{Triage: true, Reason: M("route.no_rule_skipped", "Skipped", skipped), Source: "rules"}
	}
	return Decision{Triage: true, Reason: M("route.no_rule"), Source: "rules"}
}

// Label is the rule's name as a message argument: its catalog message
// (NameCode), rendered in the reader's language, or the admin's words.
func (r *RoutingRule) Label() any {
	if r.NameCode != "" {
		return i18n.Code(r.NameCode)
	}
	return r.Name
}

// Keeps reports whether name, as an admin sent it back with a change of
// the rule, leaves a starter rule's catalog name in place: the stored name
// or the rule's name in any language the catalog speaks.
func (r *RoutingRule) Keeps(name string) bool {
	name = strings.TrimSpace(name)
	switch {
	case r.NameCode == "" || name == "":
		return false
	case name == r.Name:
		return true
	}
	for _, l := range i18n.Languages {
		if name == i18n.Text(l, r.NameCode, nil) {
			return true
		}
	}
	return false
}

func (r *RoutingRule) matches(in RouteInput, district string, emergency bool) bool {
	switch {
	case r.Category != "" && r.Category != in.Category.Code,
		r.Group != "" && r.Group != in.Category.GroupCode,
		r.District != "" && r.District != district,
		r.BuildingID != nil && (in.Building == nil || in.Building.ID != *r.BuildingID),
		r.Emergency != nil && *r.Emergency != emergency,
		r.TimeFrom != "" && !clock.InWindow(in.At, r.TimeFrom, r.TimeTo):
		return false
	}
	return true
}

// resolve finds the rule's organization and says why it is the one, or
// says why it could not (catalog messages route.why.*, route.miss.*).
func (r *RoutingRule) resolve(dir *Directory, in RouteInput, district int64) (org *Organization, why, miss Msg) {
	switch r.Target {
	case TargetOrganization:
		if o := dir.Organization(*r.OrganizationID); o != nil && o.Active {
			return o, M("route.why.fixed"), Msg{}
		}
		return nil, Msg{}, M("route.miss.org_gone")
	case TargetManagementCompany:
		if in.Building == nil || in.Building.ManagementCompanyID == nil {
			return nil, Msg{}, M("route.miss.no_management_company")
		}
		if o := dir.Organization(*in.Building.ManagementCompanyID); o != nil && o.Active {
			return o, M("route.why.management_company"), Msg{}
		}
		return nil, Msg{}, M("route.miss.management_company_inactive")
	case TargetResourceSupplier:
		if in.Category.Utility == "" {
			return nil, Msg{}, M("route.miss.no_utility", "Category", in.Category.Code)
		}
		if o := dir.ResourceSupplier(in.Category.Utility, district); o != nil {
			return o, M("route.why.supplier", "Utility", i18n.Code("utility."+in.Category.Utility)), Msg{}
		}
		return nil, Msg{}, M("route.miss.no_supplier", "Utility", i18n.Code("utility."+in.Category.Utility))
	}
	return nil, Msg{}, M("route.miss.unknown_target", "Target", r.Target)
}
