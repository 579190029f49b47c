//go:build linux || darwin

package main

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// openTTY opens the controlling terminal.
func openTTY() (*os.File, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// ttyReadLine writes prompt on the terminal tty and reads one line, with
// echo turned off (before the prompt shows) when hidden, until ctx ends.
func ttyReadLine(ctx context.Context, tty *os.File, prompt string, hidden bool) (string, error) {
	if hidden {
		rc, err := tty.SyscallConn()
		if err != nil {
			return "", err
		}
		var old *unix.Termios
		var ioErr error
		// Control, unlike Fd, leaves the file in non-blocking mode, so
		// that the read below can be given up.
		if err := rc.Control(func(fd uintptr) {
			old, ioErr = unix.IoctlGetTermios(int(fd), ioctlGetTermios)
			if ioErr != nil {
				return
			}
			quiet := *old
			quiet.Lflag &^= unix.ECHO
			quiet.Lflag |= unix.ICANON | unix.ISIG
			quiet.Iflag |= unix.ICRNL
			ioErr = unix.IoctlSetTermios(int(fd), ioctlSetTermios, &quiet)
		}); err != nil {
			return "", err
		}
		if ioErr != nil {
			return "", ioErr
		}
		defer rc.Control(func(fd uintptr) { unix.IoctlSetTermios(int(fd), ioctlSetTermios, old) })
	}
	if _, err := io.WriteString(tty, prompt); err != nil {
		return "", err
	}
	return readLineCtx(ctx, tty)
}
