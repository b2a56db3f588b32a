package pgproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// PgBouncer is a PgBouncer in transaction pooling mode in front of a
// PostgreSQL server, on a free port of 127.0.0.1, with its configuration
// and log in a folder of its own.
type PgBouncer struct {
	Port int
	dir  string
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan error
}

// StartPgBouncer starts PgBouncer (Debian package pgbouncer) forwarding
// every database name to the PostgreSQL server at host:port in transaction
// pooling mode (default_pool_size server connections per database, at most
// 500 clients), with trust authentication for the user postgres. A missing
// binary is an error that says how to install it. Close stops it and
// removes its folder.
func StartPgBouncer(host string, port int) (*PgBouncer, error) {
	bin, err := FindBinary("apt-get install -y pgbouncer", "pgbouncer", "/usr/sbin/pgbouncer")
	if err != nil {
		return nil, err
	}
	cred, err := ServiceUser()
	if err != nil {
		return nil, err
	}
	free, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := ServiceDir(cred, "opencity-pgbouncer-")
	if err != nil {
		return nil, err
	}
	p := &PgBouncer{Port: free, bin: bin, cred: cred, dir: dir}
	ini := fmt.Sprintf(`[databases]
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
`, host, port, p.Port, filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	err = WriteOwned(cred, filepath.Join(dir, "users.txt"), `"postgres" ""`+"\n")
	if err == nil {
		err = WriteOwned(cred, filepath.Join(dir, "pgbouncer.ini"), ini)
	}
	if err == nil {
		err = p.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// URL is the address of database through this PgBouncer.
func (p *PgBouncer) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, database)
}

// Start runs PgBouncer and waits up to 10 s until it accepts connections.
func (p *PgBouncer) Start() error {
	p.cmd = Command(p.cred, p.bin, filepath.Join(p.dir, "pgbouncer.ini"))
	var out strings.Builder
	p.cmd.Stdout, p.cmd.Stderr = &out, &out
	if err := p.cmd.Start(); err != nil {
		p.cmd = nil
		return fmt.Errorf("start pgbouncer: %w", err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(p.cmd, p.done)
	if err := WaitListening(p.Port, 10*time.Second); err != nil {
		p.Stop()
		log, _ := os.ReadFile(filepath.Join(p.dir, "pgbouncer.log"))
		return fmt.Errorf("pgbouncer did not start: %v\n%s\n%s", err, out.String(), log)
	}
	return nil
}

// Stop shuts PgBouncer down as a service manager would (SIGINT: let
// running queries finish, then close every connection) and waits for it,
// killing it after 10 s.
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

// Close stops PgBouncer and removes its folder.
func (p *PgBouncer) Close() {
	p.Stop()
	os.RemoveAll(p.dir)
}
