package store

import (
	"context"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

var _ core.StatisticsStore = (*Store)(nil)

// MonthCounts implements core.StatisticsStore from the daily rollups: a
// day's month is its first seven characters (YYYY-MM).
func (s *Store) MonthCounts(ctx context.Context, from, to string, by core.Grouping) (rows []core.MonthCounts, err error) {
	key := groupKey(by, "d")
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("request_days AS d").
			ColumnExpr("substr(d.day, 1, 7) AS m").ColumnExpr(key+" AS k").ColumnExpr(daySums).
			Where("d.day >= ? AND d.day <= ?", from, to).
			GroupExpr("substr(d.day, 1, 7), "+key).Scan(ctx, &rows)
	})
	return rows, err
}

// MonthMedians implements core.StatisticsStore in one pass over the
// period's resolved requests on both backends: within each month and key,
// the row numbered ⌈n/2⌉ in ascending order of resolution time is the
// nearest-rank median ((n+1)/2 in integer division).
func (s *Store) MonthMedians(ctx context.Context, from, to string, by core.Grouping) (rows []core.MonthMedian, err error) {
	key := groupKey(by, "r")
	part := "substr(r.created_day, 1, 7), " + key
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ranked := tx.NewSelect().TableExpr("requests AS r").
			ColumnExpr("substr(r.created_day, 1, 7) AS m").ColumnExpr(key+" AS k").ColumnExpr("r.resolution_seconds AS secs").
			ColumnExpr("row_number() OVER (PARTITION BY "+part+" ORDER BY r.resolution_seconds) AS rn").
			ColumnExpr("count(*) OVER (PARTITION BY "+part+") AS n").
			Where("r.created_day >= ? AND r.created_day <= ?", from, to).
			Where("r.resolution_seconds IS NOT NULL")
		return tx.NewSelect().TableExpr("(?) AS t", ranked).ColumnExpr("t.m, t.k, t.secs").
			Where("t.rn = (t.n + 1) / 2").Scan(ctx, &rows)
	})
	return rows, err
}
