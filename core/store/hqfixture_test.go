package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// hqCity is a small city for HQ's figures: two districts, three buildings
// with known apartments (north: b1 100 and b2 60, both managed by mc-a;
// south: b3 40, managed by mc-b), a contractor serving the south and a
// heat supplier serving the north, and the people who act on requests.
type hqCity struct {
	st     *store.Store
	scope  store.Scope
	reqs   *core.Requests
	hq     *core.Analytics
	clock  time.Time
	loc    *time.Location
	people map[string]core.Actor
	bld    map[string]int64
}

// openHQCity provisions the city on backend kind; the HQ's clock stands at
// 12 November 2026, 12:00 in Moscow.
func openHQCity(t *testing.T, kind, slug string) *hqCity {
	t.Helper()
	ctx := context.Background()
	city := provisionCity(t, kind, slug)
	st, scope := city.Store, city.Scope
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	org := func(code, kind, utility string, districts ...string) store.SeedOrganization {
		return store.SeedOrganization{Organization: core.Organization{Code: code, Kind: kind, NameRU: "Организация " + code,
			NameEN: "Organization " + code, Utility: utility, Active: true}, Districts: districts}
	}
	bld := func(reg, district, mc string, apts int) store.SeedBuilding {
		return store.SeedBuilding{Building: core.Building{RegistryID: reg, AddressRU: "ул. Тестовая, " + reg, Apartments: apts,
			Lat: core.Coord(55.79), Lon: core.Coord(49.12)}, District: district, ManagementCompany: mc}
	}
	user := func(login string, role core.Role, org string) store.SeedUser {
		return store.SeedUser{User: core.User{Login: login, Name: login, Role: role, Active: true, PasswordHash: "-",
			CreatedAt: time.Now().UTC()}, Organization: org}
	}
	err = st.Seed(ctx, store.SeedData{
		Districts: []core.District{{Code: "north", NameRU: "Северный", NameEN: "North"}, {Code: "south", NameRU: "Южный", NameEN: "South"}},
		Organizations: []store.SeedOrganization{
			org("mc-a", core.OrgManagementCompany, ""), org("mc-b", core.OrgManagementCompany, ""),
			org("ctr", core.OrgContractor, "", "south"), org("sup-heat", core.OrgResourceSupplier, "heating", "north"),
		},
		Buildings: []store.SeedBuilding{bld("b1", "north", "mc-a", 100), bld("b2", "north", "mc-a", 60), bld("b3", "south", "mc-b", 40)},
		Users: []store.SeedUser{user("hq-dispatcher", core.RoleDispatcher, ""), user("hq-citizen", core.RoleCitizen, ""),
			user("op-mc-a", core.RoleOrgOperator, "mc-a"), user("op-mc-b", core.RoleOrgOperator, "mc-b"),
			user("op-ctr", core.RoleOrgOperator, "ctr"), user("op-sup-heat", core.RoleOrgOperator, "sup-heat"),
			user("hq-analyst", core.RoleAnalyst, "")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &hqCity{st: st, scope: scope, loc: loc, people: map[string]core.Actor{}, bld: map[string]int64{}}
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var us []core.User
		if err := tx.NewSelect().Model(&us).Scan(ctx); err != nil {
			return err
		}
		for _, u := range us {
			a := core.Actor{UserID: u.ID, Role: u.Role, Name: u.Name, Phone: "+79170000000"}
			if u.OrganizationID != nil {
				a.OrganizationID = *u.OrganizationID
			}
			c.people[u.Login] = a
		}
		var bs []core.Building
		if err := tx.NewSelect().Model(&bs).Scan(ctx); err != nil {
			return err
		}
		for _, b := range bs {
			c.bld[b.RegistryID] = b.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gate := core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: slug}
	c.reqs = &core.Requests{Store: st, Gate: gate, City: slug, Location: loc, Now: func() time.Time { return c.clock }}
	c.hq = &core.Analytics{Store: st, Gate: gate, Location: loc,
		Now: func() time.Time { return time.Date(2026, 11, 12, 12, 0, 0, 0, loc) }}
	return c
}

// step is one action on a request, minutes after its intake.
type step struct {
	at     int
	who    string
	action core.Action // "" with stars: a rating
	org    string
	stars  int
}

// file submits a request at created (Moscow time) by who ("hq-citizen"
// files on the portal, "hq-dispatcher" takes a call) about a building
// ("" for an address only), then walks its steps.
func (c *hqCity) file(t *testing.T, created time.Time, who, building, category string, steps ...step) *core.Request {
	t.Helper()
	ctx := context.Background()
	c.clock = created
	in := core.NewRequest{Category: category, Description: "Проверка", Applicant: core.Applicant{Name: "Иван", Phone: "+79171234567"}}
	if building != "" {
		id := c.bld[building]
		in.BuildingID = &id
	} else {
		in.Address = "ул. Садовая, 5"
	}
	r, _, err := c.reqs.Submit(ctx, c.people[who], in, "")
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	for _, s := range steps {
		c.clock = created.Add(time.Duration(s.at) * time.Minute)
		a := c.people[s.who]
		if s.action == "" {
			_, err = c.reqs.Rate(ctx, a, r.Number, s.stars, "")
		} else {
			in := core.ActionInput{Organization: s.org}
			if core.Lifecycle[s.action].Comment {
				in.Comment = "причина"
			}
			_, err = c.reqs.Act(ctx, a, r.Number, s.action, in)
		}
		if err != nil {
			t.Fatalf("%s %s at +%d: %v", r.Number, s.action, s.at, err)
		}
	}
	return r
}

// fileFixture files the dozen requests whose figures TestHQFigures
// computed by hand; the comments give each one's outcome.
func (c *hqCity) fileFixture(t *testing.T) {
	msk := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, c.loc) }
	const disp, cit = "hq-dispatcher", "hq-citizen"
	assign := func(at int, org string) step { return step{at: at, who: disp, action: core.ActionAssign, org: org} }
	by := func(at int, who string, a core.Action) step { return step{at: at, who: who, action: a} }
	rate := func(at, stars int) step { return step{at: at, who: cit, stars: stars} }
	// R1: 1 Nov 00:30 (31 Oct in UTC); reaction 3600 s and resolution
	// 39600 s, both on time; closed, rated 5.
	c.file(t, msk(2026, 11, 1, 0, 30), cit, "b1", "roof-leak", assign(0, "mc-a"), by(60, "op-mc-a", core.ActionAccept),
		by(660, "op-mc-a", core.ActionResolve), by(700, cit, core.ActionClose), rate(710, 5))
	// R2: reaction 12000 s and resolution 90000 s from intake (its clock
	// runs in triage too), both late; resolved.
	c.file(t, msk(2026, 11, 1, 10, 0), disp, "b1", "roof-leak", assign(10, "mc-a"), by(200, "op-mc-a", core.ActionAccept),
		by(1500, "op-mc-a", core.ActionResolve))
	// R3: reopened once; the second cycle's reaction 3000 s and resolution
	// 12000 s are on time; closed, rated 3.
	c.file(t, msk(2026, 11, 2, 8, 0), cit, "b2", "hot-water", assign(0, "sup-heat"), by(30, "op-sup-heat", core.ActionAccept),
		by(300, "op-sup-heat", core.ActionResolve), by(400, cit, core.ActionReopen), by(450, "op-sup-heat", core.ActionAccept),
		by(600, "op-sup-heat", core.ActionResolve), by(700, cit, core.ActionClose), rate(710, 3))
	// R4: returned "not ours" by mc-b, then the contractor's; the clock
	// runs from intake through the return: reaction 6000 s on time,
	// resolution 120000 s late; resolved.
	c.file(t, msk(2026, 11, 3, 1, 30), disp, "b3", "roof-leak", assign(0, "mc-b"), by(30, "op-mc-b", core.ActionReturn),
		assign(60, "ctr"), by(100, "op-ctr", core.ActionAccept), by(2000, "op-ctr", core.ActionResolve))
	// R5: mc-b's, delegated to the contractor: reaction 6000 s and
	// resolution 60000 s on time; resolved, rated 4.
	c.file(t, msk(2026, 11, 4, 12, 0), cit, "b3", "roof-leak", assign(0, "mc-b"), by(100, "op-mc-b", core.ActionAccept),
		step{at: 110, who: "op-mc-b", action: core.ActionDelegate, org: "ctr"}, by(200, "op-ctr", core.ActionStart),
		by(1000, "op-ctr", core.ActionResolve), rate(1010, 4))
	// R6: never accepted: open and overdue.
	c.file(t, msk(2026, 11, 5, 9, 0), disp, "b1", "hot-water", assign(0, "sup-heat"))
	// R7: accepted in 3600 s, never resolved: open and overdue.
	c.file(t, msk(2026, 11, 6, 9, 0), cit, "b2", "roof-leak", assign(0, "mc-a"), by(60, "op-mc-a", core.ActionAccept))
	// R8: no building, still in triage: open, and overdue since its
	// reaction time runs from intake in triage too.
	c.file(t, msk(2026, 11, 7, 9, 0), cit, "", "hot-water")
	// R9: rejected.
	c.file(t, msk(2026, 11, 8, 9, 0), disp, "b1", "roof-leak", by(30, disp, core.ActionReject))
	// R10: reaction 5400 s and resolution 72000 s on time; closed, rated 2.
	c.file(t, msk(2026, 11, 9, 9, 0), cit, "b2", "roof-leak", assign(0, "mc-a"), by(90, "op-mc-a", core.ActionAccept),
		by(1200, "op-mc-a", core.ActionResolve), by(1300, cit, core.ActionClose), rate(1310, 2))
	// R11: the period's last evening; reaction 9000 s late, then overdue.
	c.file(t, msk(2026, 11, 10, 23, 30), disp, "b3", "hot-water", assign(0, "mc-b"), by(150, "op-mc-b", core.ActionAccept))
	// R12: 11 Nov 00:30 (still 10 Nov in UTC): after the period.
	c.file(t, msk(2026, 11, 11, 0, 30), cit, "b1", "roof-leak", assign(0, "mc-a"))
	// R13: the previous period: reaction 3600 s, resolution 36000 s; closed.
	c.file(t, msk(2026, 10, 25, 10, 0), cit, "b1", "roof-leak", assign(0, "mc-a"), by(60, "op-mc-a", core.ActionAccept),
		by(600, "op-mc-a", core.ActionResolve), by(700, cit, core.ActionClose))
	// R14: a year earlier: never accepted, open and overdue.
	c.file(t, msk(2025, 11, 5, 10, 0), disp, "b2", "roof-leak", assign(0, "mc-a"))
}
