package tenanttest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/opencity/opencity/core/testproc"
)

// PostgresBin is where the tests find PostgreSQL 15's server programs
// (Debian package postgresql-15).
const PostgresBin = "/usr/lib/postgresql/15/bin"

// Cluster is a PostgreSQL cluster of a test's own, in a temporary folder on
// a free port, so the test may stop and restart it; it is removed when the
// test ends.
type Cluster struct {
	Port int
	tb   testing.TB
	data string
	cred *syscall.Credential
}

// StartCluster creates the cluster with initdb (user postgres, trust
// authentication) and starts it with pg_ctl. A missing program fails the
// test with how to install it.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	install := "apt-get install -y postgresql-15 (it provides " + PostgresBin + ")"
	initdb := findBinary(tb, install, filepath.Join(PostgresBin, "initdb"))
	findBinary(tb, install, filepath.Join(PostgresBin, "pg_ctl"))
	cred := serviceUser(tb)
	dir := serviceDir(tb, cred, "opencity-cluster-")
	c := &Cluster{Port: testproc.FreePort(tb), tb: tb, data: filepath.Join(dir, "data"), cred: cred}
	cmd := command(cred, initdb, "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Start()
	tb.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

// URL is the address of database in this cluster.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, database)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.tb.Helper()
	opts := "-c listen_addresses=127.0.0.1 -c unix_socket_directories='" + filepath.Dir(c.data) +
		"' -c fsync=off -c full_page_writes=off -c max_connections=60 -p " + strconv.Itoa(c.Port)
	if err := c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(filepath.Dir(c.data), "server.log"), "-o", opts); err != nil {
		c.tb.Fatal(err)
	}
}

// Stop shuts the server down in fast mode: open sessions are ended, as on
// a service restart.
func (c *Cluster) Stop() {
	c.tb.Helper()
	if err := c.pgctl("stop", "-w", "-m", "fast"); err != nil {
		c.tb.Fatal(err)
	}
}

func (c *Cluster) pgctl(args ...string) error {
	cmd := command(c.cred, filepath.Join(PostgresBin, "pg_ctl"), append([]string{"-D", c.data}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
	return nil
}
