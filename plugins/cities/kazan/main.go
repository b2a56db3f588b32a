// Command kazan is Kazan's routing plugin for OpenCity, following how Open
// Kazan dispatched requests: faults inside a building go to the building's
// management company, network faults to the resource supplier of that
// utility, yards to the district's improvement contractor, and emergencies
// at night to the city's emergency service.
package main

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/opencity/opencity/plugins/proto/routingv1"
	"github.com/opencity/opencity/plugins/sdk"
)

// config is the city's plugin config; every field has a default.
type config struct {
	// NightFrom and NightTo bound the night window, city time ("22:00", "07:00").
	NightFrom string `json:"night_from"`
	NightTo   string `json:"night_to"`
	// EmergencyService is the organization code that takes emergencies at night.
	EmergencyService string `json:"emergency_service"`
	// InsideBuilding are categories handled by the management company even
	// when they have a utility (hot water inside the building).
	InsideBuilding []string `json:"inside_building"`
	// Yards are the categories of the adjacent territory.
	Yards []string `json:"yards"`
	// YardContractors are the improvement contractors, by code.
	YardContractors []string `json:"yard_contractors"`
}

func defaults() config {
	return config{NightFrom: "22:00", NightTo: "07:00", EmergencyService: "emergency-service",
		InsideBuilding: []string{"lift", "roof-leak", "entrance-cleaning", "hot-water"},
		Yards:          []string{"yard-improvement"}, YardContractors: []string{"blago-sever", "zeleny-dvor"}}
}

func parse(raw json.RawMessage) (config, error) {
	c := defaults()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, err
		}
	}
	if !sdk.ValidClock(c.NightFrom) || !sdk.ValidClock(c.NightTo) {
		return c, errors.New("night_from and night_to must be HH:MM")
	}
	return c, nil
}

type kazan struct{}

// ValidateConfig implements sdk.ConfigValidator.
func (kazan) ValidateConfig(_ string, raw json.RawMessage) error {
	_, err := parse(raw)
	return err
}

// Route implements sdk.Router.
func (kazan) Route(city *sdk.City, r sdk.Request) (sdk.Decision, error) {
	c, err := parse(city.Config)
	if err != nil {
		return sdk.Decision{}, err
	}
	cat := r.Category
	if r.Emergency() && sdk.InWindow(r.At, c.NightFrom, c.NightTo) {
		if o := city.Organization(c.EmergencyService); o != nil {
			return sdk.Assign(o, "emergency at night (%s–%s city time): the emergency service", c.NightFrom, c.NightTo), nil
		}
	}
	switch {
	case slices.Contains(c.InsideBuilding, cat.Code) || (cat.Group == "building" && cat.Utility == ""):
		return managementCompany(city, r)
	case cat.Utility != "" && cat.Group == "utilities":
		if o := city.ResourceSupplier(cat.Utility, r.District); o != nil {
			return sdk.Assign(o, "network fault (%s): the resource supplier of that utility", cat.Utility), nil
		}
		return sdk.Triage("no resource supplier of %s in the directory", cat.Utility), nil
	case slices.Contains(c.Yards, cat.Code):
		if r.District == "" {
			return sdk.Triage("a yard request without a known district"), nil
		}
		yard := func(o *routingv1.Organization) bool { return slices.Contains(c.YardContractors, o.GetCode()) }
		if o := city.Find("contractor", r.District, yard); o != nil {
			return sdk.Assign(o, "yard in %s: the district's improvement contractor", r.District), nil
		}
		return sdk.Triage("no improvement contractor serves %s", r.District), nil
	}
	return sdk.Triage("Kazan's rules do not place category %s", cat.Code), nil
}

func managementCompany(city *sdk.City, r sdk.Request) (sdk.Decision, error) {
	if r.Building == nil || r.Building.GetManagementCompany() == "" {
		return sdk.Triage("a fault inside a building, but the building is not in the registry"), nil
	}
	o := city.Organization(r.Building.GetManagementCompany())
	if o == nil {
		return sdk.Triage("the building's management company is not in the directory"), nil
	}
	return sdk.Assign(o, "fault inside the building (%s): its management company", r.Category.Code), nil
}

func main() { sdk.Serve(kazan{}) }
