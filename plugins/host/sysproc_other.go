//go:build !linux

package host

import "syscall"

// sysProcAttr leaves the defaults; the SDK's parent watch stops orphans.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
