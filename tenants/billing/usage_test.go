package billing_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// submit creates n requests in a city as its admin.
func submit(t *testing.T, b *tenants.Backend, slug string, n int) {
	t.Helper()
	ctx := context.Background()
	scope, err := b.Scope(slug)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(scope)
	admin, err := st.UserByLogin(ctx, "anna@"+slug+".example.org")
	if err != nil {
		t.Fatal(err)
	}
	svc := &core.Requests{Store: st, Now: time.Now, Location: time.UTC}
	for i := range n {
		_, _, err := svc.Submit(ctx, core.Actor{UserID: admin.ID, Role: core.RoleCityAdmin}, core.NewRequest{
			Category: "power-supply", Address: "ул. Ленина, " + strconv.Itoa(i+1), Description: "Нет света в подъезде",
			Applicant: core.Applicant{Name: "Иван", Phone: "+7 917 000-00-00"}}, "")
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestUsageIsReportedOnce(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, kind)
			ctx := context.Background()
			for _, slug := range []string{"perm", "ufa"} {
				f.signup(slug)
				f.mustSend("checkout.session.completed", 0, completed(slug, f.customer(slug)))
			}
			submit(t, f.b, "perm", 3)
			submit(t, f.b, "ufa", 1)
			period := billing.PeriodOf(f.now)
			if n, err := f.svc.CountRequests(ctx, "perm", period); err != nil || n != 3 {
				t.Fatalf("count perm: %d %v", n, err)
			}
			if err := f.svc.ReportUsage(ctx); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.ReportUsage(ctx); err != nil { // nothing new: nothing sent
				t.Fatal(err)
			}
			submit(t, f.b, "perm", 2)
			if err := f.svc.ReportUsage(ctx); err != nil {
				t.Fatal(err)
			}
			calls := f.mock.Calls("/v1/billing/meter_events")
			got := map[string]string{}
			for _, c := range calls {
				if c.Form.Get("event_name") != "opencity_requests" {
					t.Errorf("event name %q", c.Form.Get("event_name"))
				}
				got[c.Form.Get("identifier")] = c.Form.Get("payload[value]") + "@" + c.Form.Get("payload[stripe_customer_id]")
			}
			key := period.Key()
			want := map[string]string{
				"perm-" + key + "-1": "3@" + f.customer("perm"),
				"ufa-" + key + "-1":  "1@" + f.customer("ufa"),
				"perm-" + key + "-2": "2@" + f.customer("perm"),
			}
			if len(calls) != 3 || len(got) != 3 {
				t.Fatalf("meter events: %v", got)
			}
			for id, v := range want {
				if got[id] != v {
					t.Errorf("meter event %s = %q, want %q", id, got[id], v)
				}
			}
			ledger, err := f.svc.UsageLedger(ctx, "perm", key)
			if err != nil || len(ledger) != 2 || ledger[0].ReportedAt == nil || ledger[1].Quantity != 2 {
				t.Fatalf("ledger %+v %v", ledger, err)
			}
		})
	}
}

func TestBillingOffGivesAnActiveTrialCity(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			b := tenanttest.Open(t, kind)
			svc, err := billing.New(b, billing.ConfigFromEnv(func(string) string { return "" }))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			start := time.Now()
			s, err := svc.Signup(ctx, billing.SignupInput{CityName: "Елабуга", Slug: "yelabuga", AdminName: "Анна",
				AdminEmail: "anna@yelabuga.example.org", Plan: "whatever"}, "http://x")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: trial signup answered in %s", kind, time.Since(start))
			tn, _ := b.Registry().Get(ctx, "yelabuga")
			if s.Status != tenants.StatusActive || s.CheckoutURL != "" || tn.Plan != billing.TrialPlan {
				t.Fatalf("signup %+v, tenant %+v", s, tn)
			}
			if err := svc.SetPassword(ctx, "yelabuga", s.SetPasswordToken, "correct horse"); err != nil {
				t.Fatal(err)
			}
			submit(t, b, "yelabuga", 1)
			// Bad input: every wrong field is named.
			_, err = svc.Signup(ctx, billing.SignupInput{Slug: "yelabuga", AdminEmail: "not an address"}, "http://x")
			var ce *core.Error
			if !asCoreError(err, &ce) || ce.Fields["slug"] != billing.MsgSlugTaken || ce.Fields["admin_email"] != billing.MsgEmail ||
				ce.Fields["city_name"] != billing.MsgRequired || ce.Fields["admin_name"] != billing.MsgRequired {
				t.Fatalf("bad signup: %#v", err)
			}
			if ok, why, _ := svc.SlugAvailable(ctx, "Bad Slug"); ok || why != billing.MsgSlugShape {
				t.Fatalf("bad slug: %v %s", ok, why)
			}
			if ok, why, _ := svc.SlugAvailable(ctx, "admin"); ok || why != billing.MsgSlugReserved {
				t.Fatalf("reserved slug: %v %s", ok, why)
			}
		})
	}
}

func asCoreError(err error, target **core.Error) bool { return errors.As(err, target) }
