package sdk

import (
	"encoding/json"
	"fmt"
	"github.com/opencity/opencity/core/clock"
	"time"

	"github.com/opencity/opencity/plugins/proto/routingv1"
)

// Router is what a plugin author implements: given a city (its config and
// directory) and a request, decide where the request goes.
type Router interface {
	Route(city *City, req Request) (Decision, error)
}

// ConfigValidator may be implemented by a Router to refuse a city's config
// at Configure time instead of at the first Route.
type ConfigValidator interface {
	ValidateConfig(city string, config json.RawMessage) error
}

// Request is a new request as a plugin sees it.
type Request struct {
	Category *routingv1.Category
	Building *routingv1.Building // nil when the request names no registry building
	District string              // district code, "" when unknown
	Priority string              // emergency, normal or planned
	Channel  string
	Address  string
	At       time.Time // intake time in the city's time zone
}

// Emergency reports whether the request is an emergency, by its category or
// its priority.
func (r Request) Emergency() bool {
	return r.Priority == "emergency" || (r.Category != nil && r.Category.Emergency)
}

// Decision is a plugin's answer. Set Organization (a code of the city's
// directory) or Triage, and always a Reason: it is shown in the request's
// history.
type Decision struct {
	Organization string
	Triage       bool
	Priority     string // "" keeps the request's priority
	Reason       string
}

// Assign is a decision for one organization.
func Assign(org *routingv1.Organization, format string, args ...any) Decision {
	return Decision{Organization: org.Code, Reason: fmt.Sprintf(format, args...)}
}

// Triage is a decision for the dispatcher's triage queue.
func Triage(format string, args ...any) Decision {
	return Decision{Triage: true, Reason: fmt.Sprintf(format, args...)}
}

// City is one configured city inside the plugin: its config and an indexed
// copy of its directory.
type City struct {
	Slug     string
	Config   json.RawMessage
	Location *time.Location
	Snapshot string

	categories map[string]*routingv1.Category
	orgs       map[string]*routingv1.Organization
	orgList    []*routingv1.Organization
	buildings  map[int64]*routingv1.Building
}

func newCity(in *routingv1.ConfigureRequest) (*City, error) {
	d := in.GetDirectory()
	loc, err := time.LoadLocation(d.GetTimezone())
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", d.GetTimezone(), err)
	}
	c := &City{Slug: in.GetCity(), Config: json.RawMessage(in.GetConfigJson()), Location: loc, Snapshot: in.GetSnapshot(),
		categories: map[string]*routingv1.Category{}, orgs: map[string]*routingv1.Organization{},
		buildings: map[int64]*routingv1.Building{}}
	for _, k := range d.GetCategories() {
		c.categories[k.GetCode()] = k
	}
	for _, o := range d.GetOrganizations() {
		c.orgs[o.GetCode()] = o
		c.orgList = append(c.orgList, o)
	}
	for _, b := range d.GetBuildings() {
		c.buildings[b.GetId()] = b
	}
	return c, nil
}

// Category returns the category with code, nil when unknown.
func (c *City) Category(code string) *routingv1.Category { return c.categories[code] }

// Organization returns the organization with code, nil when unknown.
func (c *City) Organization(code string) *routingv1.Organization { return c.orgs[code] }

// Building returns the registry building with id, nil when unknown.
func (c *City) Building(id int64) *routingv1.Building { return c.buildings[id] }

// Find returns the first organization of kind that serves district (any
// district when district is "") and passes keep (nil keeps all), in
// directory order.
func (c *City) Find(kind, district string, keep func(*routingv1.Organization) bool) *routingv1.Organization {
	for _, o := range c.orgList {
		if o.GetKind() != kind || (keep != nil && !keep(o)) {
			continue
		}
		if district == "" || serves(o, district) {
			return o
		}
	}
	return nil
}

// ResourceSupplier returns the supplier of utility serving district (or any
// supplier of it when none serves the district), nil when the city has none.
func (c *City) ResourceSupplier(utility, district string) *routingv1.Organization {
	if utility == "" {
		return nil
	}
	same := func(o *routingv1.Organization) bool { return o.GetUtility() == utility }
	if o := c.Find("resource_supplier", district, same); o != nil {
		return o
	}
	return c.Find("resource_supplier", "", same)
}

func serves(o *routingv1.Organization, district string) bool {
	for _, d := range o.GetDistricts() {
		if d == district {
			return true
		}
	}
	return false
}

// InWindow reports whether the clock time of t lies in [from, to), both
// "HH:MM" from 00:00 to 24:00; a window whose end is before its start wraps
// midnight (22:00–07:00). It is OpenCity's own rule (core/clock), the one
// the city's routing rules use.
func InWindow(t time.Time, from, to string) bool { return clock.InWindow(t, from, to) }

// ValidClock reports whether s is a clock time "HH:MM" from 00:00 to 24:00.
func ValidClock(s string) bool { return clock.Valid(s) }
