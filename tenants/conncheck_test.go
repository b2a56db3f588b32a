//go:build unix

package tenants

import (
	"net"
	"testing"
	"time"
)

// connPair returns both ends of a real TCP connection.
func connPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// An idle connection is alive, also when the deadline of its last read has
// passed; one the server closed, or on which it sent something unasked (a
// FATAL before a shutdown), is not.
func TestConnAlive(t *testing.T) {
	idle, _ := connPair(t)
	if !connAlive(idle) {
		t.Error("an idle open connection is reported dead")
	}
	stale, _ := connPair(t)
	stale.SetReadDeadline(time.Now().Add(-time.Second))
	if !connAlive(stale) {
		t.Error("an open connection whose last read deadline passed is reported dead")
	}
	closed, server := connPair(t)
	server.Close()
	time.Sleep(50 * time.Millisecond)
	if connAlive(closed) {
		t.Error("a connection the server closed is reported alive")
	}
	told, server := connPair(t)
	server.Write([]byte("E"))
	time.Sleep(50 * time.Millisecond)
	if connAlive(told) {
		t.Error("a connection with unasked data is reported alive")
	}
}
