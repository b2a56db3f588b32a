package core

import (
	"context"
	"time"
)

// SessionStore keeps the page sessions of one place, server-side: a city's
// in the city's own schema or database file, the vendor console's in the
// control plane. A session is found by the SHA-256 of its id (the browser
// holds the id, the database only its hash); Data is opaque to the store.
// UserID is the logged-in user (0 for an anonymous visitor), so every
// session of a user can be ended at once.
type SessionStore interface {
	// FindSession returns the data of an unexpired session at now;
	// found is false for an unknown or expired one.
	FindSession(ctx context.Context, hash string, now time.Time) (data []byte, found bool, err error)
	// CommitSession adds or replaces a session.
	CommitSession(ctx context.Context, hash string, userID int64, data []byte, expires time.Time) error
	// DeleteSession ends one session; an unknown one is no error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteExpiredSessions removes the sessions expired at now and
	// returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}
