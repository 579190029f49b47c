//go:build !unix

package main

import "errors"

// reexec: on this system a program cannot take a secret off its own
// command line, so a secret given there is refused; --password-file and
// X2GO_SSH_PASSWORD are the ways to give one.
func reexec(args []string, secrets map[string]string) error {
	return errors.New("a password or passphrase on the command line cannot be hidden from other users on this system; use --password-file or the X2GO_SSH_PASSWORD environment variable")
}
