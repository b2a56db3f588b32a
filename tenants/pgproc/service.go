// Package pgproc runs the PostgreSQL programs that refuse to run as root
// (PgBouncer, initdb, pg_ctl) as a service user, in folders that user
// owns, and starts a PgBouncer of its own in front of a PostgreSQL server.
// The bench and the test harnesses share it.
package pgproc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ServiceUser is who runs PgBouncer and PostgreSQL when this process is
// root (both refuse root): the postgres account the Debian packages
// create, else nobody. Nil when the process is not root.
func ServiceUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("this process runs as root, and PgBouncer and PostgreSQL refuse root: create a user for them (apt-get install -y postgresql creates postgres)")
}

// ServiceDir makes a fresh folder in the system's temporary folder that
// cred's user owns (nil: this process's user); the caller removes it.
func ServiceDir(cred *syscall.Credential, pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// WriteOwned writes a file of a service folder, owned by cred's user.
func WriteOwned(cred *syscall.Credential, path, text string) error {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return err
	}
	if cred != nil {
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// Command prepares bin to run as cred's user (nil: this process's).
func Command(cred *syscall.Credential, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = append(os.Environ(), "HOME="+os.TempDir())
	}
	return cmd
}

// FindBinary returns the first of candidates that exists (an absolute
// path) or is on PATH (a name); otherwise an error that says how to
// install it.
func FindBinary(install string, candidates ...string) (string, error) {
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c, nil
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed: %s", candidates[0], install)
}

// WaitListening waits until something accepts connections on port of
// 127.0.0.1.
func WaitListening(port int, within time.Duration) error {
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

// FreePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
