package tenants

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Limits of the one shared PostgreSQL pool. A connection is replaced after
// PoolMaxLifetime and closed after PoolMaxIdle unused, so connections left
// over from before a PgBouncer or PostgreSQL restart, a fail-over or a
// load-balancer's idle cut do not linger; every connection taken from the
// pool is also checked for a hang-up first (see connAlive).
const (
	PoolMaxOpen     = 20
	PoolMaxLifetime = 30 * time.Minute
	PoolMaxIdle     = 5 * time.Minute
	// reconnectWait bounds how long a unit of work whose connection broke
	// before it started waits for the database to answer again before its
	// one retry.
	reconnectWait = 2 * time.Second
)

// openPostgres opens the shared pool over databaseURL.
func openPostgres(databaseURL string) *sql.DB {
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(databaseURL),
		pgdriver.WithResetSessionFunc(func(ctx context.Context, cn *pgdriver.Conn) error {
			if !connAlive(cn.Conn()) {
				return driver.ErrBadConn // database/sql discards it and takes another
			}
			return nil
		})))
	sqldb.SetMaxOpenConns(PoolMaxOpen)
	sqldb.SetMaxIdleConns(PoolMaxOpen)
	sqldb.SetConnMaxLifetime(PoolMaxLifetime)
	sqldb.SetConnMaxIdleTime(PoolMaxIdle)
	return sqldb
}

// runInTxRetrying runs fn in a transaction begun by begin. When the
// connection turns out broken before fn was entered (at BEGIN or at the
// transaction's first statement, set in begin), nothing of the unit of work
// has reached the database, so it waits for the database to answer again
// (at most reconnectWait) and runs the whole unit once more on a fresh
// connection. A failure inside fn is never retried here: fn may have done
// things outside the database.
func runInTxRetrying(ctx context.Context, db *bun.DB, begin func(context.Context, bun.Tx) error, fn func(context.Context, bun.Tx) error) error {
	entered := false
	attempt := func() error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := begin(ctx, tx); err != nil {
				return err
			}
			entered = true
			return fn(ctx, tx)
		})
	}
	err := attempt()
	if err == nil || entered || ctx.Err() != nil || !store.Unavailable(err) {
		return err
	}
	if werr := waitReachable(ctx, db, reconnectWait); werr != nil {
		return err
	}
	return attempt()
}

// waitReachable pings db until it answers, for at most wait.
func waitReachable(ctx context.Context, db *bun.DB, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	delay := 20 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 250*time.Millisecond)
	}
}
