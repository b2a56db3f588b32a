package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// An outage of a utility takes the new requests about it from its
// buildings at intake (waiting for it, never in triage, in the desk's outage
// queue), leaves other utilities and buildings alone, and its closing
// resolves them together, once, in their cycles and in HQ's rollups; an
// organization reaches only its own outages; one past its end escalates.
func TestOutageLinksAndCloses(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st, scope, _, reqs := phoneCity(t, kind, "outages")
			reqs.Outages = st
			seed := store.SeedData{
				Districts: []core.District{{Code: "centre", NameRU: "Центр", NameEN: "Centre"}, {Code: "north", NameRU: "Север", NameEN: "North"}},
				Organizations: []store.SeedOrganization{
					{Organization: core.Organization{Code: "vodokanal", Kind: core.OrgResourceSupplier, NameRU: "Водоканал", NameEN: "Vodokanal", Utility: "water", Active: true}, Districts: []string{"centre", "north"}},
					{Organization: core.Organization{Code: "energo", Kind: core.OrgResourceSupplier, NameRU: "Энергосбыт", NameEN: "Energosbyt", Utility: "power", Active: true}, Districts: []string{"centre", "north"}},
				},
				Buildings: []store.SeedBuilding{
					{Building: core.Building{RegistryID: "a", AddressRU: "ул. Копылова, 1", AddressEN: "1 Kopylova St", Apartments: 40}, District: "centre"},
					{Building: core.Building{RegistryID: "b", AddressRU: "ул. Копылова, 3", AddressEN: "3 Kopylova St", Apartments: 40}, District: "centre"},
					{Building: core.Building{RegistryID: "c", AddressRU: "ул. Дальняя, 9", AddressEN: "9 Dalnyaya St", Apartments: 40}, District: "north"},
				},
			}
			if err := st.Seed(ctx, seed); err != nil {
				t.Fatal(err)
			}
			dir, err := st.Directory(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			bid := map[string]int64{}
			for _, b := range dir.Buildings {
				bid[b.RegistryID] = b.ID
			}
			gate := core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: "outages"}
			clock := time.Now().UTC()
			outages := &core.Outages{Store: st, Gate: gate, Now: func() time.Time { return clock }}
			dispatcher := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			water := core.Actor{UserID: 1, Role: core.RoleOrgOperator, OrganizationID: dir.OrganizationByCode("vodokanal").ID}
			power := core.Actor{UserID: 1, Role: core.RoleOrgOperator, OrganizationID: dir.OrganizationByCode("energo").ID}

			// The power supplier may not declare a water outage, nor for another organization.
			_, err = outages.Declare(ctx, power, core.NewOutage{Utility: "water", Organization: "vodokanal", Street: "Копылова",
				StartsAt: clock.Add(-time.Hour), EndsAt: clock.Add(4 * time.Hour), NoticeRU: "Нет воды", NoticeEN: "No water"})
			if e := fields(err); e["utility"] == "" || e["organization"] == "" {
				t.Errorf("the power supplier declaring water for the water supplier: %v", err)
			}
			// Nothing selected, an end before the start, a forged building: field errors.
			_, err = outages.Declare(ctx, dispatcher, core.NewOutage{Utility: "water", StartsAt: clock, EndsAt: clock.Add(-time.Hour)})
			if e := fields(err); e["buildings"] == "" || e["ends_at"] == "" || e["notice_ru"] == "" {
				t.Errorf("an empty outage: %v", err)
			}
			_, err = outages.Declare(ctx, dispatcher, core.NewOutage{Utility: "water", Buildings: []int64{bid["a"], 999999},
				StartsAt: clock, EndsAt: clock.Add(time.Hour), NoticeRU: "Нет воды", NoticeEN: "No water"})
			if e := fields(err); e["buildings"] == "" {
				t.Errorf("an outage with a forged building: %v", err)
			}

			o, err := outages.Declare(ctx, water, core.NewOutage{Utility: "water", Street: "копылова", Kind: core.OutageEmergency,
				StartsAt: clock.Add(-time.Hour), EndsAt: clock.Add(4 * time.Hour), NoticeRU: "Авария на водоводе, вода будет к 18:00", NoticeEN: "Water main burst, water back by 18:00"})
			if err != nil {
				t.Fatal(err)
			}
			if o.Buildings != 2 || o.Organization != "vodokanal" {
				t.Fatalf("declared %+v", o)
			}

			file := func(cat, building string, channel core.Channel) *core.Request {
				t.Helper()
				id := bid[building]
				r, _, err := reqs.Submit(ctx, dispatcher, core.NewRequest{Category: cat, BuildingID: &id, Description: "нет воды", Channel: channel,
					Applicant: core.Applicant{Name: "Житель", Phone: "+7 917 000-00-02"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			first := file("water-network-fault", "a", core.ChannelCallCentre)
			second := file("water-network-fault", "b", core.ChannelPortal)
			otherUtility := file("power-supply", "a", core.ChannelCallCentre)
			otherBuilding := file("water-network-fault", "c", core.ChannelCallCentre)
			for _, r := range []*core.Request{first, second} {
				if r.Status != core.StatusOutage || r.OutageID == nil || *r.OutageID != o.ID || r.ReactionDueAt != nil {
					t.Errorf("%s: status %s, outage %v, reaction due %v", r.Number, r.Status, r.OutageID, r.ReactionDueAt)
				}
				evs, err := st.RequestEvents(ctx, dispatcher, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if last := evs[len(evs)-1]; last.Kind != "outage" || !last.Public || last.Note.Text("ru") != fmt.Sprintf("заявка относится к отключению № %d: Авария на водоводе, вода будет к 18:00", o.ID) ||
					last.Note.Text("en") != fmt.Sprintf("the request is about outage No. %d: Water main burst, water back by 18:00", o.ID) {
					t.Errorf("%s: the answer %s %q", r.Number, last.Kind, last.Note.Text("ru"))
				}
			}
			for _, r := range []*core.Request{otherUtility, otherBuilding} {
				if r.Status == core.StatusOutage || r.OutageID != nil {
					t.Errorf("%s attached to the outage", r.Number)
				}
			}

			counts, err := st.DeskCounts(ctx, dispatcher, core.DeskFilter{}, clock)
			if err != nil {
				t.Fatal(err)
			}
			if counts[core.QueueOutage] != 2 || counts[core.QueueAll] != 2 {
				t.Errorf("desk counts %v: want 2 waiting for the outage, 2 others", counts)
			}
			items := deskItems(t, st, dispatcher, core.DeskQuery{Queue: core.QueueOutage, Sort: core.SortUrgency, Limit: 1, Now: clock})
			if len(items) != 1 || items[0].ID != first.ID {
				t.Errorf("first page of the outage queue: %v", items)
			}
			if got := deskWalk(t, st, dispatcher, core.DeskQuery{Queue: core.QueueOutage, Sort: core.SortUrgency, Limit: 1, Now: clock}); fmt.Sprint(got) != fmt.Sprint([]int64{first.ID, second.ID}) {
				t.Errorf("outage queue walked: %v", got)
			}

			// Another organization's operator neither sees nor closes it.
			if _, err := outages.Get(ctx, power, o.ID); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("the power supplier reads the water outage: %v", err)
			}
			if _, _, err := outages.Close(ctx, power, o.ID, core.CloseOutage{}); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("the power supplier closes the water outage: %v", err)
			}
			if list, err := outages.List(ctx, power, core.OutageQuery{}); err != nil || len(list) != 0 {
				t.Errorf("the power supplier's outages: %v %v", list, err)
			}
			view, err := outages.Get(ctx, water, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if view.Linked != 2 || view.Waiting != 2 || len(view.Requests) != 2 || len(view.BuildingList) != 2 {
				t.Errorf("the outage as its supplier sees it: %d linked, %d waiting, %d requests, %d buildings",
					view.Linked, view.Waiting, len(view.Requests), len(view.BuildingList))
			}

			clock = clock.Add(2 * time.Hour)
			closed, n, err := outages.Close(ctx, water, o.ID, core.CloseOutage{Comment: "Водовод починили"})
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 || closed.Open() || closed.Waiting != 0 || closed.Linked != 2 {
				t.Errorf("closing resolved %d; outage %+v", n, closed)
			}
			if _, _, err := outages.Close(ctx, water, o.ID, core.CloseOutage{}); core.ErrorCode(err) != core.ECONFLICT {
				t.Errorf("closing twice: %v", err)
			}
			for _, r := range []*core.Request{first, second} {
				got, err := st.RequestByNumber(ctx, dispatcher, r.Number)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != core.StatusResolved || got.ResolvedAt == nil || got.ResolutionSeconds == nil || *got.ResolutionSeconds < 7000 {
					t.Errorf("%s after the closing: %s resolved %v in %v s", r.Number, got.Status, got.ResolvedAt, got.ResolutionSeconds)
				}
				evs, _ := st.RequestEvents(ctx, dispatcher, r.ID)
				resolved := 0
				for _, e := range evs {
					if e.Kind == "outage_closed" {
						resolved++
						if e.Comment != "Водовод починили" || e.ToState != string(core.StatusResolved) {
							t.Errorf("%s: the closing event %+v", r.Number, e)
						}
					}
				}
				if resolved != 1 {
					t.Errorf("%s: %d closing events", r.Number, resolved)
				}
				cycles, err := st.Cycles(ctx, dispatcher, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(cycles) != 1 || cycles[0].ResolvedAt == nil {
					t.Errorf("%s: cycles %+v", r.Number, cycles)
				}
			}
			if after := file("water-network-fault", "a", core.ChannelCallCentre); after.Status == core.StatusOutage {
				t.Errorf("a request after the closing attached to the closed outage")
			}

			// An outage past its expected end escalates once at each level.
			late, err := outages.Declare(ctx, power, core.NewOutage{Utility: "power", District: "north",
				StartsAt: clock.Add(-3 * time.Hour), EndsAt: clock.Add(-time.Hour), NoticeRU: "Нет света", NoticeEN: "No power"})
			if err != nil {
				t.Fatal(err)
			}
			waiting := file("power-supply", "c", core.ChannelCallCentre)
			if waiting.Status != core.StatusOutage {
				t.Errorf("a power request in the north: %s", waiting.Status)
			}
			if _, err := st.Escalate(ctx, clock); err != nil {
				t.Fatal(err)
			}
			got, err := st.Outage(ctx, dispatcher, late.ID)
			if err != nil || got.EscalatedAt == nil || !got.Overdue(clock) || got.EscalationLevel != 1 {
				t.Errorf("the late outage after the sweep: %+v %v", got, err)
			}
			lateAlerts(t, ctx, st, scope, late, dir, clock)

			kept, err := st.Days(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recount, err := st.RecountDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kept) != fmt.Sprint(recount) {
				t.Errorf("rollups differ from the recount:\nkept    %v\nrecount %v", kept, recount)
			}
		})
	}
}

// fields is the field messages of an EINVALID error, by field.
func fields(err error) map[string]string {
	out := map[string]string{}
	if e, ok := err.(*core.Error); ok && e.Code == core.EINVALID {
		for k, m := range e.Fields {
			out[k] = m.Code
		}
	}
	return out
}

// lateAlerts follows the alerts of an outage its organization (energo)
// declared and that is open past its expected end after a first sweep at
// clock: the first level goes to the dispatcher on duty and energo's
// manager, not to HQ nor to another organization's manager; a second sweep
// raises nothing new; the city's delay later the second level goes to the
// dispatcher and HQ; each alert becomes e-mails to the active users it is
// addressed to (and energo's own address), none to anyone else.
func lateAlerts(t *testing.T, ctx context.Context, st *store.Store, scope store.Scope, late *core.Outage, dir *core.Directory, clock time.Time) {
	t.Helper()
	energo, vodokanal := dir.OrganizationByCode("energo").ID, dir.OrganizationByCode("vodokanal").ID
	for _, u := range []core.User{
		{Login: "disp", Email: "disp@example.org", Role: core.RoleDispatcher},
		{Login: "hq", Email: "hq@example.org", Role: core.RoleAnalyst},
		{Login: "energo-boss", Email: "boss@energo.example.org", Role: core.RoleOrgManager, OrganizationID: &energo},
		{Login: "water-boss", Email: "boss@water.example.org", Role: core.RoleOrgManager, OrganizationID: &vodokanal},
		{Login: "energo-op", Email: "op@energo.example.org", Role: core.RoleOrgOperator, OrganizationID: &energo},
	} {
		u.Active, u.CreatedAt = true, clock
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(a core.Actor) string {
		t.Helper()
		als, err := st.Alerts(ctx, a, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, al := range als {
			if al.OutageNumber() != late.ID {
				continue
			}
			if al.Deadline != core.DeadlineOutageEnd || !al.DueAt.Equal(late.EndsAt) || al.Utility != "power" || al.RequestID != nil {
				t.Errorf("alert %+v of outage %+v", al, late)
			}
			out = append(out, fmt.Sprintf("%d:%s", al.Level, al.Role))
		}
		return fmt.Sprint(out)
	}
	dispatcher := core.Actor{UserID: 1, Role: core.RoleDispatcher}
	analyst := core.Actor{UserID: 2, Role: core.RoleAnalyst}
	boss := core.Actor{UserID: 3, Role: core.RoleOrgManager, OrganizationID: energo}
	otherBoss := core.Actor{UserID: 4, Role: core.RoleOrgManager, OrganizationID: vodokanal}
	operator := core.Actor{UserID: 5, Role: core.RoleOrgOperator, OrganizationID: energo}
	check := func(when string, want map[string]core.Actor) {
		t.Helper()
		for w, a := range want {
			if got := seen(a); got != w {
				t.Errorf("%s: %s sees %s, want %s", when, a.Role, got, w)
			}
		}
	}
	check("first level", map[string]core.Actor{"[1:dispatcher]": dispatcher, "[1:org_manager]": boss, "[]": analyst})
	for _, a := range []core.Actor{otherBoss, operator} {
		if got := seen(a); got != "[]" {
			t.Errorf("first level: %s of organization %d sees %s", a.Role, a.OrganizationID, got)
		}
	}
	if _, err := st.Escalate(ctx, clock.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("a second sweep", map[string]core.Actor{"[1:dispatcher]": dispatcher})
	second := clock.Add(core.SecondLevelDelay(nil) + time.Minute)
	if _, err := st.Escalate(ctx, second); err != nil {
		t.Fatal(err)
	}
	check("second level", map[string]core.Actor{"[2:dispatcher 1:dispatcher]": dispatcher, "[2:analyst]": analyst, "[1:org_manager]": boss})
	if got, err := st.Outage(ctx, dispatcher, late.ID); err != nil || got.EscalationLevel != 2 || got.EscalatedAt.Sub(clock).Abs() > time.Millisecond {
		t.Errorf("the outage at the second level: %+v %v", got, err)
	}

	p := &core.NoticePlanner{City: "Город", Locale: "ru", Email: true, SMS: true,
		TrackLink: func(s string) string { return "t/" + s }, StaffLink: func(s string) string { return "s/" + s },
		OptOutLink: func(s string) string { return "o/" + s }, OutageLink: func(id int64) string { return fmt.Sprintf("outages/%d", id) }}
	for {
		n, err := st.NoticeFanOut(ctx, p, second, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n < 2 {
			break
		}
	}
	var rows []struct {
		Level   int    `bun:"level"`
		Address string `bun:"address"`
		Subject string `bun:"subject"`
		Body    string `bun:"body"`
	}
	err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT al.level, n.address, n.subject, n.body FROM notifications AS n
			JOIN escalation_alerts AS al ON al.id = n.alert_id
			WHERE n.kind = ? AND n.channel = ? AND al.outage_id = ? ORDER BY al.level, n.address`,
			core.NoticeOutageLate, core.ChannelEmail, late.ID).Scan(ctx, &rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, r := range rows {
		told = append(told, fmt.Sprintf("%d:%s", r.Level, r.Address))
		link := fmt.Sprintf("outages/%d", late.ID)
		if !strings.Contains(r.Subject, fmt.Sprint(late.ID)) || !strings.Contains(r.Body, link) || !strings.Contains(r.Body, "Нет света") {
			t.Errorf("the mail to %s: %q %q", r.Address, r.Subject, r.Body)
		}
	}
	want := "[1:boss@energo.example.org 1:disp@example.org 1:energo@example.org 2:disp@example.org 2:hq@example.org]"
	if energoMail := dir.OrganizationByCode("energo").Email; energoMail == "" {
		want = "[1:boss@energo.example.org 1:disp@example.org 2:disp@example.org 2:hq@example.org]"
	} else {
		want = strings.ReplaceAll(want, "energo@example.org", energoMail)
	}
	if fmt.Sprint(told) != want {
		t.Errorf("told %v, want %s", told, want)
	}
}
