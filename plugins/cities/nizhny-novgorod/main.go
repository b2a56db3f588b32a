// Command nizhny-novgorod is Nizhny Novgorod's routing plugin for OpenCity.
// The city contracts specialists directly: lifts go to the lift service and
// roofs to the roofing contractor serving the district, not through the
// management company; heating faults in the heating season become
// emergencies; street lighting goes to the city's roads service; wishes go to
// the dispatcher.
package main

import (
	"encoding/json"
	"time"

	"github.com/opencity/opencity/plugins/sdk"
)

// config is the city's plugin config; every field has a default.
type config struct {
	// Specialists maps a category to the code of the contractor that takes it.
	Specialists map[string]string `json:"specialists"`
	// HeatingSeason is the first and last month (1–12) of the heating season.
	HeatingSeason [2]int `json:"heating_season"`
	// CityServices maps a category to a city service's code.
	CityServices map[string]string `json:"city_services"`
}

func parse(raw json.RawMessage) (config, error) {
	c := config{
		Specialists:   map[string]string{"lift": "liftservis-nn", "roof-leak": "krovlya-nn", "waste-removal": "ekovyvoz-nn"},
		HeatingSeason: [2]int{10, 4},
		CityServices:  map[string]string{"street-lighting": "roads-lighting"},
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

type nizhny struct{}

// ValidateConfig implements sdk.ConfigValidator.
func (nizhny) ValidateConfig(_ string, raw json.RawMessage) error {
	_, err := parse(raw)
	return err
}

func inSeason(t time.Time, season [2]int) bool {
	m := int(t.Month())
	if season[0] <= season[1] {
		return m >= season[0] && m <= season[1]
	}
	return m >= season[0] || m <= season[1]
}

// Route implements sdk.Router.
func (nizhny) Route(city *sdk.City, r sdk.Request) (sdk.Decision, error) {
	c, err := parse(city.Config)
	if err != nil {
		return sdk.Decision{}, err
	}
	cat := r.Category
	if code, ok := c.CityServices[cat.Code]; ok {
		if o := city.Organization(code); o != nil {
			return sdk.Assign(o, "%s is the city's own service", cat.Code), nil
		}
	}
	if code, ok := c.Specialists[cat.Code]; ok {
		if o := city.Organization(code); o != nil {
			return sdk.Assign(o, "%s goes straight to the specialist contractor", cat.Code), nil
		}
	}
	switch {
	case cat.Utility != "" && cat.Group == "utilities":
		o := city.ResourceSupplier(cat.Utility, r.District)
		if o == nil {
			return sdk.Triage("no resource supplier of %s", cat.Utility), nil
		}
		d := sdk.Assign(o, "network fault (%s): the resource supplier", cat.Utility)
		if cat.Utility == "heating" && inSeason(r.At, c.HeatingSeason) && r.Priority != "emergency" {
			d.Priority = "emergency"
			d.Reason += "; heating season, raised to emergency"
		}
		return d, nil
	case cat.Group == "building":
		if r.Building != nil {
			if o := city.Organization(r.Building.GetManagementCompany()); o != nil {
				return sdk.Assign(o, "building matter: its management company"), nil
			}
		}
		return sdk.Triage("a building matter without a registry building"), nil
	case cat.Group == "territory" && r.District != "":
		if o := city.Find("contractor", r.District, nil); o != nil && o.GetCode() != "" {
			return sdk.Assign(o, "territory in %s: the district's contractor", r.District), nil
		}
	}
	return sdk.Triage("reviewed by the dispatcher (%s)", cat.Code), nil
}

func main() { sdk.Serve(nizhny{}) }
