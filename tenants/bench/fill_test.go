package bench_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

var moscow, _ = time.LoadLocation("Europe/Moscow")

// The budget's history: 2 million requests over seven years, about 1,000 a
// day in the last year and about 3,000 at the start of its heating season.
func TestDailyCountsHaveTheHeatingPeak(t *testing.T) {
	h := bench.History{End: time.Date(2026, 11, 1, 0, 0, 0, 0, moscow)}.Defaults(moscow)
	counts := h.DailyCounts()
	sum := 0
	for _, n := range counts {
		sum += n
	}
	if sum != 2_000_000 {
		t.Fatalf("the days add up to %d requests, want 2,000,000", sum)
	}
	if want := 7*365 + 2; len(counts) < want-1 || len(counts) > want {
		t.Fatalf("%d days, want seven years", len(counts))
	}
	var ordinary, peak []int
	day := h.Start()
	for _, n := range counts {
		if day.Year() == 2026 || (day.Year() == 2025 && day.Month() >= time.November) {
			switch {
			case day.Month() == time.October && day.Day() <= 15:
				peak = append(peak, n)
			case day.Month() != time.October:
				ordinary = append(ordinary, n)
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	if a := avg(ordinary); a < 850 || a > 1100 {
		t.Errorf("an ordinary day of the last year has %.0f requests, want about 1,000", a)
	}
	if a := avg(peak); a < 2700 || a > 3100 {
		t.Errorf("the start of the last heating season has %.0f requests a day, want about 3,000", a)
	}
	if counts[0] >= counts[len(counts)-1] {
		t.Errorf("the service did not grow: first day %d, last day %d", counts[0], counts[len(counts)-1])
	}
}

func avg(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(max(1, len(xs)))
}

// Fill writes 5,000 requests into a real city on both backends; what users
// of the figures rely on is checked in the database: the category mix, the
// October peak, mostly closed statuses with their history, numbers unique
// and gapless per year, ids in time order (keyset pages) and the counters
// continuing after the history.
func TestFill(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			loc, err := bench.PrepareCity(ctx, b, "benchcity", 300, "pw")
			if err != nil {
				t.Fatal(err)
			}
			h := bench.History{Requests: 5000, Years: 2, End: time.Date(2026, 11, 20, 0, 0, 0, 0, loc), Seed: 7, Buildings: 300}
			statements := &recorder{}
			b.Control.AddQueryHook(statements)
			stats, err := bench.Fill(ctx, b, "benchcity", h, nil)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Requests != 5000 || stats.Events < 5000*4 {
				t.Fatalf("stats %+v: want 5,000 requests with their history", stats)
			}
			scope, _ := b.Scope("benchcity")
			checkHistory(t, ctx, scope, h)
			checkCycles(t, ctx, b, scope, loc, h)
			if kind == "postgres" {
				checkSequences(t, ctx, scope, statements)
				// Vacuumed and analyzed, as autovacuum keeps an old city.
				for _, table := range []string{"requests", "request_events", "request_cycles"} {
					var vacuumed, analyzed bool
					if err := b.Control.NewRaw("SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = ? AND relname = ?",
						tenants.SchemaName("benchcity"), table).Scan(ctx, &vacuumed, &analyzed); err != nil || !vacuumed || !analyzed {
						t.Errorf("%s after the fill: vacuumed %v, analyzed %v (%v)", table, vacuumed, analyzed, err)
					}
				}
			}
			if _, err := bench.Fill(ctx, b, "benchcity", h, nil); err == nil || !strings.Contains(err.Error(), "already has") {
				t.Fatalf("a second fill into the same city: %v, want a refusal", err)
			}
		})
	}
}

// checkCycles: every request has its first cycle, as intake and the sweep
// keep it (so a server started on the bench city has nothing to backfill),
// its deadlines by the city's working calendar from intake, and the cycle's
// row agrees with the request's columns.
func checkCycles(t *testing.T, ctx context.Context, b *tenants.Backend, scope store.Scope, loc *time.Location, h bench.History) {
	t.Helper()
	var missing, cycles, differ, late int
	err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT count(*) FROM requests WHERE cycle_started_at IS NULL OR reaction_due_at IS NULL").Scan(ctx, &missing); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT count(*) FROM request_cycles").Scan(ctx, &cycles); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT count(*) FROM request_cycles WHERE reaction_late").Scan(ctx, &late); err != nil {
			return err
		}
		return tx.NewRaw(`SELECT count(*) FROM requests r JOIN request_cycles y ON y.request_id = r.id AND y.cycle = r.cycle
			WHERE y.started_at <> r.cycle_started_at OR y.started_at <> r.created_at OR y.reaction_due_at <> r.reaction_due_at
			OR y.resolution_due_at <> r.resolution_due_at OR y.resolution_seconds IS DISTINCT FROM r.resolution_seconds`).Scan(ctx, &differ)
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing != 0 || cycles != h.Requests || differ != 0 {
		t.Errorf("%d requests without a computed cycle, %d cycle rows for %d requests, %d rows differing from their request", missing, cycles, h.Requests, differ)
	}
	if late == 0 || late > h.Requests/4 {
		t.Errorf("%d of %d cycles late in their reaction: want a few", late, h.Requests)
	}
	st, err := b.Store("benchcity")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.Backfill(ctx, loc, 100); err != nil || n != 0 {
		t.Errorf("the sweep would backfill %d requests (%v), want none", n, err)
	}
}

func checkHistory(t *testing.T, ctx context.Context, scope store.Scope, h bench.History) {
	t.Helper()
	err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cats []struct {
			Code string
			N    int
		}
		if err := tx.NewRaw(`SELECT c.code, count(*) AS n FROM requests r JOIN categories c ON c.id = r.category_id
			GROUP BY c.code ORDER BY n DESC`).Scan(ctx, &cats); err != nil {
			return err
		}
		top := []string{cats[0].Code, cats[1].Code, cats[2].Code}
		for _, want := range []string{"power-supply", "water-network-fault", "yard-improvement"} {
			if !strings.Contains(strings.Join(top, ","), want) {
				t.Errorf("the most frequent categories are %v, want power supply, water-network faults and yard improvement", top)
			}
		}
		for _, c := range cats {
			for _, s := range bench.CategoryMix {
				if s.Code == c.Code && math.Abs(float64(c.N)/50-float64(s.Weight)) > 2.5 {
					t.Errorf("category %s has %.1f %% of requests, want about %d %%", c.Code, float64(c.N)/50, s.Weight)
				}
			}
		}
		var rows []struct {
			ID        int64
			Number    string
			Status    string
			CreatedAt time.Time
			Events    int
			Created   int
		}
		if err := tx.NewRaw(`SELECT r.id, r.number, r.status, r.created_at,
			(SELECT count(*) FROM request_events e WHERE e.request_id = r.id) AS events,
			(SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.kind = 'created') AS created
			FROM requests r ORDER BY r.id`).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) != h.Requests {
			t.Fatalf("%d requests stored, want %d", len(rows), h.Requests)
		}
		perYear := map[string]map[string]bool{}
		statuses := map[string]int{}
		var october, other float64
		for i, r := range rows {
			if i > 0 && r.CreatedAt.Before(rows[i-1].CreatedAt) {
				t.Fatalf("request %d was created before request %d: ids are not in time order", r.ID, rows[i-1].ID)
			}
			year, _, _ := strings.Cut(r.Number, "-")
			if year != fmt.Sprint(r.CreatedAt.In(h.End.Location()).Year()) {
				t.Errorf("request %s created %s is numbered in another year", r.Number, r.CreatedAt)
			}
			if perYear[year] == nil {
				perYear[year] = map[string]bool{}
			}
			if perYear[year][r.Number] {
				t.Fatalf("number %s used twice", r.Number)
			}
			perYear[year][r.Number] = true
			statuses[r.Status]++
			if r.Created != 1 || r.Events < 2 {
				t.Fatalf("request %s has %d events (%d created): want its history", r.Number, r.Events, r.Created)
			}
			if r.CreatedAt.In(h.End.Location()).Month() == time.October {
				october++
			} else {
				other++
			}
		}
		for year, nums := range perYear {
			if !nums[fmt.Sprintf("%s-%06d", year, len(nums))] || !nums[year+"-000001"] {
				t.Errorf("the numbers of %s are not 1…%d", year, len(nums))
			}
			var counter int
			if err := tx.NewRaw("SELECT value FROM counters WHERE name = ?", "requests-"+year).Scan(ctx, &counter); err != nil {
				return err
			}
			if counter != len(nums) {
				t.Errorf("the counter of %s is %d after %d requests: intake would reuse numbers", year, counter, len(nums))
			}
		}
		if closed := float64(statuses["closed"]) / float64(h.Requests); closed < 0.8 {
			t.Errorf("%.0f %% of requests are closed (%v), want most", closed*100, statuses)
		}
		if statuses["new"]+statuses["assigned"]+statuses["in_progress"] == 0 || statuses["rejected"] == 0 || statuses["duplicate"] == 0 {
			t.Errorf("statuses %v: want recent open requests, rejections and duplicates too", statuses)
		}
		// Two Octobers in two years: per day, the heating season must be well
		// above the rest of the year.
		if perDay := (october / 62) / (other / (730 - 62)); perDay < 1.8 {
			t.Errorf("October has %.1f× the daily requests of other months, want the heating-season peak", perDay)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recorder keeps the text of every statement a bun handle runs.
type recorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (r *recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	r.sql = append(r.sql, e.Query)
	r.mu.Unlock()
}

// checkSequences: the id sequences continue after the history, so intake
// works after a fill, and were set by statements that read no table (Citus
// would send a setval that reads a city table to a worker, away from the
// sequence).
func checkSequences(t *testing.T, ctx context.Context, scope store.Scope, statements *recorder) {
	t.Helper()
	statements.mu.Lock()
	setvals := 0
	for _, q := range statements.sql {
		if strings.Contains(q, "setval") {
			setvals++
			if strings.Contains(strings.ToUpper(q), "FROM") {
				t.Errorf("setval reads a table: %s", q)
			}
		}
	}
	statements.mu.Unlock()
	if setvals != 2 {
		t.Errorf("%d setval statements, want 2 (requests, request_events)", setvals)
	}
	err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, table := range []string{"requests", "request_events"} {
			var maxID, next int64
			if err := tx.NewRaw("SELECT max(id) FROM ?", bun.Ident(table)).Scan(ctx, &maxID); err != nil {
				return err
			}
			if err := tx.NewRaw("SELECT nextval(pg_get_serial_sequence(?, 'id'))", table).Scan(ctx, &next); err != nil {
				return err
			}
			if next != maxID+1 {
				t.Errorf("%s: next id %d after the history's largest %d", table, next, maxID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
