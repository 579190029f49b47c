//go:build !linux && !darwin

package main

import (
	"context"
	"errors"
	"os"
)

// openTTY: asking on the terminal is implemented for Linux and macOS
// only; elsewhere x2go runs as with --non-interactive, and a password
// comes from --password-file or X2GO_SSH_PASSWORD.
func openTTY() (*os.File, error) {
	return nil, errors.New("asking on the terminal is not supported on this system")
}

func ttyReadLine(ctx context.Context, tty *os.File, prompt string, hidden bool) (string, error) {
	return "", errNoTerminal
}
