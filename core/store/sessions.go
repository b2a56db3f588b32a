package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// The city's page sessions live in its page_sessions table (migration
// 0110); the control plane keeps the vendor console's in a table of the same
// shape through the functions below.

// FindSession implements core.SessionStore.
func (s *Store) FindSession(ctx context.Context, hash string, now time.Time) (data []byte, found bool, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		data, found, err = FindSession(ctx, tx, bun.Ident("page_sessions"), hash, now)
		return err
	})
	return data, found, err
}

// CommitSession implements core.SessionStore.
func (s *Store) CommitSession(ctx context.Context, hash string, userID int64, data []byte, expires time.Time) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return CommitSession(ctx, tx, bun.Ident("page_sessions"), hash, userID, data, expires)
	})
}

// DeleteSession implements core.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewDelete().TableExpr("page_sessions").Where("hash = ?", hash).Exec(ctx)
		return err
	})
}

// DeleteExpiredSessions implements core.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (n int64, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err = DeleteExpiredSessions(ctx, tx, bun.Ident("page_sessions"), now)
		return err
	})
	return n, err
}

// endUserSessions ends every page session of a user, inside the
// transaction that changes what the sessions were opened with (password,
// role, activity).
func endUserSessions(ctx context.Context, tx bun.Tx, userID int64) error {
	_, err := tx.NewDelete().TableExpr("page_sessions").Where("user_id = ?", userID).Exec(ctx)
	return err
}

// FindSession reads an unexpired session from a sessions table with the
// (hash, user_id, data, expires_at) columns of migration 0110.
func FindSession(ctx context.Context, db bun.IDB, table bun.Ident, hash string, now time.Time) ([]byte, bool, error) {
	var data []byte
	err := db.NewRaw("SELECT data FROM ? WHERE hash = ? AND expires_at > ?", table, hash, now.UTC()).Scan(ctx, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// CommitSession adds or replaces a session in a sessions table.
func CommitSession(ctx context.Context, db bun.IDB, table bun.Ident, hash string, userID int64, data []byte, expires time.Time) error {
	_, err := db.NewRaw(`INSERT INTO ? (hash, user_id, data, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (hash) DO UPDATE SET user_id = EXCLUDED.user_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
		table, hash, userID, data, expires.UTC()).Exec(ctx)
	return err
}

// DeleteExpiredSessions removes the sessions of a sessions table that
// expired at now.
func DeleteExpiredSessions(ctx context.Context, db bun.IDB, table bun.Ident, now time.Time) (int64, error) {
	res, err := db.NewDelete().TableExpr("?", table).Where("expires_at <= ?", now.UTC()).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
