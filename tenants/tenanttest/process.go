package tenanttest

import (
	"os"
	"syscall"
	"testing"

	"github.com/opencity/opencity/tenants/pgproc"
)

// serviceUser is who runs PostgreSQL when the tests run as root
// (pgproc.ServiceUser); none found fails the test.
func serviceUser(tb testing.TB) *syscall.Credential {
	tb.Helper()
	cred, err := pgproc.ServiceUser()
	if err != nil {
		tb.Fatal("the tests: ", err)
	}
	return cred
}

// serviceDir is a fresh folder the service user owns, removed when the test
// ends. It is not under tb.TempDir, whose parents only root may enter.
func serviceDir(tb testing.TB, cred *syscall.Credential, pattern string) string {
	tb.Helper()
	dir, err := pgproc.ServiceDir(cred, pattern)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// command prepares bin to run as the service user.
var command = pgproc.Command

// findBinary returns the path of a required program or fails the test with
// how to install it.
func findBinary(tb testing.TB, install string, candidates ...string) string {
	tb.Helper()
	p, err := pgproc.FindBinary(install, candidates...)
	if err != nil {
		tb.Fatalf("these tests need %s", err)
	}
	return p
}
