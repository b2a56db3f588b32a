package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
)

// PrepareCity provisions the city slug when it does not exist and seeds the
// bench directory (DirectoryData) with every account's password set to
// password. It returns the city's time zone.
func PrepareCity(ctx context.Context, b *tenants.Backend, slug string, buildings int, password string) (*time.Location, error) {
	hash, err := core.HashPassword(password)
	if err != nil {
		return nil, err
	}
	return PrepareCityHash(ctx, b, slug, buildings, hash)
}

// PrepareCityHash is PrepareCity with every account's password hash given
// (core.HashPassword's form).
func PrepareCityHash(ctx context.Context, b *tenants.Backend, slug string, buildings int, hash string) (*time.Location, error) {
	t, err := b.Registry().Get(ctx, slug)
	if core.ErrorCode(err) == core.ENOTFOUND {
		p, perr := b.Provision(ctx, tenants.NewTenant{Slug: slug, Name: "Bench " + slug, Locale: "ru", Timezone: "Europe/Moscow"},
			tenants.Admin{Login: "admin", Name: "Bench admin", PasswordHash: hash})
		if perr != nil {
			return nil, fmt.Errorf("provision %s: %w", slug, perr)
		}
		t = p.Tenant
	} else if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		return nil, err
	}
	scope, err := b.Scope(slug)
	if err != nil {
		return nil, err
	}
	if err := store.New(scope).Seed(ctx, DirectoryData(buildings, hash)); err != nil {
		return nil, fmt.Errorf("seed %s: %w", slug, err)
	}
	return loc, nil
}
