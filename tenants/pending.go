package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
)

// CreatePending adds a signed-up city in status pending: its slug is taken,
// but it has no storage and is not served until it is provisioned.
func (r *Registry) CreatePending(ctx context.Context, n NewTenant) (*Tenant, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := r.checkReserved(n.Slug); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	t := &Tenant{Slug: n.Slug, Name: n.Name, Status: StatusPending, Plan: n.Plan, Locale: n.Locale,
		Timezone: n.Timezone, CreatedAt: now, UpdatedAt: now}
	_, err := r.b.Control.NewInsert().Model(t).ModelTableExpr("?", r.b.table("tenants")).Returning("id").Exec(ctx)
	if err != nil && store.IsUniqueViolation(err) {
		return nil, &core.Error{Code: core.ECONFLICT, Message: "error.slug_taken",
			Fields: core.FieldErrors{"slug": core.M("error.slug_taken_named", "Slug", n.Slug)}}
	}
	if err != nil {
		return nil, err
	}
	return t, r.Audit(ctx, "signup", "tenant.pending", t.Slug, "plan "+t.Plan)
}

// Exists reports whether a slug is used by any city, deleted ones included
// (their storage may still exist).
func (r *Registry) Exists(ctx context.Context, slug string) (bool, error) {
	return r.b.Control.NewSelect().TableExpr("? AS t", r.b.table("tenants")).Where("t.slug = ?", slug).Exists(ctx)
}

// SetStripeIDs records a city's Stripe customer and, when known, its
// subscription; empty arguments leave the stored value as it is.
func (r *Registry) SetStripeIDs(ctx context.Context, slug, customer, subscription string) error {
	_, err := r.b.Control.NewRaw(`UPDATE ? SET
		stripe_customer_id = CASE WHEN ? = '' THEN stripe_customer_id ELSE ? END,
		stripe_subscription_id = CASE WHEN ? = '' THEN stripe_subscription_id ELSE ? END,
		updated_at = ? WHERE slug = ?`,
		r.b.table("tenants"), customer, customer, subscription, subscription, time.Now().UTC(), slug).Exec(ctx)
	return err
}

// ByStripeCustomer returns the live city billed to a Stripe customer.
func (r *Registry) ByStripeCustomer(ctx context.Context, customer string) (*Tenant, error) {
	t := new(Tenant)
	err := r.tenants(r.b.Control, t).Where("tenant.stripe_customer_id = ? AND tenant.stripe_customer_id <> ''", customer).
		Where("tenant.status <> ?", StatusDeleted).Order("tenant.id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("customer %q: %w", customer, core.ErrNotFound)
	}
	return t, err
}
