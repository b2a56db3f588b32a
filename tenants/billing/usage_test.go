package billing_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail/mailtest"
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
	svc := &core.Requests{Store: st, Gate: core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: slug}, Now: time.Now, Location: time.UTC}
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
			mp := mailtest.Start(t)
			cfg := billing.ConfigFromEnv(func(string) string { return "" })
			cfg.Mail = mp.Sender()
			svc, err := billing.New(b, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			s, err := svc.Signup(ctx, billing.SignupInput{CityName: "Елабуга", Slug: "yelabuga", AdminName: "Анна",
				AdminEmail: "anna@yelabuga.example.org", Plan: "whatever"}, "http://x")
			if err != nil {
				t.Fatal(err)
			}
			tn, _ := b.Registry().Get(ctx, "yelabuga")
			if s.Status != tenants.StatusPending || s.CheckoutURL != "" || tn.Plan != billing.TrialPlan {
				t.Fatalf("signup %+v, tenant %+v", s, tn)
			}
			// Active once the administrator confirms the address.
			link, _ := url.Parse(mp.Link(t, "anna@yelabuga.example.org", "http://x/signup/confirm?token="))
			start := time.Now()
			s, err = svc.Confirm(ctx, link.Query().Get("token"))
			if err != nil || s.Status != tenants.StatusActive {
				t.Fatalf("confirm: %+v %v", s, err)
			}
			t.Logf("%s: trial city active %s after the confirmation", kind, time.Since(start))
			// The status tells the truth: nothing was paid, nothing had to be.
			if st, err := svc.Status(ctx, "yelabuga"); err != nil || st.Paid || st.PaymentRequired || !st.Confirmed {
				t.Errorf("status without billing: %+v %v", st, err)
			}
			// The trial city is ready at once, with its admin's invitation.
			scope, err := b.Scope("yelabuga")
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := core.HashPassword("correct horse")
			if _, err := store.New(scope).RedeemInvite(ctx, core.HashToken(s.SetPasswordToken), hash, time.Now()); err != nil {
				t.Fatalf("the admin's link in the trial city: %v", err)
			}
			submit(t, b, "yelabuga", 1)
			// Bad input: every wrong field is named.
			_, err = svc.Signup(ctx, billing.SignupInput{Slug: "yelabuga", AdminEmail: "not an address"}, "http://x")
			var ce *core.Error
			if !asCoreError(err, &ce) || ce.Fields["slug"].Code != billing.MsgSlugTaken || ce.Fields["admin_email"].Code != billing.MsgEmail ||
				ce.Fields["city_name"].Code != billing.MsgRequired || ce.Fields["admin_name"].Code != billing.MsgRequired {
				t.Fatalf("bad signup: %#v", err)
			}
			if ok, why, _ := svc.SlugAvailable(ctx, "Bad Slug"); ok || why != billing.MsgSlugShape {
				t.Fatalf("bad slug: %v %s", ok, why)
			}
			b.ReserveRoutes([]string{"/admin/login", "/t/:slug/api/v1"})
			if ok, why, _ := svc.SlugAvailable(ctx, "admin"); ok || why != billing.MsgSlugReserved {
				t.Fatalf("reserved slug: %v %s", ok, why)
			}
		})
	}
}

func asCoreError(err error, target **core.Error) bool { return errors.As(err, target) }

// A meter event that failed is sent again with the same identifier, and the
// requests counted meanwhile go into the next line: nothing twice, nothing lost.
func TestUsageResumesAfterAStripeFailure(t *testing.T) {
	f := newFixture(t, "postgres")
	ctx := context.Background()
	f.signup("kirov")
	f.mustSend("checkout.session.completed", 0, completed("kirov", f.customer("kirov")))
	submit(t, f.b, "kirov", 2)
	tn, _ := f.b.Registry().Get(ctx, "kirov")
	// The same server, but Stripe's meter endpoint fails: the ledger line
	// stays unreported.
	cfg := billing.ConfigFromEnv(func(string) string { return "" })
	cfg.SecretKey, cfg.APIURL = "sk_test_123", f.mock.URL
	cfg.HTTPClient = &http.Client{Transport: failMeter{}}
	broken, err := billing.New(f.b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.ReportCityUsage(ctx, tn, billing.PeriodOf(f.now)); err == nil {
		t.Fatal("the failed meter event was taken as reported")
	}
	key := billing.PeriodOf(f.now).Key()
	ledger, _ := f.svc.UsageLedger(ctx, "kirov", key)
	if len(ledger) != 1 || ledger[0].ReportedAt != nil || ledger[0].Quantity != 2 {
		t.Fatalf("ledger after the failure: %+v", ledger)
	}
	submit(t, f.b, "kirov", 1)
	if err := f.svc.ReportUsage(ctx); err != nil {
		t.Fatal(err)
	}
	ledger, _ = f.svc.UsageLedger(ctx, "kirov", key)
	if len(ledger) != 2 || ledger[0].ReportedAt == nil || ledger[1].Quantity != 1 || ledger[1].ReportedAt == nil {
		t.Fatalf("ledger after the retry: %+v", ledger)
	}
	var sent []string
	for _, c := range f.mock.Calls("/v1/billing/meter_events") {
		sent = append(sent, c.Form.Get("identifier")+"="+c.Form.Get("payload[value]"))
	}
	if strings.Join(sent, ",") != "kirov-"+key+"-1=2,kirov-"+key+"-2=1" {
		t.Fatalf("meter events sent: %v", sent)
	}
}

// When Stripe cannot be reached the signup fails cleanly and frees the slug;
// unpaid signups free theirs after PendingTTL.
func TestSignupFailuresFreeTheSlug(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	dead := billing.ConfigFromEnv(func(string) string { return "" })
	dead.SecretKey, dead.WebhookSecret, dead.APIURL = "sk_test_123", secret, "http://127.0.0.1:1"
	dead.Mail = f.mail.Sender()
	b2 := tenanttest.Open(t, "sqlite")
	svc, err := billing.New(b2, dead)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Signup(ctx, billing.SignupInput{CityName: "Киров", Slug: "kirov", AdminName: "Анна", AdminEmail: "a@kirov.example.org", Plan: "town"}, "http://x")
	if core.ErrorCode(err) != core.EINTERNAL || !strings.Contains(err.Error(), "payment provider") {
		t.Fatalf("signup without Stripe: %v", err)
	}
	if ok, _, _ := svc.SlugAvailable(ctx, "kirov"); !ok {
		t.Fatal("a failed signup kept its slug")
	}

	f.signup("vyatka")
	f.now = f.now.Add(billing.PendingTTL - time.Minute)
	f.svc.CheckGrace(ctx)
	if ok, _, _ := f.svc.SlugAvailable(ctx, "vyatka"); ok {
		t.Fatal("a fresh unpaid signup lost its slug")
	}
	f.now = f.now.Add(2 * time.Minute)
	if err := f.svc.CheckGrace(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := f.svc.SlugAvailable(ctx, "vyatka"); !ok {
		t.Fatal("an expired unpaid signup still holds its slug")
	}
	f.signup("vyatka") // and it can be signed up again
}

// Two signups racing for one slug: one wins, the other is told in its field.
func TestConcurrentSignupsOfOneSlug(t *testing.T) {
	f := newFixture(t, "postgres")
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.svc.Signup(context.Background(), billing.SignupInput{CityName: "Сочи", Slug: "sochi", AdminName: "Анна",
				AdminEmail: "a@sochi.example.org", Plan: "town"}, "http://x")
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want one success and one conflict: %v / %v", e1, e2)
	}
	lost := e1
	if lost == nil {
		lost = e2
	}
	var ce *core.Error
	if !errors.As(lost, &ce) || ce.Fields["slug"].Code != billing.MsgSlugTaken {
		t.Fatalf("the loser's error: %#v", lost)
	}
}

type failMeter struct{}

func (failMeter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/meter_events") {
		return &http.Response{StatusCode: 503, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"error":{"message":"down"}}`)), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}
