package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The call-taking form's possible duplicates: the open requests of the
// building in the category, and for a network fault those of the same
// utility within the radius; a caller joins one as a co-applicant, once,
// only while it is open, and a registered caller then sees it in their own
// list.
func TestMatchesAndCoApplicants(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st, scope, accounts, reqs := phoneCity(t, kind, "dupes")
			seed := store.SeedData{
				Districts: []core.District{{Code: "centre", NameRU: "Центр", NameEN: "Centre"}},
				Buildings: []store.SeedBuilding{
					{Building: core.Building{RegistryID: "a", AddressRU: "ул. Копылова, 1", AddressEN: "1 Kopylova St", Apartments: 40, Lat: core.Coord(55.79), Lon: core.Coord(49.12)}, District: "centre"},
					{Building: core.Building{RegistryID: "b", AddressRU: "ул. Копылова, 3", AddressEN: "3 Kopylova St", Apartments: 40, Lat: core.Coord(55.79135), Lon: core.Coord(49.12)}, District: "centre"},
					{Building: core.Building{RegistryID: "c", AddressRU: "ул. Дальняя, 9", AddressEN: "9 Dalnyaya St", Apartments: 40, Lat: core.Coord(55.808), Lon: core.Coord(49.12)}, District: "centre"},
				},
			}
			if err := st.Seed(ctx, seed); err != nil {
				t.Fatal(err)
			}
			ids := map[string]int64{}
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				var rows []struct {
					ID         int64  `bun:"id"`
					RegistryID string `bun:"registry_id"`
				}
				if err := tx.NewRaw("SELECT id, registry_id FROM buildings").Scan(ctx, &rows); err != nil {
					return err
				}
				for _, r := range rows {
					ids[r.RegistryID] = r.ID
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			dispatcher := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			file := func(cat, building string) string {
				t.Helper()
				id := ids[building]
				r, _, err := reqs.Submit(ctx, dispatcher, core.NewRequest{Category: cat, BuildingID: &id, Description: "звонок",
					Applicant: core.Applicant{Name: "Первый", Phone: "+7 917 000-00-01"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return r.Number
			}
			liftA := file("lift", "a")
			file("roof-leak", "a")
			waterB := file("water-network-fault", "b")
			file("water-network-fault", "c")
			file("power-supply", "b")
			closedLiftA := file("lift", "a")
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE requests SET status = 'closed' WHERE number = ?", closedLiftA)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			a := ids["a"]
			match := func(cat string) []string {
				t.Helper()
				ms, err := reqs.Matches(ctx, dispatcher, st, &a, cat)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, m := range ms {
					out = append(out, fmt.Sprintf("%s@%.0f", m.Number, m.DistanceM/50))
				}
				sort.Strings(out)
				return out
			}
			if got := fmt.Sprint(match("lift")); got != fmt.Sprint([]string{liftA + "@0"}) {
				t.Errorf("lift at a: %v", got)
			}
			if got := fmt.Sprint(match("water-network-fault")); got != fmt.Sprint([]string{waterB + "@3"}) {
				t.Errorf("water at a (b is 150 m away, c 2 km): %v", got)
			}
			if got := match("no-such"); len(got) != 0 {
				t.Errorf("an unknown category: %v", got)
			}
			if _, err := reqs.Matches(ctx, core.Actor{UserID: 1, Role: core.RoleCitizen}, st, &a, "lift"); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Errorf("a citizen asked for matches: %v", err)
			}

			citizen, err := accounts.Register(ctx, core.Registration{Phone: "+7 917 555-01-23", Password: "long enough"})
			if err != nil {
				t.Fatal(err)
			}
			me := core.Actor{UserID: citizen.ID, Role: core.RoleCitizen}
			if got := searchNumbers(t, st, me, ""); len(got) != 0 {
				t.Fatalf("a new citizen sees %v", got)
			}
			if _, err := reqs.Join(ctx, dispatcher, st, liftA, core.Applicant{Name: "Второй", Phone: "12345"}); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("an impossible number joined: %v", err)
			}
			if _, err := reqs.Join(ctx, dispatcher, st, liftA, core.Applicant{Name: "Второй", Phone: "8 (917) 555-01-23"}); err != nil {
				t.Fatal(err)
			}
			cs, err := st.CoApplicants(ctx, mustID(t, st, dispatcher, liftA))
			if err != nil || len(cs) != 1 || cs[0].Phone != "+79175550123" || cs[0].CitizenID == nil || *cs[0].CitizenID != citizen.ID {
				t.Fatalf("co-applicants %+v %v", cs, err)
			}
			for name, number := range map[string]string{"again": liftA, "the first applicant": liftA, "a closed request": closedLiftA} {
				phone := "917 555 01 23"
				if name == "the first applicant" {
					phone = "+7 917 000-00-01"
				}
				if _, err := reqs.Join(ctx, dispatcher, st, number, core.Applicant{Phone: phone}); core.ErrorCode(err) != core.ECONFLICT {
					t.Errorf("%s: %v", name, err)
				}
			}
			if _, err := reqs.Join(ctx, dispatcher, st, "2020-999999", core.Applicant{Phone: "+7 917 555-01-29"}); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("an unknown number: %v", err)
			}
			if _, err := reqs.Join(ctx, me, st, waterB, core.Applicant{Phone: "+7 917 555-01-23"}); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Errorf("a citizen joined by themselves: %v", err)
			}
			if got := searchNumbers(t, st, me, ""); fmt.Sprint(got) != fmt.Sprint([]string{liftA}) {
				t.Errorf("the co-applicant's own list: %v", got)
			}
			evs, err := st.RequestEvents(ctx, dispatcher, mustID(t, st, dispatcher, liftA))
			if err != nil || evs[len(evs)-1].Kind != "co_applicant" || evs[len(evs)-1].Public {
				t.Errorf("history: %+v %v", evs, err)
			}
		})
	}
}

func mustID(t *testing.T, st *store.Store, a core.Actor, number string) int64 {
	t.Helper()
	r, err := st.RequestByNumber(context.Background(), a, number)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}
