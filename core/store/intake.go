package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Batching is intake's group commit: new requests of one city that arrive
// together are written in one transaction, and each submitter is answered
// after that transaction committed. A batch that fails is written again
// one request at a time, so a bad row costs only itself. Each request keeps
// its own idempotency check, routing decision and gap-free number (given in
// arrival order).
type Batching struct {
	// Window is how long the first request of a batch waits for others,
	// counted from its arrival; requests that arrived while the previous
	// batch was written go at once. 0: no waiting, batches are only what
	// gathered during the previous write.
	Window time.Duration
	// Max is the most requests one transaction writes; 1 or less turns
	// batching off (every intake its own transaction).
	Max int
}

// DefaultBatching is intake's group commit unless configured otherwise
// (OPENCITY_INTAKE_BATCH_WINDOW, OPENCITY_INTAKE_BATCH_MAX).
var DefaultBatching = Batching{Window: time.Millisecond, Max: 64}

// On reports whether requests are batched.
func (b Batching) On() bool { return b.Max > 1 }

// WithBatching sets the Store's intake group commit.
func WithBatching(b Batching) Option {
	return func(s *Store) { s.batching = b }
}

// pendingIntake is one new request on its way into the database.
type pendingIntake struct {
	r      *core.Request
	events []*core.RequestEvent
	year   int
	at     time.Time // arrival, by the wall clock (the window is real time)

	out     *core.Request
	created bool
	err     error
	done    chan struct{} // closed when out, created and err are set
	lead    chan struct{} // closed when this submitter is to write the next batches
}

// intakeQueue gathers a city's new requests for the next batch.
type intakeQueue struct {
	mu      sync.Mutex
	pending []*pendingIntake
	leading bool          // a submitter is writing batches
	full    chan struct{} // told when pending reaches the batch size
}

// CreateRequest implements core.Store: r is numbered and stored with its
// first events, in a transaction of its own or, with batching on, in one
// shared with the city's other new requests (see Batching). A key already
// used by the same creator yields the stored request and created=false.
func (s *Store) CreateRequest(ctx context.Context, r *core.Request, events []*core.RequestEvent, year int) (*core.Request, bool, error) {
	p := &pendingIntake{r: r, events: events, year: year, at: time.Now(), done: make(chan struct{}), lead: make(chan struct{})}
	if !s.batching.On() {
		s.writeAlone(ctx, p)
		return p.out, p.created, p.err
	}
	q := &s.intake
	q.mu.Lock()
	if q.full == nil {
		q.full = make(chan struct{}, 1)
	}
	q.pending = append(q.pending, p)
	if len(q.pending) >= s.batching.Max {
		select {
		case q.full <- struct{}{}:
		default:
		}
	}
	lead := !q.leading
	q.leading = true
	q.mu.Unlock()
	if !lead {
		select {
		case <-p.done:
			return p.out, p.created, p.err
		case <-p.lead:
		}
	}
	s.writeBatches(context.WithoutCancel(ctx), p)
	return p.out, p.created, p.err
}

// writeBatches writes batches of the queue until me is written, then hands
// the queue to the next waiting submitter or leaves it idle. The batches
// hold others' requests too, so a submitter who gave up does not cancel
// them.
func (s *Store) writeBatches(ctx context.Context, me *pendingIntake) {
	q := &s.intake
	for {
		q.mu.Lock()
		wait := time.Duration(0)
		if len(q.pending) < s.batching.Max {
			wait = time.Until(q.pending[0].at.Add(s.batching.Window))
		}
		q.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-q.full:
			case <-t.C:
			}
			t.Stop()
		}
		q.mu.Lock()
		n := min(len(q.pending), s.batching.Max)
		batch := append([]*pendingIntake(nil), q.pending[:n]...)
		q.pending = append(q.pending[:0:0], q.pending[n:]...)
		q.mu.Unlock()

		s.writeBatch(ctx, batch)

		q.mu.Lock()
		select {
		case <-me.done:
			if len(q.pending) > 0 {
				close(q.pending[0].lead)
			} else {
				q.leading = false
			}
			q.mu.Unlock()
			return
		default:
			q.mu.Unlock()
		}
	}
}

// writeBatch writes the batch in one transaction; when that fails, each
// request again in a transaction of its own. Every request is done after.
func (s *Store) writeBatch(ctx context.Context, batch []*pendingIntake) {
	if len(batch) == 1 {
		s.writeAlone(ctx, batch[0])
		return
	}
	results, err := s.insertRequests(ctx, batch)
	if err != nil {
		for _, p := range batch {
			s.writeAlone(ctx, p)
		}
		return
	}
	for i, p := range batch {
		p.out, p.created = results[i].out, results[i].created
		close(p.done)
	}
}

// writeAlone writes one request in a transaction of its own.
func (s *Store) writeAlone(ctx context.Context, p *pendingIntake) {
	results, err := s.insertRequests(ctx, []*pendingIntake{p})
	if err == nil {
		p.out, p.created = results[0].out, results[0].created
	}
	p.err = err
	close(p.done)
}

type intakeResult struct {
	out     *core.Request
	created bool
}

// insertRequests stores the batch's requests in one transaction and
// returns what each submitter is answered: a copy of its stored request, or
// the request stored before under the same creator and idempotency key.
// The statements are one each for the requests, their events (with the two
// outboxes), their cycles and HQ's rollups, whatever the batch's size, and
// the numbers last: the year's counter row is locked from its increment to
// the commit, which serializes a city's intake.
func (s *Store) insertRequests(ctx context.Context, batch []*pendingIntake) ([]intakeResult, error) {
	results := make([]intakeResult, len(batch))
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows := make([]*core.Request, len(batch))
		byTmp := make(map[string]int, len(batch))
		for i, p := range batch {
			r := p.r
			r.ID = 0
			// Unique until the number is given, last.
			r.Number = provisionalNumber()
			if r.CreatedDay == "" {
				r.CreatedDay = r.CreatedAt.UTC().Format(time.DateOnly)
			}
			rows[i], byTmp[r.Number] = r, i
			results[i] = intakeResult{}
		}
		var stored []struct {
			ID     int64  `bun:"id"`
			Number string `bun:"number"`
		}
		if err := tx.NewInsert().Model(&rows).
			On("CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING").
			Returning("id, number").Scan(ctx, &stored); err != nil {
			return err
		}
		for _, st := range stored {
			i, ok := byTmp[st.Number]
			if !ok {
				return fmt.Errorf("intake: the database returned an unknown provisional number %q", st.Number)
			}
			rows[i].ID = st.ID
		}
		var events []*core.RequestEvent
		var cycles []*core.RequestCycle
		var years, replays []int
		ids := map[int][]int64{} // year → ids in arrival order
		for i, p := range batch {
			r := p.r
			if r.ID == 0 {
				// Not inserted: the key was used before, by a request
				// committed while this one waited for it or by another of
				// this batch; read last, when that one has its number.
				if r.IdempotencyKey == nil {
					return errors.New("intake: a request without an idempotency key was not stored")
				}
				replays = append(replays, i)
				continue
			}
			for _, ev := range p.events {
				ev.ID, ev.RequestID = 0, r.ID
				events = append(events, ev)
			}
			if c := r.CurrentCycle(); c != nil {
				cycles = append(cycles, c)
			}
			if r.Handoff != nil {
				return errors.New("intake: a new request carries a handoff")
			}
			if _, ok := ids[p.year]; !ok {
				years = append(years, p.year)
			}
			ids[p.year] = append(ids[p.year], r.ID)
		}
		if len(years) > 0 {
			if err := s.storeCreated(ctx, tx, batch, results, events, cycles, years, ids); err != nil {
				return err
			}
		}
		for _, i := range replays {
			r := batch[i].r
			prev, err := byIdempotencyKey(ctx, tx, r.CreatedBy, *r.IdempotencyKey)
			if err != nil {
				return err
			}
			results[i] = intakeResult{out: prev}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// storeCreated writes the events, cycles, rollups and numbers of the
// batch's inserted requests (ids by year, in arrival order) and sets their
// results.
func (s *Store) storeCreated(ctx context.Context, tx bun.Tx, batch []*pendingIntake, results []intakeResult,
	events []*core.RequestEvent, cycles []*core.RequestCycle, years []int, ids map[int][]int64) error {
	if err := recordEvents(ctx, tx, events...); err != nil {
		return err
	}
	if len(cycles) > 0 {
		if _, err := tx.NewInsert().Model(&cycles).Exec(ctx); err != nil {
			return err
		}
	}
	var all []int64
	for _, y := range years {
		all = append(all, ids[y]...)
	}
	if err := tallyRequests(ctx, tx, all, 1); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	numbers := make(map[int64]string, len(all))
	for _, y := range years {
		if err := s.assignNumbers(ctx, tx, ids[y], y, numbers); err != nil {
			return err
		}
	}
	for i, p := range batch {
		if p.r.ID == 0 {
			continue
		}
		n, ok := numbers[p.r.ID]
		if !ok {
			return fmt.Errorf("intake: request %d got no number", p.r.ID)
		}
		p.r.Number = n
		copied := *p.r
		results[i] = intakeResult{out: &copied, created: true}
	}
	return nil
}

// assignNumbers gives stored requests their per-city, per-year numbers in
// the order of ids, adding them to numbers. On PostgreSQL the counter's
// increment and the requests' update are one statement.
func (s *Store) assignNumbers(ctx context.Context, tx bun.Tx, ids []int64, year int, numbers map[int64]string) error {
	var rows []struct {
		ID     int64  `bun:"id"`
		Number string `bun:"number"`
	}
	name, prefix := fmt.Sprintf("requests-%d", year), fmt.Sprintf("%d-", year)
	if s.scope.Postgres() {
		err := tx.NewRaw(`WITH n AS (
			INSERT INTO counters (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value),
		v AS (SELECT r.id, n.value - ? + r.ord AS k FROM n, unnest(?::bigint[]) WITH ORDINALITY AS r(id, ord))
		UPDATE requests SET number = ? || CASE WHEN v.k < 1000000 THEN lpad(v.k::text, 6, '0') ELSE v.k::text END
		FROM v WHERE requests.id = v.id
		RETURNING requests.id, requests.number`, name, len(ids), len(ids), pgdialect.Array(ids), prefix).Scan(ctx, &rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			numbers[r.ID] = r.Number
		}
		return nil
	}
	var last int64
	err := tx.NewRaw(`INSERT INTO counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value`, name, len(ids)).Scan(ctx, &last)
	if err != nil {
		return err
	}
	for i, id := range ids {
		number := fmt.Sprintf("%s%06d", prefix, last-int64(len(ids))+int64(i)+1)
		if _, err := tx.NewRaw("UPDATE requests SET number = ? WHERE id = ?", number, id).Exec(ctx); err != nil {
			return err
		}
		numbers[id] = number
	}
	return nil
}
