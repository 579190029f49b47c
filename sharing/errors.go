package sharing

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/pkg/sftp"
)

// Errors of the Server's own API, matched with errors.Is.
var (
	// ErrClosed: the Server has been closed.
	ErrClosed = errors.New("sharing: server closed")
	// ErrShareExists: AddShare was given a remote path that is already
	// shared.
	ErrShareExists = errors.New("sharing: remote path already shared")
	// ErrNoShare: RemoveShare was given a remote path that is not shared.
	ErrNoShare = errors.New("sharing: remote path not shared")
	// ErrBadPath: a remote or local path given to AddShare is not an
	// absolute, clean path, or the local path is not a directory.
	ErrBadPath = errors.New("sharing: unusable share path")
	// ErrUnsupported: the platform lacks what the jail needs (Linux only).
	ErrUnsupported = errors.New("sharing: not supported on this platform")
)

// errEscape is returned by path resolution when a path would leave its
// share: "..", an absolute symlink, a symlink pointing above the share
// root. The client gets SSH_FX_PERMISSION_DENIED.
var errEscape = errors.New("path leaves the shared folder")

// errNotShared: the requested path is in no share.
var errNotShared = errors.New("path is not shared")

// errReadOnly: a change was requested in a read-only share.
var errReadOnly = errors.New("shared folder is read-only")

// errSpecial: open of something that is neither a regular file nor a
// directory (FIFO, device, socket); refused so that a FIFO cannot block
// the server and devices are never served.
var errSpecial = errors.New("not a regular file")

// errRefused: an operation the server never performs (hard links,
// ownership changes, deleting or renaming a share root).
var errRefused = errors.New("operation refused")

// jailErrors are the jail's own refusals; when an error wraps several,
// the client is told of the last one in this list.
var jailErrors = []error{errEscape, errNotShared, errReadOnly, errSpecial, errRefused}

// statusError is what the handlers return to pkg/sftp: an SFTP status
// code and a message naming only the client-visible (SFTP) path, never a
// local path. pkg/sftp finds the code with errors.As.
type statusError struct {
	code error // one of the sftp.ErrSSHFx* values
	msg  string
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

// status converts err from an operation on the SFTP path p into the
// statusError the client sees. Errno values map as OpenSSH's sftp-server
// maps them, except that the jail's own refusals (escape attempts,
// paths outside every share, read-only shares, special files, refused
// operations) are always SSH_FX_PERMISSION_DENIED.
func status(op, p string, err error) error {
	if err == nil {
		return nil
	}
	var se *statusError
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	// Unknown error text is never passed on: it could name local paths.
	code, text := sftp.ErrSSHFxFailure, "failure"
	var jail error
	for _, e := range jailErrors {
		if errors.Is(err, e) {
			jail = e
		}
	}
	var errno syscall.Errno
	switch {
	case jail != nil:
		code, text = sftp.ErrSSHFxPermissionDenied, jail.Error()
	case errors.Is(err, os.ErrClosed):
		code, text = sftp.ErrSSHFxFailure, "shared folder was removed"
	case errors.As(err, &errno):
		text = errno.Error()
		switch errno {
		case syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP, syscall.EBADF:
			code = sftp.ErrSSHFxNoSuchFile
		case syscall.EACCES, syscall.EPERM, syscall.EFAULT:
			code = sftp.ErrSSHFxPermissionDenied
		case syscall.EINVAL, syscall.ENAMETOOLONG:
			code = sftp.ErrSSHFxBadMessage
		case syscall.ENOSYS, syscall.EOPNOTSUPP:
			code = sftp.ErrSSHFxOpUnsupported
		}
	}
	return &statusError{code: code, msg: fmt.Sprintf("%s %s: %s", op, p, text)}
}

// statusCode returns the SFTP status number and message of an error made
// by status (for replies the wire builds itself).
func statusCode(err error) (uint32, string) {
	var se *statusError
	if !errors.As(err, &se) {
		return fxFailure, "failure"
	}
	for _, c := range []struct {
		code error
		num  uint32
	}{
		{sftp.ErrSSHFxNoSuchFile, 2}, {sftp.ErrSSHFxPermissionDenied, 3}, {sftp.ErrSSHFxFailure, 4},
		{sftp.ErrSSHFxBadMessage, 5}, {sftp.ErrSSHFxOpUnsupported, 8},
	} {
		if se.code == c.code {
			return c.num, se.msg
		}
	}
	return fxFailure, se.msg
}
