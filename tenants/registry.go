package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// Tenant statuses.
const (
	// StatusPending is a city signed up but not paid for yet; it is not served.
	StatusPending      = "pending"
	StatusProvisioning = "provisioning"
	StatusActive       = "active"
	StatusPastDue      = "past_due"
	StatusSuspended    = "suspended"
	StatusDeleted      = "deleted"
)

// Tenant is one city in the registry.
type Tenant struct {
	ID                   int64  `bun:"id,pk,autoincrement"`
	Slug                 string `bun:"slug,notnull"`
	Name                 string `bun:"name,notnull"`
	Status               string `bun:"status,notnull"`
	Plan                 string `bun:"plan,notnull"`
	Locale               string `bun:"locale,notnull"`
	Timezone             string `bun:"timezone,notnull"`
	Demo                 bool   `bun:"demo,notnull"`
	SchemaVersion        int    `bun:"schema_version,notnull"`
	StripeCustomerID     string `bun:"stripe_customer_id,notnull"`
	StripeSubscriptionID string `bun:"stripe_subscription_id,notnull"`
	// MigrationError is why the city's last migration failed; while it is
	// set the city is out of service. Empty for a healthy city.
	MigrationError string    `bun:"migration_error,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	UpdatedAt      time.Time `bun:"updated_at,notnull"`
}

// ReadOnly reports whether the city accepts only reads.
func (t *Tenant) ReadOnly() bool { return t.Status == StatusSuspended }

// Working reports whether the city's background work (sweeps, relays,
// notifications, imports, summaries) runs: it is served and not suspended.
func (t *Tenant) Working() bool {
	return t.Serving() && (t.Status == StatusActive || t.Status == StatusPastDue)
}

// Serving reports whether the city is reachable at all: live, and its last
// migration did not fail.
func (t *Tenant) Serving() bool {
	live := t.Status == StatusActive || t.Status == StatusPastDue || t.Status == StatusSuspended
	return live && t.MigrationError == ""
}

// NewTenant is the input for creating a city.
type NewTenant struct {
	Slug     string
	Name     string
	Locale   string
	Timezone string
	Plan     string
	Demo     bool
}

// Validate checks a new tenant's fields.
func (n *NewTenant) Validate() error {
	f := core.FieldErrors{}
	if !ValidSlug(n.Slug) {
		f.Add("slug", core.SlugRule)
	}
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		f.Add("name", "error.required")
	} else if len([]rune(n.Name)) > 100 {
		f.Add("name", "error.too_long")
	}
	if n.Locale == "" {
		n.Locale = "ru"
	}
	if n.Locale != "ru" && n.Locale != "en" {
		f.Add("locale", "error.locale")
	}
	if n.Timezone == "" {
		n.Timezone = "Europe/Moscow"
	}
	if _, err := time.LoadLocation(n.Timezone); err != nil || n.Timezone == "Local" {
		f.Add("timezone", "error.timezone")
	}
	if n.Plan == "" {
		n.Plan = "trial"
	}
	return f.Err()
}

// Registry reads and writes the control plane's tenant table.
type Registry struct{ b *Backend }

// Registry returns the tenant registry of the backend.
func (b *Backend) Registry() *Registry { return &Registry{b: b} }

func (r *Registry) tenants(db bun.IDB, dest any) *bun.SelectQuery {
	return db.NewSelect().Model(dest).ModelTableExpr("? AS tenant", r.b.table("tenants"))
}

// Get returns the tenant with the slug, deleted ones included.
func (r *Registry) Get(ctx context.Context, slug string) (*Tenant, error) {
	if !ValidSlug(slug) {
		return nil, &core.Error{Code: core.EINVALID, Message: "error.invalid_slug", Fields: core.FieldErrors{"slug": core.M(core.SlugRule)}}
	}
	t := new(Tenant)
	err := r.tenants(r.b.Control, t).Where("tenant.slug = ?", slug).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("city %q: %w", slug, core.ErrNotFound)
	}
	return t, err
}

// ByDomain returns the tenant that owns a custom domain.
func (r *Registry) ByDomain(ctx context.Context, domain string) (*Tenant, error) {
	t := new(Tenant)
	err := r.tenants(r.b.Control, t).
		Join("JOIN ? AS d ON d.tenant_id = tenant.id", r.b.table("tenant_domains")).
		Where("d.domain = ?", strings.ToLower(domain)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("domain %q: %w", domain, core.ErrNotFound)
	}
	return t, err
}

// List returns all tenants but deleted ones, by slug.
func (r *Registry) List(ctx context.Context) ([]Tenant, error) {
	var ts []Tenant
	err := r.tenants(r.b.Control, &ts).Where("tenant.status <> ?", StatusDeleted).Order("tenant.slug").Scan(ctx)
	return ts, err
}

// Domains returns every custom domain with its tenant slug.
func (r *Registry) Domains(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Domain string `bun:"domain"`
		Slug   string `bun:"slug"`
	}
	err := r.b.Control.NewSelect().TableExpr("? AS d", r.b.table("tenant_domains")).
		ColumnExpr("d.domain, t.slug").
		Join("JOIN ? AS t ON t.id = d.tenant_id", r.b.table("tenants")).Scan(ctx, &rows)
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		out[row.Domain] = row.Slug
	}
	return out, err
}

// AddDomain binds a custom host name to a city.
func (r *Registry) AddDomain(ctx context.Context, slug, domain string) error {
	t, err := r.Get(ctx, slug)
	if err != nil {
		return err
	}
	_, err = r.b.Control.NewRaw("INSERT INTO ? (domain, tenant_id) VALUES (?, ?)",
		r.b.table("tenant_domains"), strings.ToLower(domain), t.ID).Exec(ctx)
	if err != nil && store.IsUniqueViolation(err) {
		return core.E(core.ECONFLICT, "error.domain_bound", "Domain", domain)
	}
	return err
}

// insert adds a tenant in status provisioning; a slug taken by a live city is
// a conflict.
func (r *Registry) insert(ctx context.Context, n NewTenant) (*Tenant, error) {
	if err := r.checkReserved(n.Slug); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	t := &Tenant{Slug: n.Slug, Name: n.Name, Status: StatusProvisioning, Plan: n.Plan, Locale: n.Locale,
		Timezone: n.Timezone, Demo: n.Demo, CreatedAt: now, UpdatedAt: now}
	_, err := r.b.Control.NewInsert().Model(t).ModelTableExpr("?", r.b.table("tenants")).Returning("id").Exec(ctx)
	if err != nil && store.IsUniqueViolation(err) {
		return nil, &core.Error{Code: core.ECONFLICT, Message: "error.slug_taken",
			Fields: core.FieldErrors{"slug": core.M("error.city_exists", "Slug", n.Slug)}}
	}
	return t, err
}

// transitions lists, for each target status, the statuses it may come from.
var transitions = map[string][]string{
	StatusProvisioning: {StatusPending}, // billing: paid signup starts provisioning
	StatusActive:       {StatusProvisioning, StatusSuspended, StatusPastDue},
	StatusPastDue:      {StatusActive},
	StatusSuspended:    {StatusActive, StatusPastDue},
	StatusDeleted:      {StatusProvisioning, StatusActive, StatusPastDue, StatusSuspended, StatusPending},
}

// SetStatus moves a tenant to a new status if the move is allowed, and
// records it in the audit log.
func (r *Registry) SetStatus(ctx context.Context, actor, slug, status string) (*Tenant, error) {
	t, err := r.Get(ctx, slug)
	if err != nil {
		return nil, err
	}
	if t.Status == status {
		return t, nil
	}
	allowed := false
	for _, from := range transitions[status] {
		allowed = allowed || from == t.Status
	}
	if !allowed {
		return nil, core.E(core.ECONFLICT, "error.city_status_change", "Slug", slug, "From", i18n.Code("st_"+t.Status), "To", i18n.Code("st_"+status))
	}
	err = r.b.Control.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE ? SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
			r.b.table("tenants"), status, time.Now().UTC(), t.ID, t.Status).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.E(core.ECONFLICT, "error.city_changed", "Slug", slug)
		}
		return r.audit(ctx, tx, actor, "tenant."+status, slug, "from "+t.Status)
	})
	if err != nil {
		return nil, err
	}
	t.Status = status
	return t, nil
}

func (r *Registry) setSchemaVersion(ctx context.Context, slug string, v int) error {
	_, err := r.b.Control.NewRaw("UPDATE ? SET schema_version = ? WHERE slug = ?", r.b.table("tenants"), v, slug).Exec(ctx)
	return err
}

// setMigrationError marks a city whose migration failed (msg) or clears the
// mark (msg empty), with a line in the audit log either way.
func (r *Registry) setMigrationError(ctx context.Context, slug, msg string) error {
	action, detail := "tenant.migration_failed", msg
	if msg == "" {
		action, detail = "tenant.migration_recovered", "migrated; back in service"
	}
	return r.b.Control.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("UPDATE ? SET migration_error = ? WHERE slug = ?", r.b.table("tenants"), msg, slug).Exec(ctx); err != nil {
			return err
		}
		return r.audit(ctx, tx, "migrate", action, slug, detail)
	})
}

// Audit records a vendor-visible event.
func (r *Registry) Audit(ctx context.Context, actor, action, slug, detail string) error {
	return r.audit(ctx, r.b.Control, actor, action, slug, detail)
}

func (r *Registry) audit(ctx context.Context, db bun.IDB, actor, action, slug, detail string) error {
	_, err := db.NewRaw("INSERT INTO ? (at, actor, action, tenant_slug, detail) VALUES (?, ?, ?, ?, ?)",
		r.b.table("audit_log"), time.Now().UTC(), actor, action, slug, detail).Exec(ctx)
	return err
}

// AuditEntry is one line of the vendor's audit log.
type AuditEntry struct {
	ID         int64     `bun:"id"`
	At         time.Time `bun:"at"`
	Actor      string    `bun:"actor"`
	Action     string    `bun:"action"`
	TenantSlug string    `bun:"tenant_slug"`
	Detail     string    `bun:"detail"`
}

// AuditLog returns the newest entries for a city, or for all when slug is "".
func (r *Registry) AuditLog(ctx context.Context, slug string, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	q := r.b.Control.NewSelect().TableExpr("? AS a", r.b.table("audit_log")).Column("a.*").Order("a.id DESC").Limit(limit)
	if slug != "" {
		q = q.Where("a.tenant_slug = ?", slug)
	}
	err := q.Scan(ctx, &out)
	return out, err
}
