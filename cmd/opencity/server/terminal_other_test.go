//go:build !linux

package server_test

import (
	"os"
	"testing"
)

// openTerminal needs Linux's /dev/ptmx; elsewhere the test says so.
func openTerminal(t *testing.T) *os.File {
	t.Fatal("the log format test opens a pseudo-terminal through Linux's /dev/ptmx: run it on Linux")
	return nil
}
