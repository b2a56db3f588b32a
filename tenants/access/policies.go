package access

import (
	"context"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/uptrace/bun"
)

// Backend is what the authorizer needs from the control plane: the database
// that keeps the policy tables, and a step in every city's provisioning.
type Backend interface {
	DB() *bun.DB
	ControlTable(name string) bun.Ident
	OnProvision(step func(ctx context.Context, slug string) error)
}

// ForBackend returns the authorizer over the backend's control plane; every
// city the backend provisions from then on gets its default policies written
// before it becomes active.
func ForBackend(b Backend) *Authorizer {
	z := New(b.DB(), b.ControlTable("casbin_rule"), b.ControlTable("casbin_versions"))
	b.OnProvision(z.seed)
	return z
}

// CityPolicies lists the rules of one city, defaults included.
func (z *Authorizer) CityPolicies(ctx context.Context, city string) ([]core.Policy, error) {
	if !tenants.ValidSlug(city) {
		return nil, tenants.ErrInvalidSlug
	}
	// Loading the enforcer seeds the defaults of a city that has none yet.
	if _, err := z.enforcer(ctx, city); err != nil {
		return nil, err
	}
	rules, err := z.adapter.Rules(ctx, z.db, &Filter{Domain: city})
	if err != nil {
		return nil, err
	}
	out := make([]core.Policy, 0, len(rules))
	for _, r := range rules {
		if r.PType == "p" {
			out = append(out, core.Policy{Role: core.Role(r.V0), Obj: r.V2, Act: r.V3})
		}
	}
	return out, nil
}

// AddCityPolicy grants a role (built-in or custom) an action on a city
// object, in that city only. Vendor rights and foreign objects are refused.
func (z *Authorizer) AddCityPolicy(ctx context.Context, city string, p core.Policy) (bool, error) {
	if !tenants.ValidSlug(city) {
		return false, tenants.ErrInvalidSlug
	}
	if err := p.Validate(); err != nil {
		return false, err
	}
	if _, err := z.enforcer(ctx, city); err != nil { // seed first, so defaults are not re-added later
		return false, err
	}
	n, err := z.adapter.Add(ctx, "p", [][]string{{string(p.Role), city, p.Obj, p.Act}})
	z.Invalidate(city)
	return n > 0, err
}

// RemoveCityPolicy withdraws a rule of one city. The city admin's right to
// manage policies cannot be withdrawn, so a city cannot lock itself out.
func (z *Authorizer) RemoveCityPolicy(ctx context.Context, city string, p core.Policy) (bool, error) {
	if !tenants.ValidSlug(city) {
		return false, tenants.ErrInvalidSlug
	}
	if err := p.Validate(); err != nil {
		return false, err
	}
	if p.Role == core.RoleCityAdmin && p.Obj == core.ObjPolicies {
		return false, core.E(core.ECONFLICT, "error.keep_policy_right")
	}
	if _, err := z.enforcer(ctx, city); err != nil {
		return false, err
	}
	n, err := z.adapter.Remove(ctx, "p", [][]string{{string(p.Role), city, p.Obj, p.Act}})
	z.Invalidate(city)
	return n > 0, err
}
