package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// countingScope counts the transactions a Store runs.
type countingScope struct {
	store.Scope
	txs atomic.Int64
}

func (s *countingScope) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	s.txs.Add(1)
	return s.Scope.RunInTx(ctx, fn)
}

// Intake's group commit on both backends: requests submitted together are
// written in one transaction, numbered with their insert (no row is
// updated after it), a key used twice in one batch stores one request (the
// batch is written again with the numbers given after the insert), without
// batching each request is numbered after its insert, and
// when a row of a batch fails (here a category the city does not have) the
// batch is written again one request at a time, so only that request
// fails, and the numbers stay without gaps or duplicates. HQ's rollups
// equal a recount after it all.
func TestIntakeBatchFallback(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			raw := provisionCity(t, kind, "batch").Scope
			scope := &countingScope{Scope: raw}
			// Batches are flushed when full, so the long window never runs out.
			st := store.New(scope, store.WithBatching(store.Batching{Window: time.Minute, Max: 6}))
			dir, err := st.Directory(ctx, false) // loads the memo before counting
			if err != nil {
				t.Fatal(err)
			}
			var admin int64
			if err := raw.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT id FROM users WHERE login = 'admin'").Scan(ctx, &admin)
			}); err != nil {
				t.Fatal(err)
			}
			// Every update of a request's row is counted.
			counting := []string{"CREATE TABLE request_updates (id bigint)",
				"CREATE TRIGGER count_updates AFTER UPDATE ON requests BEGIN INSERT INTO request_updates VALUES (new.id); END"}
			if kind != "sqlite" {
				counting = []string{"CREATE TABLE request_updates (id bigint)",
					"CREATE FUNCTION count_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO request_updates VALUES (NEW.id); RETURN NULL; END $$",
					"CREATE TRIGGER count_updates AFTER UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION count_updates()"}
			}
			if err := raw.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				for _, q := range counting {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			updates := func() (n int) {
				t.Helper()
				if err := raw.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT count(*) FROM request_updates").Scan(ctx, &n)
				}); err != nil {
					t.Fatal(err)
				}
				return n
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			newRequest := func(desc, key string, category int64) (*core.Request, []*core.RequestEvent) {
				r := &core.Request{Channel: core.ChannelPortal, Status: core.StatusNew, Priority: core.PriorityNormal,
					CategoryID: category, Address: "ул. Пакетная, 1", Description: desc, CreatedBy: admin,
					Fingerprint: desc, CreatedAt: now, UpdatedAt: now, CreatedDay: now.Format(time.DateOnly), Cycle: 1,
					CycleStartedAt: &now}
				if key != "" {
					r.IdempotencyKey = &key
				}
				return r, []*core.RequestEvent{{Kind: "created", ToState: string(core.StatusNew), Public: true, CreatedAt: now},
					{Kind: "triage", FromState: string(core.StatusNew), ToState: string(core.StatusNew), CreatedAt: now}}
			}
			type outcome struct {
				desc    string
				out     *core.Request
				created bool
				err     error
			}
			// submit files the requests at once, each from its own goroutine
			// as the HTTP handlers do.
			submit := func(reqs []*core.Request, evs [][]*core.RequestEvent) []outcome {
				res := make([]outcome, len(reqs))
				var wg sync.WaitGroup
				for i := range reqs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						out, created, err := st.CreateRequest(ctx, reqs[i], evs[i], now.Year())
						res[i] = outcome{reqs[i].Description, out, created, err}
					}()
				}
				wg.Wait()
				return res
			}
			cat := dir.Categories[0].ID
			var reqs []*core.Request
			var evs [][]*core.RequestEvent
			for i := range 6 {
				key := fmt.Sprintf("k-%d", i)
				if i == 5 {
					key = "k-0" // the same creator and key as the first: one request
				}
				r, e := newRequest(fmt.Sprintf("good %d", i), key, cat)
				if i == 5 {
					r.Description, r.Fingerprint = "good 0", "good 0"
				}
				reqs, evs = append(reqs, r), append(evs, e)
			}
			before := scope.txs.Load()
			first := submit(reqs, evs)
			if n := scope.txs.Load() - before; n != 2 {
				t.Errorf("a full batch of 6 with a key used twice took %d transactions, want 2 (numbered first, then after the insert)", n)
			}
			if n := updates(); n != 5 {
				t.Errorf("numbering after the insert updated %d rows, want 5", n)
			}
			numbers := map[string]string{}
			created := 0
			for _, o := range first {
				if o.err != nil {
					t.Fatalf("%s: %v", o.desc, o.err)
				}
				if o.created {
					created++
				}
				if prev, ok := numbers[o.desc]; ok && prev != o.out.Number {
					t.Errorf("key k-0 gave two requests: %s and %s", prev, o.out.Number)
				}
				numbers[o.desc] = o.out.Number
			}
			if created != 5 || len(numbers) != 5 {
				t.Errorf("created %d requests with %d numbers, want 5 and 5: %v", created, len(numbers), numbers)
			}

			// A batch with one bad row: written again one by one.
			reqs, evs = nil, nil
			for i := range 6 {
				r, e := newRequest(fmt.Sprintf("second %d", i), "", cat)
				if i == 3 {
					r.CategoryID = 987654321 // no such category: the row fails in the database
					r.Description = "bad"
				}
				reqs, evs = append(reqs, r), append(evs, e)
			}
			before = scope.txs.Load()
			second := submit(reqs, evs)
			if n := scope.txs.Load() - before; n != 7 {
				t.Errorf("a failed batch of 6 took %d transactions, want 1 and then 6 alone", n)
			}
			for _, o := range second {
				switch {
				case o.desc == "bad" && o.err == nil:
					t.Errorf("the bad row was stored as %s", o.out.Number)
				case o.desc != "bad" && (o.err != nil || !o.created):
					t.Errorf("%s cost more than itself: %v", o.desc, o.err)
				case o.desc != "bad":
					numbers[o.desc] = o.out.Number
				}
			}
			// A batch of new keys: one transaction, numbered with its insert.
			reqs, evs = nil, nil
			for i := range 6 {
				r, e := newRequest(fmt.Sprintf("third %d", i), fmt.Sprintf("third-%d", i), cat)
				reqs, evs = append(reqs, r), append(evs, e)
			}
			before = scope.txs.Load()
			for _, o := range submit(reqs, evs) {
				if o.err != nil || !o.created {
					t.Fatalf("%s: created %v, %v", o.desc, o.created, o.err)
				}
				numbers[o.desc] = o.out.Number
			}
			if n := scope.txs.Load() - before; n != 1 {
				t.Errorf("a full batch of 6 new keys took %d transactions, want 1", n)
			}
			if n := updates(); n != 5 {
				t.Errorf("%d rows updated after the insert, want only the 5 of the first batch", n-5)
			}
			// Without batching each request is its own transaction and takes
			// its number last, after its insert.
			alone := store.New(scope, store.WithBatching(store.Batching{Max: 1}))
			for i := range 3 {
				r, e := newRequest(fmt.Sprintf("alone %d", i), "", cat)
				out, created, err := alone.CreateRequest(ctx, r, e, now.Year())
				if err != nil || !created {
					t.Fatalf("alone %d: created %v, %v", i, created, err)
				}
				numbers[r.Description] = out.Number
			}
			if n := updates(); n != 8 {
				t.Errorf("%d rows numbered after their insert, want the 5 of the first batch and the 3 written alone", n)
			}
			var stored []string
			if err := raw.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT number FROM requests ORDER BY number").Scan(ctx, &stored)
			}); err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := 1; i <= 19; i++ {
				want = append(want, fmt.Sprintf("%d-%06d", now.Year(), i))
			}
			var answered []string
			for _, n := range numbers {
				answered = append(answered, n)
			}
			slices.Sort(answered)
			if !slices.Equal(stored, want) || !slices.Equal(answered, want) {
				t.Errorf("numbers stored %v, answered %v; want %v (no gaps, no duplicates)", stored, answered, want)
			}
			var events, outbox int
			if err := raw.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT count(*) FROM request_events").Scan(ctx, &events); err != nil {
					return err
				}
				return tx.NewRaw("SELECT count(*) FROM event_outbox").Scan(ctx, &outbox)
			}); err != nil {
				t.Fatal(err)
			}
			if events != 38 || outbox != 38 {
				t.Errorf("%d events, %d in the outbox; want 38 and 38 (two for each of 19 requests)", events, outbox)
			}
			days, err := st.Days(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recount, err := st.RecountDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(days, recount) {
				t.Errorf("rollups %v, recount %v", days, recount)
			}
		})
	}
}
