package pages_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The HQ meeting in a browser: the city admin opens the week's wishes
// grouped by category and district, records a decision on each item —
// the two benches included in a plan with a date, the cycle path declined
// with a reason (refused first without one, in Russian beside the form) —
// and the citizen reads the decisions on her requests; the next week's
// printable agenda, read by the analyst, lists last week's decisions, and
// printing it leaves the week's controls off the paper.
func TestBrowserWishesReview(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit := s.Login("kazan", "citizen")
			wish := func(building int, text string) string {
				t.Helper()
				r := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "wishes", "building_id": building, "description": text})
				if r.Status != http.StatusCreated {
					t.Fatalf("a wish: %d %s", r.Status, r.Body)
				}
				return r.JSON(t)["number"].(string)
			}
			benches := []string{wish(1, "Просим поставить скамейку у подъезда"), wish(2, "Просим поставить скамейку у подъезда во дворе")}
			path := wish(8, "Сделайте велодорожку вдоль набережной Казанки")

			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.LogIn(base, "admin")
			b.Navigate(base + "/hq/wishes")
			if total := b.Text("#wishes-total"); total != "3" {
				t.Fatalf("the week's wishes: %q", total)
			}
			groups := b.Text("#wishes")
			if !strings.Contains(groups, "Авиастроительный") || !strings.Contains(groups, "Вахитовский") {
				t.Errorf("the wishes are not grouped by district: %q", groups)
			}
			b.Screenshot("wishes-review")
			cluster := func(numbers ...string) string {
				t.Helper()
				want := strings.Join(numbers, " ")
				for _, m := range regexp.MustCompile(`id="cluster-(\d+)" data-numbers="([^"]*)"`).FindAllStringSubmatch(b.HTML(), -1) {
					if m[2] == want {
						return "#decide-" + m[1]
					}
				}
				t.Fatalf("no item of exactly %s in %s", want, b.Text("#clusters"))
				return ""
			}

			// The benches: one item, included in the plan for 1 May.
			form := cluster(benches...)
			b.Submit(form+" button[type=submit]", form+" [name=decision]", "planned", form+" [name=plan_date]", "2027-05-01",
				form+" [name=reason]", "Благоустройство дворов, весна")
			if !strings.Contains(b.Location(), "ok=done_wish_decision") {
				t.Fatalf("the decision leads to %s", b.Location())
			}
			// The cycle path: declined without a reason is refused beside
			// its form, then declined with one.
			form = cluster(path)
			b.Submit(form+" button[type=submit]", form+" [name=decision]", "declined")
			if msg := b.Text(form); !strings.Contains(msg, "обязательно") {
				t.Errorf("a decline without a reason: %q", msg)
			}
			form = cluster(path)
			b.Submit(form+" button[type=submit]", form+" [name=decision]", "declined", form+" [name=reason]", "Нет места на набережной")
			clusters := b.Text("#clusters")
			if !strings.Contains(clusters, "Включить в план 2027-05-01") || !strings.Contains(clusters, "Отклонить «Нет места на набережной»") {
				t.Errorf("the decisions are not shown on the review: %q", clusters)
			}
			b.Screenshot("wishes-decided")
			b.LogOut()

			// The citizen sees each decision on her request.
			b.LogIn(base, "citizen")
			for _, c := range []struct{ number, want string }{{benches[0], "включено в план на 2027-05-01"},
				{benches[1], "включено в план на 2027-05-01"}, {path, "отклонено на еженедельном рассмотрении — Нет места на набережной"}} {
				b.Navigate(base + "/requests/" + c.number)
				if page := b.Text("main"); !strings.Contains(page, c.want) {
					t.Errorf("the citizen's request %s does not say %q: %q", c.number, c.want, page)
				}
			}
			b.LogOut()

			// The next week's agenda, as the analyst, lists last week's
			// decisions; on paper it has no controls.
			b.LogIn(base, "analyst")
			b.Navigate(base + "/hq/wishes/agenda")
			b.Click("#next-week")
			decided := b.Text("#decided")
			for _, want := range append([]string{"Включить в план 2027-05-01", "Отклонить", "Нет места на набережной", path}, benches...) {
				if !strings.Contains(decided, want) {
					t.Errorf("the agenda's last week misses %q: %q", want, decided)
				}
			}
			if strings.Contains(b.HTML(), `class="wish-form`) {
				t.Errorf("the agenda has decision forms")
			}
			b.Run("print media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
				return err
			}))
			for _, sel := range []string{"#week-form", "header.top"} {
				if d := webtest.Value(b, "display of "+sel, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("`+sel+`")).display`)); d != "none" {
					t.Errorf("printed, %s is shown (%s)", sel, d)
				}
			}
			if d := webtest.Value(b, "display of #decided", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#decided")).display`)); d == "none" {
				t.Errorf("printed, the decisions are hidden")
			}
			b.Screenshot("wishes-agenda-print")
		})
	}
}
