package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The weekly review of wishes on both backends: similar wishes form one
// item, only the city admin decides, every decision needs what it names,
// a decision reaches each wish's history in the citizen's view, a wish
// passed to an organization is assigned to it, and the next week's agenda
// lists the decisions with the wishes' progress. Analysts see no personal
// data in the clusters.
func TestWishesReview(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "wishrev")
			monday := time.Date(2026, 11, 23, 10, 0, 0, 0, c.loc) // ISO week 2026-W48
			wish := func(day int, building, text string) *core.Request {
				t.Helper()
				c.clock = monday.AddDate(0, 0, day)
				id := c.bld[building]
				r, _, err := c.reqs.Submit(ctx, c.people["hq-citizen"], core.NewRequest{Category: "wishes", BuildingID: &id, Description: text,
					Applicant: core.Applicant{Name: "Иван", Phone: "+79171234567"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			w1 := wish(0, "b1", "Установить скамейки во дворе")
			w2 := wish(1, "b3", "Поставьте скамейку во дворе")
			w3 := wish(2, "b2", "Установить скамейки во дворе дома 5")
			w4 := wish(3, "b1", "Высадить деревья вдоль улицы")
			roof := c.file(t, monday.AddDate(0, 0, 3), "hq-citizen", "b1", "roof-leak")
			c.clock = monday.AddDate(0, 0, 4)
			svc := &core.Wishes{Store: c.st, Decisions: c.st, Requests: c.reqs, Gate: c.reqs.Gate, Location: c.loc,
				Now: func() time.Time { return c.clock }}

			analyst := c.people["hq-analyst"]
			week, err := svc.Week(ctx, analyst, "2026-W48")
			if err != nil {
				t.Fatal(err)
			}
			if len(week.Clusters) != 2 || strings.Join(slices.Sorted(slices.Values(week.Clusters[0].Numbers())), " ") != strings.Join([]string{w1.Number, w2.Number, w3.Number}, " ") ||
				strings.Join(week.Clusters[1].Numbers(), " ") != w4.Number {
				var got []string
				for _, cl := range week.Clusters {
					got = append(got, strings.Join(cl.Numbers(), ","))
				}
				t.Fatalf("clusters %v, want the benches together and the trees apart", got)
			}
			if n := len(week.Clusters[0].Districts); n != 2 {
				t.Errorf("the benches come from %d districts, want 2 (north and south)", n)
			}
			for _, cl := range week.Clusters {
				for _, r := range cl.Requests {
					if r.ApplicantPhone != "" || r.ApplicantName != "" {
						t.Errorf("an analyst sees %s's applicant in the clusters", r.Number)
					}
				}
			}

			benches := core.WishDecisionInput{Numbers: week.Clusters[0].Numbers(), Decision: core.WishPlanned, PlanDate: "2027-05-01"}
			// Analysts read the review; they decide nothing.
			if _, err := svc.Decide(ctx, analyst, benches); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Errorf("an analyst decided: %v", err)
			}
			admin := c.people["hq-dispatcher"]
			admin.Role = core.RoleCityAdmin
			for _, tc := range []struct {
				in    core.WishDecisionInput
				field string
			}{
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: core.WishPlanned}, "plan_date"},
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: core.WishPlanned, PlanDate: "1 мая"}, "plan_date"},
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: core.WishPassed}, "organization"},
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: core.WishPassed, Organization: "nobody"}, "organization"},
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: core.WishDeclined}, "reason"},
				{core.WishDecisionInput{Numbers: benches.Numbers, Decision: "maybe"}, "decision"},
				{core.WishDecisionInput{Decision: core.WishAlreadyPlanned}, "numbers"},
				{core.WishDecisionInput{Numbers: []string{w1.Number, roof.Number}, Decision: core.WishAlreadyPlanned}, "numbers"},
				{core.WishDecisionInput{Numbers: []string{"2026-999999"}, Decision: core.WishAlreadyPlanned}, "numbers"},
			} {
				_, err := svc.Decide(ctx, admin, tc.in)
				var ce *core.Error
				if !errors.As(err, &ce) || ce.Code != core.EINVALID || ce.Fields[tc.field].Code == "" {
					t.Errorf("%+v: %v, want a field error on %s", tc.in, err, tc.field)
				}
			}
			// Nothing was recorded by the refused decisions.
			if ds, err := c.st.WishDecisions(ctx, []int64{w1.ID, w2.ID, w3.ID, w4.ID}); err != nil || len(ds) != 0 {
				t.Fatalf("refused decisions recorded %d (%v)", len(ds), err)
			}

			if _, err := svc.Decide(ctx, admin, benches); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Decide(ctx, admin, core.WishDecisionInput{Numbers: []string{w4.Number}, Decision: core.WishPassed, Organization: "mc-a",
				Reason: "Озеленение — работа управляющей компании"}); err != nil {
				t.Fatal(err)
			}
			citizen := c.people["hq-citizen"]
			for _, r := range []*core.Request{w1, w2, w3} {
				evs, err := c.st.RequestEvents(ctx, citizen, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				last := evs[len(evs)-1]
				if last.Kind != "wish_decision" || !last.Public || last.Note.Text("ru") != "включено в план на 2027-05-01" {
					t.Errorf("%s: the citizen sees %s %q", r.Number, last.Kind, last.Note.Text("ru"))
				}
			}
			passed, err := c.st.RequestByNumber(ctx, admin, w4.Number)
			if err != nil {
				t.Fatal(err)
			}
			if passed.Status != core.StatusAssigned || passed.Organization != "mc-a" {
				t.Errorf("the wish passed to mc-a is %s with %q", passed.Status, passed.Organization)
			}

			// A later decision replaces the earlier one; the history keeps both.
			if _, err := svc.Decide(ctx, admin, core.WishDecisionInput{Numbers: []string{w2.Number}, Decision: core.WishDeclined,
				Reason: "Во дворе нет места"}); err != nil {
				t.Fatal(err)
			}

			// The next week's agenda reports the decisions and the wishes' progress.
			c.clock = monday.AddDate(0, 0, 8)
			next, err := svc.Week(ctx, analyst, "2026-W49")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range next.Decided {
				d := next.Decisions[r.ID]
				got[r.Number] = d.Decision + " " + d.PlanDate + d.Organization + " " + string(r.Status) + " " + d.DecidedByName
			}
			want := map[string]string{
				w1.Number: "planned 2027-05-01 new hq-dispatcher",
				w2.Number: "declined  new hq-dispatcher",
				w3.Number: "planned 2027-05-01 new hq-dispatcher",
				w4.Number: "passed mc-a assigned hq-dispatcher",
			}
			if len(got) != len(want) {
				t.Fatalf("the agenda reports %v, want %v", got, want)
			}
			for n, w := range want {
				if got[n] != w {
					t.Errorf("%s: %q, want %q", n, got[n], w)
				}
			}
		})
	}
}
