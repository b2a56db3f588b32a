package pages_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A citizen submits through the portal, routing assigns the request to the
// building's management company, the operator finds it in the office,
// accepts and resolves it with a photo, and the citizen confirms the fix and
// rates it: each step seen on the next person's page.
func TestBrowserCitizenToOperator(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			photo := filepath.Join(t.TempDir(), "work.png")
			if err := os.WriteFile(photo, apitest.PNG(t), 0o600); err != nil {
				t.Fatal(err)
			}

			// The citizen: the address found without JavaScript's help, by the Find button.
			b.LogIn(base, "citizen")
			if !strings.HasSuffix(b.Location(), "/t/kazan/my/") {
				t.Fatalf("citizen lands on %s", b.Location())
			}
			b.Navigate(base + "/new?lang=ru")
			b.Submit("#find", "category", "lift", "q", "Копылова 3")
			b.Run("choose the building", chromedp.Click(chromedp.CSS(`input[name=building_id][type=radio]`)))
			b.Run("describe", chromedp.SetValue(chromedp.CSS("#description"), "Лифт застрял между этажами"),
				chromedp.SetValue(chromedp.CSS(`[name="applicant.phone"]`), "+7 917 555-11-22"))
			b.Click("#send")
			if !strings.Contains(b.Location(), "/requests/") {
				t.Fatalf("submit: %s", b.Text("main"))
			}
			number := b.Text("#number")
			if !strings.Contains(b.Text(".flash"), "Обращение принято") || !strings.Contains(b.Text("#tracking"), "/t/kazan/requests/"+number) {
				t.Errorf("after submit: %s", b.Text("main"))
			}
			if st := b.Attr("#status", "data-status"); st != "assigned" {
				t.Fatalf("routing left the request %s", st)
			}
			b.Screenshot("citizen-submitted")
			b.LogOut()

			// The operator: the request is first in the office's queue.
			b.LogIn(base, "operator")
			if !strings.HasSuffix(b.Location(), "/t/kazan/office/") {
				t.Fatalf("operator lands on %s", b.Location())
			}
			if first := b.Text("table.queue tbody tr td a"); first != number {
				t.Errorf("first in the queue: %s, want %s", first, number)
			}
			if left := b.Text(`table.queue tr[data-number="` + number + `"] .countdown`); !strings.Contains(left, "осталось") && !strings.Contains(left, "left") {
				t.Errorf("the reaction deadline is not counted down: %q", left)
			}
			b.Click(`table.queue a[href$="` + number + `"]`)
			b.Click("#f-accept button")
			if st := b.Attr("#status", "data-status"); st != "accepted" {
				t.Fatalf("after accept: %s", st)
			}
			b.Run("resolve", chromedp.SetValue(chromedp.CSS("#resolve-comment"), "Лифт запущен, заменён датчик"),
				chromedp.SetUploadFiles(chromedp.CSS("#resolve-photo"), []string{photo}))
			b.Click("#f-resolve button")
			if st := b.Attr("#status", "data-status"); st != "resolved" {
				t.Fatalf("after resolve: %s %s", st, b.Text("main"))
			}
			b.Screenshot("operator-resolved")
			b.LogOut()

			// The citizen sees the fix with its photo, confirms and rates.
			b.LogIn(base, "citizen")
			if !strings.Contains(b.Text("table.queue"), number) {
				t.Errorf("my requests miss %s", number)
			}
			b.Navigate(base + "/requests/" + number)
			if st := b.Attr("#status", "data-status"); st != "resolved" || !strings.Contains(b.Text("#history"), "Лифт запущен") ||
				!strings.Contains(b.HTML(), "/photos/") {
				t.Errorf("citizen sees %s: %s", st, b.Text("#history"))
			}
			b.Click("#f-close button")
			if st := b.Attr("#status", "data-status"); st != "closed" {
				t.Fatalf("after confirm: %s", st)
			}
			b.Run("stars", chromedp.SetValue(chromedp.CSS("#rating-stars"), "5"))
			b.Click("#f-rate button")
			if got := b.Text("#rating"); got != "5/5" {
				t.Errorf("rating shown: %q", got)
			}
			b.Screenshot("citizen-closed")
		})
	}
}

// A dispatcher takes a call with the address typeahead and the keyboard,
// finds it in triage with its deadline, and merges a second call about the
// same pit as a duplicate; an operator cannot open another organization's
// request.
func TestBrowserDispatcherDesk(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			b := webtest.Start(t)
			base := s.URL() + "/t/kazan"
			b.LogIn(base, "dispatcher")
			if !strings.HasSuffix(b.Location(), "/t/kazan/desk/") {
				t.Fatalf("dispatcher lands on %s", b.Location())
			}
			take := func(desc string) string {
				b.Navigate(base + "/desk/call?lang=ru")
				b.Run("typeahead",
					chromedp.SetValue(chromedp.CSS("#category"), "yard-improvement"),
					chromedp.SendKeys(chromedp.CSS("#q"), "Челюскина 17"),
					chromedp.Poll[chromedp.Void](`document.querySelectorAll("#q-list option").length > 0`, chromedp.WithPollingTimeout(10*time.Second)))
				addr := webtest.Value(b, "suggestion", chromedp.Evaluate[string](`document.querySelector("#q-list option").value`))
				// Picking from the list puts the whole address into the field.
				webtest.Value(b, "pick the suggestion", chromedp.Evaluate[bool](fmt.Sprintf(
					`(function(q){q.value=%q; q.dispatchEvent(new Event("input")); return true})(document.querySelector("#q"))`, addr)))
				b.Run("fill the call",
					chromedp.Poll[chromedp.Void](`document.querySelector("#building_id").value !== ""`, chromedp.WithPollingTimeout(10*time.Second)),
					chromedp.SetValue(chromedp.CSS(`[name="applicant.name"]`), "Анна Сергеевна"),
					chromedp.SetValue(chromedp.CSS(`[name="applicant.phone"]`), "+7 843 200-00-00"),
					chromedp.SetValue(chromedp.CSS("#description"), desc),
					chromedp.Focus(chromedp.CSS("#description")))
				ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
				defer cancel()
				if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl))); err != nil {
					t.Fatalf("Ctrl+Enter: %v", err)
				}
				if !strings.Contains(b.Text("#description"), desc) {
					t.Fatalf("after the call: %s", b.Text("main"))
				}
				return b.Text("#number")
			}
			first := take("Яма во дворе у третьего подъезда")
			if !strings.Contains(b.Text("dl.facts"), "Челюскина, д. 17") {
				t.Errorf("the building was not taken: %s", b.Text("dl.facts"))
			}
			second := take("Опять яма у третьего подъезда")

			b.Navigate(base + "/desk/?lang=ru")
			queue := b.Text("table.queue")
			if !strings.Contains(queue, first) || !strings.Contains(queue, second) {
				t.Fatalf("triage misses the calls: %s", queue)
			}
			b.Screenshot("triage")
			b.Navigate(base + "/requests/" + second + "?lang=ru")
			b.Run("original", chromedp.SetValue(chromedp.CSS("#original-number"), first))
			b.Click("#f-duplicate button")
			if st := b.Attr("#status", "data-status"); st != "duplicate" || b.Text("#original") != first {
				t.Errorf("after merge: %s %s", st, b.Text("main"))
			}
			b.Navigate(base + "/desk/")
			if strings.Contains(b.Text("table.queue"), second) {
				t.Errorf("the duplicate stays in triage")
			}
			b.LogOut()

			// The first call is a yard: not the operator's, whose page says so.
			b.LogIn(base, "operator")
			b.Navigate(base + "/requests/" + first)
			if html := b.HTML(); strings.Contains(html, "Яма во дворе") || !strings.Contains(b.Text("main"), "not found") && !strings.Contains(b.Text("main"), "не найдена") {
				t.Errorf("operator opened another organization's request: %s", b.Text("main"))
			}
		})
	}
}
