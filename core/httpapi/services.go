package httpapi

import (
	"time"

	"github.com/opencity/opencity/core"
)

// Services builds a city's use-case services from the server's shared
// parts. The API and the consoles get theirs here, so both call the same
// services with the same authorization and validation.
type Services struct {
	Authz core.Authorizer
	// Policies manages the cities' access policies.
	Policies core.PolicyStore
	// Routing gives each city's effective router; nil means built-in rules
	// only, and no plugin may be chosen.
	Routing Routing
	Now     func() time.Time
	// Intake is told of every new request (metrics); nil for nobody.
	Intake core.IntakeObserver
	// Statistics keeps recent public statistics answers; nil counts
	// every time.
	Statistics *core.StatisticsCache
	// Baselines keeps the hot spots' recent baselines; nil counts them
	// every time.
	Baselines *core.BaselineCache
	// Changes is told after a city's requests changed; nil for nobody.
	Changes core.ChangeObserver
}

// Services returns the services the API is wired with.
func (a *API) Services() Services {
	return Services{Authz: a.Authz, Policies: a.Policies, Routing: a.Routing, Now: a.Now, Intake: a.Intake, Statistics: a.Statistics, Baselines: a.Baselines, Changes: a.Changes}
}

func (s Services) gate(city *City) core.Gate { return core.Gate{Authz: s.Authz, City: city.Slug} }

// Directory is the city's directory: districts, categories and their
// groups, organizations, buildings.
func (s Services) Directory(city *City) *core.DirectoryAdmin {
	return &core.DirectoryAdmin{Store: city.Store, Gate: s.gate(city)}
}

// RouterFor returns the city's effective router: through Routing when the
// server has plugins, otherwise the city's built-in rules. It never returns
// an error from the plugin path (those fall back), only from the rules'
// storage when there is no Routing.
func (s Services) RouterFor(city *City) core.Router {
	if s.Routing != nil {
		return s.Routing.Router(city)
	}
	return core.RulesRouter{Store: city.Store}
}

// RoutingAdmin is the city's routing administration and simulator.
func (s Services) RoutingAdmin(city *City) *core.RoutingAdmin {
	ra := &core.RoutingAdmin{Store: city.Store, Gate: s.gate(city), Router: s.RouterFor(city), Location: city.Location, Now: s.Now}
	if s.Routing != nil {
		ra.Plugins = s.Routing
	}
	return ra
}

// Settings is the city's working calendar, auto-close and access settings.
func (s Services) Settings(city *City) *core.Settings {
	return &core.Settings{Store: city.Store, Gate: s.gate(city), Location: city.Location}
}

// Users is the city's user management and policies.
func (s Services) Users(city *City) *core.Users {
	return &core.Users{Store: city.Store, Access: s.Policies, Gate: s.gate(city), Now: s.Now}
}

// Requests is the city's intake and request lifecycle, routed by the
// city's effective router.
func (s Services) Requests(city *City) *core.Requests {
	return &core.Requests{Store: city.Store, Gate: s.gate(city), City: city.Slug, Location: city.Location, Router: s.RouterFor(city), Now: s.Now,
		Observer: s.Intake, Outages: city.Store, Changes: s.Changes}
}

// Webhooks is the city's outbound webhook endpoints and deliveries.
func (s Services) Webhooks(city *City) *core.Webhooks {
	return &core.Webhooks{Store: city.Store, Gate: s.gate(city), Now: s.Now, City: city.Slug, Changes: s.Changes}
}

// Imports is the city's import connectors; their records enter through
// the city's intake (Requests).
func (s Services) Imports(city *City) *core.Imports {
	return &core.Imports{Store: city.Store, Requests: s.Requests(city), Gate: s.gate(city), Now: s.Now}
}

// Notices is the city's notification templates and opt-outs.
func (s Services) Notices(city *City) *core.Notices {
	return &core.Notices{Store: city.Store, Gate: s.gate(city), Now: s.Now}
}

// Desk is the city's dispatcher desk: its queues, counts and pages.
func (s Services) Desk(city *City) *core.Desk {
	return &core.Desk{Store: city.Store, Gate: s.gate(city), Now: s.Now}
}

// Outages is the city's outages: declared, shown to residents, closed with
// their requests.
func (s Services) Outages(city *City) *core.Outages {
	return &core.Outages{Store: city.Store, Gate: s.gate(city), Now: s.Now, City: city.Slug, Changes: s.Changes}
}

// Wishes is the headquarters' weekly list of the city's wishes.
func (s Services) Wishes(city *City) *core.Wishes {
	return &core.Wishes{Store: city.Store, Decisions: city.Store, Requests: s.Requests(city), Gate: s.gate(city), Location: city.Location, Now: s.Now}
}

// Analytics is HQ's figures of the city, read-only.
func (s Services) Analytics(city *City) *core.Analytics {
	return &core.Analytics{Store: city.Store, Gate: s.gate(city), Location: city.Location, Now: s.Now, City: city.Slug, Baselines: s.Baselines}
}

// PublicStatistics is the city's open statistics, readable by everyone.
func (s Services) PublicStatistics(city *City) *core.PublicStatistics {
	return &core.PublicStatistics{Store: city.Store, City: city.Slug, Location: city.Location, Now: s.Now, Cache: s.Statistics}
}

// PublicIntake is the city's intake of people without an account.
func (s Services) PublicIntake(city *City) *core.PublicIntake {
	return &core.PublicIntake{Store: city.Store, Requests: s.Requests(city), Gate: s.gate(city)}
}

// Accounts is the city's logins, registrations, invitations, passwords and
// API tokens.
func (s Services) Accounts(city *City) *core.Accounts {
	return &core.Accounts{Store: city.Store, Gate: s.gate(city), Now: s.Now}
}
