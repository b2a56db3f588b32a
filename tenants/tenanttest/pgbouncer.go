package tenanttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencity/opencity/core/testproc"
)

// PgBouncer is a PgBouncer in transaction pooling mode that a test started
// in front of a PostgreSQL server; it stops when the test ends.
type PgBouncer struct {
	Port int
	tb   testing.TB
	dir  string
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan error
}

// StartPgBouncer starts PgBouncer (Debian package pgbouncer) on a free port,
// forwarding every database name to the PostgreSQL server at host:port in
// transaction pooling mode, with trust authentication for the user postgres.
// A missing binary fails the test with how to install it.
func StartPgBouncer(tb testing.TB, host string, port int) *PgBouncer {
	tb.Helper()
	bin := findBinary(tb, "apt-get install -y pgbouncer", "pgbouncer", "/usr/sbin/pgbouncer")
	cred := serviceUser(tb)
	p := &PgBouncer{Port: testproc.FreePort(tb), tb: tb, bin: bin, cred: cred, dir: serviceDir(tb, cred, "opencity-pgbouncer-")}
	writeOwned(tb, cred, filepath.Join(p.dir, "users.txt"), `"postgres" ""`+"\n")
	writeOwned(tb, cred, filepath.Join(p.dir, "pgbouncer.ini"), fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = %s
pidfile = %s
`, host, port, p.Port, filepath.Join(p.dir, "users.txt"), filepath.Join(p.dir, "pgbouncer.log"), filepath.Join(p.dir, "pgbouncer.pid")))
	p.Start()
	tb.Cleanup(p.Stop)
	return p
}

// URL is the address of database through this PgBouncer.
func (p *PgBouncer) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, database)
}

// Start runs PgBouncer and waits until it accepts connections.
func (p *PgBouncer) Start() {
	p.tb.Helper()
	p.cmd = command(p.cred, p.bin, filepath.Join(p.dir, "pgbouncer.ini"))
	var out strings.Builder
	p.cmd.Stdout, p.cmd.Stderr = &out, &out
	if err := p.cmd.Start(); err != nil {
		p.tb.Fatalf("start pgbouncer: %v", err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(p.cmd, p.done)
	if err := waitListening(p.Port, 10*time.Second); err != nil {
		p.Stop()
		log, _ := os.ReadFile(filepath.Join(p.dir, "pgbouncer.log"))
		p.tb.Fatalf("pgbouncer did not start: %v\n%s\n%s", err, out.String(), log)
	}
}

// Stop shuts PgBouncer down as a service manager would (SIGINT: let
// running queries finish, then close every connection) and waits for it.
func (p *PgBouncer) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Restart stops and starts PgBouncer on the same port.
func (p *PgBouncer) Restart() {
	p.tb.Helper()
	p.Stop()
	p.Start()
}
