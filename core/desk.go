package core

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Queue is one of the dispatcher's desk queues: a named subset of the
// requests waiting for the dispatcher's attention.
type Queue string

// The desk's queues. A request may sit in several at once (an overdue
// emergency is in both).
const (
	// QueueAll is what needs a dispatcher's hand: the union of QueueNew,
	// QueueReturned, QueueOverdue and QueueEscalated. An emergency an
	// organization holds within its deadline is watched in QueueEmergency.
	QueueAll Queue = "all"
	// QueueNew: routing could not place it (triage), wishes left out.
	QueueNew Queue = "new"
	// QueueReturned: an organization returned it as not theirs.
	QueueReturned Queue = "returned"
	// QueueOverdue: open and past a due time (Request.Overdue).
	QueueOverdue Queue = "overdue"
	// QueueEscalated: open and flagged by the escalation sweep for a due
	// time still running late (Request.Escalated).
	QueueEscalated Queue = "escalated"
	// QueueEmergency: an emergency nobody has accepted yet, in triage or
	// with an organization.
	QueueEmergency Queue = "emergency"
	// QueueOutage: waiting for an outage to end (StatusOutage); answered
	// by the outage's notice, so not part of QueueAll.
	QueueOutage Queue = "outage"
)

// Queues lists every desk queue in the order of the desk's tabs.
var Queues = []Queue{QueueAll, QueueNew, QueueReturned, QueueOverdue, QueueEscalated, QueueEmergency, QueueOutage}

// allQueues are the queues QueueAll unites.
var allQueues = []Queue{QueueNew, QueueReturned, QueueOverdue, QueueEscalated}

// AllQueues lists the queues QueueAll unites.
func AllQueues() []Queue { return slices.Clone(allQueues) }

// Valid reports whether q is a known queue.
func (q Queue) Valid() bool { return slices.Contains(Queues, q) }

// WaitingStatuses are the statuses of every request a desk queue can hold:
// those waiting for the dispatcher (TriageStatuses) and those with an
// organization (OpenStatuses) and those waiting for an outage to end, in
// this order (the store's partial index names the same list).
var WaitingStatuses = append(append(slices.Clone(TriageStatuses), OpenStatuses...), StatusOutage)

// GroupWishes is the code of the category group of wishes and suggestions:
// they go to the city headquarters' weekly review, never to the
// dispatcher's triage (DESIGN.md, HQ).
const GroupWishes = "wishes"

// Wish reports whether requests of c are wishes or suggestions.
func (c *Category) Wish() bool { return c != nil && c.GroupCode == GroupWishes }

// Escalated reports whether r is open and flagged by the escalation sweep
// for a due time that is still running late: the reaction time while it is
// not accepted, the resolution time while it is not resolved.
func (r *Request) Escalated() bool {
	return r.Status.Running() && ((r.ReactionEscalatedAt != nil && r.AcceptedAt == nil) ||
		(r.ResolutionEscalatedAt != nil && r.ResolvedAt == nil))
}

// InQueue reports whether r belongs to q at now; wish tells whether r's
// category is a wish (Category.Wish). The store's queue filters are the
// same rules in SQL (core/store, deskQueueExpr).
func (r *Request) InQueue(q Queue, wish bool, now time.Time) bool {
	switch q {
	case QueueNew:
		return r.Status == StatusNew && !wish
	case QueueReturned:
		return r.Status == StatusReturned && !wish
	case QueueOverdue:
		return r.Overdue(now)
	case QueueEscalated:
		return r.Escalated()
	case QueueEmergency:
		return r.Priority == PriorityEmergency && !wish &&
			(slices.Contains(TriageStatuses, r.Status) || (r.Status.Open() && r.AcceptedAt == nil))
	case QueueOutage:
		return r.Status == StatusOutage
	case QueueAll:
		for _, x := range allQueues {
			if r.InQueue(x, wish, now) {
				return true
			}
		}
	}
	return false
}

// DeskSort is the order of a desk queue.
type DeskSort string

// Desk orders.
const (
	// SortUrgency, the default: emergencies first, then the oldest first.
	SortUrgency DeskSort = "urgency"
	// SortDeadline: the nearest deadline (Request.NextDue) first, requests
	// without one last (oldest first among them).
	SortDeadline DeskSort = "deadline"
)

// DeskSorts lists the desk's orders, the default first.
var DeskSorts = []DeskSort{SortUrgency, SortDeadline}

// Valid reports whether s is a known order.
func (s DeskSort) Valid() bool { return slices.Contains(DeskSorts, s) }

// Age is a desk filter: requests waiting longer than a span since intake.
type Age string

// Ages lists the age filters, shortest first.
var Ages = []Age{"1h", "4h", "1d", "3d", "7d"}

// Valid reports whether a is a known age filter.
func (a Age) Valid() bool { return slices.Contains(Ages, a) }

// Duration is the span of a: "4h" is four hours, "3d" three days of 24 h.
func (a Age) Duration() time.Duration {
	s := string(a)
	if s == "" {
		return 0
	}
	n, _ := strconv.Atoi(s[:len(s)-1])
	if strings.HasSuffix(s, "d") {
		return time.Duration(n) * 24 * time.Hour
	}
	return time.Duration(n) * time.Hour
}

// DeskKey is where a request stands in a desk order: rows are ordered by
// (Rank, Key, ID) ascending, so a page ends at a key and the next page
// starts after it (keyset paging, never OFFSET).
type DeskKey struct {
	Rank int
	Key  time.Time
	ID   int64
}

// KeyOf is r's place in the order s. SortUrgency: rank 0 for emergencies,
// then 1; key the intake time. SortDeadline: rank 0 with the deadline
// (NextDue) as key, rank 1 with the intake time for requests without one.
// The store orders by the same rule in SQL (core/store, deskOrder).
func KeyOf(r *Request, s DeskSort) DeskKey {
	k := DeskKey{Rank: 1, Key: r.CreatedAt.UTC().Truncate(time.Microsecond), ID: r.ID}
	switch s {
	case SortDeadline:
		if due := r.NextDue(); due != nil {
			k.Rank, k.Key = 0, due.UTC().Truncate(time.Microsecond)
		}
	default:
		if r.Priority == PriorityEmergency {
			k.Rank = 0
		}
	}
	return k
}

// String writes the key as an opaque page cursor bound to the order s.
func (k DeskKey) String(s DeskSort) string {
	raw := fmt.Sprintf("%s.%d.%d.%d", s, k.Rank, k.Key.UnixMicro(), k.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseDeskCursor reads a cursor written by DeskKey.String for the order s;
// ok is false for anything else (another order, a forged value).
func ParseDeskCursor(c string, s DeskSort) (k DeskKey, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return k, false
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 4 || parts[0] != string(s) {
		return k, false
	}
	rank, err1 := strconv.Atoi(parts[1])
	micros, err2 := strconv.ParseInt(parts[2], 10, 64)
	id, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || (rank != 0 && rank != 1) || id <= 0 {
		return k, false
	}
	return DeskKey{Rank: rank, Key: time.UnixMicro(micros).UTC(), ID: id}, true
}

// DeskFilter narrows every desk queue; empty fields do not filter.
type DeskFilter struct {
	Category string   // a category or category group code
	District string   // a district code
	Channel  Channel  // the intake channel
	Priority Priority // the request's priority
	Age      Age      // waiting longer than this since intake
}

// DeskQuery is one page of one desk queue.
type DeskQuery struct {
	DeskFilter
	Queue Queue    // QueueAll when empty
	Sort  DeskSort // SortUrgency when empty
	Limit int      // rows per page, 1 to MaxPage (DeskPageSize when 0)
	// Cursor is the previous page's DeskPage.NextCursor; "" for the first.
	Cursor string
	// After is Cursor read (Desk.Page sets it): the key of the previous
	// page's last row; nil for the first.
	After *DeskKey
	Now   time.Time
}

// DeskPageSize is the desk's default page size.
const DeskPageSize = 50

// DeskPage is one page of a desk queue with the size of every queue under
// the same filter.
type DeskPage struct {
	Items []Request
	// Next is the key of the last row when more rows follow, nil at the end;
	// NextCursor is it written for the next DeskQuery.Cursor.
	Next       *DeskKey
	NextCursor string
	// Counts holds, per queue the city's storage can tell, the number of
	// requests in it under the query's filter; Counts[q.Queue] is the
	// queue's total.
	Counts DeskCounts
}

// DeskCounts is the number of requests per desk queue.
type DeskCounts map[Queue]int

// Normalize fills the defaults of q.
func (q *DeskQuery) Normalize() {
	if q.Queue == "" {
		q.Queue = QueueAll
	}
	if q.Sort == "" {
		q.Sort = SortUrgency
	}
	if q.Limit == 0 {
		q.Limit = DeskPageSize
	}
}

// Validate checks the filter against the city's directory (category or
// group codes, district codes) and the domain's lists, every field at once.
func (f DeskFilter) Validate(dir *Directory, fe FieldErrors) {
	if f.Category != "" && !slices.ContainsFunc(dir.Categories, func(c Category) bool {
		return c.Code == f.Category || c.GroupCode == f.Category
	}) {
		fe.Add("category", "error.unknown_category", "Code", f.Category)
	}
	if f.District != "" && !slices.ContainsFunc(dir.Districts, func(d District) bool { return d.Code == f.District }) {
		fe.Add("district", "error.no_district", "Code", f.District)
	}
	if f.Channel != "" && !f.Channel.Valid() {
		fe.Add("channel", "error.one_of", "List", strings.Join(Names(Channels), ", "))
	}
	if f.Priority != "" && !f.Priority.Valid() {
		fe.Add("priority", "error.one_of", "List", strings.Join(Names(Priorities), ", "))
	}
	if f.Age != "" && !f.Age.Valid() {
		fe.Add("age", "error.one_of", "List", strings.Join(Names(Ages), ", "))
	}
}

// Validate checks q after Normalize: the filter, the queue among those the
// city's storage can tell (queues), the order and the page size.
func (q *DeskQuery) Validate(dir *Directory, queues []Queue, fe FieldErrors) {
	q.DeskFilter.Validate(dir, fe)
	if !slices.Contains(queues, q.Queue) {
		fe.Add("queue", "error.one_of", "List", strings.Join(Names(queues), ", "))
	}
	if !q.Sort.Valid() {
		fe.Add("sort", "error.one_of", "List", strings.Join(Names(DeskSorts), ", "))
	}
	if q.Cursor != "" {
		if k, ok := ParseDeskCursor(q.Cursor, q.Sort); ok {
			q.After = &k
		} else {
			fe.Add("cursor", "error.cursor")
		}
	}
	if q.Limit < 1 || q.Limit > MaxPage {
		fe.Add("limit", "error.number_range", "Min", 1, "Max", MaxPage)
	}
}
