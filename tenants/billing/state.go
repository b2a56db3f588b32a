package billing

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/opencity/opencity/tenants"
)

// State is what billing knows about a city.
type State struct {
	TenantSlug         string     `bun:"tenant_slug"`
	SubscriptionStatus string     `bun:"subscription_status"`
	SubscriptionAt     int64      `bun:"subscription_at"`
	InvoiceAt          int64      `bun:"invoice_at"`
	PastDueSince       *time.Time `bun:"past_due_since"`
	BillingSuspended   bool       `bun:"billing_suspended"`
	UpdatedAt          time.Time  `bun:"updated_at"`
}

// State returns the billing state of a city; nil when Stripe never sent
// anything about it.
func (s *Service) State(ctx context.Context, slug string) (*State, error) {
	st := new(State)
	err := s.b.DB().NewSelect().TableExpr("? AS b", s.table("tenant_billing")).Column("b.*").
		Where("b.tenant_slug = ?", slug).Scan(ctx, st)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return st, err
}

// wanted is the city status the billing state calls for at now.
func (s *Service) wanted(st *State, now time.Time) string {
	switch st.SubscriptionStatus {
	case "canceled", "unpaid", "incomplete_expired":
		return tenants.StatusSuspended
	}
	if st.PastDueSince != nil {
		if now.Sub(*st.PastDueSince) >= s.cfg.Grace {
			return tenants.StatusSuspended
		}
		return tenants.StatusPastDue
	}
	return tenants.StatusActive
}

// Reconcile moves a provisioned city to the status its billing state calls
// for. A city suspended by the vendor (not by billing) stays suspended.
func (s *Service) Reconcile(ctx context.Context, slug string) error {
	reg := s.b.Registry()
	t, err := reg.Get(ctx, slug)
	if err != nil {
		return err
	}
	switch t.Status {
	case tenants.StatusActive, tenants.StatusPastDue, tenants.StatusSuspended:
	default:
		return nil // not provisioned yet, or deleted
	}
	st, err := s.State(ctx, slug)
	if err != nil || st == nil {
		return err
	}
	want := s.wanted(st, s.now())
	if want == t.Status || (t.Status == tenants.StatusSuspended && !st.BillingSuspended) {
		return nil
	}
	if t.Status == tenants.StatusSuspended && want == tenants.StatusPastDue {
		// Resumed while still past due: through active, the only way back.
		if _, err := reg.SetStatus(ctx, "billing", slug, tenants.StatusActive); err != nil {
			return err
		}
	}
	if _, err := reg.SetStatus(ctx, "billing", slug, want); err != nil {
		return err
	}
	_, err = s.b.DB().NewRaw("UPDATE ? SET billing_suspended = ?, updated_at = ? WHERE tenant_slug = ?",
		s.table("tenant_billing"), want == tenants.StatusSuspended, s.now(), slug).Exec(ctx)
	s.Changed()
	return err
}

// PendingTTL is how long an unpaid signup holds its slug. Stripe's checkout
// sessions expire after 24 hours, so no payment can arrive later.
const PendingTTL = 48 * time.Hour

// CheckGrace suspends the cities past due for longer than the grace period
// (and catches up any status a failed webhook left behind), and frees the
// slugs of signups never paid for. It is the periodic billing.grace job.
func (s *Service) CheckGrace(ctx context.Context) error {
	var stale []string
	err := s.b.DB().NewSelect().TableExpr("? AS su", s.table("signups")).Column("su.tenant_slug").
		Join("JOIN ? AS t ON t.slug = su.tenant_slug", s.table("tenants")).
		Where("t.status = ? AND NOT su.paid AND su.created_at < ?", tenants.StatusPending, s.now().Add(-PendingTTL)).Scan(ctx, &stale)
	if err != nil {
		return err
	}
	for _, slug := range stale {
		s.abandon(ctx, slug)
	}
	var slugs []string
	err = s.b.DB().NewSelect().TableExpr("? AS b", s.table("tenant_billing")).Column("b.tenant_slug").
		Order("b.tenant_slug").Scan(ctx, &slugs)
	if err != nil {
		return err
	}
	var errs []error
	for _, slug := range slugs {
		errs = append(errs, s.Reconcile(ctx, slug))
	}
	return errors.Join(errs...)
}
