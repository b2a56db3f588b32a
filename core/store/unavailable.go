package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Unavailable reports whether err means the database could not be reached or
// dropped the connection, as opposed to refusing the statement itself: a
// refused or reset connection, an unexpected end of stream, a dial timeout,
// driver.ErrBadConn, or a PostgreSQL/PgBouncer error of SQLSTATE class 08
// (connection exception) or 57P01–57P03 (the server is shutting down,
// crashed, or is not yet accepting connections), per the PostgreSQL manual's
// appendix "PostgreSQL Error Codes". Such a failure is worth a retry later;
// the API answers it with 503 and Retry-After.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pg interface{ Field(byte) string }
	if errors.As(err, &pg) {
		code := pg.Field('C')
		if strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" {
			return true
		}
		// PgBouncer reports a server it cannot reach as a protocol error
		// (08P01) or, for some messages, without a connection class.
		msg := pg.Field('M')
		return strings.Contains(msg, "pgbouncer cannot connect to server") ||
			strings.Contains(msg, "server conn crashed") ||
			strings.Contains(msg, "server login has been failing") ||
			strings.Contains(msg, "database shutting down")
	}
	var opErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &opErr)
}
