package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// searchNumbers returns the numbers of the requests actor finds with text,
// in order of filing.
func searchNumbers(t *testing.T, st *store.Store, actor core.Actor, text string) []string {
	t.Helper()
	page, err := st.ListRequests(context.Background(), actor, core.RequestQuery{Text: text, Limit: core.MaxPage})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	var out []string
	for _, r := range page.Items {
		out = append(out, r.Number)
	}
	sort.Strings(out)
	return out
}

// One search box finds a request by number, by phone written any way, by
// caller name, by address and by words of the description, folding ё/е and
// case, reading Russian address abbreviations, in any word order, every
// word required; the same table passes on both databases.
func TestSearchTable(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st, _, _, reqs := phoneCity(t, kind, "search")
			staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			filed := []core.NewRequest{
				{Category: "lift", Address: "ул. Копылова, д. 5, корп. 2", Description: "Лифт застрял между этажами",
					Applicant: core.Applicant{Name: "Семёнов Пётр", Phone: "8 (917) 555-01-23"}},
				{Category: "lift", Address: "улица Копылова, 7", Description: "Не работает освещение в подъезде",
					Applicant: core.Applicant{Name: "Анна Иванова", Phone: "+7 917 555-77-88"}},
				{Category: "lift", Address: "просп. Победы, 12", Description: "В лифте темно, течёт крыша",
					Applicant: core.Applicant{Name: "Ёлкин Сергей", Phone: "917 000 11 22"}},
				{Category: "lift", Address: "Чистопольская ул., 20 стр. 1", Description: "Шумят соседи",
					Applicant: core.Applicant{Name: "Мария", Email: "m@example.org"}},
				{Category: "lift", Address: "б-р Ибрагимова, 3", Description: "Прорвало трубу во дворе",
					Applicant: core.Applicant{Phone: "+380 50 123 4567"}},
			}
			var n []string
			for _, in := range filed {
				r, _, err := reqs.Submit(ctx, staff, in, "")
				if err != nil {
					t.Fatal(err)
				}
				n = append(n, r.Number)
			}
			cases := []struct {
				text string
				want []string
			}{
				{n[0], []string{n[0]}},
				{"8 (917) 555-01-23", []string{n[0]}},
				{"+7 917 555-01-23", []string{n[0]}},
				{"917 555 01 23", []string{n[0]}},
				{"89175550123", []string{n[0]}},
				{"+380501234567", []string{n[4]}},
				{"Копылова", []string{n[0], n[1]}},
				{"копылова лифт", []string{n[0]}},
				{"Лифт Копылова", []string{n[0]}},
				{"КОПЫЛОВА ЛИФТ", []string{n[0]}},
				{"ул. Копылова, д. 5", []string{n[0]}},
				{"улица Копылова дом 5", []string{n[0]}},
				{"Копылова корпус 2", []string{n[0]}},
				{"Копылова к. 2", []string{n[0]}},
				{"Копылову", []string{n[0], n[1]}},
				{"проспект Победы", []string{n[2]}},
				{"пр. Победы", []string{n[2]}},
				{"пр-т Победы 12", []string{n[2]}},
				{"бульвар Ибрагимова", []string{n[4]}},
				{"Чистопольская строение 1", []string{n[3]}},
				{"течет", []string{n[2]}},
				{"ТЕЧЁТ крыша", []string{n[2]}},
				{"Елкин", []string{n[2]}},
				{"семенов", []string{n[0]}},
				{"Пётр Семёнов", []string{n[0]}},
				{"лифт", []string{n[0], n[2]}},
				{"лифте", []string{n[0], n[2]}},
				{"Копылова крыша", nil},
				{"Копылова 9", nil},
				{"555-01", nil},
				{"%", nil},
				{"'; DROP TABLE requests; --", nil},
				{`"лифт" OR крыша*`, nil}, // "or" is a word like any other
			}
			for _, c := range cases {
				got := searchNumbers(t, st, staff, c.text)
				want := slices.Clone(c.want)
				sort.Strings(want)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%q finds %v, want %v", c.text, got, want)
				}
			}
		})
	}
}

// A search never reaches past the searcher's scope: an operator finds only
// its organization's requests, a citizen only their own, and a city never
// another city's.
func TestSearchStaysInScope(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			homeCity, awayCity := cityOf(t, b, "home"), cityOf(t, b, "away")
			home, scope := homeCity.Store, homeCity.Scope
			orgs := store.SeedData{Organizations: []store.SeedOrganization{
				{Organization: core.Organization{Code: "uk-one", Kind: core.OrgManagementCompany, NameRU: "УК Один", NameEN: "One", Active: true}},
				{Organization: core.Organization{Code: "uk-two", Kind: core.OrgManagementCompany, NameRU: "УК Два", NameEN: "Two", Active: true}},
			}}
			if err := home.Seed(ctx, orgs); err != nil {
				t.Fatal(err)
			}
			var one, two, citizenID int64
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT id FROM organizations WHERE code = 'uk-one'").Scan(ctx, &one); err != nil {
					return err
				}
				if err := tx.NewRaw("SELECT id FROM organizations WHERE code = 'uk-two'").Scan(ctx, &two); err != nil {
					return err
				}
				_, err := tx.NewRaw(`INSERT INTO users (login, name, password_hash, role, active, created_at)
					VALUES ('citizen-a', 'А', '!', 'citizen', ?, CURRENT_TIMESTAMP) RETURNING id`, true).Exec(ctx, &citizenID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			homeReqs, awayReqs := homeCity.Requests, awayCity.Requests
			staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			citizen := core.Actor{UserID: citizenID, Role: core.RoleCitizen}
			submit := func(r *core.Requests, a core.Actor, desc string) string {
				t.Helper()
				req, _, err := r.Submit(ctx, a, core.NewRequest{Category: "lift", Address: "ул. Баумана, 1", Description: desc,
					Applicant: core.Applicant{Phone: "+7 917 555-01-23"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return req.Number
			}
			ofOne := submit(homeReqs, staff, "Протечка у первой")
			ofTwo := submit(homeReqs, staff, "Протечка у второй")
			mine := submit(homeReqs, citizen, "Протечка моя")
			submit(awayReqs, staff, "Протечка в другом городе Зеленодольск")
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "UPDATE requests SET organization_id = ? WHERE number = ?", one, ofOne); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE requests SET organization_id = ? WHERE number = ?", two, ofTwo)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			operator := core.Actor{UserID: 1, Role: core.RoleOrgOperator, OrganizationID: one}
			for _, text := range []string{"протечка", "+79175550123", ofTwo, "второй"} {
				for _, got := range searchNumbers(t, home, operator, text) {
					if got != ofOne {
						t.Errorf("the operator of uk-one finds %s with %q", got, text)
					}
				}
				for _, got := range searchNumbers(t, home, citizen, text) {
					if got != mine {
						t.Errorf("a citizen finds %s with %q", got, text)
					}
				}
			}
			if got := searchNumbers(t, home, staff, "протечка"); len(got) != 3 {
				t.Errorf("the dispatcher finds %v, want the city's three", got)
			}
			if got := searchNumbers(t, home, staff, "Зеленодольск"); len(got) != 0 {
				t.Errorf("another city's request found: %v", got)
			}
			if got := searchNumbers(t, home, core.Actor{Role: core.RoleAnonymous}, "протечка"); len(got) != 0 {
				t.Errorf("an anonymous caller finds %v", got)
			}
		})
	}
}

// A word search reads the newest rows through windows of ids walked
// downwards on PostgreSQL, the first read through the primary key alone
// when the words are common, one window for the whole city when they are
// rare: however narrow the windows, the pages hold the same rows in the
// same order as one query over the whole city, with no gaps or repeats
// between pages.
func TestSearchWindowsPages(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			city := filledCity(t, kind, "search", 3000, "2026-11-20", 7)
			st := city.Store
			if kind == "postgres" {
				// The shares of words come from the text index's statistics.
				err := city.Scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "ANALYZE requests")
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				for text, want := range map[string]string{"Заявитель": "walk", "улица": "walk", "Житель 12": "whole", "2026-000012": "windows"} {
					if mode, err := st.SearchMode(ctx, text); err != nil || mode != want {
						t.Errorf("%q reads its page by %q (%v), want %q", text, mode, err, want)
					}
				}
			}
			staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			walk := func(text string, limit int) []string {
				var out []string
				q := core.RequestQuery{Text: text, Limit: limit}
				for {
					page, err := st.ListRequests(ctx, staff, q)
					if err != nil {
						t.Fatalf("search %q: %v", text, err)
					}
					for _, r := range page.Items {
						out = append(out, r.Number)
					}
					if page.NextID == 0 {
						return out
					}
					q.BeforeID = page.NextID
				}
			}
			texts := []string{"лифт", "Баумана", "холодн батаре", "не вывезли мусор", "подвал Пушкина", "Житель 12", "Заявитель", "улица", "2026-000012"}
			for _, text := range texts {
				for _, limit := range []int{7, 50} {
					whole := walk(text, limit)
					for _, window := range []int64{1, 5, 40, 300} {
						// Windows of every width, never the whole city at once.
						restore := []func(){store.SetSearchWindow(window), store.SetSearchWalkWindow(window), store.SetSearchWhole(false)}
						got := walk(text, limit)
						for _, r := range restore {
							r()
						}
						if !slices.Equal(got, whole) {
							t.Errorf("%q by %d in windows of %d: %d rows %v…, want %d %v…", text, limit, window,
								len(got), head(got), len(whole), head(whole))
						}
					}
					if len(whole) == 0 && text != "Житель 12" {
						t.Errorf("%q finds nothing: the test would prove nothing", text)
					}
				}
			}
		})
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// New documents wait in the PostgreSQL text index's pending list, which
// every word search reads whole: after 3,000 documents are written anew
// (as a changed description writes one) the list holds at most the 128 kB
// (16 pages) a city's index allows, not PostgreSQL's 4 MB, and every
// document is found by its new word.
func TestSearchPendingListBounded(t *testing.T) {
	ctx := context.Background()
	city := filledCity(t, "postgres", "pending", 3000, "2026-11-20", 3)
	var pages, tuples int64
	err := city.Scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pgstattuple SCHEMA public"); err != nil {
			return fmt.Errorf("%w (pgstattuple is in PostgreSQL's contrib: apt-get install postgresql-contrib)", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE requests SET search_text = search_text || ' переписан'"); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT pending_pages, pending_tuples FROM public.pgstatginindex('requests_search_idx'::regclass)").
			Scan(&pages, &tuples)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pending list: %d pages, %d documents", pages, tuples)
	if pages > 16 {
		t.Errorf("the text index's pending list holds %d pages (%d documents): searches read them all", pages, tuples)
	}
	staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
	page, err := city.Store.ListRequests(ctx, staff, core.RequestQuery{Text: "переписан", Limit: 1, WithTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3000 {
		t.Errorf("the word every document now holds finds %d of 3000 requests", page.Total)
	}
}
