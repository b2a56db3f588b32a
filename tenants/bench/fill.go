package bench

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// FillStats reports a generated history.
type FillStats struct {
	Requests int
	Events   int
	Took     time.Duration
}

// chunkDays is how many days go into one transaction.
const chunkDays = 31

// Fill generates h into the city slug, which must have a directory (see
// DirectoryData) and no requests yet. On PostgreSQL the rows go in with COPY
// inside transactions confined to the city's schema by a transaction-local
// search_path, as every city unit of work is; on SQLite with multi-row
// INSERTs into the city's file. progress, when set, is called after each
// chunk with the requests written so far.
func Fill(ctx context.Context, b *tenants.Backend, slug string, h History, progress func(done, total int)) (FillStats, error) {
	start := time.Now()
	scope, err := b.Scope(slug)
	if err != nil {
		return FillStats{}, err
	}
	st := store.New(scope)
	c, err := readCity(ctx, st)
	if err != nil {
		return FillStats{}, err
	}
	if c.cal, err = st.WorkingCalendar(ctx, h.End.Location()); err != nil {
		return FillStats{}, err
	}
	var existing int
	counters := map[int]int64{}
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if existing, err = tx.NewSelect().TableExpr("requests").Count(ctx); err != nil {
			return err
		}
		var rows []struct {
			Name  string
			Value int64
		}
		if err := tx.NewSelect().TableExpr("counters").Column("name", "value").Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			if y, err := strconv.Atoi(strings.TrimPrefix(r.Name, "requests-")); err == nil {
				counters[y] = r.Value
			}
		}
		return nil
	})
	if err != nil {
		return FillStats{}, err
	}
	if existing > 0 {
		return FillStats{}, fmt.Errorf("city %s already has %d requests: generate into a new city", slug, existing)
	}
	days := plans(h, 1, counters)
	now := h.End
	var w writer = &sqliteWriter{scope: scope}
	if b.Postgres() {
		conn, err := b.Control.Conn(ctx)
		if err != nil {
			return FillStats{}, err
		}
		defer conn.Close()
		w = &pgWriter{conn: conn, schema: tenants.SchemaName(slug), path: `"` + strings.ReplaceAll(tenants.SchemaName(slug), `"`, `""`) + `"`}
	}
	// Generate the next chunk while the current one is written.
	type chunk struct {
		rows []generated
		last dayPlan
	}
	chunks := make(chan chunk, 1)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for i := 0; i < len(days); i += chunkDays {
			var rows []generated
			end := min(i+chunkDays, len(days))
			for _, p := range days[i:end] {
				rows = append(rows, c.generateDay(h, p, now)...)
			}
			select {
			case chunks <- chunk{rows, days[end-1]}:
			case <-genCtx.Done():
				return
			}
		}
	}()
	stats := FillStats{}
	for ch := range chunks {
		if err := w.write(ctx, ch.rows); err != nil {
			return stats, err
		}
		stats.Requests += len(ch.rows)
		for _, g := range ch.rows {
			stats.Events += len(g.Events)
		}
		if progress != nil {
			progress(stats.Requests, h.Requests)
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	last := map[int]int64{}
	for _, p := range days {
		if p.Count > 0 {
			last[p.Day.Year()] = p.FirstNumber + int64(p.Count) - 1
		}
	}
	err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for y, n := range last {
			if _, err := tx.NewRaw(`INSERT INTO counters (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, fmt.Sprintf("requests-%d", y), n).Exec(ctx); err != nil {
				return err
			}
		}
		if scope.Postgres() {
			// The largest id first, then setval in a statement of its own
			// that reads no table: on Citus a statement that reads a city
			// table goes to that city's worker, where the sequence is not.
			for _, t := range []string{"requests", "request_events"} {
				var maxID sql.NullInt64
				if err := tx.NewRaw("SELECT max(id) FROM ?", bun.Ident(t)).Scan(ctx, &maxID); err != nil {
					return err
				}
				if !maxID.Valid {
					continue
				}
				if _, err := tx.NewRaw("SELECT setval(pg_get_serial_sequence(?, 'id'), ?)", t, maxID.Int64).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return stats, err
	}
	if err := w.finish(ctx); err != nil {
		return stats, err
	}
	// The rows went in without the lifecycle: HQ's rollups are counted once.
	if err := st.RebuildDays(ctx); err != nil {
		return stats, fmt.Errorf("rollups: %w", err)
	}
	stats.Took = time.Since(start)
	return stats, nil
}

type writer interface {
	write(ctx context.Context, rows []generated) error
	finish(ctx context.Context) error
}

// sqliteWriter inserts through the city's scope, 500 rows a statement.
type sqliteWriter struct{ scope store.Scope }

func (w *sqliteWriter) write(ctx context.Context, rows []generated) error {
	return w.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		const batch = 500
		for i := 0; i < len(rows); i += batch {
			part := rows[i:min(i+batch, len(rows))]
			reqs := make([]core.Request, len(part))
			cycles := make([]*core.RequestCycle, len(part))
			var evs []core.RequestEvent
			for j := range part {
				reqs[j] = part[j].R
				cycles[j] = part[j].R.CurrentCycle()
				evs = append(evs, part[j].Events...)
			}
			if _, err := tx.NewInsert().Model(&reqs).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&cycles).Exec(ctx); err != nil {
				return err
			}
			for k := 0; k < len(evs); k += batch {
				part := evs[k:min(k+batch, len(evs))]
				if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (w *sqliteWriter) finish(ctx context.Context) error {
	return w.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "ANALYZE")
		return err
	})
}

// pgWriter copies rows into the city's schema on one connection.
type pgWriter struct {
	conn   bun.Conn
	schema string // the city's schema
	path   string // the quoted schema, for search_path
	reqs   bytes.Buffer
	evs    bytes.Buffer
	cycles bytes.Buffer
}

const (
	requestColumns = "id, number, channel, status, priority, category_id, building_id, district_id, address, apartment, " +
		"description, applicant_name, applicant_phone, citizen_id, created_by, organization_id, duplicate_of, " +
		"reaction_due_at, resolution_due_at, assigned_at, accepted_at, resolved_at, closed_at, reaction_seconds, " +
		"resolution_seconds, rating, search_text, created_at, updated_at, created_day, cycle, cycle_started_at"
	eventColumns = "request_id, actor_id, kind, organization_id, from_status, to_status, note, comment, public, created_at"
	cycleColumns = "request_id, cycle, started_at, organization_id, reaction_due_at, resolution_due_at, accepted_at, resolved_at, " +
		"closed_at, reaction_seconds, resolution_seconds, reaction_late, resolution_late, escalation_level"
)

func (w *pgWriter) write(ctx context.Context, rows []generated) (err error) {
	w.reqs.Reset()
	w.evs.Reset()
	w.cycles.Reset()
	for i := range rows {
		encodeRequest(&w.reqs, &rows[i].R)
		encodeCycle(&w.cycles, rows[i].R.CurrentCycle())
		for j := range rows[i].Events {
			encodeEvent(&w.evs, &rows[i].Events[j])
		}
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, rerr := w.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			err = errors.Join(err, rerr)
		}
	}()
	if _, err := w.conn.ExecContext(ctx, "SELECT set_config('search_path', ?, true)", w.path); err != nil {
		return err
	}
	if _, err := pgdriver.CopyFrom(ctx, w.conn, bytes.NewReader(w.reqs.Bytes()),
		"COPY requests ("+requestColumns+") FROM STDIN"); err != nil {
		return fmt.Errorf("copy requests: %w", err)
	}
	if _, err := pgdriver.CopyFrom(ctx, w.conn, bytes.NewReader(w.evs.Bytes()),
		"COPY request_events ("+eventColumns+") FROM STDIN"); err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	if _, err := pgdriver.CopyFrom(ctx, w.conn, bytes.NewReader(w.cycles.Bytes()),
		"COPY request_cycles ("+cycleColumns+") FROM STDIN"); err != nil {
		return fmt.Errorf("copy cycles: %w", err)
	}
	_, err = w.conn.ExecContext(ctx, "COMMIT")
	return err
}

// finish vacuums and analyzes the written tables, as autovacuum keeps a
// city's tables that grew over years: the visibility map set (so the
// covering indexes answer HQ's periods without reading the table) and the
// planner's statistics current. VACUUM runs outside a transaction, so the
// tables are named with their schema.
func (w *pgWriter) finish(ctx context.Context) error {
	for _, table := range []string{"requests", "request_events", "request_cycles"} {
		if _, err := w.conn.ExecContext(ctx, "VACUUM (ANALYZE) ?.?", bun.Ident(w.schema), bun.Ident(table)); err != nil {
			return err
		}
	}
	return nil
}
