package tenants

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
)

// Admin is the first account of a new city.
type Admin struct {
	Login    string
	Name     string
	Email    string
	Password string // generated when empty
	// PasswordHash, when set, is used as is instead of hashing Password.
	PasswordHash string
}

// Provisioned is the outcome of provisioning a city.
type Provisioned struct {
	Tenant *Tenant
	// AdminPassword is set when the password was generated; it is shown once.
	AdminPassword string
	Took          time.Duration
}

// Provision creates a city: registry row, schema or file, migrations,
// starter categories and the first admin, then marks it active. Every step is
// idempotent, so a failed provisioning is resumed by calling it again.
func (b *Backend) Provision(ctx context.Context, n NewTenant, admin Admin) (*Provisioned, error) {
	start := time.Now()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	reg := b.Registry()
	t, err := reg.insert(ctx, n)
	if core.ErrorCode(err) == core.ECONFLICT {
		// Resume a provisioning that stopped half-way; refuse a live city.
		prev, gerr := reg.Get(ctx, n.Slug)
		if gerr != nil || prev.Status != StatusProvisioning {
			return nil, err
		}
		t, err = prev, nil
	}
	if err != nil {
		return nil, err
	}
	if err := b.createStorage(ctx, t.Slug); err != nil {
		return nil, fmt.Errorf("create storage of %s: %w", t.Slug, err)
	}
	scope, err := b.Scope(t.Slug)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, scope); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", t.Slug, err)
	}
	if err := reg.setSchemaVersion(ctx, t.Slug, store.Latest()); err != nil {
		return nil, err
	}
	seed := store.StarterSeed()
	out := &Provisioned{Tenant: t}
	if admin.Login == "" {
		admin.Login = "admin"
	}
	hash := admin.PasswordHash
	if hash == "" {
		if admin.Password == "" {
			admin.Password = randomPassword()
			out.AdminPassword = admin.Password
		}
		if hash, err = core.HashPassword(admin.Password); err != nil {
			return nil, err
		}
	}
	seed.Users = append(seed.Users, store.SeedUser{User: core.User{
		Login: core.NormalizeLogin(admin.Login), Name: admin.Name, Email: admin.Email,
		PasswordHash: hash, Role: core.RoleCityAdmin, Active: true,
	}})
	st, err := b.Store(t.Slug)
	if err != nil {
		return nil, err
	}
	if err := st.Seed(ctx, seed); err != nil {
		return nil, fmt.Errorf("seed %s: %w", t.Slug, err)
	}
	b.mu.Lock()
	hooks := append([]func(context.Context, string) error(nil), b.provisionHooks...)
	b.mu.Unlock()
	for _, hook := range hooks {
		if err := hook(ctx, t.Slug); err != nil {
			return nil, fmt.Errorf("provision %s: %w", t.Slug, err)
		}
	}
	if t, err = reg.SetStatus(ctx, "provisioning", t.Slug, StatusActive); err != nil {
		return nil, err
	}
	out.Tenant = t
	out.Took = time.Since(start)
	slog.Info("city provisioned", "city", t.Slug, "took", out.Took)
	return out, nil
}

func randomPassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrNotServing is returned for cities that are provisioning or deleted.
var ErrNotServing = errors.New("the city is not serving")

// OnProvision adds a step that every provisioning runs for the new city
// before it becomes active, such as writing its access policies. Steps must
// be idempotent: a resumed provisioning runs them again.
func (b *Backend) OnProvision(step func(ctx context.Context, slug string) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.provisionHooks = append(b.provisionHooks, step)
}
