package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
)

// unusablePassword is the admin's password hash until the invitation is
// used: no password matches it.
const unusablePassword = "!set-password-link-not-used"

type signupRow struct {
	TenantSlug        string     `bun:"tenant_slug"`
	AdminName         string     `bun:"admin_name"`
	AdminEmail        string     `bun:"admin_email"`
	Plan              string     `bun:"plan"`
	CheckoutSessionID string     `bun:"checkout_session_id"`
	CheckoutURL       string     `bun:"checkout_url"`
	Paid              bool       `bun:"paid"`
	ProvisionTookMS   int64      `bun:"provision_took_ms"`
	Error             string     `bun:"error"`
	ConfirmHash       string     `bun:"confirm_hash"`
	ConfirmedAt       *time.Time `bun:"confirmed_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	ProvisionedAt     *time.Time `bun:"provisioned_at"`
}

func (s *Service) signup(ctx context.Context, slug string) (*signupRow, error) {
	row := new(signupRow)
	err := s.b.DB().NewSelect().TableExpr("? AS s", s.table("signups")).Column("s.*").
		Where("s.tenant_slug = ?", slug).Scan(ctx, row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", slug, errNoSignup)
	}
	return row, err
}

func (s *Service) runProvision(ctx context.Context, j *jobs.Job) error {
	var p struct {
		Slug string `json:"slug"`
	}
	if err := j.Decode(&p); err != nil {
		return err
	}
	err := s.Provision(ctx, p.Slug)
	if err != nil {
		_, _ = s.b.DB().NewRaw("UPDATE ? SET error = ? WHERE tenant_slug = ?", s.table("signups"), err.Error(), p.Slug).Exec(ctx)
	}
	return err
}

// Provision turns a signed-up city into a working one: storage, migrations,
// starter categories and the admin account (through tenants.Provision), then
// the billing state known so far. It is idempotent and resumes a run that
// stopped half-way.
func (s *Service) Provision(ctx context.Context, slug string) error {
	start := time.Now()
	reg := s.b.Registry()
	t, err := reg.Get(ctx, slug)
	if err != nil {
		return err
	}
	switch t.Status {
	case tenants.StatusPending, tenants.StatusProvisioning:
	case tenants.StatusDeleted:
		return nil
	default:
		return s.Reconcile(ctx, slug) // provisioned already
	}
	su, err := s.signup(ctx, slug)
	if err != nil {
		return err
	}
	if su.ConfirmedAt == nil || (s.Enabled() && !su.Paid) {
		// Activation needs both; Confirm and the payment webhook each start
		// provisioning once the other has happened.
		slog.InfoContext(ctx, "signup not provisioned yet", append([]any{"city", slug, "confirmed", su.ConfirmedAt != nil}, s.paymentAttrs(su.Paid)...)...)
		return nil
	}
	if t.Status == tenants.StatusPending {
		if t, err = reg.SetStatus(ctx, "billing", slug, tenants.StatusProvisioning); err != nil {
			return err
		}
	}
	p, err := s.b.Provision(ctx, tenants.NewTenant{Slug: t.Slug, Name: t.Name, Locale: t.Locale, Timezone: t.Timezone, Plan: t.Plan},
		tenants.Admin{Login: su.AdminEmail, Name: su.AdminName, Email: su.AdminEmail, PasswordHash: unusablePassword})
	if err != nil {
		return fmt.Errorf("provision %s: %w", slug, err)
	}
	if err := s.inviteAdmin(ctx, slug, su.AdminEmail); err != nil {
		return fmt.Errorf("invite the admin of %s: %w", slug, err)
	}
	took := time.Since(start)
	if _, err := s.b.DB().NewRaw("UPDATE ? SET provisioned_at = ?, provision_took_ms = ?, error = '' WHERE tenant_slug = ?",
		s.table("signups"), s.now(), took.Milliseconds(), slug).Exec(ctx); err != nil {
		return err
	}
	slog.InfoContext(ctx, "signup provisioned", "city", slug, "took", took, "provision", p.Took)
	s.Changed()
	return s.Reconcile(ctx, slug)
}

// SignupStatus is the public progress of a signup.
type SignupStatus struct {
	Slug   string `json:"slug"`
	Status string `json:"status"`
	// PaymentRequired is true when the city becomes active only once paid
	// for (billing on); false on a server without billing.
	PaymentRequired bool `json:"payment_required"`
	// Paid is true once Stripe confirmed the payment; never without
	// billing, where nothing is paid.
	Paid bool `json:"paid"`
	// Confirmed is true once the administrator confirmed the e-mail address.
	Confirmed     bool       `json:"confirmed"`
	ProvisionedAt *time.Time `json:"provisioned_at,omitempty"`
	ProvisionMS   int64      `json:"provision_ms,omitempty"`
	// Failed says provisioning failed at least once; it is being retried.
	Failed bool `json:"failed,omitempty"`
}

// Status returns the progress of a signed-up city; cities that did not sign
// up (demo, vendor-made) are not found.
func (s *Service) Status(ctx context.Context, slug string) (*SignupStatus, error) {
	t, err := s.b.Registry().Get(ctx, slug)
	if err != nil {
		return nil, err
	}
	su, err := s.signup(ctx, slug)
	if errors.Is(err, errNoSignup) || t.Status == tenants.StatusDeleted {
		return nil, core.E(core.ENOTFOUND, "error.no_signup", "Slug", slug)
	}
	if err != nil {
		return nil, err
	}
	return &SignupStatus{Slug: slug, Status: t.Status, PaymentRequired: s.Enabled(), Paid: su.Paid && s.Enabled(), Confirmed: su.ConfirmedAt != nil, ProvisionedAt: su.ProvisionedAt,
		ProvisionMS: su.ProvisionTookMS, Failed: su.Error != "" && su.ProvisionedAt == nil}, nil
}

// paymentAttrs are the log attributes of a signup's payment: whether it
// is paid with billing on, that billing is off otherwise.
func (s *Service) paymentAttrs(paid bool) []any {
	if !s.Enabled() {
		return []any{"billing", "off"}
	}
	return []any{"paid", paid}
}

// inviteAdmin turns the link made at signup into the city's own invitation
// of its admin, redeemed like any other on /t/{slug}/invite. The control
// plane only carried the token's hash until the city existed. Running it
// again (a resumed provisioning) finds the invitation there already.
func (s *Service) inviteAdmin(ctx context.Context, slug, login string) error {
	var hash string
	err := s.b.DB().NewRaw("SELECT hash FROM ? WHERE tenant_slug = ? AND used_at IS NULL",
		s.table("set_password_tokens"), slug).Scan(ctx, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := s.b.Store(slug)
	if err != nil {
		return err
	}
	u, err := st.UserByLogin(ctx, core.NormalizeLogin(login))
	if err != nil {
		return err
	}
	if err := st.CreateInvite(ctx, u.ID, hash, s.now()); err != nil && !store.IsUniqueViolation(err) {
		return err
	}
	_, err = s.b.DB().NewRaw("UPDATE ? SET used_at = ? WHERE hash = ?", s.table("set_password_tokens"), s.now(), hash).Exec(ctx)
	return err
}
