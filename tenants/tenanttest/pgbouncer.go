package tenanttest

import (
	"testing"

	"github.com/opencity/opencity/tenants/pgproc"
)

// PgBouncer is a PgBouncer in transaction pooling mode that a test started
// in front of a PostgreSQL server (pgproc.StartPgBouncer); it stops when
// the test ends.
type PgBouncer struct {
	*pgproc.PgBouncer
	tb testing.TB
}

// StartPgBouncer starts PgBouncer (Debian package pgbouncer) on a free port,
// forwarding every database name to the PostgreSQL server at host:port in
// transaction pooling mode, with trust authentication for the user postgres.
// A missing binary fails the test with how to install it.
func StartPgBouncer(tb testing.TB, host string, port int) *PgBouncer {
	tb.Helper()
	p, err := pgproc.StartPgBouncer(host, port)
	if err != nil {
		tb.Fatalf("these tests need PgBouncer: %v", err)
	}
	tb.Cleanup(p.Close)
	return &PgBouncer{PgBouncer: p, tb: tb}
}

// Start runs PgBouncer again after Stop and waits until it accepts
// connections.
func (p *PgBouncer) Start() {
	p.tb.Helper()
	if err := p.PgBouncer.Start(); err != nil {
		p.tb.Fatal(err)
	}
}

// Restart stops and starts PgBouncer on the same port.
func (p *PgBouncer) Restart() {
	p.tb.Helper()
	p.Stop()
	p.Start()
}
