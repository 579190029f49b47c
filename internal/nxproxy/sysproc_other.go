//go:build unix && !linux

package nxproxy

import "syscall"

// sysProcAttr puts nxproxy in its own process group so a Ctrl+C meant for
// the client does not hit it before the client has shut the session down.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
