package host

import "syscall"

// sysProcAttr puts the plugin in its own process group and asks the kernel
// to kill it when the host dies (the SDK also exits when re-parented).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
