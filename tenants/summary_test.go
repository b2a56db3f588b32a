package tenants_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The weekly summary job: nothing is enqueued before Monday 07:00 in the
// city's time zone; from then one job per city and week, however many
// slots enqueue it; the job mails the subscribed analyst once (through a
// real SMTP server, mailpit), and running the mailing again sends nothing.
// On both backends.
func TestWeeklySummaryJob(t *testing.T) {
	mp := mailtest.Start(t)
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			slug := "sumjob" + kind[:2]
			tn := tenanttest.Provision(t, b, slug)
			loc, err := time.LoadLocation(tn.Timezone)
			if err != nil {
				t.Fatal(err)
			}
			st, err := b.Store(slug)
			if err != nil {
				t.Fatal(err)
			}
			to := "analyst@" + slug + ".test"
			u := &core.User{Login: "analyst", Name: "Аналитик", Email: to, Role: core.RoleAnalyst, Active: true,
				PasswordHash: "-", CreatedAt: time.Now().UTC()}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := st.SetSummarySubscription(ctx, u.ID, true, time.Now()); err != nil {
				t.Fatal(err)
			}
			monday7 := time.Date(2026, 11, 23, tenants.SummaryHour, 0, 0, 0, loc)
			m := tenants.WeeklySummaryMail{Sender: mp.Sender(), Now: func() time.Time { return monday7 },
				Gate: func(slug string) core.Gate {
					return core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: slug}
				},
				Link: func(slug string) string { return "https://opencity.test/t/" + slug + "/hq/summary" }}
			b.RegisterWeeklySummary(b.Jobs, m)
			for _, slot := range []time.Time{monday7.Add(-15 * time.Minute), monday7, monday7.Add(15 * time.Minute), monday7.Add(3 * time.Hour)} {
				if err := b.EnqueueWeeklySummaries(ctx, b.Jobs, slot); err != nil {
					t.Fatal(err)
				}
			}
			ran, err := b.Jobs.Drain(ctx)
			if err != nil || ran != 1 {
				t.Fatalf("ran %d jobs, %v; want 1", ran, err)
			}
			msgs := mp.Messages(t, to)
			if len(msgs) != 1 || msgs[0].Subject == "" {
				t.Fatalf("%d e-mails to the analyst", len(msgs))
			}
			if n, err := b.MailWeeklySummary(ctx, slug, core.LastWeek(monday7, loc), m); err != nil || n != 0 {
				t.Errorf("a re-run sent %d, %v", n, err)
			}
			if got := len(mp.Messages(t, to)); got != 1 {
				t.Errorf("%d e-mails after the re-run", got)
			}
		})
	}
}
