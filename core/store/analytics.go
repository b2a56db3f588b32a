package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
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

// percentileWorkMem is PostgreSQL's work_mem for the percentiles' sorts,
// set for their transaction alone: a sort takes 24 to 48 bytes a value, so
// a year of a city of 3,000 requests a day (1.1 million values) sorts in
// memory; a longer period may spill to disk, and is still right.
const percentileWorkMem = "48MB"

// percentileMemoSize bounds the percentiles a Store keeps (percentileMemo):
// a dashboard asks for three periods, so a few dozen analysts' filters.
const percentileMemoSize = 256

// percentileMemo keeps the percentiles of a period and filter with the
// version of the period's requests they were counted at (monthVersion).
type percentileMemo struct {
	version              int64
	reaction, resolution []*int64
}

// Percentiles implements core.AnalyticsStore: the nearest-rank percentile
// p of n values is the value at rank ⌈p·n⌉ in ascending order. A period
// and filter whose requests did not change since they were last counted
// (their version, monthVersion, is the same) are answered from the
// Store's memo: the dashboard's previous period and the same period a
// year earlier seldom change, and a year's percentiles sort some 400,000
// values (220 ms on the bench city) where the version sums a few
// thousand rollup rows.
func (s *Store) Percentiles(ctx context.Context, q core.DaysQuery, ps []float64) (reaction, resolution []*int64, err error) {
	key := percentileKey(q, ps)
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.serialPlans(ctx, tx); err != nil {
			return err
		}
		version, err := monthVersion(ctx, tx, q)
		if err != nil {
			return err
		}
		if m, ok := s.percentiles.Get(key); ok && m.version == version {
			reaction, resolution = copyValues(m.reaction), copyValues(m.resolution)
			return nil
		}
		// Counted after the version was read: a request written between
		// makes the memo at worst fresher than its version, and its write
		// has changed the version that later readers see. Readers that
		// find the same version unknown wait for one count.
		count := func() (any, error) {
			react, resolve, err := s.countPercentiles(ctx, tx, q, ps)
			if err != nil {
				return nil, err
			}
			m := percentileMemo{version: version, reaction: react, resolution: resolve}
			s.percentiles.Add(key, m)
			return m, nil
		}
		m, err, shared := s.percentileCounts.Do(key+"|"+strconv.FormatInt(version, 10), count)
		if err != nil && shared && ctx.Err() == nil {
			// The reader that counted failed (its own reader gone, say).
			m, err = count()
		}
		if err != nil {
			return err
		}
		reaction, resolution = copyValues(m.(percentileMemo).reaction), copyValues(m.(percentileMemo).resolution)
		return nil
	})
	return reaction, resolution, err
}

// percentileKey names a period, filter and percentiles in the memo.
func percentileKey(q core.DaysQuery, ps []float64) string {
	return fmt.Sprintf("%s|%s|%d|%v|%t%v|%q|%t%v|%d|%v", q.From, q.To, q.DistrictID, q.OrganizationIDs,
		q.CategoryIDs == nil, q.CategoryIDs, q.Channel, q.BuildingIDs == nil, q.BuildingIDs, q.BuildingID, ps)
}

// copyValues copies percentiles, so that no caller shares the memo's.
func copyValues(vs []*int64) []*int64 {
	out := make([]*int64, len(vs))
	for i, v := range vs {
		if v != nil {
			n := *v
			out[i] = &n
		}
	}
	return out
}

// monthVersion returns the version of q's requests: the sum of the writes
// of the monthly rollup rows of the months q's period touches and of q's
// filter (its buildings aside, which the monthly rows do not hold: a
// superset). Every write of a request, intake's tally and rewriteRequests,
// adds one write to the row of the request's key before the write and to
// the one after it, in the write's transaction; no monthly row is deleted
// but by RebuildDays, whose rows start above every old sum. So the version
// grows with every committed change of q's requests and never comes back:
// two reads that find the same version found the same requests.
func monthVersion(ctx context.Context, tx bun.IDB, q core.DaysQuery) (int64, error) {
	month := func(day string) string {
		if len(day) < 7 {
			return day
		}
		return day[:7]
	}
	f := q
	f.BuildingID, f.BuildingIDs = 0, nil
	sel := tx.NewSelect().TableExpr("request_months AS m").ColumnExpr("coalesce(sum(m.writes), 0)").
		Where("m.month >= ? AND m.month <= ?", month(q.From), month(q.To))
	var v int64
	err := filterWhere(sel, "m", f).Scan(ctx, &v)
	return v, err
}

// countPercentiles counts Percentiles from the period's requests.
func (s *Store) countPercentiles(ctx context.Context, tx bun.Tx, q core.DaysQuery, ps []float64) (reaction, resolution []*int64, err error) {
	cols := []string{"r.reaction_seconds", "r.resolution_seconds"}
	out := [][]*int64{make([]*int64, len(ps)), make([]*int64, len(ps))}
	if s.scope.Postgres() {
		// A year of a big city is two sorts of some 400,000 values,
		// past PostgreSQL's default work_mem (4 MB).
		if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '"+percentileWorkMem+"'"); err != nil {
			return nil, nil, err
		}
		// percentile_disc is the first value whose position in the order
		// reaches the fraction: the nearest rank, of every percentile of
		// both times in one scan of the period's requests (an ordered-set
		// aggregate skips the nulls).
		sel := tx.NewSelect().TableExpr("requests AS r").Where("(r.reaction_seconds IS NOT NULL OR r.resolution_seconds IS NOT NULL)")
		vs := make([]sql.NullInt64, 2*len(ps))
		dest := make([]any, len(vs))
		for c, col := range cols {
			for i, p := range ps {
				// The fractions are core's constants, never input.
				sel = sel.ColumnExpr("percentile_disc(" + strconv.FormatFloat(p, 'g', -1, 64) + ") WITHIN GROUP (ORDER BY " + col + ")")
				dest[c*len(ps)+i] = &vs[c*len(ps)+i]
			}
		}
		if err := daysWhere(sel, "r", q).Scan(ctx, dest...); err != nil {
			return nil, nil, err
		}
		for i := range vs {
			if vs[i].Valid {
				out[i/len(ps)][i%len(ps)] = &vs[i].Int64
			}
		}
		return out[0], out[1], nil
	}
	for c, col := range cols {
		base := func() *bun.SelectQuery {
			return daysWhere(tx.NewSelect().TableExpr("requests AS r").Where(col+" IS NOT NULL"), "r", q)
		}
		n, err := base().Count(ctx)
		if err != nil {
			return nil, nil, err
		}
		if n == 0 {
			continue
		}
		for i, p := range ps {
			rank := max(1, int(math.Ceil(p*float64(n)-1e-9)))
			var v int64
			if err := base().ColumnExpr(col).OrderExpr(col).Limit(1).Offset(rank-1).Scan(ctx, &v); err != nil {
				return nil, nil, err
			}
			out[c][i] = &v
		}
	}
	return out[0], out[1], nil
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
