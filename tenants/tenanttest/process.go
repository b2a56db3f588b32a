package tenanttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// serviceUser is who runs PgBouncer and PostgreSQL when the tests run as
// root (both refuse to run as root): the postgres account the Debian
// packages create, else nobody. Nil when the tests are not root.
func serviceUser(tb testing.TB) *syscall.Credential {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	tb.Fatal("the tests run as root, and PgBouncer and PostgreSQL refuse root: create a user for them (apt-get install -y postgresql creates postgres)")
	return nil
}

// serviceDir is a fresh folder the service user owns, removed when the test
// ends. It is not under tb.TempDir, whose parents only root may enter.
func serviceDir(tb testing.TB, cred *syscall.Credential, pattern string) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// writeOwned writes a file in a service folder, owned by the service user.
func writeOwned(tb testing.TB, cred *syscall.Credential, path, text string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatal(err)
		}
	}
}

// command prepares bin to run as the service user.
func command(cred *syscall.Credential, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = append(os.Environ(), "HOME="+os.TempDir())
	}
	return cmd
}

// findBinary returns the path of a required program or fails the test with
// how to install it.
func findBinary(tb testing.TB, install string, candidates ...string) string {
	tb.Helper()
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	tb.Fatalf("these tests need %s, which is not installed: %s", candidates[0], install)
	return ""
}

// waitListening waits until something accepts connections on port.
func waitListening(port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %w", addr, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
