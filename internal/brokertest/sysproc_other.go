//go:build unix && !linux

package brokertest

import "syscall"

// sysProcAttr runs the daemon as uid:gid, in its own process group.
func sysProcAttr(uid, gid uint32) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}},
		Setpgid:    true,
	}
}
