//go:build unix

package profile

import (
	"io/fs"
	"syscall"
)

// fileOwner returns the owner of the file st describes, so that root
// rewriting a user's file leaves it the user's.
func fileOwner(st fs.FileInfo) (uid, gid int) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid), int(sys.Gid)
	}
	return -1, -1
}
