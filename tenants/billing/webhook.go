package billing

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"github.com/uptrace/bun"
)

// WebhookOutcome says what a verified webhook did.
type WebhookOutcome struct {
	EventID   string
	Type      string
	City      string // "" when the event concerns no known city
	Duplicate bool   // seen before: nothing was done again
}

// ErrBadSignature is returned for a webhook whose signature does not verify.
var ErrBadSignature = errors.New("the Stripe-Signature does not match the payload")

// maxEventCreated is the last second both databases store as a timestamp
// (9999-12-31 23:59:59 UTC); an event "created" later is refused.
const maxEventCreated = 253402300799

// HandleWebhook verifies a Stripe webhook on its raw body and applies it
// once: events are deduplicated by id, and each changes only the facts it is
// newer than, so the order of delivery does not matter.
func (s *Service) HandleWebhook(ctx context.Context, payload []byte, signature string) (*WebhookOutcome, error) {
	if s.cfg.WebhookSecret == "" {
		return nil, core.E(core.ENOTFOUND, "error.webhooks_off")
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil || ev.ID == "" || ev.Data == nil {
		slog.WarnContext(ctx, "stripe webhook refused", "err", err)
		return nil, ErrBadSignature
	}
	if ev.Created < 0 || ev.Created > maxEventCreated {
		return nil, core.E(core.EINVALID, "error.event_created_range", "Created", ev.Created)
	}
	obj := ev.Data.Object
	out := &WebhookOutcome{EventID: ev.ID, Type: string(ev.Type)}
	t, err := s.eventTenant(ctx, obj)
	if err != nil {
		return nil, err
	}
	if t != nil {
		out.City = t.Slug
	}
	provision := false
	err = s.b.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("INSERT INTO ? (id, type, created, tenant_slug, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
			s.table("billing_events"), ev.ID, string(ev.Type), ev.Created, out.City, s.now()).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out.Duplicate = true
			return nil
		}
		if t == nil {
			return nil
		}
		provision, err = s.apply(ctx, tx, t, ev)
		return err
	})
	if err != nil || t == nil {
		return out, err
	}
	slog.InfoContext(ctx, "stripe event", "id", ev.ID, "type", ev.Type, "city", out.City, "duplicate", out.Duplicate)
	if provision {
		s.b.Queue().Notify()
	}
	// Also on a replay: if applying the status failed the first time (and
	// Stripe retries because we answered 500), this is where it catches up.
	// Reconcile is idempotent, so a replay has no second effect.
	return out, s.Reconcile(ctx, t.Slug)
}

// eventTenant finds the city an event is about: the checkout's client
// reference, the metadata set at checkout, or the Stripe customer.
func (s *Service) eventTenant(ctx context.Context, obj map[string]any) (*tenants.Tenant, error) {
	reg := s.b.Registry()
	var slugs []string
	slugs = append(slugs, str(obj, "client_reference_id"), str(obj, "metadata", "tenant_slug"),
		str(obj, "subscription_details", "metadata", "tenant_slug"))
	for _, slug := range slugs {
		if !tenants.ValidSlug(slug) {
			continue
		}
		t, err := reg.Get(ctx, slug)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
	}
	if cus := str(obj, "customer"); cus != "" {
		t, err := reg.ByStripeCustomer(ctx, cus)
		if errors.Is(err, core.ErrNotFound) {
			return nil, nil
		}
		return t, err
	}
	return nil, nil
}

// apply records what a new event says about the city; it reports whether a
// provisioning job was enqueued.
func (s *Service) apply(ctx context.Context, tx bun.Tx, t *tenants.Tenant, ev stripe.Event) (bool, error) {
	obj := ev.Data.Object
	now := s.now()
	if _, err := tx.NewRaw("INSERT INTO ? (tenant_slug, updated_at) VALUES (?, ?) ON CONFLICT (tenant_slug) DO NOTHING",
		s.table("tenant_billing"), t.Slug, now).Exec(ctx); err != nil {
		return false, err
	}
	at := time.Unix(ev.Created, 0).UTC()
	payment := func(failing bool) error {
		// past_due_since keeps the first failure of a run of failures.
		_, err := tx.NewRaw(`UPDATE ? SET invoice_at = ?, updated_at = ?,
			past_due_since = CASE WHEN ? THEN COALESCE(past_due_since, ?) ELSE NULL END
			WHERE tenant_slug = ? AND invoice_at <= ?`,
			s.table("tenant_billing"), ev.Created, now, failing, at, t.Slug, ev.Created).Exec(ctx)
		return err
	}
	subscription := func(status string) error {
		_, err := tx.NewRaw("UPDATE ? SET subscription_status = ?, subscription_at = ?, updated_at = ? WHERE tenant_slug = ? AND subscription_at <= ?",
			s.table("tenant_billing"), status, ev.Created, now, t.Slug, ev.Created).Exec(ctx)
		return err
	}
	paid := func() (bool, error) {
		// Marks and reads in one statement, under the row lock Confirm
		// takes too: provisioning starts once both happened.
		var confirmed []int
		if err := tx.NewRaw("UPDATE ? SET paid = ? WHERE tenant_slug = ? RETURNING CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END",
			s.table("signups"), true, t.Slug).Scan(ctx, &confirmed); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		if t.Status != tenants.StatusPending && t.Status != tenants.StatusProvisioning {
			return false, nil
		}
		if len(confirmed) == 0 || confirmed[0] == 0 {
			return false, nil // the administrator has not confirmed the address yet
		}
		_, _, err := s.b.Queue().Enqueue(ctx, tx, provisionJob(t.Slug))
		return err == nil, err
	}
	switch ev.Type {
	case "checkout.session.completed":
		if _, err := tx.NewRaw(`UPDATE ? SET stripe_customer_id = CASE WHEN ? = '' THEN stripe_customer_id ELSE ? END,
			stripe_subscription_id = CASE WHEN ? = '' THEN stripe_subscription_id ELSE ? END WHERE id = ?`,
			s.table("tenants"), str(obj, "customer"), str(obj, "customer"), str(obj, "subscription"), str(obj, "subscription"), t.ID).Exec(ctx); err != nil {
			return false, err
		}
		if str(obj, "payment_status") == "unpaid" {
			return false, nil // an asynchronous payment method; invoice.paid follows
		}
		return paid()
	case "invoice.paid":
		if err := payment(false); err != nil {
			return false, err
		}
		return paid()
	case "invoice.payment_failed":
		return false, payment(true)
	case "customer.subscription.updated", "customer.subscription.created":
		status := str(obj, "status")
		if err := subscription(status); err != nil {
			return false, err
		}
		switch status {
		case "past_due":
			return false, payment(true)
		case "active", "trialing":
			return false, payment(false)
		}
	case "customer.subscription.deleted":
		return false, subscription("canceled")
	}
	return false, nil
}

// str digs a string out of a decoded JSON object.
func str(obj map[string]any, keys ...string) string {
	var cur any = obj
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	switch v := cur.(type) {
	case string:
		return v
	case map[string]any: // an expanded object: its id
		id, _ := v["id"].(string)
		return id
	}
	return ""
}

// Event is one Stripe event recorded for a city.
type Event struct {
	ID         string    `bun:"id"`
	Type       string    `bun:"type"`
	ReceivedAt time.Time `bun:"received_at"`
}

// Events returns up to limit Stripe events recorded for a city, newest
// first.
func (s *Service) Events(ctx context.Context, slug string, limit int) ([]Event, error) {
	var out []Event
	err := s.b.DB().NewSelect().TableExpr("? AS e", s.table("billing_events")).Column("e.id", "e.type", "e.received_at").
		Where("e.tenant_slug = ?", slug).Order("e.received_at DESC").Limit(limit).Scan(ctx, &out)
	return out, err
}
