// Package testproc runs the external programs that tests talk to
// (mailpit, stripe-mock, SeaweedFS, PgBouncer, PostgreSQL): a free
// loopback port for each, the program started with its output kept and
// killed when the test ends, and a wait until it answers.
package testproc

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Output is a program's combined stdout and stderr, safe to read while
// the program still writes.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns what the program wrote so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Start starts cmd with its output kept and kills it when the test ends.
// A program that cannot start fails the test.
func Start(tb testing.TB, cmd *exec.Cmd) *Output {
	tb.Helper()
	out := &Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd.Path, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return out
}

// WaitReady calls ready every interval until it returns nil. Past
// timeout the test fails, naming what did not start, the last error and
// the program's output.
func WaitReady(tb testing.TB, what string, timeout, interval time.Duration, out *Output, ready func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not start: %v\n%s", what, err, out.String())
		}
		time.Sleep(interval)
	}
}

// Find returns the path of the program name: on PATH, else in
// $GOPATH/bin where `go install` puts it.
func Find(name string) (string, error) {
	if bin, err := exec.LookPath(name); err == nil {
		return bin, nil
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	bin := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
	if _, err := os.Stat(bin); err != nil {
		return "", err
	}
	return bin, nil
}
