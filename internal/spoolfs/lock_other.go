//go:build !unix

package spoolfs

import (
	"fmt"
	"os"
)

// openNoFollow opens path read-only after checking that it is not a symlink
// (without O_NOFOLLOW a small window remains on these systems).
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	return os.Open(path)
}

// TryLock always succeeds here: without flock only the in-process
// bookkeeping of the watchers keeps a job from being taken twice.
func TryLock(f *os.File) (bool, error) { return true, nil }
