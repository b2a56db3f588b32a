package tenants

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
)

// SetProfile changes a city's name, locale and time zone, checked like a
// new city's, and records the change in the audit log.
func (r *Registry) SetProfile(ctx context.Context, actor, slug, name, locale, timezone string) (*Tenant, error) {
	t, err := r.Get(ctx, slug)
	if err != nil {
		return nil, err
	}
	n := NewTenant{Slug: slug, Name: name, Locale: locale, Timezone: timezone, Plan: t.Plan}
	if locale == "" || timezone == "" {
		f := core.FieldErrors{}
		if locale == "" {
			f.Add("locale", "error.required")
		}
		if timezone == "" {
			f.Add("timezone", "error.required")
		}
		return nil, f.Err()
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	_, err = r.b.Control.NewRaw("UPDATE ? SET name = ?, locale = ?, timezone = ?, updated_at = ? WHERE id = ?",
		r.b.table("tenants"), n.Name, n.Locale, n.Timezone, time.Now().UTC(), t.ID).Exec(ctx)
	if err != nil {
		return nil, err
	}
	t.Name, t.Locale, t.Timezone = n.Name, n.Locale, n.Timezone
	return t, r.Audit(ctx, actor, "tenant.profile", slug, n.Name+", "+n.Locale+", "+n.Timezone)
}

// SetPlan moves a city to another plan and records it in the audit log.
func (r *Registry) SetPlan(ctx context.Context, actor, slug, plan string) (*Tenant, error) {
	t, err := r.Get(ctx, slug)
	if err != nil {
		return nil, err
	}
	if plan == t.Plan {
		return t, nil
	}
	_, err = r.b.Control.NewRaw("UPDATE ? SET plan = ?, updated_at = ? WHERE id = ?",
		r.b.table("tenants"), plan, time.Now().UTC(), t.ID).Exec(ctx)
	if err != nil {
		return nil, err
	}
	from := t.Plan
	t.Plan = plan
	return t, r.Audit(ctx, actor, "tenant.plan", slug, "from "+from+" to "+plan)
}
