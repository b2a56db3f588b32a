package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
)

func ptr[T any](v T) *T { return &v }

// cityDirectory is a small city: two districts, a management company, two
// water suppliers (one per district), a yard contractor and the emergency
// service.
func cityDirectory() *core.Directory {
	return &core.Directory{
		Districts: []core.District{{ID: 1, Code: "north"}, {ID: 2, Code: "south"}},
		Organizations: []core.Organization{
			{ID: 10, Code: "uk-north", Kind: core.OrgManagementCompany, Active: true},
			{ID: 20, Code: "water-north", Kind: core.OrgResourceSupplier, Utility: "water", Active: true},
			{ID: 21, Code: "water-south", Kind: core.OrgResourceSupplier, Utility: "water", Active: true},
			{ID: 30, Code: "yards", Kind: core.OrgContractor, Active: true},
			{ID: 40, Code: "emergency", Kind: core.OrgCityService, Active: true},
			{ID: 50, Code: "closed", Kind: core.OrgContractor, Active: false},
		},
		OrgDistricts: map[int64][]int64{10: {1}, 20: {1}, 21: {2}, 30: {1, 2}, 40: {1, 2}},
	}
}

func TestApplyRules(t *testing.T) {
	rules := []core.RoutingRule{
		{Position: 1, Name: "night emergencies", Active: true, Emergency: ptr(true), TimeFrom: "22:00", TimeTo: "07:00",
			Target: core.TargetOrganization, OrganizationID: ptr(int64(40))},
		{Position: 2, Name: "disabled", Active: false, Target: core.TargetTriage},
		{Position: 3, Name: "closed org", Active: true, Category: "yard", Target: core.TargetOrganization, OrganizationID: ptr(int64(50))},
		{Position: 4, Name: "yards", Active: true, Category: "yard", District: "north", Target: core.TargetOrganization, OrganizationID: ptr(int64(30))},
		{Position: 5, Name: "building", Active: true, Group: "building", Target: core.TargetManagementCompany},
		{Position: 6, Name: "networks", Active: true, Group: "utilities", Target: core.TargetResourceSupplier, Priority: core.PriorityEmergency},
		{Position: 7, Name: "one building", Active: true, BuildingID: ptr(int64(99)), Target: core.TargetTriage},
	}
	north := &core.Building{ID: 1, DistrictID: 1, ManagementCompanyID: ptr(int64(10))}
	south := &core.Building{ID: 2, DistrictID: 2}
	lift := core.Category{Code: "lift", GroupCode: "building", Emergency: true}
	roof := core.Category{Code: "roof", GroupCode: "building"}
	water := core.Category{Code: "water", GroupCode: "utilities", Utility: "water", Emergency: true}
	yard := core.Category{Code: "yard", GroupCode: "territory"}
	wish := core.Category{Code: "wish", GroupCode: "wishes"}
	at := func(h, m int) time.Time { return time.Date(2026, 1, 5, h, m, 0, 0, time.UTC) }
	cases := []struct {
		name     string
		cat      core.Category
		b        *core.Building
		at       time.Time
		org      int64 // 0: triage
		priority core.Priority
		reason   string
	}{
		{"lift by day → management company", lift, north, at(12, 0), 10, "", "rule 5"},
		{"lift at 23:00 → emergency service", lift, north, at(23, 0), 40, "", "rule 1"},
		{"lift at 06:59 → emergency service", lift, north, at(6, 59), 40, "", "rule 1"},
		{"lift at 07:00 → management company", lift, north, at(7, 0), 10, "", "rule 5"},
		{"roof at night is no emergency", roof, north, at(23, 0), 10, "", "rule 5"},
		{"roof without a management company → triage", roof, south, at(12, 0), 0, "", "rule 5 «building» skipped"},
		{"roof without a building → triage", roof, nil, at(12, 0), 0, "", "no registry building"},
		{"water in the north", water, north, at(12, 0), 20, core.PriorityEmergency, "rule 6"},
		{"water in the south", water, south, at(12, 0), 21, core.PriorityEmergency, "rule 6"},
		{"water without a building → any supplier", water, nil, at(12, 0), 20, core.PriorityEmergency, "rule 6"},
		{"yard in the north skips the closed org", yard, north, at(12, 0), 30, "", "rule 4"},
		{"yard in the south → triage", yard, south, at(12, 0), 0, "", "rule 3 «closed org» skipped"},
		{"wish → triage", wish, north, at(12, 0), 0, "", "no routing rule"},
	}
	for _, c := range cases {
		in := core.RouteInput{City: "x", Category: c.cat, Building: c.b, At: c.at, Request: &core.Request{Priority: core.PriorityNormal}}
		d := core.ApplyRules(rules, cityDirectory(), in)
		if d.Source != "rules" || !strings.Contains(d.Reason.Text("en"), c.reason) {
			t.Errorf("%s: source %q reason %q, want %q", c.name, d.Source, d.Reason, c.reason)
		}
		if c.org == 0 {
			if !d.Triage || d.OrganizationID != 0 {
				t.Errorf("%s: want triage, got %+v", c.name, d)
			}
			continue
		}
		if d.Triage || d.OrganizationID != c.org || d.Priority != c.priority {
			t.Errorf("%s: got %+v, want org %d priority %q", c.name, d, c.org, c.priority)
		}
	}
	// An emergency priority on a normal category also counts as an emergency.
	in := core.RouteInput{Category: roof, Building: north, At: at(23, 30), Request: &core.Request{Priority: core.PriorityEmergency}}
	if d := core.ApplyRules(rules, cityDirectory(), in); d.OrganizationID != 40 {
		t.Errorf("emergency by priority: %+v", d)
	}
	// A district from the request when there is no building.
	in = core.RouteInput{Category: yard, At: at(12, 0), Request: &core.Request{DistrictID: ptr(int64(1))}}
	if d := core.ApplyRules(rules, cityDirectory(), in); d.OrganizationID != 30 {
		t.Errorf("yard by the request's district: %+v", d)
	}
	// No rules at all: triage.
	if d := core.ApplyRules(nil, cityDirectory(), in); !d.Triage {
		t.Errorf("empty table: %+v", d)
	}
}

func TestRoutingRuleValidate(t *testing.T) {
	cases := []struct {
		rule  core.RoutingRule
		field string
	}{
		{core.RoutingRule{Target: core.TargetTriage}, "name"},
		{core.RoutingRule{Name: "x", Target: "mayor"}, "target"},
		{core.RoutingRule{Name: "x", Target: core.TargetOrganization}, "organization_id"},
		{core.RoutingRule{Name: "x", Target: core.TargetTriage, OrganizationID: ptr(int64(1))}, "organization_id"},
		{core.RoutingRule{Name: "x", Target: core.TargetTriage, TimeFrom: "08:00"}, "time_to"},
		{core.RoutingRule{Name: "x", Target: core.TargetTriage, TimeFrom: "8:00", TimeTo: "09:00"}, "time_from"},
		{core.RoutingRule{Name: "x", Target: core.TargetTriage, TimeFrom: "08:00", TimeTo: "24:30"}, "time_to"},
		{core.RoutingRule{Name: "x", Target: core.TargetTriage, Priority: "asap"}, "priority"},
	}
	for _, c := range cases {
		err := c.rule.Validate()
		e, ok := err.(*core.Error)
		if !ok || e.Code != core.EINVALID || e.Fields[c.field].Code == "" {
			t.Errorf("%+v: want a message for %s, got %v", c.rule, c.field, err)
		}
	}
	ok := core.RoutingRule{Name: "night", Target: core.TargetManagementCompany, TimeFrom: "22:00", TimeTo: "07:00"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid rule refused: %v", err)
	}
}
