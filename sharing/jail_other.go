//go:build !linux

package sharing

import (
	"io/fs"
	"os"
	"time"

	"github.com/pkg/sftp"
)

// The jail needs Linux (openat2 or O_PATH walks, /proc/self/fd); on
// other systems New fails with ErrUnsupported and nothing below runs.

func supported() error { return ErrUnsupported }

type root struct{}

type fileInfo struct{ fs.FileInfo }

type setAttrs struct {
	size         *uint64
	perm         *uint32
	atime, mtime *time.Time
}

func openRoot(string) (*root, error)                                 { return nil, ErrUnsupported }
func (*root) close() error                                           { return ErrUnsupported }
func (*root) stat(string, bool) (*fileInfo, error)                   { return nil, ErrUnsupported }
func (*root) openFile(string, int, uint32, string) (*os.File, error) { return nil, ErrUnsupported }
func (*root) openDir(string, string) (*os.File, error)               { return nil, ErrUnsupported }
func (*root) mkdir(string, uint32) error                             { return ErrUnsupported }
func (*root) remove(string, bool) error                              { return ErrUnsupported }
func (*root) symlink(string, string) error                           { return ErrUnsupported }
func (*root) readlink(string) (string, error)                        { return "", ErrUnsupported }
func (*root) setstat(string, setAttrs) error                         { return ErrUnsupported }
func (*root) owner(string) (uint32, uint32, error)                   { return 0, 0, ErrUnsupported }
func (*root) statvfs(string, bool) (*sftp.StatVFS, error)            { return nil, ErrUnsupported }
func renameJail(*root, string, *root, string, bool) error            { return ErrUnsupported }
func readDirPlus(*os.File, int) ([]*fileInfo, error)                 { return nil, ErrUnsupported }
