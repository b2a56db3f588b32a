//go:build !unix

package tenants

import "net"

// connAlive cannot look at the socket here; a broken connection is found by
// its first statement instead.
func connAlive(net.Conn) bool { return true }
