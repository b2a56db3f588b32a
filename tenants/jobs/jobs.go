// Package jobs is OpenCity's durable job queue, kept in the control plane on
// PostgreSQL or SQLite. A job is claimed atomically (FOR UPDATE SKIP LOCKED on
// PostgreSQL, the single writer on SQLite) with a lease, so when several
// server processes run, each job runs in one of them at a time; a process that
// dies loses its lease and the job is run again. Handlers are therefore
// written to be idempotent. A failed run is retried with exponential backoff
// (Exponential); a job whose last attempt failed stays in the failed state —
// the dead-letter list (Failed) — until someone retries it (Retry).
//
// River (riverqueue/river) was tried in its place and kept out: its
// database/sql driver runs its queries through bun's pgdriver, which binds
// arguments on the client and does not skip SQL comments, so River's leader
// election query (an apostrophe in a comment) fails with "there is no
// parameter $2" on PostgreSQL, with or without PgBouncer. Without a leader
// River never promotes scheduled or retryable jobs.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Job states.
const (
	StateAvailable = "available"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
)

// Job is one unit of background work.
type Job struct {
	ID          int64      `bun:"id,pk,autoincrement"`
	Kind        string     `bun:"kind,notnull"`
	Tenant      string     `bun:"tenant,notnull"`
	Payload     string     `bun:"payload,notnull"`
	UniqueKey   *string    `bun:"unique_key"`
	State       string     `bun:"state,notnull"`
	Attempts    int        `bun:"attempts,notnull"`
	MaxAttempts int        `bun:"max_attempts,notnull"`
	RunAt       time.Time  `bun:"run_at,notnull"`
	LockedBy    string     `bun:"locked_by,notnull"`
	LockedUntil *time.Time `bun:"locked_until"`
	LastError   string     `bun:"last_error,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	FinishedAt  *time.Time `bun:"finished_at"`
}

// Decode unmarshals the job's payload into v.
func (j *Job) Decode(v any) error { return json.Unmarshal([]byte(j.Payload), v) }

// Handler runs one job; an error retries it later with backoff.
type Handler func(ctx context.Context, j *Job) error

// Periodic enqueues work on a schedule; the unique key of each slot keeps
// several processes from enqueueing the same slot twice.
type Periodic struct {
	Every   time.Duration
	Enqueue func(ctx context.Context, q *Queue, slot time.Time) error
}

// Queue stores jobs in table (schema-qualified on PostgreSQL) and runs them.
type Queue struct {
	db       *bun.DB
	table    bun.Ident
	postgres bool
	worker   string

	// Lease is how long a claimed job stays with its worker; Poll how often
	// an idle worker looks for work.
	Lease time.Duration
	Poll  time.Duration
	Now   func() time.Time
	// Backoff is how long a job waits after its attempt-th failed run;
	// Exponential when nil.
	Backoff func(attempt int) time.Duration
	// OnFinish, when set, is told the outcome of every job this queue ran:
	// OutcomeDone, OutcomeRetried (it runs again later) or OutcomeFailed
	// (its last attempt failed). The server's metrics count them.
	OnFinish func(kind, outcome string)

	mu       sync.Mutex
	handlers map[string]Handler
	periodic []Periodic
	wake     chan struct{}
}

// New returns a queue over the jobs table of the control plane.
func New(db *bun.DB, table string, postgres bool) *Queue {
	host, _ := os.Hostname()
	return &Queue{db: db, table: bun.Ident(table), postgres: postgres,
		worker: host + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10),
		Lease:  5 * time.Minute, Poll: time.Second, Now: time.Now,
		handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a job kind.
func (q *Queue) Handle(kind string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.handlers[kind] = h
}

// Every registers a periodic enqueuer.
func (q *Queue) Every(p Periodic) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.periodic = append(q.periodic, p)
}

// NewJob describes a job to enqueue.
type NewJob struct {
	Kind      string
	Tenant    string
	Payload   any
	UniqueKey string    // "" for none; a second job with the same key is dropped
	RunAt     time.Time // zero: now
	Attempts  int       // maximum attempts; 10 when 0
}

// Enqueue stores a job. With a unique key already present it returns the
// existing job's id and inserted=false.
func (q *Queue) Enqueue(ctx context.Context, db bun.IDB, n NewJob) (id int64, inserted bool, err error) {
	if db == nil {
		db = q.db
	}
	payload := []byte("{}")
	if n.Payload != nil {
		if payload, err = json.Marshal(n.Payload); err != nil {
			return 0, false, err
		}
	}
	now := q.Now().UTC()
	j := &Job{Kind: n.Kind, Tenant: n.Tenant, Payload: string(payload), State: StateAvailable,
		MaxAttempts: n.Attempts, RunAt: n.RunAt.UTC(), CreatedAt: now}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 10
	}
	if n.RunAt.IsZero() {
		j.RunAt = now
	}
	if n.UniqueKey != "" {
		j.UniqueKey = &n.UniqueKey
	}
	res, err := db.NewInsert().Model(j).ModelTableExpr("?", q.table).On("CONFLICT (unique_key) DO NOTHING").Returning("id").Exec(ctx)
	if err != nil {
		return 0, false, err
	}
	if rows, _ := res.RowsAffected(); rows == 1 {
		q.Notify()
		return j.ID, true, nil
	}
	err = db.NewSelect().TableExpr("?", q.table).Column("id").Where("unique_key = ?", n.UniqueKey).Scan(ctx, &id)
	return id, false, err
}

// EnqueueDue makes sure a job of kind for tenant runs at runAt or earlier:
// it stores one unless such a job is already waiting, and reports whether
// it did. Work that reads its input from the database when it runs (a
// city's relay) is nudged this way without piling up jobs.
func (q *Queue) EnqueueDue(ctx context.Context, kind, tenant string, runAt time.Time) (bool, error) {
	n, err := q.db.NewSelect().TableExpr("?", q.table).
		Where("kind = ? AND tenant = ? AND state = ? AND run_at <= ?", kind, tenant, StateAvailable, runAt.UTC()).Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, _, err = q.Enqueue(ctx, nil, NewJob{Kind: kind, Tenant: tenant, RunAt: runAt, Attempts: 3})
	return err == nil, err
}

// Notify wakes an idle worker of this process at once.
func (q *Queue) Notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Claim takes the next due job, or one whose worker's lease ran out, for
// this worker. It returns nil when there is nothing to do.
func (q *Queue) Claim(ctx context.Context) (*Job, error) {
	now := q.Now().UTC()
	lock := ""
	if q.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	j := new(Job)
	err := q.db.NewRaw(`UPDATE ? SET state = ?, locked_by = ?, locked_until = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM ? WHERE (state = ? AND run_at <= ?) OR (state = ? AND locked_until < ?)
			ORDER BY run_at, id LIMIT 1`+lock+`)
		RETURNING *`,
		q.table, StateRunning, q.worker, now.Add(q.Lease),
		q.table, StateAvailable, now, StateRunning, now).Scan(ctx, j)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// Outcomes of a run, as OnFinish is told them.
const (
	OutcomeDone    = "done"
	OutcomeRetried = "retried"
	OutcomeFailed  = "failed"
)

// finish records the outcome of a claimed job: done, retried later, or
// failed for good after its last attempt.
func (q *Queue) finish(ctx context.Context, j *Job, runErr error) error {
	now := q.Now().UTC()
	if runErr == nil {
		_, err := q.db.NewRaw("UPDATE ? SET state = ?, finished_at = ?, last_error = '' WHERE id = ? AND locked_by = ?",
			q.table, StateDone, now, j.ID, q.worker).Exec(ctx)
		q.told(j.Kind, OutcomeDone)
		return err
	}
	wait := q.Backoff
	if wait == nil {
		wait = Exponential
	}
	state, runAt := StateAvailable, now.Add(wait(j.Attempts))
	outcome := OutcomeRetried
	if j.Attempts >= j.MaxAttempts {
		state, outcome = StateFailed, OutcomeFailed
	}
	msg := runErr.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	_, err := q.db.NewRaw("UPDATE ? SET state = ?, run_at = ?, last_error = ?, finished_at = ? WHERE id = ? AND locked_by = ?",
		q.table, state, runAt, msg, finishedAt(state, now), j.ID, q.worker).Exec(ctx)
	// Told once the queue holds the outcome, as a finished job is.
	q.told(j.Kind, outcome)
	return err
}

func (q *Queue) told(kind, outcome string) {
	if q.OnFinish != nil {
		q.OnFinish(kind, outcome)
	}
}

func finishedAt(state string, now time.Time) *time.Time {
	if state == StateFailed {
		return &now
	}
	return nil
}

// BackoffCap is the longest wait Exponential gives between two attempts.
const BackoffCap = time.Hour

// Exponential is the default backoff: 2^(attempt-1) seconds after the
// attempt-th failure (1 s, 2 s, 4 s …), at most BackoffCap.
func Exponential(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 13 { // 2^12 s already exceeds the cap
		return BackoffCap
	}
	return min(time.Duration(1<<(attempt-1))*time.Second, BackoffCap)
}

// RunOnce claims and runs one job; it reports whether there was one.
func (q *Queue) RunOnce(ctx context.Context) (bool, error) {
	j, err := q.Claim(ctx)
	if err != nil || j == nil {
		return false, err
	}
	q.mu.Lock()
	h, ok := q.handlers[j.Kind]
	q.mu.Unlock()
	var runErr error
	if !ok {
		runErr = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		runErr = safeRun(ctx, h, j)
	}
	if runErr != nil && ctx.Err() != nil {
		// Shutting down: hand the job back untouched for the next worker.
		_, err := q.db.NewRaw("UPDATE ? SET state = ?, attempts = attempts - 1, locked_until = NULL WHERE id = ? AND locked_by = ?",
			q.table, StateAvailable, j.ID, q.worker).Exec(context.WithoutCancel(ctx))
		return true, err
	}
	if runErr != nil {
		slog.WarnContext(ctx, "job failed", "job", j.ID, "kind", j.Kind, "city", j.Tenant, "attempt", j.Attempts, "err", runErr)
	}
	return true, q.finish(context.WithoutCancel(ctx), j, runErr)
}

func safeRun(ctx context.Context, h Handler, j *Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return h(ctx, j)
}

// Drain runs jobs until none is due; tests and the CLI use it.
func (q *Queue) Drain(ctx context.Context) (ran int, err error) {
	for {
		ok, err := q.RunOnce(ctx)
		if err != nil || !ok {
			return ran, err
		}
		ran++
	}
}

// Run works the queue and the periodic schedule until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	q.mu.Lock()
	periodic := append([]Periodic(nil), q.periodic...)
	q.mu.Unlock()
	for _, p := range periodic {
		go q.schedule(ctx, p)
	}
	t := time.NewTicker(q.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		ran, err := q.Drain(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Error("job queue", "err", err)
		}
		_ = ran
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-q.wake:
		}
	}
}

func (q *Queue) schedule(ctx context.Context, p Periodic) {
	for {
		slot := q.Now().UTC().Truncate(p.Every)
		if err := p.Enqueue(ctx, q, slot); err != nil && ctx.Err() == nil {
			slog.Error("periodic enqueue", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(slot.Add(p.Every))):
		}
	}
}

// Prune deletes finished jobs older than age.
func (q *Queue) Prune(ctx context.Context, age time.Duration) (int64, error) {
	res, err := q.db.NewRaw("DELETE FROM ? WHERE state = ? AND finished_at < ?", q.table, StateDone, q.Now().UTC().Add(-age)).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stats counts jobs by state, for health pages.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `bun:"state"`
		N     int    `bun:"n"`
	}
	err := q.db.NewSelect().TableExpr("?", q.table).ColumnExpr("state, count(*) AS n").Group("state").Scan(ctx, &rows)
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, err
}

// Get returns one job.
func (q *Queue) Get(ctx context.Context, id int64) (*Job, error) {
	j := new(Job)
	err := q.db.NewSelect().Model(j).ModelTableExpr("? AS job", q.table).Where("job.id = ?", id).Scan(ctx)
	return j, err
}

// Failed lists the jobs whose last attempt failed (the dead-letter list),
// the most recent first, at most limit of them.
func (q *Queue) Failed(ctx context.Context, limit int) ([]Job, error) {
	var out []Job
	err := q.db.NewSelect().Model(&out).ModelTableExpr("? AS job", q.table).Where("job.state = ?", StateFailed).
		OrderExpr("job.finished_at DESC, job.id DESC").Limit(limit).Scan(ctx)
	return out, err
}

// Retry makes a failed job due now with a fresh set of attempts; its last
// error stays until it runs again. It reports false when no failed job has
// that id.
func (q *Queue) Retry(ctx context.Context, id int64) (bool, error) {
	res, err := q.db.NewRaw("UPDATE ? SET state = ?, attempts = 0, run_at = ?, finished_at = NULL, locked_until = NULL WHERE id = ? AND state = ?",
		q.table, StateAvailable, q.Now().UTC(), id, StateFailed).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		q.Notify()
	}
	return n == 1, nil
}
