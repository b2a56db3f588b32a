package tenants

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// vendorToken is a bearer credential of a vendor user; only its hash is kept.
type vendorToken struct {
	ID           int64      `bun:"id,pk,autoincrement"`
	Hash         string     `bun:"hash,notnull"`
	VendorUserID int64      `bun:"vendor_user_id,notnull"`
	ExpiresAt    time.Time  `bun:"expires_at,notnull"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	RevokedAt    *time.Time `bun:"revoked_at"`
}

// VendorLogin checks a vendor user's password under the lockout policy of
// core.CheckLogin, counted in the control plane, and issues a bearer token
// of core.TokenTTL. Errors are those of core.CheckLogin.
func (b *Backend) VendorLogin(ctx context.Context, c core.Credentials, now time.Time) (token string, expires time.Time, err error) {
	u, err := b.VendorAuthenticate(ctx, c, now)
	if err != nil {
		return "", time.Time{}, err
	}
	token = core.NewToken()
	expires = now.Add(core.TokenTTL).UTC()
	t := &vendorToken{Hash: core.HashToken(token), VendorUserID: u.ID, ExpiresAt: expires, CreatedAt: now.UTC()}
	_, err = b.Control.NewInsert().Model(t).ModelTableExpr("?", b.table("vendor_tokens")).Exec(ctx)
	return token, expires, err
}

// VendorAuthenticate checks a vendor user's password under the lockout
// policy of core.CheckLogin, counted in the control plane, and returns the
// account without opening a session (the console keeps its own, in
// vendor_sessions). Errors are those of core.CheckLogin.
func (b *Backend) VendorAuthenticate(ctx context.Context, c core.Credentials, now time.Time) (*VendorUser, error) {
	var u VendorUser
	err := core.CheckLogin(ctx, vendorAttempts{b}, c, now, func(ctx context.Context, login string) (core.PasswordAccount, error) {
		err := b.Control.NewSelect().Model(&u).ModelTableExpr("? AS vendor_user", b.table("vendor_users")).
			Where("vendor_user.login = ?", login).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.PasswordAccount{}, core.ErrNotFound
		}
		return core.PasswordAccount{PasswordHash: u.PasswordHash, Active: u.Active}, err
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// VendorUserByID returns an active vendor user (a console session's);
// core.ErrNotFound for an unknown or inactive one.
func (b *Backend) VendorUserByID(ctx context.Context, id int64) (*VendorUser, error) {
	var u VendorUser
	err := b.Control.NewSelect().Model(&u).ModelTableExpr("? AS vendor_user", b.table("vendor_users")).
		Where("vendor_user.id = ? AND vendor_user.active", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.ErrNotFound
	}
	return &u, err
}

// vendorAttempts counts the vendor users' login failures in the control
// plane's vendor_login_attempts.
type vendorAttempts struct{ b *Backend }

func (v vendorAttempts) ReserveLoginAttempt(ctx context.Context, login, client string, now time.Time) (a core.LoginAttempt, err error) {
	err = v.b.Control.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		a, err = store.ReserveLoginAttempt(ctx, tx, v.b.table("vendor_login_attempts"), login, client, now)
		return err
	})
	return a, err
}

func (v vendorAttempts) ForgetLoginFailures(ctx context.Context, login, client string) error {
	return store.ForgetLoginFailures(ctx, v.b.Control, v.b.table("vendor_login_attempts"), login, client)
}

// VendorUserByToken returns the active vendor user holding a valid token;
// core.ErrNotFound otherwise.
func (b *Backend) VendorUserByToken(ctx context.Context, token string, now time.Time) (*VendorUser, error) {
	var u VendorUser
	err := b.Control.NewSelect().Model(&u).ModelTableExpr("? AS vendor_user", b.table("vendor_users")).
		Join("JOIN ? AS t ON t.vendor_user_id = vendor_user.id", b.table("vendor_tokens")).
		Where("t.hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND vendor_user.active", core.HashToken(token), now.UTC()).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(core.ENOTFOUND, "error.token_not_found")
	}
	return &u, err
}
