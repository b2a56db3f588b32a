package core

import (
	"context"
	"time"
)

// QueueStore is what the working pages read from a city's storage: the
// dispatcher's triage queue, an organization's work queue and the portal's
// public list. Rows are scoped by the actor in the query.
type QueueStore interface {
	// TriageQueue returns up to limit requests routing could not place, those
	// an organization returned, and open ones overdue at now; emergencies
	// first, then the oldest.
	TriageQueue(ctx context.Context, a Actor, now time.Time, limit int) ([]Request, error)
	// WorkQueue returns the requests of q the actor sees, those waiting to be
	// accepted first; without statuses, the open ones (OpenStatuses).
	WorkQueue(ctx context.Context, a Actor, q RequestQuery) ([]Request, error)
	// RecentPublic returns up to limit of the city's newest requests as the
	// public may see them.
	RecentPublic(ctx context.Context, limit int) ([]PublicItem, error)
}
