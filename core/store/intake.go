package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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

// errKeyUsed stops a batch numbered before its insert when a request's
// idempotency key was used before: the transaction is rolled back, its
// numbers with it, and the batch is written again numbering after the
// insert, which answers such a request with the one stored first.
var errKeyUsed = errors.New("intake: an idempotency key of the batch was used before")

// insertRequests stores the batch's requests in one transaction and
// returns what each submitter is answered: a copy of its stored request, or
// the request stored before under the same creator and idempotency key.
//
// The year's counter row is locked from its increment to the commit,
// which serializes a city's intake from there. With batching on, a Store
// writes a city's batches one after another anyway (see Batching), so the
// numbers are taken first and written with the rows: a number given after
// the insert would be a second version of every new row, with an entry in
// each of the table's indexes again. Only when a key turns out used before
// is the batch written again with the numbers given last, to the rows
// actually inserted, so that no number is skipped. With batching off,
// concurrent intakes each write their own transaction, and each takes its
// number last, so that they wait for each other only from there.
func (s *Store) insertRequests(ctx context.Context, batch []*pendingIntake) ([]intakeResult, error) {
	if !s.batching.On() {
		return s.writeRequests(ctx, batch, false)
	}
	results, err := s.writeRequests(ctx, batch, true)
	if errors.Is(err, errKeyUsed) {
		return s.writeRequests(ctx, batch, false)
	}
	return results, err
}

// writeRequests is insertRequests with the numbers taken before the
// insert (numberFirst; errKeyUsed when a row was not inserted) or given
// after it to the rows inserted. The statements are one each for the
// numbers of each year, the requests, their events (with the two
// outboxes), their cycles and HQ's rollups, whatever the batch's size.
func (s *Store) writeRequests(ctx context.Context, batch []*pendingIntake, numberFirst bool) ([]intakeResult, error) {
	results := make([]intakeResult, len(batch))
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows := make([]*core.Request, len(batch))
		byNumber := make(map[string]int, len(batch))
		for i, p := range batch {
			r := p.r
			r.ID = 0
			if !numberFirst {
				// Unique until the number is given, after the insert.
				r.Number = provisionalNumber()
			}
			if r.CreatedDay == "" {
				r.CreatedDay = r.CreatedAt.UTC().Format(time.DateOnly)
			}
			rows[i] = r
			results[i] = intakeResult{}
		}
		if numberFirst {
			if err := takeNumbers(ctx, tx, batch); err != nil {
				return err
			}
		}
		for i, r := range rows {
			byNumber[r.Number] = i
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
		if numberFirst && len(stored) < len(rows) {
			return errKeyUsed
		}
		for _, st := range stored {
			i, ok := byNumber[st.Number]
			if !ok {
				return fmt.Errorf("intake: the database returned an unknown number %q", st.Number)
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
			if err := s.storeCreated(ctx, tx, batch, results, events, cycles, years, ids, numberFirst); err != nil {
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

// takeNumbers sets the numbers of the batch's requests from their years'
// counters, in arrival order: one statement a year, the years in
// ascending order so that two writers lock the counters alike.
func takeNumbers(ctx context.Context, tx bun.Tx, batch []*pendingIntake) error {
	count := map[int]int{}
	for _, p := range batch {
		count[p.year]++
	}
	next := make(map[int]int64, len(count))
	for _, y := range slices.Sorted(maps.Keys(count)) {
		last, err := advanceCounter(ctx, tx, y, count[y])
		if err != nil {
			return err
		}
		next[y] = last - int64(count[y]) + 1
	}
	for _, p := range batch {
		p.r.Number = requestNumber(p.year, next[p.year])
		next[p.year]++
	}
	return nil
}

// advanceCounter adds n to the year's counter of request numbers and
// returns its new value, the last number taken.
func advanceCounter(ctx context.Context, tx bun.Tx, year, n int) (last int64, err error) {
	err = tx.NewRaw(`INSERT INTO counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value`,
		counterName(year), n).Scan(ctx, &last)
	return last, err
}

// counterName names the counters row of a year's request numbers.
func counterName(year int) string { return fmt.Sprintf("requests-%d", year) }

// requestNumber is the k-th request number of a year: "2026-000042", the
// count taking more digits past 999,999.
func requestNumber(year int, k int64) string {
	return fmt.Sprintf("%d-%06d", year, k)
}

// storeCreated writes the events, cycles, rollups and, unless the rows
// were numbered before their insert, the numbers of the batch's inserted
// requests (ids by year, in arrival order) and sets their results.
func (s *Store) storeCreated(ctx context.Context, tx bun.Tx, batch []*pendingIntake, results []intakeResult,
	events []*core.RequestEvent, cycles []*core.RequestCycle, years []int, ids map[int][]int64, numbered bool) error {
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
	if !numbered {
		numbers := make(map[int64]string, len(all))
		slices.Sort(years)
		for _, y := range years {
			if err := s.assignNumbers(ctx, tx, ids[y], y, numbers); err != nil {
				return err
			}
		}
		for _, p := range batch {
			if p.r.ID == 0 {
				continue
			}
			n, ok := numbers[p.r.ID]
			if !ok {
				return fmt.Errorf("intake: request %d got no number", p.r.ID)
			}
			p.r.Number = n
		}
	}
	for i, p := range batch {
		if p.r.ID == 0 {
			continue
		}
		copied := *p.r
		results[i] = intakeResult{out: &copied, created: true}
	}
	return nil
}

// assignNumbers gives stored requests their per-city, per-year numbers in
// the order of ids, adding them to numbers: the batch written again after
// errKeyUsed. On PostgreSQL the counter's increment and the requests'
// update are one statement.
func (s *Store) assignNumbers(ctx context.Context, tx bun.Tx, ids []int64, year int, numbers map[int64]string) error {
	var rows []struct {
		ID     int64  `bun:"id"`
		Number string `bun:"number"`
	}
	name, prefix := counterName(year), fmt.Sprintf("%d-", year)
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
	last, err := advanceCounter(ctx, tx, year, len(ids))
	if err != nil {
		return err
	}
	for i, id := range ids {
		number := requestNumber(year, last-int64(len(ids))+int64(i)+1)
		if _, err := tx.NewRaw("UPDATE requests SET number = ? WHERE id = ?", number, id).Exec(ctx); err != nil {
			return err
		}
		numbers[id] = number
	}
	return nil
}
