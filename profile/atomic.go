package profile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// tempFile is the part of *os.File the atomic writer uses; tests replace
// createTemp to make writes fail.
type tempFile interface {
	io.Writer
	Name() string
	Sync() error
	Chmod(fs.FileMode) error
	Chown(uid, gid int) error
	Close() error
}

var createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// writeFileAtomic replaces path with data so that, whatever happens, path
// holds either the old or the new content in full: the data goes to a
// temporary file beside it, is synced, gets the old file's mode (and, for
// root, owner), and is renamed over path; then the directory is synced.
// A symlink at path is followed, so the file it points to is replaced.
func writeFileAtomic(path string, data []byte) error {
	target := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("x2go: writing %s: %w", path, err)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("x2go: writing %s: %w", path, err)
	}
	mode := fs.FileMode(0o600)
	uid, gid := -1, -1
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
		if os.Geteuid() == 0 {
			uid, gid = fileOwner(st)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("x2go: writing %s: %w", path, err)
	}

	name, err := writeTemp(dir, filepath.Base(target), data, mode, uid, gid)
	if err != nil {
		return fmt.Errorf("x2go: writing %s: %w", path, err)
	}
	if err := os.Rename(name, target); err != nil {
		os.Remove(name)
		return fmt.Errorf("x2go: writing %s: %w", path, err)
	}
	// The new content is in place; syncing the directory makes the rename
	// itself survive a crash.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("x2go: writing %s: syncing the directory: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("x2go: writing %s: syncing the directory: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir, synced, with the
// given mode and owner (uid < 0: unchanged), and returns its name. On
// failure nothing is left behind.
func writeTemp(dir, base string, data []byte, mode fs.FileMode, uid, gid int) (name string, err error) {
	tmp, err := createTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return "", err
	}
	if err = tmp.Sync(); err != nil {
		return "", err
	}
	if err = tmp.Chmod(mode); err != nil {
		return "", err
	}
	if uid >= 0 {
		if err = tmp.Chown(uid, gid); err != nil {
			return "", err
		}
	}
	if err = tmp.Close(); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}
