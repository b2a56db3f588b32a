package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// SettingAnonymousSubmissions is the city setting that lets people without an
// account submit requests ("on" or "off").
const SettingAnonymousSubmissions = "anonymous_submissions"

// Setting returns a city setting, "" when unset. The settings table is the
// city's key-value store, shared with the other settings of the city.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw("SELECT value FROM settings WHERE key = ?", name).Scan(ctx, &v)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting stores a city setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, name, value).Exec(ctx)
		return err
	})
}

// AnonymousActor is the system account that anonymous submissions are
// created by. It cannot log in.
func (s *Store) AnonymousActor(ctx context.Context) (core.Actor, error) {
	var id int64
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw("SELECT id FROM users WHERE login = '~anonymous'").Scan(ctx, &id)
	})
	if err != nil {
		return core.Actor{}, err
	}
	return core.Actor{UserID: id, Role: core.RoleAnonymous}, nil
}

// SetTrackingCode gives a request the code its anonymous author follows it by.
func (s *Store) SetTrackingCode(ctx context.Context, requestID int64, code string) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("INSERT INTO request_tracking (request_id, code) VALUES (?, ?)", requestID, code).Exec(ctx)
		return err
	})
}

// RequestByTrackingCode returns a request and its public history to the
// holder of its tracking code.
func (s *Store) RequestByTrackingCode(ctx context.Context, code string) (*core.PublicRequest, error) {
	out := &core.PublicRequest{Request: new(core.Request)}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := selectRequests(tx, out.Request).Join("JOIN request_tracking AS rt ON rt.request_id = r.id").
			Where("rt.code = ?", code).Scan(ctx)
		if err != nil {
			return notFound(err, "request")
		}
		return tx.NewSelect().Model(&out.History).Where("request_id = ? AND public", out.Request.ID).Order("id").Scan(ctx)
	})
	return out, err
}
