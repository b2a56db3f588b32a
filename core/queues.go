package core

import (
	"context"
	"time"
)

// QueueStore is what the working pages read from a city's storage: an
// organization's work queue and the portal's public list (the dispatcher's
// desk is DeskStore). Rows are scoped by the actor in the query.
type QueueStore interface {
	// WorkQueue returns the requests of q the actor sees, those waiting to be
	// accepted first; without statuses, the open ones (OpenStatuses).
	WorkQueue(ctx context.Context, a Actor, q RequestQuery) ([]Request, error)
	// RecentPublic returns up to limit of the city's newest requests as the
	// public may see them.
	RecentPublic(ctx context.Context, limit int) ([]PublicItem, error)
}

// DeskStore is what the dispatcher's desk reads from a city's storage.
// Rows and counts are scoped by the actor in the query.
type DeskStore interface {
	// Directory returns the city's directory (without buildings), to check
	// a desk filter's codes.
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
	// DeskQueues lists the queues this storage can answer, in the order of
	// Queues.
	DeskQueues() []Queue
	// DeskQueue returns up to q.Limit requests of q.Queue under q's filter
	// after q.After in q.Sort's order (KeyOf), and the key of the last one
	// when more follow.
	DeskQueue(ctx context.Context, a Actor, q DeskQuery) (items []Request, next *DeskKey, err error)
	// DeskCounts counts the requests of every queue of DeskQueues under f
	// at now, in one pass.
	DeskCounts(ctx context.Context, a Actor, f DeskFilter, now time.Time) (DeskCounts, error)
}
