package brokertest

import "syscall"

// sysProcAttr runs the daemon as uid:gid, in its own process group, and
// has the kernel stop it if the test binary dies before its cleanup.
func sysProcAttr(uid, gid uint32) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}},
		Setpgid:    true,
		Pdeathsig:  syscall.SIGTERM,
	}
}
