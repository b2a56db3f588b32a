package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The services authorize every call themselves, whichever adapter calls
// them: a refused caller gets EFORBIDDEN before any storage is touched (the
// stores here have no implementation, so reaching one would panic), and an
// allowed caller with bad input gets the field errors, still before storage.
func TestServicesCheckTheirGate(t *testing.T) {
	ctx := context.Background()
	gate := Gate{Authz: StaticAuthorizer(DefaultPolicies), City: "kazan"}
	dir := &DirectoryAdmin{Store: struct{ DirectoryStore }{}, Gate: gate}
	ra := &RoutingAdmin{Store: struct{ RoutingAdminStore }{}, Gate: gate, Now: time.Now, Location: time.UTC}
	set := &Settings{Store: struct{ SettingsStore }{}, Gate: gate, Location: time.UTC}
	users := &Users{Store: struct{ UserStore }{}, Access: struct{ PolicyStore }{}, Gate: gate, Now: time.Now}
	reqs := &Requests{Store: struct{ Store }{}, Gate: gate, Now: time.Now, Location: time.UTC}
	citizen := Actor{UserID: 7, Role: RoleCitizen}
	analyst := Actor{UserID: 8, Role: RoleAnalyst}
	admin := Actor{UserID: 1, Role: RoleCityAdmin}

	refused := map[string]func(Actor) error{
		"add a district": func(a Actor) error {
			_, err := dir.Districts().Save(ctx, a, "", &District{Code: "north", NameRU: "Север", NameEN: "North"})
			return err
		},
		"delete a category":      func(a Actor) error { return dir.Categories().Delete(ctx, a, "lift") },
		"change an organization": func(a Actor) error { _, err := dir.Organizations().Save(ctx, a, "uk-1", &Organization{}); return err },
		"import buildings": func(a Actor) error {
			_, err := dir.ImportBuildings(ctx, a, strings.NewReader("registry_id,address_ru,district\n"))
			return err
		},
		"export buildings":    func(a Actor) error { return dir.ExportBuildings(ctx, Actor{Role: RoleAnonymous}, "ru", ';', nil) },
		"read routing rules":  func(a Actor) error { _, err := ra.Rules(ctx, a); return err },
		"add a routing rule":  func(a Actor) error { _, err := ra.AddRule(ctx, a, RuleInput{}); return err },
		"move a routing rule": func(a Actor) error { return ra.MoveRule(ctx, a, 1, MoveTop) },
		"choose a router": func(a Actor) error {
			_, err := ra.ChooseRouter(ctx, a, RouterChoice{Router: RouterRules})
			return err
		},
		"test a route":           func(a Actor) error { _, err := ra.TestRoute(ctx, a, RouteTest{}); return err },
		"read settings":          func(a Actor) error { _, err := set.Get(ctx, a); return err },
		"change settings":        func(a Actor) error { _, err := set.Put(ctx, a, CitySettings{}); return err },
		"change access settings": func(a Actor) error { _, err := set.PutAccess(ctx, a, AccessSettings{}); return err },
		"list users":             func(a Actor) error { _, err := users.List(ctx, a); return err },
		"invite a user":          func(a Actor) error { _, err := users.Invite(ctx, a, NewUser{Login: "x"}); return err },
		"change a user":          func(a Actor) error { _, err := users.Change(ctx, a, 2, UserPatch{}); return err },
		"grant a policy":         func(a Actor) error { _, err := users.Grant(ctx, a, Policy{}); return err },
		"withdraw a policy":      func(a Actor) error { return users.Withdraw(ctx, a, Policy{}) },
		"list roles":             func(a Actor) error { _, err := users.Roles(ctx, a); return err },
		"assign a request": func(a Actor) error {
			_, err := reqs.Act(ctx, a, "2026-000001", ActionAssign, ActionInput{Organization: "uk-1"})
			return err
		},
		"reject a request": func(a Actor) error {
			_, err := reqs.Act(ctx, a, "2026-000001", ActionReject, ActionInput{})
			return err
		},
	}
	for name, call := range refused {
		for _, a := range []Actor{citizen, analyst, {}} {
			if err := call(a); ErrorCode(err) != EFORBIDDEN {
				t.Errorf("%s as %q: %v, want forbidden", name, a.Role, err)
			}
		}
	}

	// Analysts read requests and nothing more.
	for name, call := range map[string]func() error{
		"submit": func() error {
			_, _, err := reqs.Submit(ctx, analyst, NewRequest{Category: "lift"}, "")
			return err
		},
		"comment": func() error { _, err := reqs.Comment(ctx, analyst, "2026-000001", "x", true); return err },
		"rate":    func() error { _, err := reqs.Rate(ctx, analyst, "2026-000001", 5, ""); return err },
	} {
		if err := call(); ErrorCode(err) != EFORBIDDEN {
			t.Errorf("an analyst's %s: %v, want forbidden", name, err)
		}
	}

	invalid := map[string]struct {
		field string
		call  func() error
	}{
		"district without names": {"name_ru", func() error {
			_, err := dir.Districts().Save(ctx, admin, "", &District{Code: "north"})
			return err
		}},
		"building page too large": {"limit", func() error {
			_, err := dir.Buildings(ctx, admin, BuildingQuery{Limit: MaxBuildingPage + 1})
			return err
		}},
		"building without an address": {"address_ru", func() error {
			_, err := dir.SaveBuilding(ctx, admin, 0, &Building{RegistryID: "r1", District: "north"})
			return err
		}},
		"plugin without a catalog": {"plugin", func() error {
			_, err := ra.ChooseRouter(ctx, admin, RouterChoice{Router: RouterPlugin, Plugin: "kazan@1.0.0"})
			return err
		}},
		"router config not an object": {"config", func() error {
			_, err := ra.ChooseRouter(ctx, admin, RouterChoice{Router: RouterRules, Config: []byte("[1]")})
			return err
		}},
		"working day ends before it starts": {"work_end", func() error {
			_, err := set.Put(ctx, admin, CitySettings{WorkStart: "18:00", WorkEnd: "09:00", AutoCloseDays: 3})
			return err
		}},
		"holiday listed twice": {"days", func() error {
			_, err := set.Put(ctx, admin, CitySettings{WorkStart: "09:00", WorkEnd: "18:00", AutoCloseDays: 3,
				Days: []CalendarDay{{Day: "2026-01-07"}, {Day: "2026-01-07"}}})
			return err
		}},
		"invite with a bad login": {"login", func() error {
			_, err := users.Invite(ctx, admin, NewUser{Login: "Not A Login", Role: RoleDispatcher})
			return err
		}},
		"invite as vendor": {"role", func() error {
			_, err := users.Invite(ctx, admin, NewUser{Login: "boss", Role: RoleVendorAdmin})
			return err
		}},
		"demote oneself": {"role", func() error {
			r := RoleDispatcher
			_, err := users.Change(ctx, admin, admin.UserID, UserPatch{Role: &r})
			return err
		}},
		"grant vendor rights": {"role", func() error {
			_, err := users.Grant(ctx, admin, Policy{Role: RoleVendorAdmin, Obj: ObjCity, Act: ActRead})
			return err
		}},
	}
	for name, tc := range invalid {
		err := tc.call()
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || e.Fields[tc.field].Code == "" {
			t.Errorf("%s: %v, want a message for %s", name, err, tc.field)
		}
	}
}
