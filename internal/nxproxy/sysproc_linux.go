package nxproxy

import "syscall"

// sysProcAttr puts nxproxy in its own process group (a Ctrl+C meant for the
// client does not hit it before the client has shut the session down
// cleanly) and has the kernel send it SIGTERM should the client die without
// calling Stop, so the proxy never outlives its owner.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
