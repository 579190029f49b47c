//go:build unix

package spoolfs

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path read-only, refusing a symlink as the last
// component; O_NONBLOCK keeps a FIFO from blocking the open (OpenRegular
// rejects it right after).
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// TryLock takes an exclusive advisory lock (flock) on f without waiting and
// reports whether it got it. The lock belongs to the open file, survives a
// rename of the file and is released when f is closed or the process dies,
// which is what lets a later run tell a job abandoned by a crash from a job
// another live process is working on.
func TryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	}
	return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
}
