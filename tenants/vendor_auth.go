package tenants

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"golang.org/x/crypto/bcrypt"
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

// vendorDummyHash keeps a login for an unknown vendor user as slow as a
// wrong password.
var vendorDummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// VendorLogin checks a vendor user's password and issues a bearer token.
// After core.LoginFailures failures in a row the login is locked for
// core.LoginLock: the error is ETOOMANY and expires says until when.
func (b *Backend) VendorLogin(ctx context.Context, login, password string, now time.Time) (token string, expires time.Time, err error) {
	f := core.FieldErrors{}
	if core.NormalizeLogin(login) == "" {
		f.Add("login", "error.required")
	}
	if password == "" {
		f.Add("password", "error.required")
	}
	if err := f.Err(); err != nil {
		return "", time.Time{}, err
	}
	failures := b.table("vendor_login_failures")
	until, err := store.LockedUntil(ctx, b.Control, failures, core.NormalizeLogin(login), now)
	if err != nil {
		return "", time.Time{}, err
	}
	if !until.IsZero() {
		return "", until, core.E(core.ETOOMANY, "error.locked_until", "Until", until.Format(time.RFC3339))
	}
	token, expires, err = b.vendorLogin(ctx, login, password, now)
	if core.ErrorCode(err) == core.EUNAUTHORIZED {
		if _, cerr := store.CountLoginFailure(ctx, b.Control, failures, core.NormalizeLogin(login), now); cerr != nil {
			return "", time.Time{}, cerr
		}
	} else if err == nil {
		err = store.ClearLoginFailures(ctx, b.Control, failures, core.NormalizeLogin(login))
	}
	return token, expires, err
}

func (b *Backend) vendorLogin(ctx context.Context, login, password string, now time.Time) (token string, expires time.Time, err error) {
	bad := core.E(core.EUNAUTHORIZED, "error.wrong_login")
	var u VendorUser
	err = b.Control.NewSelect().Model(&u).ModelTableExpr("? AS vendor_user", b.table("vendor_users")).
		Where("vendor_user.login = ?", core.NormalizeLogin(login)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(vendorDummyHash, []byte(password))
		return "", time.Time{}, bad
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || !u.Active {
		return "", time.Time{}, bad
	}
	token = core.NewToken()
	expires = now.Add(core.TokenTTL).UTC()
	t := &vendorToken{Hash: core.HashToken(token), VendorUserID: u.ID, ExpiresAt: expires, CreatedAt: now.UTC()}
	_, err = b.Control.NewInsert().Model(t).ModelTableExpr("?", b.table("vendor_tokens")).Exec(ctx)
	return token, expires, err
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
