//go:build unix

package tenants

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// connAlive reports whether an idle connection is still open: a
// non-blocking read must find nothing to read. End of stream means the
// server or PgBouncer closed it (a restart); bytes mean it announced a
// shutdown (PostgreSQL sends a FATAL error first); either way the connection
// is of no further use. This is the check go-sql-driver/mysql makes before
// reusing a connection.
func connAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	// A deadline left by the last statement (its context's) may have passed;
	// it would fail the check below, not the connection. The driver sets a
	// new one before every read.
	_ = c.SetReadDeadline(time.Time{})
	alive := true
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, rerr := syscall.Read(int(fd), buf[:])
		switch {
		case n > 0, n == 0 && rerr == nil:
			alive = false
		case rerr != nil && !errors.Is(rerr, syscall.EAGAIN) && !errors.Is(rerr, syscall.EWOULDBLOCK):
			alive = false
		}
		return true // never wait for data
	})
	return alive && err == nil
}
