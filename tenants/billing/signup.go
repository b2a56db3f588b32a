package billing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"
)

// Field messages of signups: codes of the catalog (core/i18n).
const (
	MsgRequired     = "error.required"
	MsgTooLong      = "error.too_long"
	MsgSlugShape    = core.SlugRule
	MsgSlugTaken    = "error.slug_taken"
	MsgSlugReserved = tenants.ErrReservedSlug
	MsgEmail        = "error.not_email"
	MsgPlan         = "error.choose_plan"
	// MsgNoMail refuses signups on a server that cannot send e-mail;
	// MsgMailFailed is a failed sending.
	MsgNoMail     = "error.no_mail"
	MsgMailFailed = "error.mail_failed"
)

// SetPasswordTTL is how long the one-time set-password link of a new city's
// admin stays valid: it becomes the city's own invitation (core.InviteTTL)
// when the city is provisioned.
const SetPasswordTTL = core.InviteTTL

// SignupInput is what a new city enters on the signup page.
type SignupInput struct {
	CityName   string `json:"city_name"`
	Slug       string `json:"slug"`
	AdminName  string `json:"admin_name"`
	AdminEmail string `json:"admin_email"`
	Plan       string `json:"plan"`
	Locale     string `json:"locale"`
}

// Signup is the outcome of a signup or of its confirmation.
type Signup struct {
	Slug   string
	Status string
	// CheckoutURL is Stripe's payment page; empty when billing is off.
	CheckoutURL string
	// SetPasswordToken is the raw one-time token of the admin's invitation
	// (/t/{slug}/invite?token=…), made when the administrator confirms the
	// e-mail address and given only to the confirming browser; only its
	// hash is stored.
	SetPasswordToken string
}

// InviteURL is the admin's link to choose a password, once the city is ready:
// the city's own invitation page, the same one every invited user gets.
func InviteURL(slug, token string) string {
	return "/t/" + slug + "/invite?token=" + url.QueryEscape(token)
}

// SlugAvailable tells whether a slug can be signed up for, and if not why
// (one of the Msg… constants).
func (s *Service) SlugAvailable(ctx context.Context, slug string) (bool, string, error) {
	switch {
	case !tenants.ValidSlug(slug):
		return false, MsgSlugShape, nil
	case s.b.SlugReserved(slug):
		return false, MsgSlugReserved, nil
	}
	taken, err := s.b.Registry().Exists(ctx, slug)
	if err != nil || taken {
		return false, MsgSlugTaken, err
	}
	return true, "", nil
}

func (s *Service) validate(ctx context.Context, in *SignupInput) error {
	f := core.FieldErrors{}
	in.CityName = strings.TrimSpace(in.CityName)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	in.AdminName = strings.TrimSpace(in.AdminName)
	in.AdminEmail = strings.TrimSpace(in.AdminEmail)
	text := func(field, v string, max int) {
		if v == "" {
			f.Add(field, MsgRequired)
		} else if len([]rune(v)) > max {
			f.Add(field, MsgTooLong)
		}
	}
	text("city_name", in.CityName, 100)
	text("admin_name", in.AdminName, 100)
	text("admin_email", in.AdminEmail, 200)
	if in.AdminEmail != "" {
		if a, err := mail.ParseAddress(in.AdminEmail); err != nil || a.Address != in.AdminEmail || !strings.Contains(in.AdminEmail, ".") {
			f.Add("admin_email", MsgEmail)
		}
	}
	if in.Slug == "" {
		f.Add("slug", MsgRequired)
	} else if ok, why, err := s.SlugAvailable(ctx, in.Slug); err != nil {
		return err
	} else if !ok {
		f.Add("slug", why)
	}
	if !s.Enabled() {
		in.Plan = TrialPlan
	} else if _, ok := s.cfg.Plan(in.Plan); !ok {
		f.Add("plan", MsgPlan)
	}
	if in.Locale != "en" {
		in.Locale = "ru"
	}
	return f.Err()
}

// Signup creates a pending city and sends its administrator the e-mail that
// confirms the address (ConfirmURL); the city becomes active only after that
// confirmation and, with billing on, Stripe's signed webhook confirming the
// payment — in either order. With billing on it also returns the Stripe
// Checkout page to send the browser to. A city not confirmed within
// Config.ConfirmTTL is removed (JobExpire). Without a mail sender signups are
// refused (EUNAVAILABLE): nobody could confirm them.
func (s *Service) Signup(ctx context.Context, in SignupInput, baseURL string) (*Signup, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	if s.cfg.Mail == nil {
		slog.ErrorContext(ctx, "signup refused: no mail server to confirm the administrator's address (set OPENCITY_SMTP_URL)")
		return nil, core.E(core.EUNAVAILABLE, MsgNoMail)
	}
	reg := s.b.Registry()
	t, err := reg.CreatePending(ctx, tenants.NewTenant{Slug: in.Slug, Name: in.CityName, Locale: in.Locale, Plan: in.Plan})
	if err != nil {
		if core.ErrorCode(err) == core.ECONFLICT {
			return nil, &core.Error{Code: core.ECONFLICT, Message: "error.slug_taken", Fields: core.FieldErrors{"slug": core.M(MsgSlugTaken)}}
		}
		return nil, err
	}
	confirm := randomToken()
	hash := core.HashToken(confirm)
	login := core.NormalizeLogin(in.AdminEmail)
	now := s.now()
	err = s.b.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("INSERT INTO ? (tenant_slug, admin_name, admin_email, plan, confirm_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			s.table("signups"), t.Slug, in.AdminName, login, in.Plan, hash, now).Exec(ctx); err != nil {
			return err
		}
		_, _, err := s.b.Queue().Enqueue(ctx, tx, jobs.NewJob{Kind: JobExpire, Tenant: t.Slug, RunAt: now.Add(s.cfg.ConfirmTTL),
			Payload: expirePayload{Slug: t.Slug, Hash: hash}})
		return err
	})
	if err != nil {
		s.abandon(ctx, t.Slug)
		return nil, err
	}
	if s.cfg.PublicURL != "" {
		baseURL = s.cfg.PublicURL
	}
	if err := s.cfg.Mail.Send(ctx, confirmMail(in, login, ConfirmURL(baseURL, confirm), s.cfg.ConfirmTTL)); err != nil {
		s.abandon(ctx, t.Slug)
		slog.ErrorContext(ctx, "confirmation e-mail not sent", "city", t.Slug, "err", err)
		return nil, core.E(core.EUNAVAILABLE, MsgMailFailed)
	}
	slog.InfoContext(ctx, "signup: confirmation e-mail sent", "city", t.Slug)
	out := &Signup{Slug: t.Slug, Status: t.Status}
	if !s.Enabled() {
		return out, nil
	}
	url, err := s.checkout(ctx, t.Slug, in, baseURL)
	if err != nil {
		s.abandon(ctx, t.Slug)
		slog.ErrorContext(ctx, "stripe checkout failed", "city", t.Slug, "err", err)
		return nil, core.E(core.EINTERNAL, "error.payments_down")
	}
	out.CheckoutURL = url
	return out, nil
}

// ConfirmURL is the link of the confirmation e-mail: a page that asks the
// administrator to confirm with a button, so a mail scanner that follows
// links confirms nothing.
func ConfirmURL(baseURL, token string) string {
	return baseURL + "/signup/confirm?token=" + url.QueryEscape(token)
}

// Confirm records that the administrator of a signed-up city received the
// e-mail: token is the one of the link (single use: ENOTFOUND afterwards, or
// once the city was removed). It makes the admin's one-time invitation and,
// once the city is also paid for (or billing is off), provisions it.
func (s *Service) Confirm(ctx context.Context, token string) (*Signup, error) {
	if token == "" {
		return nil, core.E(core.ENOTFOUND, "error.confirm_link")
	}
	invite := randomToken()
	now := s.now()
	var row struct {
		Slug  string `bun:"tenant_slug"`
		Login string `bun:"admin_email"`
		Paid  bool   `bun:"paid"`
	}
	provision := false
	err := s.b.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// One statement marks and reads the row: the webhook's payment
		// (paid) takes the same row lock, so whichever comes second sees the
		// other and starts provisioning.
		err := tx.NewRaw("UPDATE ? SET confirmed_at = ? WHERE confirm_hash = ? AND confirmed_at IS NULL RETURNING tenant_slug, admin_email, paid",
			s.table("signups"), now, core.HashToken(token)).Scan(ctx, &row)
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(core.ENOTFOUND, "error.confirm_link")
		}
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw("INSERT INTO ? (hash, tenant_slug, login, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
			s.table("set_password_tokens"), core.HashToken(invite), row.Slug, row.Login, now.Add(SetPasswordTTL), now).Exec(ctx); err != nil {
			return err
		}
		if provision = row.Paid || !s.Enabled(); provision {
			job := provisionJob(row.Slug)
			if !s.Enabled() {
				// Provisioned below, before the answer; the job, due a
				// minute from now, is the durable record that resumes it.
				job.RunAt = now.Add(time.Minute)
			}
			_, _, err = s.b.Queue().Enqueue(ctx, tx, job)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slog.InfoContext(ctx, "signup confirmed", append([]any{"city", row.Slug}, s.paymentAttrs(row.Paid)...)...)
	if provision {
		s.b.Queue().Notify()
		if !s.Enabled() {
			// Running the job's idempotent work here makes the trial city
			// active before the answer. If it fails or the process dies,
			// the job resumes it.
			if err := s.Provision(ctx, row.Slug); err != nil {
				slog.ErrorContext(ctx, "trial provisioning failed; the job queue will retry", "city", row.Slug, "err", err)
			}
		}
	}
	st, err := s.Status(ctx, row.Slug)
	if err != nil {
		return nil, err
	}
	return &Signup{Slug: row.Slug, Status: st.Status, SetPasswordToken: invite}, nil
}

// expirePayload names the signup a JobExpire removes: the same slug signed
// up again later has another confirmation hash and is left alone.
type expirePayload struct {
	Slug string `json:"slug"`
	Hash string `json:"hash"`
}

// expire removes a signup nobody confirmed in time, freeing its slug. A city
// that has been paid for is kept (pending, visible to the vendor) and can
// still be confirmed.
func (s *Service) expire(ctx context.Context, j *jobs.Job) error {
	var p expirePayload
	if err := j.Decode(&p); err != nil {
		return err
	}
	su, err := s.signup(ctx, p.Slug)
	if errors.Is(err, errNoSignup) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case su.ConfirmHash != p.Hash || su.ConfirmedAt != nil:
		return nil
	case su.Paid:
		slog.WarnContext(ctx, "signup paid but not confirmed in time: kept pending for the vendor", "city", p.Slug)
		return nil
	}
	s.abandon(ctx, p.Slug)
	slog.InfoContext(ctx, "unconfirmed signup removed", "city", p.Slug, "after", s.cfg.ConfirmTTL)
	return nil
}

// checkout creates the Stripe customer and the Checkout Session.
func (s *Service) checkout(ctx context.Context, slug string, in SignupInput, baseURL string) (string, error) {
	plan, _ := s.cfg.Plan(in.Plan)
	meta := map[string]string{"tenant_slug": slug, "plan": plan.Code}
	cp := &stripe.CustomerParams{Email: stripe.String(in.AdminEmail), Name: stripe.String(in.CityName),
		Description: stripe.String(in.AdminName), Metadata: meta}
	cp.Context = ctx
	cp.SetIdempotencyKey("opencity-customer-" + slug)
	cus, err := s.stripe.Customers.New(cp)
	if err != nil {
		return "", fmt.Errorf("customer: %w", err)
	}
	if err := s.b.Registry().SetStripeIDs(ctx, slug, cus.ID, ""); err != nil {
		return "", err
	}
	if s.cfg.PublicURL != "" {
		baseURL = s.cfg.PublicURL
	}
	items := []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(plan.StripePriceID), Quantity: stripe.Int64(1)}}
	if plan.StripeUsagePriceID != "" {
		items = append(items, &stripe.CheckoutSessionLineItemParams{Price: stripe.String(plan.StripeUsagePriceID)})
	}
	sp := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(cus.ID),
		ClientReferenceID: stripe.String(slug),
		LineItems:         items,
		Metadata:          meta,
		SubscriptionData:  &stripe.CheckoutSessionSubscriptionDataParams{Metadata: meta},
		SuccessURL:        stripe.String(baseURL + "/signup/done?slug=" + slug),
		CancelURL:         stripe.String(baseURL + "/signup?slug=" + slug + "&canceled=1"),
		Locale:            stripe.String(in.Locale),
	}
	sp.Context = ctx
	sp.SetIdempotencyKey("opencity-checkout-" + slug)
	sess, err := s.stripe.CheckoutSessions.New(sp)
	if err != nil {
		return "", fmt.Errorf("checkout session: %w", err)
	}
	_, err = s.b.DB().NewRaw("UPDATE ? SET checkout_session_id = ?, checkout_url = ? WHERE tenant_slug = ?",
		s.table("signups"), sess.ID, sess.URL, slug).Exec(ctx)
	return sess.URL, err
}

// abandon removes a pending city whose signup could not be completed, so
// its slug is free again. Nothing exists for it beyond control rows.
func (s *Service) abandon(ctx context.Context, slug string) {
	ctx = context.WithoutCancel(ctx)
	err := s.b.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, tbl := range []string{"signups", "set_password_tokens"} {
			if _, err := tx.NewRaw("DELETE FROM ? WHERE tenant_slug = ?", s.table(tbl), slug).Exec(ctx); err != nil {
				return err
			}
		}
		_, err := tx.NewRaw("DELETE FROM ? WHERE slug = ? AND status = ?", s.table("tenants"), slug, tenants.StatusPending).Exec(ctx)
		return err
	})
	if err != nil {
		slog.Error("abandon signup", "city", slug, "err", err)
	}
}

func provisionJob(slug string) jobs.NewJob {
	return jobs.NewJob{Kind: JobProvision, Tenant: slug, Payload: map[string]string{"slug": slug}, UniqueKey: JobProvision + ":" + slug}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

var errNoSignup = errors.New("no signup for this city")
