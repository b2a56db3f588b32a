package core

import (
	"context"
	"time"
)

// Desk is the dispatcher's desk of one city: the queues of requests waiting
// for a dispatcher, their counts, filters and keyset pages. Every method
// passes the gate first: the caller's role must be granted the assign
// action on requests (the dispatcher, the city admin).
type Desk struct {
	Store DeskStore
	Gate  Gate
	Now   func() time.Time
}

// allow is the desk's one authorization check.
func (d *Desk) allow(ctx context.Context, a Actor) error {
	return d.Gate.Allow(ctx, a, ObjRequests, string(ActionAssign))
}

// Queues lists the queues of this city's desk, in the order of its tabs.
func (d *Desk) Queues() []Queue { return d.Store.DeskQueues() }

// Page returns one page of a desk queue with the counts of every queue
// under the same filter. Invalid input is an EINVALID *Error with a message
// per field, every field at once.
func (d *Desk) Page(ctx context.Context, a Actor, q DeskQuery) (*DeskPage, error) {
	if err := d.allow(ctx, a); err != nil {
		return nil, err
	}
	q.Normalize()
	q.Now = d.Now()
	fe := FieldErrors{}
	if err := d.check(ctx, &q, fe); err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	items, next, err := d.Store.DeskQueue(ctx, a, q)
	if err != nil {
		return nil, err
	}
	counts, err := d.Store.DeskCounts(ctx, a, q.DeskFilter, q.Now)
	if err != nil {
		return nil, err
	}
	page := &DeskPage{Items: items, Next: next, Counts: counts}
	if next != nil {
		page.NextCursor = next.String(q.Sort)
	}
	return page, nil
}

// Counts returns the number of requests in every queue of the desk under f.
func (d *Desk) Counts(ctx context.Context, a Actor, f DeskFilter) (DeskCounts, error) {
	if err := d.allow(ctx, a); err != nil {
		return nil, err
	}
	dir, err := d.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	f.Validate(dir, fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return d.Store.DeskCounts(ctx, a, f, d.Now())
}

func (d *Desk) check(ctx context.Context, q *DeskQuery, fe FieldErrors) error {
	dir, err := d.Store.Directory(ctx, false)
	if err != nil {
		return err
	}
	q.Validate(dir, d.Store.DeskQueues(), fe)
	return nil
}
