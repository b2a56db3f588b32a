package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The weekly summary of the fixture's week 45 (2–8 November 2026) counts
// its seven requests beside week 44's two (R1 and R2), and lists exactly
// the requests overdue at the HQ's clock, the one late the longest first,
// each with the deadline it missed. On both backends.
func TestWeeklySummary(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqweek")
			c.fileFixture(t)
			analyst := c.people["hq-analyst"]
			s, err := c.hq.WeeklySummary(ctx, analyst, "")
			if err != nil {
				t.Fatal(err)
			}
			if s.Week != "2026-W45" || s.Prev != "2026-W44" || s.Next != "2026-W46" {
				t.Errorf("weeks %s %s %s", s.Week, s.Prev, s.Next)
			}
			if s.Current.Period != (core.Period{From: "2026-11-02", To: "2026-11-08"}) || s.Previous.Period != (core.Period{From: "2026-10-26", To: "2026-11-01"}) {
				t.Errorf("periods %+v %+v", s.Current.Period, s.Previous.Period)
			}
			if s.Current.Figures.Received != 7 || s.Previous.Figures.Received != 2 {
				t.Errorf("received %d beside %d, want 7 beside 2", s.Current.Figures.Received, s.Previous.Figures.Received)
			}
			if s.HotSpots == nil || s.HotSpots.Period != s.Current.Period {
				t.Errorf("hot spots %+v", s.HotSpots)
			}
			// Overdue: recounted from every request as the desk's overdue
			// queue and HQ's overdue figure count them: unfinished (in
			// triage too: the clock runs from intake) and past a due time.
			now := c.hq.Now()
			all, err := c.st.HQRequests(ctx, core.DaysQuery{From: "2000-01-01", To: "2100-01-01"}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			status := map[string]core.Status{}
			for _, r := range all {
				status[r.Number] = r.Status
				if r.Overdue(now) {
					want = append(want, r.Number)
				}
			}
			var got []string
			for i, it := range s.Overdue {
				got = append(got, it.Number)
				if it.LateSeconds != int64(now.Sub(it.Due)/time.Second) || it.LateSeconds <= 0 {
					t.Errorf("%s: due %v, late %d s", it.Number, it.Due, it.LateSeconds)
				}
				if i > 0 && it.Due.Before(s.Overdue[i-1].Due) {
					t.Errorf("%s before %s: not the longest late first", s.Overdue[i-1].Number, it.Number)
				}
				if it.Category == "" || (it.Organization == "" && status[it.Number].Open()) {
					t.Errorf("%s: category %q, organization %q", it.Number, it.Category, it.Organization)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if len(want) < 4 || !slices.Equal(got, want) || s.OverdueTotal != int64(len(want)) {
				t.Errorf("overdue %v (total %d), want %v", got, s.OverdueTotal, want)
			}
			// A bad week is the field's error; others than HQ are refused.
			for _, w := range []string{"2026-W54", "2026-48", "week", "2026-W00"} {
				_, err := c.hq.WeeklySummary(ctx, analyst, w)
				var e *core.Error
				if !errors.As(err, &e) || e.Code != core.EINVALID || e.Fields["week"].Code != "error.week" {
					t.Errorf("week %q: %v", w, err)
				}
			}
			for _, who := range []string{"hq-citizen", "hq-dispatcher", "op-mc-a"} {
				if _, err := c.hq.WeeklySummary(ctx, c.people[who], "2026-W45"); core.ErrorCode(err) != core.EFORBIDDEN {
					t.Errorf("%s: %v, want forbidden", who, err)
				}
			}
		})
	}
}

// The weekly mailing sends week 45's summary through a real SMTP server
// (mailpit) to the subscribed analyst with an address, in the city's
// language with the links to the page and its workbook; a re-run sends
// nothing; an unsubscribed user and a subscriber without HQ's rights get
// nothing. On both backends.
func TestWeeklySummaryMail(t *testing.T) {
	mp := mailtest.Start(t)
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			slug := "hqmail" + kind[:2]
			c := openHQCity(t, kind, slug)
			c.fileFixture(t)
			err := c.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewRaw("UPDATE users SET email = login || ?", "@"+slug+".test").Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			analyst, disp := c.people["hq-analyst"], c.people["hq-dispatcher"]
			if err := c.hq.SubscribeSummary(ctx, disp, true); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Errorf("a dispatcher subscribes: %v", err)
			}
			for _, on := range []bool{true, false, true, true} {
				if err := c.hq.SubscribeSummary(ctx, analyst, on); err != nil {
					t.Fatal(err)
				}
			}
			if on, err := c.hq.SummarySubscription(ctx, analyst); err != nil || !on {
				t.Fatalf("subscribed: %v %v", on, err)
			}
			// A subscriber who has since become a dispatcher.
			if err := c.st.SetSummarySubscription(ctx, disp.UserID, true, time.Now()); err != nil {
				t.Fatal(err)
			}
			sender := mp.Sender()
			m := core.SummaryMail{Lang: "ru", Link: "https://opencity.test/t/" + slug + "/hq/summary",
				Send: func(ctx context.Context, to, subject, text string) error {
					return sender.Send(ctx, mail.Message{To: to, Subject: subject, Text: text})
				}}
			for run, want := range []int{1, 0} {
				n, err := c.hq.MailWeeklySummary(ctx, "2026-W45", m)
				if err != nil || n != want {
					t.Fatalf("run %d: sent %d, %v; want %d", run, n, err, want)
				}
			}
			to := "hq-analyst@" + slug + ".test"
			msgs := mp.Messages(t, to)
			if len(msgs) != 1 {
				t.Fatalf("%d messages to the analyst", len(msgs))
			}
			msg := msgs[0]
			for _, want := range []string{"Поступило заявок: 7 (неделей раньше: 2)", "https://opencity.test/t/" + slug + "/hq/summary?week=2026-W45&format=xlsx",
				"Просрочено сейчас: 6"} {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("the e-mail lacks %q: %s", want, msg.Text)
				}
			}
			if msg.Subject != "Сводка штаба за неделю 02.11.2026–08.11.2026" {
				t.Errorf("subject %q", msg.Subject)
			}
			if got := mp.Messages(t, "hq-dispatcher@"+slug+".test"); len(got) != 0 {
				t.Errorf("the dispatcher got %d", len(got))
			}
		})
	}
}
