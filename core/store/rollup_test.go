package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The daily rollups kept by intake and every transition equal a recount
// from the requests after a random mix of intakes, lifecycle actions,
// ratings, escalations and automatic closing, on both backends; and a
// rebuild gives the same rows.
func TestRollupsEqualRecount(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "recount")
			// A fixed seed makes the mix the same on every run; set
			// OPENCITY_TEST_SEED to try another one.
			seed := uint64(20261130)
			if v := os.Getenv("OPENCITY_TEST_SEED"); v != "" {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatalf("OPENCITY_TEST_SEED=%q: %v", v, err)
				}
				seed = n
			}
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 7))
			orgs := []string{"mc-a", "mc-b", "ctr", "sup-heat"}
			operator := map[string]string{"mc-a": "op-mc-a", "mc-b": "op-mc-b", "ctr": "op-ctr", "sup-heat": "op-sup-heat"}
			buildings := []string{"b1", "b2", "b3", ""}
			categories := []string{"roof-leak", "hot-water", "lift", "wishes"}
			start := time.Date(2026, 10, 1, 0, 0, 0, 0, c.loc)
			var numbers []string
			applied, done := 0, map[core.Action]int{}
			for i := 0; i < 60; i++ {
				who := "hq-citizen"
				if rng.IntN(2) == 0 {
					who = "hq-dispatcher"
				}
				created := start.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute)
				r := c.file(t, created, who, buildings[rng.IntN(len(buildings))], categories[rng.IntN(len(categories))])
				numbers = append(numbers, r.Number)
				if i%5 == 4 {
					checkPercentiles(t, c, fmt.Sprintf("after %d requests", i+1))
				}
				at := created
				for j := rng.IntN(10); j > 0; j-- {
					at = at.Add(time.Duration(1+rng.IntN(36*60)) * time.Minute)
					c.clock = at
					cur, err := c.st.RequestByNumber(ctx, core.Actor{UserID: c.people["hq-dispatcher"].UserID, Role: core.RoleDispatcher}, r.Number)
					if err != nil {
						t.Fatal(err)
					}
					// Mostly an action the status allows, now and then one it refuses.
					var legal []core.Action
					for _, a := range core.Actions {
						if a == core.ActionRecall && rng.IntN(4) != 0 {
							continue // a recall undoes the organization's work: now and then, so work still gets resolved
						}
						if slices.Contains(core.Lifecycle[a].From, cur.Status) || rng.IntN(10) == 0 {
							legal = append(legal, a)
						}
					}
					if len(legal) == 0 {
						continue
					}
					action := legal[rng.IntN(len(legal))]
					actor := c.people["hq-dispatcher"]
					switch core.Lifecycle[action].Party {
					case core.PartyOrg, core.PartyResponsible:
						if cur.Organization == "" {
							continue
						}
						org := cur.Organization
						if cur.Executor != "" && rng.IntN(2) == 0 && action != core.ActionReturn && action != core.ActionDelegate {
							org = cur.Executor
						}
						actor = c.people[operator[org]]
					case core.PartyOwner:
						if rng.IntN(2) == 0 {
							actor = c.people["hq-citizen"]
						}
					}
					in := core.ActionInput{Comment: "причина"}
					switch action {
					case core.ActionAssign, core.ActionRecall:
						in.Organization = orgs[rng.IntN(len(orgs))]
					case core.ActionDelegate:
						in.Organization = "ctr"
					}
					if action == core.ActionDuplicate && len(numbers) > 1 {
						in.Original = numbers[rng.IntN(len(numbers)-1)]
					}
					if _, err := c.reqs.Act(ctx, actor, r.Number, action, in); err == nil {
						applied++
						done[action]++
					}
					if rng.IntN(4) == 0 {
						if _, err := c.reqs.Rate(ctx, c.people["hq-citizen"], r.Number, 1+rng.IntN(5), ""); err == nil {
							applied++
						}
					}
				}
			}
			checkPercentiles(t, c, "after the mix")
			if applied < 40 || done[core.ActionResolve] == 0 || done[core.ActionAccept] == 0 {
				t.Fatalf("%d actions applied (%v): the mix does not exercise the lifecycle", applied, done)
			}
			end := start.AddDate(0, 0, 45)
			if _, err := c.st.Escalate(ctx, end); err != nil {
				t.Fatal(err)
			}
			closed, err := c.st.AutoClose(ctx, end, end, core.M("event.auto_closed", "Count", 3))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d actions applied, %d closed automatically", applied, closed)
			checkPercentiles(t, c, "after escalation and automatic closing")
			kept, err := c.st.Days(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recount, err := c.st.RecountDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kept) != fmt.Sprint(recount) {
				t.Fatalf("rollups differ from the recount:\nkept    %v\nrecount %v", kept, recount)
			}
			var total int64
			for _, r := range kept {
				total += r.Received
			}
			if total != 60 {
				t.Errorf("rollups count %d requests, want 60", total)
			}
			months, err := c.st.Months(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recountMonths, err := c.st.RecountMonths(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(months) == 0 || fmt.Sprint(months) != fmt.Sprint(recountMonths) {
				t.Fatalf("monthly rollups differ from the recount:\nkept    %v\nrecount %v", months, recountMonths)
			}
			// Periods of whole months, of months and days, of days only,
			// and of months less a few days count as the recount's days
			// do, per organization.
			for _, p := range [][2]string{{"2026-10-01", "2026-11-30"}, {"2026-09-20", "2026-10-31"}, {"2026-10-01", "2026-11-07"},
				{"2026-09-25", "2026-11-12"}, {"2026-10-03", "2026-10-29"}, {"2026-11-01", "2026-11-30"},
				{"2026-10-02", "2026-10-31"}, {"2026-10-05", "2026-11-25"}, {"2026-10-16", "2026-11-08"}, {"2026-10-16", "2026-10-16"}} {
				got, err := c.st.DayCounts(ctx, core.DaysQuery{From: p[0], To: p[1], By: core.ByOrganization})
				if err != nil {
					t.Fatal(err)
				}
				want := map[int64]core.DayCounts{}
				for _, r := range recount {
					if r.Day >= p[0] && r.Day <= p[1] {
						c := want[r.OrganizationID]
						c.Add(r.DayCounts)
						want[r.OrganizationID] = c
					}
				}
				have := map[int64]core.DayCounts{}
				for _, r := range got {
					have[r.Key] = r.DayCounts
				}
				if fmt.Sprint(have) != fmt.Sprint(want) {
					t.Errorf("%s–%s per organization:\n got %v\nwant %v", p[0], p[1], have, want)
				}
			}
			if err := c.st.RebuildDays(ctx); err != nil {
				t.Fatal(err)
			}
			rebuilt, err := c.st.Days(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rebuilt) != fmt.Sprint(kept) {
				t.Errorf("a rebuild changed the rollups")
			}
			rebuiltMonths, err := c.st.Months(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rebuiltMonths) != fmt.Sprint(months) {
				t.Errorf("a rebuild changed the monthly rollups")
			}
			checkPercentiles(t, c, "after a rebuild")
		})
	}
}

// checkPercentiles asks the city's Store, whose memo (Percentiles) holds
// what it read before, for the percentiles of periods and filters of the
// mix, and wants what the requests hold now, picked here by sorting.
func checkPercentiles(t *testing.T, c *hqCity, when string) {
	t.Helper()
	ctx := context.Background()
	dir, err := c.st.Directory(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var lift, wishes int64
	for _, cat := range dir.Categories {
		switch cat.Code {
		case "lift":
			lift = cat.ID
		case "wishes":
			wishes = cat.ID
		}
	}
	filters := []core.DaysQuery{{}, {OrganizationIDs: []int64{dir.OrganizationByCode("mc-a").ID}},
		{OrganizationIDs: []int64{dir.OrganizationByCode("ctr").ID}}, {CategoryIDs: []int64{lift, wishes}}, {CategoryIDs: []int64{}},
		{BuildingID: c.bld["b1"]}, {BuildingID: -1}, {Channel: core.ChannelCallCentre}}
	if len(dir.Districts) > 0 {
		filters = append(filters, core.DaysQuery{DistrictID: dir.Districts[0].ID})
	}
	var rows []struct {
		Day        string `bun:"created_day"`
		District   int64  `bun:"district_id"`
		Org        int64  `bun:"organization_id"`
		Executor   int64  `bun:"executor_id"`
		Category   int64  `bun:"category_id"`
		Channel    string `bun:"channel"`
		Building   int64  `bun:"building_id"`
		Reaction   *int64 `bun:"reaction_seconds"`
		Resolution *int64 `bun:"resolution_seconds"`
	}
	err = c.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT created_day, coalesce(district_id, 0) AS district_id, coalesce(organization_id, 0) AS organization_id,
			coalesce(executor_id, 0) AS executor_id, category_id, channel, coalesce(building_id, 0) AS building_id,
			reaction_seconds, resolution_seconds FROM requests`).Scan(ctx, &rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := []float64{0.5, 0.9, 1}
	pick := func(vs []int64) string {
		slices.Sort(vs)
		out := ""
		for _, p := range ps {
			if len(vs) == 0 {
				out += " -"
				continue
			}
			rank := int(p*float64(len(vs)) + 0.999999) // ⌈p·n⌉ for these p and n
			out += " " + strconv.FormatInt(vs[max(rank, 1)-1], 10)
		}
		return out
	}
	for _, p := range [][2]string{{"2026-10-01", "2026-11-30"}, {"2026-10-05", "2026-10-31"}, {"2026-10-16", "2026-10-16"},
		{"2026-11-01", "2026-11-10"}, {"2026-09-30", "2026-11-02"}} {
		for _, f := range filters {
			q := f
			q.From, q.To = p[0], p[1]
			react, resolve, err := c.st.Percentiles(ctx, q, ps)
			if err != nil {
				t.Fatal(err)
			}
			var wantReact, wantResolve []int64
			for _, r := range rows {
				if r.Day < q.From || r.Day > q.To || (q.DistrictID != 0 && r.District != q.DistrictID) ||
					(q.OrganizationIDs != nil && r.Org != q.OrganizationIDs[0] && r.Executor != q.OrganizationIDs[0]) ||
					(q.CategoryIDs != nil && !slices.Contains(q.CategoryIDs, r.Category)) ||
					(q.Channel != "" && core.Channel(r.Channel) != q.Channel) ||
					(q.BuildingID > 0 && r.Building != q.BuildingID) || (q.BuildingID < 0 && r.Building != 0) {
					continue
				}
				if r.Reaction != nil {
					wantReact = append(wantReact, *r.Reaction)
				}
				if r.Resolution != nil {
					wantResolve = append(wantResolve, *r.Resolution)
				}
			}
			if got, want := showAll(react)+" |"+showAll(resolve), pick(wantReact)+" |"+pick(wantResolve); got != want {
				t.Fatalf("%s, percentiles of %+v: got %s, the requests hold %s", when, q, got, want)
			}
		}
	}
}

// showAll prints percentiles as show does, one after another.
func showAll(vs []*int64) string {
	out := ""
	for _, v := range vs {
		out += " " + show(v)
	}
	return out
}

// Percentiles come from the Store's memo while the period's requests stay
// as they were, and are counted again after any write of one of them
// through the lifecycle, even one that leaves every count as it was (the
// same key, another time): on both backends.
func TestPercentilesMemo(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "pctmemo")
			msk := func(d, h int) time.Time { return time.Date(2026, 10, d, h, 0, 0, 0, c.loc) }
			const disp = "hq-dispatcher"
			assign := step{who: disp, action: core.ActionAssign, org: "mc-a"}
			c.file(t, msk(5, 9), disp, "b1", "roof-leak", assign, step{at: 60, who: "op-mc-a", action: core.ActionAccept})
			r := c.file(t, msk(6, 9), disp, "b1", "roof-leak", assign)
			q := core.DaysQuery{From: "2026-10-01", To: "2026-10-31"}
			ps := []float64{0.5, 1}
			fresh := func() string {
				react, resolve, err := store.New(c.scope).Percentiles(ctx, q, ps)
				if err != nil {
					t.Fatal(err)
				}
				return showAll(react) + " |" + showAll(resolve)
			}
			memo := func() string {
				react, resolve, err := c.st.Percentiles(ctx, q, ps)
				if err != nil {
					t.Fatal(err)
				}
				return showAll(react) + " |" + showAll(resolve)
			}
			if got, want := memo(), " 3600 3600 | - -"; got != want || fresh() != want {
				t.Fatalf("percentiles %q, counted afresh %q; want %q", got, fresh(), want)
			}
			// A write past the lifecycle (and its rollups) is not seen:
			// the memo answered.
			err := c.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewRaw("UPDATE requests SET reaction_seconds = 7200 WHERE reaction_seconds = 3600").Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, now := memo(), fresh(); got != " 3600 3600 | - -" || now != " 7200 7200 | - -" {
				t.Fatalf("after a write past the rollups: memo %q, counted afresh %q", got, now)
			}
			// A rebuild of the rollups after such a write is seen.
			if err := c.st.RebuildDays(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := memo(), " 7200 7200 | - -"; got != want {
				t.Fatalf("after a rebuild: percentiles %q, want %q", got, want)
			}
			// The second request accepted: its key stays, its reaction
			// time comes; the memo counts again.
			c.clock = msk(6, 9).Add(30 * time.Minute)
			if _, err := c.reqs.Act(ctx, c.people["op-mc-a"], r.Number, core.ActionAccept, core.ActionInput{}); err != nil {
				t.Fatal(err)
			}
			if got, want := memo(), " 1800 7200 | - -"; got != want || fresh() != want {
				t.Fatalf("after an acceptance: percentiles %q, counted afresh %q; want %q", got, fresh(), want)
			}
			// Resolved: the counts of its key's rows change as well.
			c.clock = msk(6, 12)
			if _, err := c.reqs.Act(ctx, c.people["op-mc-a"], r.Number, core.ActionResolve, core.ActionInput{Comment: "заменили"}); err != nil {
				t.Fatal(err)
			}
			if got, want := memo(), " 1800 7200 | 10800 10800"; got != want || fresh() != want {
				t.Fatalf("after a resolution: percentiles %q, counted afresh %q; want %q", got, fresh(), want)
			}
			// Readers at once, after another write: each gets the count.
			c.clock = msk(6, 13)
			if _, err := c.reqs.Act(ctx, c.people["hq-dispatcher"], r.Number, core.ActionClose, core.ActionInput{}); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 8)
			for range 8 {
				go func() {
					react, resolve, err := c.st.Percentiles(ctx, q, ps)
					if err != nil {
						got <- err.Error()
						return
					}
					got <- showAll(react) + " |" + showAll(resolve)
				}()
			}
			for range 8 {
				if g, want := <-got, " 1800 7200 | 10800 10800"; g != want {
					t.Errorf("a reader at once: %q, want %q", g, want)
				}
			}
		})
	}
}
