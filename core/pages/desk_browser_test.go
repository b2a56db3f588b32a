package pages_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// deskNumbers walks the desk's pages in the browser from the current page
// by its "next" link and returns the request numbers in the order shown.
func deskNumbers(t *testing.T, b *webtest.Browser) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		nums := webtest.Value(b, "rows", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("table.queue tbody tr[data-number]")).map(tr => tr.dataset.number)`))
		out = append(out, nums...)
		next := webtest.Value(b, "next", chromedp.Evaluate[string](`(document.getElementById("next-page") || {}).href || ""`))
		if next == "" || pages > 200 {
			return out
		}
		b.Navigate(next)
	}
}

// count reads a number the desk shows.
func deskCount(t *testing.T, b *webtest.Browser, sel string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(b.Text(sel)))
	if err != nil {
		t.Fatalf("%s shows %q", sel, b.Text(sel))
	}
	return n
}

// The dispatcher's desk at peak in a browser: 5,000 waiting requests, the
// count of every queue shown, an overdue request found by its filter and
// recalled from its organization to another, filters combined, the pages walked to the end without a
// repeat or a gap, and the counts refreshing themselves when a new request
// arrives.
func TestBrowserDeskAtPeak(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			waiting := s.PeakCity(t, "peak", 5000)
			b := webtest.Start(t)
			base := s.URL() + "/t/peak"
			b.LogIn(base, bench.DispatcherLogin)
			if !strings.HasSuffix(b.Location(), "/t/peak/desk/") {
				t.Fatalf("dispatcher lands on %s", b.Location())
			}
			scope, err := s.Backend.Scope("peak")
			if err != nil {
				t.Fatal(err)
			}
			st := store.New(scope)
			dispatcher := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			countNow := func() core.DeskCounts {
				t.Helper()
				c, err := st.DeskCounts(context.Background(), dispatcher, core.DeskFilter{}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			if waiting < 5000 {
				t.Fatalf("%d requests need the dispatcher, want at least 5,000", waiting)
			}
			// Requests fall overdue (and are escalated) as the clock runs,
			// and nothing else changes them meanwhile: what the page shows
			// lies between the counts just before and just after it.
			before := countNow()
			b.Navigate(base + "/desk/?lang=ru")
			queues := []core.Queue{core.QueueAll, core.QueueNew, core.QueueReturned, core.QueueOverdue, core.QueueEscalated, core.QueueEmergency}
			shown := map[core.Queue]int{}
			for _, q := range queues {
				shown[q] = deskCount(t, b, "#q-"+string(q)+" .count")
			}
			total := deskCount(t, b, "#total b")
			after := countNow()
			for _, q := range queues {
				if shown[q] < before[q] || shown[q] > after[q] || shown[q] == 0 {
					t.Errorf("queue %s shows %d, want %d–%d", q, shown[q], before[q], after[q])
				}
			}
			if total != shown[core.QueueAll] {
				t.Errorf("the queue's total shows %d, its tab %d", total, shown[core.QueueAll])
			}
			b.Screenshot("desk-peak")

			// An overdue request found by the filter form.
			number, cat, dist := s.OverdueOne(t, "peak")
			b.Click("#q-overdue")
			b.Run("filter", chromedp.SetValue(chromedp.CSS("#f-category"), cat), chromedp.SetValue(chromedp.CSS("#f-district"), dist))
			b.Click("#apply")
			if !strings.Contains(b.Location(), "queue=overdue") {
				t.Fatalf("the filter left the queue: %s", b.Location())
			}
			total = deskCount(t, b, "#total b")
			nums := deskNumbers(t, b)
			if !slices.Contains(nums, number) {
				t.Errorf("overdue %s (%s, %s) not among the %d filtered", number, cat, dist, len(nums))
			}
			if len(nums) != total {
				t.Errorf("%d rows through the pages, total %d", len(nums), total)
			}

			// The overdue request recalled from its organization and given
			// to another, from its page, as one lifecycle step.
			held, err := st.RequestByNumber(context.Background(), dispatcher, number)
			if err != nil {
				t.Fatal(err)
			}
			b.Navigate(base + "/requests/" + number + "?lang=ru")
			target := webtest.Value(b, "recall target", chromedp.Evaluate[string](`document.querySelector("#recall-org option:not([value=''])").value`))
			b.Run("recall", chromedp.SetValue(chromedp.CSS("#recall-org"), target),
				chromedp.SetValue(chromedp.CSS("#recall-comment"), "Просрочено: передаём другой организации"))
			b.Click("#f-recall button[type=submit]")
			recalled, err := st.RequestByNumber(context.Background(), dispatcher, number)
			if err != nil {
				t.Fatal(err)
			}
			if target == "" || target == held.Organization || recalled.Organization != target || recalled.Status != core.StatusAssigned {
				t.Errorf("recalled %s from %s: now %s with %q, want assigned to %q", number, held.Organization, recalled.Status, recalled.Organization, target)
			}

			// Filters combined, in deadline order: the pages give each row
			// once, and every row the filter held when the walk began. Rows
			// may join while the walk runs (the age filter lets in the
			// requests that turn a day old), so the count after the walk
			// bounds the rows seen.
			f := core.DeskFilter{Category: "utilities", Channel: core.ChannelCallCentre, Age: "1d"}
			atStart := map[string]bool{}
			q := core.DeskQuery{DeskFilter: f, Queue: core.QueueAll, Sort: core.SortDeadline, Limit: core.MaxPage, Now: time.Now()}
			for {
				rows, next, err := st.DeskQueue(context.Background(), dispatcher, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					atStart[r.Number] = true
				}
				if next == nil {
					break
				}
				q.After = next
			}
			b.Navigate(base + "/desk/?queue=all&category=utilities&channel=call_centre&age=1d&sort=deadline&lang=ru")
			total = deskCount(t, b, "#total b")
			if total < len(atStart) || total <= core.DeskPageSize {
				t.Errorf("combined filters: total %d, want at least the store's %d over more than one page", total, len(atStart))
			}
			nums = deskNumbers(t, b)
			want, err := st.DeskCounts(context.Background(), dispatcher, f, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, n := range nums {
				if seen[n] {
					t.Fatalf("%s shown twice", n)
				}
				seen[n] = true
			}
			for n := range atStart {
				if !seen[n] {
					t.Errorf("%s was in the filtered queue but not on its pages", n)
				}
			}
			if len(seen) > want[core.QueueAll] {
				t.Errorf("%d distinct rows through the pages, more than the %d in the queue after the walk", len(seen), want[core.QueueAll])
			}

			// The counts refresh by themselves: one more request in triage.
			b.Navigate(base + "/desk/?lang=ru")
			triage := deskCount(t, b, "#q-new .count")
			s.InCity(t, "peak", func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewRaw(`UPDATE requests SET status = 'new', organization_id = NULL, accepted_at = NULL, resolved_at = NULL,
					closed_at = NULL, reaction_due_at = NULL, resolution_due_at = NULL
					WHERE id = (SELECT max(id) FROM requests WHERE status = 'closed' AND priority <> 'emergency'
					AND category_id NOT IN (SELECT id FROM categories WHERE group_code = 'wishes'))`).Exec(ctx)
				return err
			})
			b.Run("counts refresh", chromedp.Poll[chromedp.Void](
				`document.querySelector("#q-new .count").textContent.trim() === "`+strconv.Itoa(triage+1)+`"`,
				chromedp.WithPollingTimeout(40*time.Second), chromedp.WithPollingInterval(time.Second)))
		})
	}
}
