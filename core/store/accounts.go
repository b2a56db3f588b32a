package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// token is a row of tokens with the columns of migration 0020.
type token struct {
	bun.BaseModel `bun:"table:tokens"`
	core.Token
	Name string    `bun:"name,notnull"`
	Kind string    `bun:"kind,notnull"`
	Role core.Role `bun:"role,notnull"`
}

// ReserveLoginAttempt implements core.LoginAttempts on the city's
// login_attempts.
func (s *Store) ReserveLoginAttempt(ctx context.Context, login, client string, now time.Time) (a core.LoginAttempt, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err = ReserveLoginAttempt(ctx, tx, bun.Ident("login_attempts"), login, client, now)
		return err
	})
	return a, err
}

// ForgetLoginFailures implements core.LoginAttempts.
func (s *Store) ForgetLoginFailures(ctx context.Context, login, client string) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return ForgetLoginFailures(ctx, tx, bun.Ident("login_attempts"), login, client)
	})
}

// ReserveLoginAttempt counts an attempt of client on login in an attempts
// table (the city's, or the control plane's for vendor users), with the
// (login, client, failures, updated_at) columns of migration 0048. The
// count and the check are one upsert, atomic on PostgreSQL (the conflicting
// row is locked and its condition re-read) and on SQLite (one writer): of
// any number of concurrent attempts at most core.LoginFailures are allowed
// in core.LoginLock. See core.LoginAttempts.
func ReserveLoginAttempt(ctx context.Context, db bun.IDB, table bun.Ident, login, client string, now time.Time) (core.LoginAttempt, error) {
	now = now.UTC()
	window := now.Add(-core.LoginLock)
	var a core.LoginAttempt
	err := db.NewRaw(`INSERT INTO ? AS f (login, client, failures, updated_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (login, client) DO UPDATE SET updated_at = EXCLUDED.updated_at,
			failures = CASE WHEN f.updated_at < ? THEN 1 ELSE f.failures + 1 END
		WHERE f.failures < ? OR f.updated_at < ?
		RETURNING failures`, table, login, client, now, window, core.LoginFailures, window).Scan(ctx, &a.Failures)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var last time.Time
		if err := db.NewRaw("SELECT updated_at FROM ? WHERE login = ? AND client = ?", table, login, client).Scan(ctx, &last); err != nil {
			return a, err
		}
		a.RetryAfter = max(last.Add(core.LoginLock).Sub(now), time.Second)
		return a, nil
	case err != nil:
		return a, err
	}
	a.Allowed = true
	if a.Failures == 1 {
		// A new count is the moment to forget counts nobody continued, so
		// guessed logins and addresses do not pile up.
		if _, err := db.NewRaw("DELETE FROM ? WHERE updated_at < ?", table, now.Add(-24*time.Hour)).Exec(ctx); err != nil {
			return a, err
		}
	}
	err = db.NewRaw("SELECT COALESCE(SUM(failures), 0) FROM ? WHERE login = ? AND updated_at >= ?", table, login, window).
		Scan(ctx, &a.AccountFailures)
	return a, err
}

// ForgetLoginFailures forgets the failures of client on login.
func ForgetLoginFailures(ctx context.Context, db bun.IDB, table bun.Ident, login, client string) error {
	_, err := db.NewDelete().TableExpr("?", table).Where("login = ? AND client = ?", login, client).Exec(ctx)
	return err
}

// RevokeToken ends the session of a bearer token.
func (s *Store) RevokeToken(ctx context.Context, hash string, now time.Time) error {
	defer s.forgetTokens()
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().TableExpr("tokens").Set("revoked_at = ?", now.UTC()).
			Where("hash = ? AND revoked_at IS NULL", hash).Exec(ctx)
		return err
	})
}

// UserByID returns a person's account.
func (s *Store) UserByID(ctx context.Context, id int64) (*core.User, error) {
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(u).Where("id = ? AND login NOT LIKE '~%'", id).Scan(ctx)
	})
	return u, notFound(err, "user")
}

// SetPassword stores a new password hash, revokes every login session of
// the user except the one whose hash is keep and ends every page session of
// the user.
func (s *Store) SetPassword(ctx context.Context, userID int64, passwordHash, keep string, now time.Time) error {
	defer s.forgetTokens()
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().TableExpr("users").Set("password_hash = ?", passwordHash).Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		if err := endUserSessions(ctx, tx, userID); err != nil {
			return err
		}
		_, err := tx.NewUpdate().TableExpr("tokens").Set("revoked_at = ?", now.UTC()).
			Where("user_id = ? AND kind = ? AND hash <> ? AND revoked_at IS NULL", userID, core.TokenKindLogin, keep).Exec(ctx)
		return err
	})
}

// CreateUser adds an account; a taken login is core.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *core.User) error {
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkOrganization(ctx, tx, u.OrganizationID); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx)
		return err
	})
	if IsUniqueViolation(err) {
		return core.E(core.ECONFLICT, "error.login_taken", "Login", u.Login)
	}
	return err
}

func checkOrganization(ctx context.Context, tx bun.Tx, id *int64) error {
	if id == nil {
		return nil
	}
	n, err := tx.NewSelect().TableExpr("organizations").Where("id = ?", *id).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return &core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"organization_id": core.M("error.no_organization")}}
	}
	return nil
}

// ListUsers returns the people with an account in the city, by login.
func (s *Store) ListUsers(ctx context.Context) ([]core.User, error) {
	var us []core.User
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&us).Where("login NOT LIKE '~%'").Order("login").Scan(ctx)
	})
	return us, err
}

// UpdateUser applies a patch to a person's account. Deactivating revokes
// every token of the user; deactivating or changing the role ends every
// page session of the user, who logs in again with what the account is now.
func (s *Store) UpdateUser(ctx context.Context, id int64, p core.UserPatch, now time.Time) (*core.User, error) {
	defer s.forgetTokens()
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(u).Where("id = ? AND login NOT LIKE '~%'", id)
		if s.scope.Postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return notFound(err, "user")
		}
		before := u.Role
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.OrganizationID != nil {
			u.OrganizationID = p.OrganizationID
			if *p.OrganizationID == 0 {
				u.OrganizationID = nil
			}
		}
		if p.Active != nil {
			u.Active = *p.Active
		}
		if err := checkOrganization(ctx, tx, u.OrganizationID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(u).Column("role", "organization_id", "active").WherePK().Exec(ctx); err != nil {
			return err
		}
		if !u.Active || u.Role != before {
			if err := endUserSessions(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		if !u.Active {
			_, err := tx.NewUpdate().TableExpr("tokens").Set("revoked_at = ?", now.UTC()).
				Where("user_id = ? AND revoked_at IS NULL", u.ID).Exec(ctx)
			return err
		}
		return nil
	})
	return u, err
}

// CreateInvite stores the hash of a one-time set-password token.
func (s *Store) CreateInvite(ctx context.Context, userID int64, hash string, now time.Time) error {
	t := &token{Token: core.Token{Hash: hash, UserID: userID, ExpiresAt: now.Add(core.InviteTTL).UTC(), CreatedAt: now.UTC()},
		Kind: core.TokenKindInvite}
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(t).Exec(ctx)
		return err
	})
}

// RedeemInvite sets the password of the invited user and spends the token.
func (s *Store) RedeemInvite(ctx context.Context, hash, passwordHash string, now time.Time) (*core.User, error) {
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var t token
		err := tx.NewSelect().Model(&t).Where("hash = ? AND kind = ? AND revoked_at IS NULL AND expires_at > ?",
			hash, core.TokenKindInvite, now.UTC()).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(core.ENOTFOUND, "error.invitation_invalid")
		}
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().TableExpr("tokens").Set("revoked_at = ?", now.UTC()).
			Where("id = ? AND revoked_at IS NULL", t.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.E(core.ENOTFOUND, "error.invitation_invalid")
		}
		if _, err := tx.NewUpdate().TableExpr("users").Set("password_hash = ?", passwordHash).Where("id = ?", t.UserID).Exec(ctx); err != nil {
			return err
		}
		if err := endUserSessions(ctx, tx, t.UserID); err != nil {
			return err
		}
		return tx.NewSelect().Model(u).Where("id = ?", t.UserID).Scan(ctx)
	})
	return u, err
}

// InvitedUser implements core.AccountStore: the user of an unexpired,
// unused invitation.
func (s *Store) InvitedUser(ctx context.Context, hash string, now time.Time) (*core.User, error) {
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(u).
			Where("id = (SELECT user_id FROM tokens WHERE hash = ? AND kind = ? AND revoked_at IS NULL AND expires_at > ?)",
				hash, core.TokenKindInvite, now.UTC()).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(core.ENOTFOUND, "error.invitation_invalid")
	}
	return u, err
}

// CreateAPIToken adds an integration's token: a service account with the
// role, which cannot log in, and the token's hash.
func (s *Store) CreateAPIToken(ctx context.Context, name string, role core.Role, hash string, now time.Time) (*core.APIToken, error) {
	now = now.UTC()
	var out *core.APIToken
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u := &core.User{Login: "~api-" + hash[:16], Name: name, PasswordHash: "!", Role: role, Active: true, CreatedAt: now}
		if _, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			return err
		}
		t := &token{Token: core.Token{Hash: hash, UserID: u.ID, ExpiresAt: now.Add(core.APITokenTTL), CreatedAt: now},
			Name: name, Kind: core.TokenKindAPI, Role: role}
		if _, err := tx.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
			return err
		}
		out = &core.APIToken{ID: t.ID, Name: name, Role: role, CreatedAt: now, ExpiresAt: t.ExpiresAt}
		return nil
	})
	return out, err
}

// ListAPITokens returns the city's integration tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]core.APIToken, error) {
	var ts []core.APIToken
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&ts).ModelTableExpr("tokens AS api_token").
			Column("id", "name", "role", "created_at", "expires_at", "revoked_at").
			Where("kind = ?", core.TokenKindAPI).Order("id DESC").Scan(ctx)
	})
	return ts, err
}

// RevokeAPIToken revokes an integration token and disables its service
// account. An id that is not an API token of this city is not found.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, now time.Time) error {
	defer s.forgetTokens()
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var t token
		err := tx.NewSelect().Model(&t).Where("id = ? AND kind = ?", id, core.TokenKindAPI).Scan(ctx)
		if err != nil {
			return notFound(err, "token")
		}
		if _, err := tx.NewUpdate().TableExpr("tokens").Set("revoked_at = ?", now.UTC()).
			Where("id = ? AND revoked_at IS NULL", id).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewUpdate().TableExpr("users").Set("active = FALSE").Where("id = ?", t.UserID).Exec(ctx)
		return err
	})
}
