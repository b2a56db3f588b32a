package billing

import (
	"context"
	"database/sql"
	"errors"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// Password limits of the set-password page.
const (
	MinPassword     = 8
	MaxPassword     = 200
	MsgPasswordLen  = "use 8 to 200 characters"
	MsgLinkInvalid  = "this link is invalid, used or expired"
	MsgPasswordSame = "the two passwords differ"
)

// SetPassword uses a one-time set-password token of a city: it sets the
// password of the account the token was made for and burns the token. The
// token is checked and burnt in the control plane's transaction, which
// commits only after the city's user was updated.
func (s *Service) SetPassword(ctx context.Context, slug, token, password string) error {
	f := core.FieldErrors{}
	if token == "" {
		f.Add("token", MsgLinkInvalid)
	}
	if n := len([]rune(password)); n < MinPassword || n > MaxPassword {
		f.Add("password", MsgPasswordLen)
	}
	if err := f.Err(); err != nil {
		return err
	}
	t, err := s.b.Registry().Get(ctx, slug)
	if err != nil {
		return err
	}
	if !t.Serving() {
		return core.Errorf(core.ENOTFOUND, "the city %s is not ready yet", slug)
	}
	scope, err := s.b.Scope(slug)
	if err != nil {
		return err
	}
	hash, err := core.HashPassword(password)
	if err != nil {
		return err
	}
	return s.b.Control.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var login string
		err := tx.NewRaw("UPDATE ? SET used_at = ? WHERE hash = ? AND tenant_slug = ? AND used_at IS NULL AND expires_at > ? RETURNING login",
			s.table("set_password_tokens"), s.now(), core.HashToken(token), slug, s.now()).Scan(ctx, &login)
		if errors.Is(err, sql.ErrNoRows) {
			return &core.Error{Code: core.EINVALID, Message: MsgLinkInvalid, Fields: map[string]string{"token": MsgLinkInvalid}}
		}
		if err != nil {
			return err
		}
		return scope.RunInTx(ctx, func(ctx context.Context, cityTx bun.Tx) error {
			res, err := cityTx.NewRaw("UPDATE users SET password_hash = ? WHERE login = ? AND active", hash, login).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return core.Errorf(core.ENOTFOUND, "the account of this link no longer exists")
			}
			return nil
		})
	})
}
