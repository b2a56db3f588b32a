package tenants

import (
	"context"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// statementCounter counts what a process sends to PostgreSQL through the
// shared pool: every statement (each one round trip) and every BEGIN.
type statementCounter struct {
	statements, transactions atomic.Int64
}

func (c *statementCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	return ctx
}

func (c *statementCounter) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	c.statements.Add(1)
	if e.Query == "BEGIN" {
		c.transactions.Add(1)
	}
}

// Sent returns how many statements (BEGIN and COMMIT included: each a round
// trip) and transactions this process has sent to PostgreSQL; 0 and 0 on
// SQLite.
func (b *Backend) Sent() (statements, transactions int64) {
	return b.sent.statements.Load(), b.sent.transactions.Load()
}
