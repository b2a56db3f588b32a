package billing_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
	"github.com/opencity/opencity/tenants/billing/stripemock"
	"github.com/opencity/opencity/tenants/tenanttest"
)

const secret = "whsec_test_opencity"

type fixture struct {
	t    *testing.T
	b    *tenants.Backend
	svc  *billing.Service
	mock *stripemock.Mock
	mail *mailtest.Mailpit
	now  time.Time
	seq  int
}

func newFixture(t *testing.T, kind string) *fixture {
	t.Helper()
	mock := stripemock.Start(t)
	b := tenanttest.Open(t, kind)
	cfg := billing.ConfigFromEnv(func(string) string { return "" })
	mp := mailtest.Start(t)
	cfg.SecretKey, cfg.WebhookSecret, cfg.APIURL, cfg.HTTPClient = "sk_test_123", secret, mock.URL, mock.Client
	cfg.Mail = mp.Sender()
	svc, err := billing.New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, b: b, svc: svc, mock: mock, mail: mp, now: time.Now().UTC()}
	svc.Now = func() time.Time { return f.now }
	return f
}

// signup signs a city up and confirms its administrator's address with the
// link of the e-mail; the answer carries the admin's set-password token.
func (f *fixture) signup(slug string) *billing.Signup {
	f.t.Helper()
	s := f.signupOnly(slug)
	c, err := f.svc.Confirm(context.Background(), f.confirmToken(slug))
	if err != nil {
		f.t.Fatalf("confirm %s: %v", slug, err)
	}
	s.SetPasswordToken = c.SetPasswordToken
	return s
}

// signupOnly signs a city up without confirming it.
func (f *fixture) signupOnly(slug string) *billing.Signup {
	f.t.Helper()
	s, err := f.svc.Signup(context.Background(), billing.SignupInput{CityName: "Город " + slug, Slug: slug,
		AdminName: "Анна Админ", AdminEmail: "anna@" + slug + ".example.org", Plan: "town"}, "http://opencity.test")
	if err != nil {
		f.t.Fatalf("signup %s: %v", slug, err)
	}
	return s
}

// confirmToken reads the token of the newest confirmation e-mail of a city.
func (f *fixture) confirmToken(slug string) string {
	f.t.Helper()
	link := f.mail.Link(f.t, "anna@"+slug+".example.org", "http://opencity.test/signup/confirm?token=")
	u, err := url.Parse(link)
	if err != nil {
		f.t.Fatal(err)
	}
	return u.Query().Get("token")
}

// redeem uses the admin's link in the city, as the invitation page does.
func (f *fixture) redeem(slug, token, password string) error {
	f.t.Helper()
	scope, err := f.b.Scope(slug)
	if err != nil {
		return err
	}
	hash, err := core.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = store.New(scope).RedeemInvite(context.Background(), core.HashToken(token), hash, f.now)
	return err
}

// send delivers a signed event created at the given offset from the start.
func (f *fixture) send(typ string, created time.Duration, obj map[string]any) (*billing.WebhookOutcome, error) {
	f.t.Helper()
	f.seq++
	id := "evt_" + strings.ReplaceAll(typ, ".", "_") + "_" + time.Now().Format("150405.000000") + string(rune('a'+f.seq%26))
	payload, header := stripemock.Signed(f.t, secret, id, typ, f.now.Add(created), obj)
	return f.svc.HandleWebhook(context.Background(), payload, header)
}

func (f *fixture) mustSend(typ string, created time.Duration, obj map[string]any) {
	f.t.Helper()
	if _, err := f.send(typ, created, obj); err != nil {
		f.t.Fatalf("%s: %v", typ, err)
	}
	if _, err := f.b.Jobs.Drain(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) status(slug string) string {
	f.t.Helper()
	tn, err := f.b.Registry().Get(context.Background(), slug)
	if err != nil {
		f.t.Fatal(err)
	}
	return tn.Status
}

func (f *fixture) want(slug, status string) {
	f.t.Helper()
	if got := f.status(slug); got != status {
		f.t.Fatalf("%s is %s, want %s", slug, got, status)
	}
}

func (f *fixture) customer(slug string) string {
	tn, _ := f.b.Registry().Get(context.Background(), slug)
	return tn.StripeCustomerID
}

func completed(slug, customer string) map[string]any {
	return map[string]any{"id": "cs_test_" + slug, "object": "checkout.session", "client_reference_id": slug,
		"customer": customer, "subscription": "sub_" + slug, "payment_status": "paid", "mode": "subscription",
		"metadata": map[string]any{"tenant_slug": slug}}
}

func invoice(customer string) map[string]any {
	return map[string]any{"id": "in_1", "object": "invoice", "customer": customer, "subscription": "sub_x"}
}

func subscription(customer, status string) map[string]any {
	return map[string]any{"id": "sub_x", "object": "subscription", "customer": customer, "status": status}
}

func TestSignupCheckoutAndLifecycle(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, kind)
			ctx := context.Background()
			s := f.signup("tver")
			if s.Status != tenants.StatusPending || !strings.HasPrefix(s.CheckoutURL, "https://checkout.stripe.com/") {
				t.Fatalf("signup: %+v", s)
			}
			cs := f.mock.Calls("/v1/checkout/sessions")
			if len(cs) != 1 || cs[0].Form.Get("mode") != "subscription" || cs[0].Form.Get("client_reference_id") != "tver" ||
				cs[0].Form.Get("line_items[0][price]") != "price_opencity_town_monthly" || cs[0].Form.Get("metadata[tenant_slug]") != "tver" {
				t.Fatalf("checkout session call: %+v", cs)
			}
			if cus := f.mock.Calls("/v1/customers"); len(cus) != 1 || cus[0].Form.Get("email") != "anna@tver.example.org" {
				t.Fatalf("customer call: %+v", cus)
			}
			customer := f.customer("tver")
			if !strings.HasPrefix(customer, "cus_") {
				t.Fatalf("customer id %q not stored", customer)
			}
			// A pending city has no storage yet, so no invitation to redeem.
			if err := f.redeem("tver", s.SetPasswordToken, "long enough"); err == nil {
				t.Fatal("a pending city took a password")
			}

			// A forged signature changes nothing.
			payload, _ := stripemock.Signed(t, "whsec_wrong", "evt_forged", "checkout.session.completed", f.now, completed("tver", customer))
			_, header := stripemock.Signed(t, "whsec_wrong", "evt_forged", "checkout.session.completed", f.now, completed("tver", customer))
			if _, err := f.svc.HandleWebhook(ctx, payload, header); !errors.Is(err, billing.ErrBadSignature) {
				t.Fatalf("forged event: %v", err)
			}
			good, goodHeader := stripemock.Signed(t, secret, "evt_tampered", "checkout.session.completed", f.now, completed("tver", customer))
			tampered := []byte(strings.Replace(string(good), `"paid"`, `"PAID"`, 1))
			if _, err := f.svc.HandleWebhook(ctx, tampered, goodHeader); !errors.Is(err, billing.ErrBadSignature) {
				t.Fatalf("tampered body: %v", err)
			}
			f.b.Jobs.Drain(ctx)
			f.want("tver", tenants.StatusPending)

			// Out of order: the invoice is paid before the checkout completes.
			f.mustSend("invoice.paid", 0, invoice(customer))
			f.want("tver", tenants.StatusActive) // invoice.paid alone provisions a pending city
			f.mustSend("checkout.session.completed", -time.Second, completed("tver", customer))
			f.want("tver", tenants.StatusActive)
			st, err := f.svc.Status(ctx, "tver")
			if err != nil || !st.Paid || st.ProvisionedAt == nil || st.ProvisionMS <= 0 {
				t.Fatalf("status %+v %v", st, err)
			}
			t.Logf("%s: provisioning took %d ms", kind, st.ProvisionMS)

			// The signup's link became the city's invitation of its admin:
			// redeemed once, then the admin logs in.
			if err := f.redeem("tver", "not-the-token", "correct horse"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("wrong token: %v", err)
			}
			if err := f.redeem("tver", s.SetPasswordToken, "correct horse"); err != nil {
				t.Fatal(err)
			}
			if err := f.redeem("tver", s.SetPasswordToken, "another horse"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("second use of the link: %v", err)
			}
			scope, _ := f.b.Scope("tver")
			if _, err := (&core.Accounts{Store: store.New(scope)}).Login(ctx, core.Credentials{Login: "anna@tver.example.org", Password: "correct horse"}); err != nil {
				t.Fatalf("admin login: %v", err)
			}

			// Payment fails: past due; a replay does nothing more.
			payload, header = stripemock.Signed(t, secret, "evt_failed_1", "invoice.payment_failed", f.now.Add(time.Minute), invoice(customer))
			if out, err := f.svc.HandleWebhook(ctx, payload, header); err != nil || out.Duplicate || out.City != "tver" {
				t.Fatalf("payment failed: %+v %v", out, err)
			}
			f.want("tver", tenants.StatusPastDue)
			before, _ := f.b.Registry().AuditLog(ctx, "tver", 100)
			if out, err := f.svc.HandleWebhook(ctx, payload, header); err != nil || !out.Duplicate {
				t.Fatalf("replay: %+v %v", out, err)
			}
			after, _ := f.b.Registry().AuditLog(ctx, "tver", 100)
			if len(after) != len(before) {
				t.Fatalf("a replay changed the audit log: %d → %d entries", len(before), len(after))
			}

			// Grace period: still past due after 6 days, suspended after 7.
			f.now = f.now.Add(6 * 24 * time.Hour)
			if err := f.svc.CheckGrace(ctx); err != nil {
				t.Fatal(err)
			}
			f.want("tver", tenants.StatusPastDue)
			f.now = f.now.Add(24*time.Hour + 2*time.Minute)
			if err := f.svc.CheckGrace(ctx); err != nil {
				t.Fatal(err)
			}
			f.want("tver", tenants.StatusSuspended)

			// An old invoice.paid (before the failure) does not resume it…
			f.mustSend("invoice.paid", 30*time.Second-8*24*time.Hour, invoice(customer))
			f.want("tver", tenants.StatusSuspended)
			// …the payment that follows does.
			f.mustSend("invoice.paid", 0, invoice(customer))
			f.want("tver", tenants.StatusActive)

			// The subscription ends: suspended; an older update does not revive it.
			f.mustSend("customer.subscription.deleted", time.Minute, subscription(customer, "canceled"))
			f.want("tver", tenants.StatusSuspended)
			f.mustSend("customer.subscription.updated", 30*time.Second, subscription(customer, "active"))
			f.want("tver", tenants.StatusSuspended)
			// A newer update (resubscribed) resumes it; a past_due one marks it.
			f.mustSend("customer.subscription.updated", 2*time.Minute, subscription(customer, "active"))
			f.want("tver", tenants.StatusActive)
			f.mustSend("customer.subscription.updated", 3*time.Minute, subscription(customer, "past_due"))
			f.want("tver", tenants.StatusPastDue)
			f.mustSend("customer.subscription.updated", 150*time.Second, subscription(customer, "active"))
			f.want("tver", tenants.StatusPastDue) // older than the past_due update
			// The vendor console lists the city's recorded events, up to a limit.
			if evs, err := f.svc.Events(ctx, "tver", 2); err != nil || len(evs) != 2 || evs[0].ID == "" || evs[0].Type == "" || evs[0].ReceivedAt.IsZero() {
				t.Errorf("events %+v, %v", evs, err)
			}
			if evs, err := f.svc.Events(ctx, "nowhere", 50); err != nil || len(evs) != 0 {
				t.Errorf("another city's events %+v, %v", evs, err)
			}
		})
	}
}

func TestVendorSuspensionIsNotLiftedByBilling(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	f.signup("omsk")
	customer := f.customer("omsk")
	f.mustSend("checkout.session.completed", 0, completed("omsk", customer))
	f.want("omsk", tenants.StatusActive)
	if _, err := f.b.Registry().SetStatus(ctx, "vendor", "omsk", tenants.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	f.mustSend("invoice.paid", time.Minute, invoice(customer))
	f.want("omsk", tenants.StatusSuspended)
}

// A provisioning that stopped half-way (the process died after the status
// moved on) is finished by the job, and running it again changes nothing.
func TestProvisioningResumes(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, kind)
			ctx := context.Background()
			f.signup("pskov")
			if _, err := f.b.Registry().SetStatus(ctx, "crash-test", "pskov", tenants.StatusProvisioning); err != nil {
				t.Fatal(err)
			}
			f.mustSend("checkout.session.completed", 0, completed("pskov", f.customer("pskov")))
			f.want("pskov", tenants.StatusActive)
			for range 2 {
				if err := f.svc.Provision(ctx, "pskov"); err != nil {
					t.Fatal(err)
				}
			}
			f.want("pskov", tenants.StatusActive)
			scope, _ := f.b.Scope("pskov")
			st := store.New(scope)
			if u, err := st.UserByLogin(ctx, "anna@pskov.example.org"); err != nil || u.Role != core.RoleCityAdmin {
				t.Fatalf("admin: %+v %v", u, err)
			}
			cats, err := st.Categories(ctx, false)
			if err != nil || len(cats) != len(core.StarterCategories) {
				t.Fatalf("starter categories: %d %v", len(cats), err)
			}
			// The admin cannot log in before the link is used.
			if _, err := (&core.Accounts{Store: st}).Login(ctx, core.Credentials{Login: "anna@pskov.example.org", Password: unusable}); core.ErrorCode(err) != core.EUNAUTHORIZED {
				t.Fatalf("login without a password: %v", err)
			}
		})
	}
}

const unusable = "!set-password-link-not-used"

// With billing on a city becomes active only once it is both paid for and
// confirmed by its administrator, in either order. A signup nobody confirms
// is removed by the expiry job after ConfirmTTL and its link stops working;
// one that was paid for is kept for the vendor.
func TestActivationNeedsPaymentAndConfirmation(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, kind)
			f.b.Jobs.Now = func() time.Time { return f.now }
			ctx := context.Background()

			// Paid first: nothing is provisioned until the confirmation.
			f.signupOnly("paid-first")
			f.mustSend("checkout.session.completed", 0, completed("paid-first", f.customer("paid-first")))
			f.want("paid-first", tenants.StatusPending)
			if st, _ := f.svc.Status(ctx, "paid-first"); !st.Paid || st.Confirmed || st.ProvisionedAt != nil {
				t.Fatalf("paid, unconfirmed: %+v", st)
			}
			s, err := f.svc.Confirm(ctx, f.confirmToken("paid-first"))
			if err != nil {
				t.Fatal(err)
			}
			f.b.Jobs.Drain(ctx)
			f.want("paid-first", tenants.StatusActive)
			if err := f.redeem("paid-first", s.SetPasswordToken, "correct horse"); err != nil {
				t.Fatalf("the admin's link after confirming: %v", err)
			}

			// Confirmed first: nothing until the payment.
			token := ""
			f.signupOnly("confirmed-first")
			token = f.confirmToken("confirmed-first")
			if _, err := f.svc.Confirm(ctx, token); err != nil {
				t.Fatal(err)
			}
			f.b.Jobs.Drain(ctx)
			f.want("confirmed-first", tenants.StatusPending)
			if _, err := f.svc.Confirm(ctx, token); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("a confirmation link used twice: %v", err)
			}
			f.mustSend("checkout.session.completed", 0, completed("confirmed-first", f.customer("confirmed-first")))
			f.want("confirmed-first", tenants.StatusActive)

			// Never confirmed: removed after ConfirmTTL, the slug is free
			// and the link is dead. Paid but never confirmed: kept.
			f.signupOnly("silent")
			silent := f.confirmToken("silent")
			f.signupOnly("silent-paid")
			f.mustSend("checkout.session.completed", 0, completed("silent-paid", f.customer("silent-paid")))
			f.now = f.now.Add(billing.DefaultConfirmTTL - time.Minute)
			f.b.Jobs.Drain(ctx)
			if ok, _, _ := f.svc.SlugAvailable(ctx, "silent"); ok {
				t.Fatal("an unconfirmed signup lost its slug before its time")
			}
			f.now = f.now.Add(2 * time.Minute)
			if _, err := f.b.Jobs.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := f.svc.SlugAvailable(ctx, "silent"); !ok {
				t.Fatal("an unconfirmed signup still holds its slug after ConfirmTTL")
			}
			if _, err := f.svc.Confirm(ctx, silent); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("the link of a removed signup: %v", err)
			}
			f.want("silent-paid", tenants.StatusPending)
			if _, err := f.svc.Confirm(ctx, f.confirmToken("silent-paid")); err != nil {
				t.Fatal(err)
			}
			f.b.Jobs.Drain(ctx)
			f.want("silent-paid", tenants.StatusActive)
		})
	}
}
