package tenants

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
)

// VendorUser is an account of the vendor's staff, in the control plane.
type VendorUser struct {
	ID           int64     `bun:"id,pk,autoincrement"`
	Login        string    `bun:"login,notnull"`
	Name         string    `bun:"name,notnull"`
	Email        string    `bun:"email,notnull"`
	PasswordHash string    `bun:"password_hash,notnull"`
	Role         string    `bun:"role,notnull"`
	Active       bool      `bun:"active,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
}

// RoleVendorAdmin is the global role of the vendor's super-admins.
const RoleVendorAdmin = "vendor_admin"

// EnsureVendorUser adds a vendor super-admin unless the login exists.
func (b *Backend) EnsureVendorUser(ctx context.Context, login, name, passwordHash string) error {
	u := &VendorUser{Login: core.NormalizeLogin(login), Name: name, PasswordHash: passwordHash,
		Role: RoleVendorAdmin, Active: true, CreatedAt: time.Now().UTC()}
	_, err := b.Control.NewInsert().Model(u).ModelTableExpr("?", b.table("vendor_users")).
		On("CONFLICT (login) DO NOTHING").Exec(ctx)
	return err
}

// VendorUsers lists the vendor's accounts.
func (b *Backend) VendorUsers(ctx context.Context) ([]VendorUser, error) {
	var us []VendorUser
	err := b.Control.NewSelect().Model(&us).ModelTableExpr("? AS vendor_user", b.table("vendor_users")).Order("vendor_user.login").Scan(ctx)
	return us, err
}
