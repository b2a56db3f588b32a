package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

var _ core.AnalyticsStore = (*Store)(nil)

// daysWhere narrows a query over request_days (alias d) or requests (alias
// r, whose day column is created_day) to q.
func daysWhere(sel *bun.SelectQuery, alias string, q core.DaysQuery) *bun.SelectQuery {
	col := func(c string) bun.Ident {
		if alias == "r" && c == "day" {
			c = "created_day"
		}
		return bun.Ident(alias + "." + c)
	}
	return filterWhere(sel.Where("? >= ? AND ? <= ?", col("day"), q.From, col("day"), q.To), alias, q)
}

// filterWhere narrows a query over request_days (alias d), request_months
// (alias m) or requests (alias r) to q's filter, its period aside.
func filterWhere(sel *bun.SelectQuery, alias string, q core.DaysQuery) *bun.SelectQuery {
	col := func(c string) bun.Ident { return bun.Ident(alias + "." + c) }
	if q.DistrictID != 0 {
		sel = sel.Where("? = ?", col("district_id"), q.DistrictID)
	}
	for _, id := range q.OrganizationIDs {
		sel = sel.Where("(? = ? OR ? = ?)", col("organization_id"), id, col("executor_id"), id)
	}
	if q.CategoryIDs != nil {
		sel = sel.Where("? IN (?)", col("category_id"), bun.In(orNone(q.CategoryIDs)))
	}
	if q.Channel != "" {
		sel = sel.Where("? = ?", col("channel"), q.Channel)
	}
	if q.BuildingIDs != nil {
		sel = sel.Where("? IN (?)", col("building_id"), bun.In(orNone(q.BuildingIDs)))
	}
	switch {
	case q.BuildingID > 0:
		sel = sel.Where("? = ?", col("building_id"), q.BuildingID)
	case q.BuildingID < 0 && alias == "r":
		sel = sel.Where("r.building_id IS NULL")
	case q.BuildingID < 0:
		sel = sel.Where("d.building_id = 0")
	}
	return sel
}

// groupKey is the column q groups by, "0" for none.
func groupKey(by core.Grouping, alias string) string {
	switch by {
	case core.ByOrganization, core.ByExecutor, core.ByDistrict, core.ByBuilding:
		return "coalesce(" + alias + "." + string(by) + "_id, 0)"
	}
	return "0"
}

// daySums sums every count column of request_days (alias d) under its
// own name, as core.DayCounts scans it.
var daySums = func() string {
	sums := make([]string, 0, len(dayColumns)-7)
	for _, c := range dayColumns[7:] {
		sums = append(sums, "coalesce(sum(d."+c+"), 0) AS "+c)
	}
	return strings.Join(sums, ", ")
}()

// DayCounts implements core.AnalyticsStore from the rollups: the months
// of q's period from the monthly ones, the days from the daily ones (all
// of it from the daily ones when q names or groups by buildings, which the
// monthly rollups leave out). A month mostly inside the period is read
// whole, less its days outside the period (planMonths).
func (s *Store) DayCounts(ctx context.Context, q core.DaysQuery) (rows []core.GroupCounts, err error) {
	plan := monthPlan{add: []core.DaysQuery{q}}
	if q.BuildingID == 0 && q.BuildingIDs == nil && q.By != core.ByBuilding {
		plan = planMonths(q)
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.serialPlans(ctx, tx); err != nil {
			return err
		}
		if plan.first != "" {
			key := groupKey(q.By, "m")
			sel := tx.NewSelect().TableExpr("request_months AS m").ColumnExpr(key + " AS k").ColumnExpr(strings.ReplaceAll(daySums, "d.", "m."))
			sel = filterWhere(sel.Where("m.month >= ? AND m.month <= ?", plan.first, plan.last), "m", q)
			if q.By == core.ByExecutor {
				sel = sel.Where("m.executor_id <> 0")
			}
			if key != "0" {
				sel = sel.GroupExpr(key)
			}
			if err := sel.Scan(ctx, &rows); err != nil {
				return err
			}
		}
		key := groupKey(q.By, "d")
		days := func(span core.DaysQuery) ([]core.GroupCounts, error) {
			var part []core.GroupCounts
			sel := tx.NewSelect().TableExpr("request_days AS d").ColumnExpr(key + " AS k").ColumnExpr(daySums)
			sel = daysWhere(sel, "d", span)
			if q.By == core.ByExecutor {
				sel = sel.Where("d.executor_id <> 0")
			}
			if key != "0" {
				sel = sel.GroupExpr(key)
			}
			return part, sel.Scan(ctx, &part)
		}
		for _, span := range plan.add {
			part, err := days(span)
			if err != nil {
				return err
			}
			rows = append(rows, part...)
		}
		for _, span := range plan.sub {
			part, err := days(span)
			if err != nil {
				return err
			}
			for _, r := range part {
				r.DayCounts = r.DayCounts.Negated()
				rows = append(rows, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// One row per key, the months' and the days' counts added; a key whose
	// requests were all in the days taken away counts nothing.
	at := map[int64]int{}
	out := rows[:0]
	for _, r := range rows {
		if i, ok := at[r.Key]; ok {
			out[i].Add(r.DayCounts)
			continue
		}
		at[r.Key] = len(out)
		out = append(out, r)
	}
	return slices.DeleteFunc(out, func(r core.GroupCounts) bool { return r.Received == 0 }), nil
}

// serialPlans keeps PostgreSQL from running the transaction's reads with
// parallel workers (max_parallel_workers_per_gather, set for the
// transaction alone). HQ's sums read thousands to a few hundred thousand
// rollup rows while other pages are served: on the bench city (2 cores)
// a year's monthly sums took 55 to 104 ms with two workers, whose start
// and gathering cost more than they share, and 8 to 20 ms without; a
// year's place counts 164 to 461 ms against 135 to 143 ms.
func (s *Store) serialPlans(ctx context.Context, tx bun.Tx) error {
	if !s.scope.Postgres() {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SET LOCAL max_parallel_workers_per_gather = 0")
	return err
}

// monthPlan is how DayCounts reads a period: the calendar months first to
// last (YYYY-MM; "" for none) from the monthly rollups, plus the spans of
// days add, less the spans of days sub, from the daily ones.
type monthPlan struct {
	first, last string
	add, sub    []core.DaysQuery
}

// planMonths plans q's period: the whole calendar months it holds, and a
// month it holds only partly read whole less the days outside the period
// where those are fewer than the days inside it, else its days inside.
func planMonths(q core.DaysQuery) monthPlan {
	from, err1 := time.Parse(time.DateOnly, q.From)
	to, err2 := time.Parse(time.DateOnly, q.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return monthPlan{add: []core.DaysQuery{q}}
	}
	span := func(a, b time.Time) core.DaysQuery {
		s := q
		s.From, s.To = a.Format(time.DateOnly), b.Format(time.DateOnly)
		return s
	}
	start := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }
	end := func(t time.Time) time.Time { return start(t).AddDate(0, 1, -1) }
	count := func(a, b time.Time) int { return int(b.Sub(a).Hours()/24) + 1 }
	var p monthPlan
	// lo and hi are the first days of the first and last month read whole.
	lo, hi := start(from), start(to)
	if lo.Equal(hi) {
		if in := count(from, to); 2*in <= count(lo, end(lo)) {
			return monthPlan{add: []core.DaysQuery{q}}
		}
		if from.After(lo) {
			p.sub = append(p.sub, span(lo, from.AddDate(0, 0, -1)))
		}
		if to.Before(end(lo)) {
			p.sub = append(p.sub, span(to.AddDate(0, 0, 1), end(lo)))
		}
		p.first, p.last = lo.Format("2006-01"), lo.Format("2006-01")
		return p
	}
	if from.After(lo) {
		if in := count(from, end(lo)); 2*in > count(lo, end(lo)) {
			p.sub = append(p.sub, span(lo, from.AddDate(0, 0, -1)))
		} else {
			p.add = append(p.add, span(from, end(lo)))
			lo = lo.AddDate(0, 1, 0)
		}
	}
	if e := end(hi); to.Before(e) {
		if in := count(hi, to); 2*in > count(hi, e) {
			p.sub = append(p.sub, span(to.AddDate(0, 0, 1), e))
		} else {
			p.add = append(p.add, span(hi, to))
			hi = hi.AddDate(0, -1, 0)
		}
	}
	if !hi.Before(lo) {
		p.first, p.last = lo.Format("2006-01"), hi.Format("2006-01")
	}
	return p
}

// OverdueCounts implements core.AnalyticsStore from the open requests.
func (s *Store) OverdueCounts(ctx context.Context, q core.DaysQuery) (map[int64]int64, error) {
	var rows []struct {
		K int64 `bun:"k"`
		N int64 `bun:"n"`
	}
	key := groupKey(q.By, "r")
	now := q.Now.UTC()
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := tx.NewSelect().TableExpr("requests AS r").ColumnExpr(key+" AS k").ColumnExpr("count(*) AS n").
			Where(overdueExpr, bun.In(core.UnfinishedStatuses), now, now)
		sel = daysWhere(sel, "r", q)
		if q.By == core.ByExecutor {
			sel = sel.Where("r.executor_id IS NOT NULL")
		}
		if key != "0" {
			sel = sel.GroupExpr(key)
		}
		return sel.Scan(ctx, &rows)
	})
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.K] += r.N
	}
	return out, err
}

// timesMemoSize bounds the month parts whose times a Store keeps
// (monthTimes): a dashboard of a year asks for 26 (its months and those
// of the year before), a month's for four to six. A part of a month of the
// bench city holds some 30,000 requests' times (480 kB); a filter thins it.
const timesMemoSize = 128

// monthTimes are the reaction and resolution seconds of the requests of
// one part of a month (monthPart) and filter, each sorted, with the
// version of the month's requests they were read at (monthVersions).
type monthTimes struct {
	version              int64
	reaction, resolution []int64
}

// monthPart is the days from–to (YYYY-MM-DD, both included) of a period
// in its month (YYYY-MM).
type monthPart struct{ month, from, to string }

// monthParts splits a period of days into its months; nil when a day does
// not parse.
func monthParts(from, to string) []monthPart {
	first, err1 := time.Parse("2006-01", firstN(from, 7))
	last, err2 := time.Parse("2006-01", firstN(to, 7))
	if err1 != nil || err2 != nil {
		return nil
	}
	var parts []monthPart
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		p := monthPart{month: m.Format("2006-01"), from: m.Format(time.DateOnly), to: m.AddDate(0, 1, -1).Format(time.DateOnly)}
		p.from, p.to = max(p.from, from), min(p.to, to)
		parts = append(parts, p)
	}
	return parts
}

// firstN is s's first n bytes, or s when shorter.
func firstN(s string, n int) string { return s[:min(n, len(s))] }

// Percentiles implements core.AnalyticsStore: the nearest-rank percentile
// p of n values is the value at rank ⌈p·n⌉ in ascending order, exact. The
// period is read a month at a time: each month part's times, sorted, are
// kept in the Store's memo with the version of its month's requests
// (monthVersions), and read again from the requests only when a request of
// that month and filter was written since. So a year's dashboard, whose
// requests change mostly in the current month, reads the sorted times of
// eleven months from the memo and a few days from the database; the
// percentiles are then picked across the parts. Concurrent readers of one
// part and version read it once.
func (s *Store) Percentiles(ctx context.Context, q core.DaysQuery, ps []float64) (reaction, resolution []*int64, err error) {
	parts := monthParts(q.From, q.To)
	sets := make([]*monthTimes, 0, len(parts))
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.serialPlans(ctx, tx); err != nil {
			return err
		}
		versions, err := monthVersions(ctx, tx, q)
		if err != nil {
			return err
		}
		for _, p := range parts {
			key := timesKey(q, p)
			version := versions[p.month]
			if m, ok := s.times.Get(key); ok && m.version == version {
				sets = append(sets, m)
				continue
			}
			// Read after the version: a request written between makes
			// the memo at worst fresher than its version, and its write
			// has raised the version later readers find.
			read := func() (any, error) {
				m, err := readMonthTimes(ctx, tx, q, p)
				if err != nil {
					return nil, err
				}
				m.version = version
				s.times.Add(key, m)
				return m, nil
			}
			m, err, shared := s.timeReads.Do(key+"|"+strconv.FormatInt(version, 10), read)
			if err != nil && shared && ctx.Err() == nil {
				// The reader that read it failed (its own client gone).
				m, err = read()
			}
			if err != nil {
				return err
			}
			sets = append(sets, m.(*monthTimes))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	reaction = nearestRanks(sets, func(m *monthTimes) []int64 { return m.reaction }, ps)
	resolution = nearestRanks(sets, func(m *monthTimes) []int64 { return m.resolution }, ps)
	return reaction, resolution, nil
}

// timesKey names a month part and filter in the memo.
func timesKey(q core.DaysQuery, p monthPart) string {
	return fmt.Sprintf("%s|%s|%d|%v|%t%v|%q|%t%v|%d", p.from, p.to, q.DistrictID, q.OrganizationIDs,
		q.CategoryIDs == nil, q.CategoryIDs, q.Channel, q.BuildingIDs == nil, q.BuildingIDs, q.BuildingID)
}

// readMonthTimes reads the times of q's requests received in part p, an
// index-only scan of requests_hq_period_idx where the table is vacuumed,
// and sorts them.
func readMonthTimes(ctx context.Context, tx bun.Tx, q core.DaysQuery, p monthPart) (*monthTimes, error) {
	part := q
	part.From, part.To = p.from, p.to
	sel := tx.NewSelect().TableExpr("requests AS r").ColumnExpr("r.reaction_seconds, r.resolution_seconds").
		Where("(r.reaction_seconds IS NOT NULL OR r.resolution_seconds IS NOT NULL)")
	rs, err := daysWhere(sel, "r", part).Rows(ctx)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	m := &monthTimes{}
	var react, resolve sql.NullInt64
	for rs.Next() {
		if err := rs.Scan(&react, &resolve); err != nil {
			return nil, err
		}
		if react.Valid {
			m.reaction = append(m.reaction, react.Int64)
		}
		if resolve.Valid {
			m.resolution = append(m.resolution, resolve.Int64)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.Sort(m.reaction)
	slices.Sort(m.resolution)
	return m, nil
}

// nearestRanks picks the nearest-rank percentiles ps of the values of
// sets (each sorted), nil ones when there are none: the value at rank
// ⌈p·n⌉ is the least v that at least that many values do not exceed.
func nearestRanks(sets []*monthTimes, values func(*monthTimes) []int64, ps []float64) []*int64 {
	out := make([]*int64, len(ps))
	n := 0
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, m := range sets {
		vs := values(m)
		if len(vs) == 0 {
			continue
		}
		n += len(vs)
		lo, hi = min(lo, vs[0]), max(hi, vs[len(vs)-1])
	}
	if n == 0 {
		return out
	}
	atMost := func(v int64) int {
		c := 0
		for _, m := range sets {
			vs := values(m)
			c += sort.Search(len(vs), func(i int) bool { return vs[i] > v })
		}
		return c
	}
	for i, p := range ps {
		rank := min(n, max(1, int(math.Ceil(p*float64(n)-1e-9))))
		a, b := lo, hi
		for a < b {
			mid := a + (b-a)/2
			if atMost(mid) >= rank {
				b = mid
			} else {
				a = mid + 1
			}
		}
		v := a
		out[i] = &v
	}
	return out
}

// monthVersions returns the version of q's requests of each month its
// period touches (YYYY-MM; 0 for a month without any): the sum of the
// writes of the monthly rollup rows of that month and q's filter (its
// buildings aside, which the monthly rows do not hold: a superset). Every
// write of a request, intake's tally and rewriteRequests, adds one write
// to the row of the request's key before the write and to the one after
// it, in the write's transaction; no monthly row is deleted but by
// RebuildDays, whose rows start above every old sum. So a month's version
// grows with every committed change of its requests of q and never comes
// back: two reads that find the same version found the same requests.
func monthVersions(ctx context.Context, tx bun.IDB, q core.DaysQuery) (map[string]int64, error) {
	f := q
	f.BuildingID, f.BuildingIDs = 0, nil
	var rows []struct {
		Month   string `bun:"month"`
		Version int64  `bun:"version"`
	}
	sel := tx.NewSelect().TableExpr("request_months AS m").ColumnExpr("m.month, coalesce(sum(m.writes), 0) AS version").
		Where("m.month >= ? AND m.month <= ?", firstN(q.From, 7), firstN(q.To, 7)).GroupExpr("m.month")
	if err := filterWhere(sel, "m", f).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Month] = r.Version
	}
	return out, nil
}

// HousingStock implements core.AnalyticsStore.
func (s *Store) HousingStock(ctx context.Context) (rows []core.HousingStock, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("buildings AS b").
			ColumnExpr("b.district_id, coalesce(b.management_company_id, 0) AS management_company_id, sum(b.apartments) AS apartments").
			GroupExpr("b.district_id, coalesce(b.management_company_id, 0)").Scan(ctx, &rows)
	})
	return rows, err
}

// BuildingsByID implements core.AnalyticsStore.
func (s *Store) BuildingsByID(ctx context.Context, ids []int64) (bs []core.Building, err error) {
	if len(ids) == 0 {
		return nil, nil
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&bs).Where("id IN (?)", bun.In(ids)).Scan(ctx)
	})
	return bs, err
}

// MapBuildings implements core.AnalyticsStore. Its rows (thousands in a
// big city) are scanned straight into their fields, not through bun's
// model.
func (s *Store) MapBuildings(ctx context.Context) (bs []core.MapBuilding, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		bs = bs[:0]
		rs, err := tx.NewSelect().TableExpr("buildings AS b").ColumnExpr("b.id, b.address_ru, b.district_id, b.lat, b.lon").
			OrderExpr("b.id").Rows(ctx)
		if err != nil {
			return err
		}
		defer rs.Close()
		var b core.MapBuilding
		var lat, lon sql.NullFloat64
		dest := []any{&b.ID, &b.AddressRU, &b.DistrictID, &lat, &lon}
		for rs.Next() {
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			b.Lat, b.Lon, b.Placed = lat.Float64, lon.Float64, lat.Valid && lon.Valid
			bs = append(bs, b)
		}
		return rs.Err()
	})
	return bs, err
}

// HQRequests implements core.AnalyticsStore.
func (s *Store) HQRequests(ctx context.Context, q core.DaysQuery, limit int) (rs []core.Request, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := daysWhere(selectRequests(tx, &rs), "r", q)
		return sel.OrderExpr("r.created_at DESC, r.id DESC").Limit(limit).Scan(ctx)
	})
	return rs, err
}

// OverdueRequests implements core.AnalyticsStore: the deadline a request
// missed first (its reaction time while not accepted, else its resolution
// time) orders the list, the oldest first.
func (s *Store) OverdueRequests(ctx context.Context, now time.Time, limit int) (rs []core.Request, total int64, err error) {
	now = now.UTC()
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().TableExpr("requests AS r").Where(overdueExpr, bun.In(core.UnfinishedStatuses), now, now).Count(ctx)
		if err != nil {
			return err
		}
		total = int64(n)
		return selectRequests(tx, &rs).Where(overdueExpr, bun.In(core.UnfinishedStatuses), now, now).
			OrderExpr("CASE WHEN r.accepted_at IS NULL AND r.reaction_due_at < ? THEN r.reaction_due_at ELSE r.resolution_due_at END, r.id", now).
			Limit(limit).Scan(ctx)
	})
	return rs, total, err
}

// PlaceCounts implements core.AnalyticsStore from the daily rollups. Its
// rows (tens of thousands for a month of a big city) are scanned straight
// into their fields, not through bun's model. When current is q's first
// day or before it, every day is current: the days are summed without
// comparing each to current, and Baseline is 0.
func (s *Store) PlaceCounts(ctx context.Context, q core.DaysQuery, current string) (rows []core.PlaceCount, err error) {
	whole := current <= q.From
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows = rows[:0]
		if err := s.serialPlans(ctx, tx); err != nil {
			return err
		}
		sel := tx.NewSelect().TableExpr("request_days AS d").
			ColumnExpr("d.building_id, d.district_id, d.category_id").
			GroupExpr("d.building_id, d.district_id, d.category_id")
		if whole {
			sel = sel.ColumnExpr("coalesce(sum(d.received), 0) AS current")
		} else {
			sel = sel.ColumnExpr("coalesce(sum(CASE WHEN d.day >= ? THEN d.received ELSE 0 END), 0) AS current", current).
				ColumnExpr("coalesce(sum(CASE WHEN d.day < ? THEN d.received ELSE 0 END), 0) AS baseline", current)
		}
		rs, err := daysWhere(sel, "d", q).Rows(ctx)
		if err != nil {
			return err
		}
		defer rs.Close()
		// One row scanned into again and again: its fields, not a new row
		// and its pointers, each time.
		var r core.PlaceCount
		dest := []any{&r.BuildingID, &r.DistrictID, &r.CategoryID, &r.Current, &r.Baseline}
		if whole {
			dest = dest[:4]
		}
		for rs.Next() {
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	return rows, err
}

// DailyCounts implements core.AnalyticsStore from the daily rollups.
func (s *Store) DailyCounts(ctx context.Context, q core.DaysQuery) (rows []core.DailyCount, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := tx.NewSelect().TableExpr("request_days AS d").
			ColumnExpr("d.day, d.category_id, coalesce(sum(d.received), 0) AS received").
			GroupExpr("d.day, d.category_id").OrderExpr("d.day, d.category_id")
		return daysWhere(sel, "d", q).Scan(ctx, &rows)
	})
	return rows, err
}
