package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// HQ's figures are kept incrementally in the daily rollups, table
// request_days: one row per day of intake (the request's created_day) and
// per category, channel, district, building, responsible organization and
// executor, holding the counts of core.DayCounts. Every write of a request
// goes through rewriteRequests, which takes the requests' rows out of the
// rollups before the write and puts them back after it, in the same
// transaction; so the rollups always equal a recount from the requests
// (RecountDays), whatever the lifecycle did.
//
// The monthly rollups, table request_months, are the same counts without
// the building, per month of intake (YYYY-MM, the created_day's first
// seven characters), kept by the same path: figures over whole months
// read them (DayCounts), a few thousand rows a month in a city of
// millions where request_days holds about one a request.

// dayKey is the rollup key of a request row; dayKeyAs names its columns
// as request_days does.
const (
	dayKey = `created_day, category_id, channel, coalesce(district_id, 0), coalesce(building_id, 0),
	coalesce(organization_id, 0), coalesce(executor_id, 0)`
	dayKeyAs = `created_day AS day, category_id, channel, coalesce(district_id, 0) AS district_id,
	coalesce(building_id, 0) AS building_id, coalesce(organization_id, 0) AS organization_id,
	coalesce(executor_id, 0) AS executor_id`
)

// monthKey is the monthly rollup key of a request row.
const monthKey = `substr(created_day, 1, 7), category_id, channel, coalesce(district_id, 0),
	coalesce(organization_id, 0), coalesce(executor_id, 0)`

// monthKeyAs is monthKey with request_months' column names.
const monthKeyAs = `substr(created_day, 1, 7) AS month, category_id, channel, coalesce(district_id, 0) AS district_id,
	coalesce(organization_id, 0) AS organization_id, coalesce(executor_id, 0) AS executor_id`

// monthColumns are the columns of request_months, key first.
var monthColumns = append([]string{"month", "category_id", "channel", "district_id", "organization_id", "executor_id"}, dayColumns[7:]...)

// dayColumns are the columns of request_days, key first.
var dayColumns = []string{"day", "category_id", "channel", "district_id", "building_id", "organization_id", "executor_id",
	"received", "open", "reaction_done", "reaction_on_time", "resolution_done", "resolution_on_time",
	"reopened", "returned", "rated", "rating_sum"}

// dayCounts are the counts of a group of request rows, in dayColumns'
// order after the key. "Open" is core.UnfinishedStatuses; a deadline is
// met when the request was accepted (resolved) at or before its due time.
func dayCounts(sign int) string {
	when := func(cond string) string { return fmt.Sprintf("%d * sum(CASE WHEN %s THEN 1 ELSE 0 END)", sign, cond) }
	as := func(exprs ...string) string {
		for i := range exprs {
			exprs[i] += " AS " + dayColumns[7+i]
		}
		return strings.Join(exprs, ", ")
	}
	open := make([]string, len(core.UnfinishedStatuses))
	for i, s := range core.UnfinishedStatuses {
		open[i] = "'" + string(s) + "'" // constants of core, never input
	}
	return as(
		fmt.Sprintf("%d * count(*)", sign),
		when("status IN ("+strings.Join(open, ", ")+")"),
		when("accepted_at IS NOT NULL AND reaction_due_at IS NOT NULL"),
		when("accepted_at IS NOT NULL AND reaction_due_at IS NOT NULL AND accepted_at <= reaction_due_at"),
		when("resolved_at IS NOT NULL AND resolution_due_at IS NOT NULL"),
		when("resolved_at IS NOT NULL AND resolution_due_at IS NOT NULL AND resolved_at <= resolution_due_at"),
		when("reopens > 0"),
		when("returns > 0"),
		when("rating IS NOT NULL"),
		fmt.Sprintf("%d * coalesce(sum(rating), 0)", sign),
	)
}

// tallyRequests adds (sign 1) or takes away (sign -1) the rows of the given
// requests, as they are stored now, to the rollups.
func tallyRequests(ctx context.Context, tx bun.IDB, ids []int64, sign int) error {
	if len(ids) == 0 {
		return nil
	}
	sets := make([]string, 0, len(dayColumns)-7)
	for _, c := range dayColumns[7:] {
		sets = append(sets, fmt.Sprintf("%s = request_days.%s + excluded.%s", c, c, c))
	}
	q := "INSERT INTO request_days (" + strings.Join(dayColumns, ", ") + ") SELECT " + dayKey + ", " + dayCounts(sign) +
		" FROM requests WHERE id IN (?) GROUP BY " + dayKey +
		" ON CONFLICT (" + strings.Join(dayColumns[:7], ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
	if _, err := tx.NewRaw(q, bun.In(ids)).Exec(ctx); err != nil {
		return err
	}
	q = "INSERT INTO request_months (" + strings.Join(monthColumns, ", ") + ", writes) SELECT " + monthKey + ", " + dayCounts(sign) +
		", 1 FROM requests WHERE id IN (?) GROUP BY " + monthKey +
		" ON CONFLICT (" + strings.Join(monthColumns[:6], ", ") + ") DO UPDATE SET " +
		strings.ReplaceAll(strings.Join(sets, ", "), "request_days.", "request_months.") + ", writes = request_months.writes + 1"
	_, err := tx.NewRaw(q, bun.In(ids)).Exec(ctx)
	return err
}

// rewriteRequests runs write, which changes the given requests, between
// taking their rows out of the rollups and putting them back: the one
// place every write of existing requests keeps HQ's figures with. A daily
// rollup row the requests leave empty is deleted by its key, found
// through the primary key: a scan of every empty row would also walk the
// dead ones the table's churn leaves until it is vacuumed, tens of
// thousands in a city of millions. A monthly row left empty is kept (a
// few a month): its writes count in the version of its month
// (monthVersion), which must never go back.
func rewriteRequests(ctx context.Context, tx bun.IDB, ids []int64, write func() error) error {
	if err := tallyRequests(ctx, tx, ids, -1); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	if len(ids) > 0 {
		// The rows of the requests' keys as they are before the write;
		// the tally after it inserts again those it keeps.
		if _, err := tx.NewRaw("DELETE FROM request_days WHERE received = 0 AND ("+strings.Join(dayColumns[:7], ", ")+") IN (SELECT "+
			dayKey+" FROM requests WHERE id IN (?))", bun.In(ids)).Exec(ctx); err != nil {
			return fmt.Errorf("rollups: %w", err)
		}
	}
	if err := write(); err != nil {
		return err
	}
	if err := tallyRequests(ctx, tx, ids, 1); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	return nil
}

// DayRow is one row of the daily rollups.
type DayRow struct {
	Day            string `bun:"day"`
	CategoryID     int64  `bun:"category_id"`
	Channel        string `bun:"channel"`
	DistrictID     int64  `bun:"district_id"`
	BuildingID     int64  `bun:"building_id"`
	OrganizationID int64  `bun:"organization_id"`
	ExecutorID     int64  `bun:"executor_id"`
	core.DayCounts
}

// rollupRows reads the rows of q, a query of a rollup's columns, in one
// transaction of the city.
func rollupRows[T any](ctx context.Context, s *Store, q string) (rows []T, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(q).Scan(ctx, &rows)
	})
	return rows, err
}

// keptRollup is the query of a rollup table as kept: its columns, ordered
// by the first key of them.
func keptRollup(table string, columns []string, key int) string {
	return "SELECT " + strings.Join(columns, ", ") + " FROM " + table + " ORDER BY " + strings.Join(columns[:key], ", ")
}

// Days returns the daily rollups as kept, in key order.
func (s *Store) Days(ctx context.Context) ([]DayRow, error) {
	return rollupRows[DayRow](ctx, s, keptRollup("request_days", dayColumns, 7))
}

// RecountDays counts the daily rollups afresh from the requests, in key
// order: what Days must equal.
func (s *Store) RecountDays(ctx context.Context) ([]DayRow, error) {
	return rollupRows[DayRow](ctx, s, recountDays+" ORDER BY 1, 2, 3, 4, 5, 6, 7")
}

var recountDays = "SELECT " + dayKeyAs + ", " + dayCounts(1) + " FROM requests GROUP BY " + dayKey

// recountMonth is recountDays for the days between two bounds, both
// included: one month of intake at a time.
var recountMonth = "SELECT " + dayKeyAs + ", " + dayCounts(1) + " FROM requests WHERE created_day >= ? AND created_day <= ? GROUP BY " + dayKey

// MonthRow is one row of the monthly rollups.
type MonthRow struct {
	Month          string `bun:"month"`
	CategoryID     int64  `bun:"category_id"`
	Channel        string `bun:"channel"`
	DistrictID     int64  `bun:"district_id"`
	OrganizationID int64  `bun:"organization_id"`
	ExecutorID     int64  `bun:"executor_id"`
	core.DayCounts
}

// Months returns the monthly rollups as kept, in key order, less the rows
// left empty.
func (s *Store) Months(ctx context.Context) ([]MonthRow, error) {
	return rollupRows[MonthRow](ctx, s, "SELECT "+strings.Join(monthColumns, ", ")+" FROM request_months WHERE received <> 0 ORDER BY "+
		strings.Join(monthColumns[:6], ", "))
}

// RecountMonths counts the monthly rollups afresh from the requests, in
// key order: what Months must equal.
func (s *Store) RecountMonths(ctx context.Context) ([]MonthRow, error) {
	return rollupRows[MonthRow](ctx, s, "SELECT "+monthKeyAs+", "+dayCounts(1)+" FROM requests GROUP BY "+monthKey+
		" ORDER BY 1, 2, 3, 4, 5, 6")
}

// RebuildDays replaces the daily and monthly rollups with a recount, for
// requests written without the lifecycle (a bulk load). It recounts one
// month of intake per statement, in one transaction, so that no statement
// of a city with millions of requests outlasts the connection's read
// timeout; the months are summed from the days. Each new monthly row
// counts one write more than all the old rows together, so that no
// period's version (monthVersion) comes back.
func (s *Store) RebuildDays(ctx context.Context) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("DELETE FROM request_days").Exec(ctx); err != nil {
			return err
		}
		var months []string
		if err := tx.NewRaw("SELECT DISTINCT substr(created_day, 1, 7) FROM requests").Scan(ctx, &months); err != nil {
			return err
		}
		var writes int64
		if err := tx.NewRaw("SELECT coalesce(sum(writes), 0) FROM request_months").Scan(ctx, &writes); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM request_months").Exec(ctx); err != nil {
			return err
		}
		insert := "INSERT INTO request_days (" + strings.Join(dayColumns, ", ") + ") " + recountMonth
		sums := make([]string, 0, len(dayColumns)-7)
		for _, c := range dayColumns[7:] {
			sums = append(sums, "sum("+c+")")
		}
		sum := "INSERT INTO request_months (" + strings.Join(monthColumns, ", ") + ", writes) SELECT substr(day, 1, 7), " +
			"category_id, channel, district_id, organization_id, executor_id, " + strings.Join(sums, ", ") +
			", ? FROM request_days WHERE day >= ? AND day <= ? GROUP BY substr(day, 1, 7), category_id, channel, district_id, organization_id, executor_id"
		for _, m := range months {
			// Every day of month m sorts between m-00 and m-99.
			if _, err := tx.NewRaw(insert, m+"-00", m+"-99").Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewRaw(sum, writes+1, m+"-00", m+"-99").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
