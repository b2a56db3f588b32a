package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"
)

// sqlState is an error like pgdriver.Error: fields by their protocol byte.
type sqlState map[byte]string

func (e sqlState) Field(k byte) string { return e[k] }
func (e sqlState) Error() string       { return e['M'] }

func TestUnavailable(t *testing.T) {
	// A real refused connection, through the driver the backend uses.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN("postgres://postgres@" + addr + "/x?sslmode=disable")))
	defer db.Close()
	refused := db.PingContext(context.Background())

	for _, c := range []struct {
		err  error
		want bool
	}{
		{refused, true},
		{fmt.Errorf("list cities: %w", refused), true},
		{sqlState{'C': "57P01", 'M': "terminating connection due to administrator command"}, true},
		{sqlState{'C': "08006", 'M': "connection failure"}, true},
		{sqlState{'C': "08P01", 'M': "pgbouncer cannot connect to server"}, true},
		{sqlState{'C': "23505", 'M': "duplicate key value violates unique constraint"}, false},
		{sqlState{'C': "42P01", 'M': `relation "requests" does not exist`}, false},
		{sql.ErrNoRows, false},
		{errors.New("something else"), false},
		{nil, false},
	} {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
