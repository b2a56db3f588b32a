package tenants

import (
	"context"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
)

// ControlSessions keeps the page sessions of the vendor console and the
// signup in the control plane's vendor_sessions; a city's own sessions
// live in the city (core/store).
func (b *Backend) ControlSessions() core.SessionStore { return controlSessions{b} }

type controlSessions struct{ b *Backend }

func (s controlSessions) FindSession(ctx context.Context, hash string, now time.Time) ([]byte, bool, error) {
	return store.FindSession(ctx, s.b.Control, s.b.table("vendor_sessions"), hash, now)
}

func (s controlSessions) CommitSession(ctx context.Context, hash string, userID int64, data []byte, expires time.Time) error {
	return store.CommitSession(ctx, s.b.Control, s.b.table("vendor_sessions"), hash, userID, data, expires)
}

func (s controlSessions) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.b.Control.NewDelete().TableExpr("?", s.b.table("vendor_sessions")).Where("hash = ?", hash).Exec(ctx)
	return err
}

func (s controlSessions) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	return store.DeleteExpiredSessions(ctx, s.b.Control, s.b.table("vendor_sessions"), now)
}

// DeleteExpiredSessions removes the expired page sessions of the control
// plane and of every city with storage at now; a city that fails is
// logged and the others go on. It returns how many were removed.
func (b *Backend) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := b.ControlSessions().DeleteExpiredSessions(ctx, now)
	if err != nil {
		return 0, err
	}
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return n, err
	}
	for _, t := range ts {
		if !t.Serving() {
			continue
		}
		st, err := b.Store(t.Slug)
		if err != nil {
			continue // no storage yet
		}
		k, err := st.DeleteExpiredSessions(ctx, now)
		if err != nil {
			slog.WarnContext(ctx, "expired page sessions not removed", "city", t.Slug, "err", err)
			continue
		}
		n += k
	}
	return n, nil
}
