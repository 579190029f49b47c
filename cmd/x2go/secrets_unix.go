//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// reexec replaces this process (same pid) by a fresh run of the same
// program with argv args and the secrets in an inherited pipe. It returns
// only on failure.
func reexec(args []string, secrets map[string]string) error {
	data, err := json.Marshal(secrets)
	if err != nil {
		return err
	}
	if len(data) > maxSecrets {
		return errors.New("the secrets on the command line are too long")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// syscall.Pipe leaves close-on-exec off, so the read end survives the
	// exec; the write end is closed before it.
	var p [2]int
	syscall.ForkLock.Lock()
	err = syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.Unlock()
	if err != nil {
		return err
	}
	for b := data; len(b) > 0; {
		n, err := syscall.Write(p[1], b)
		if err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return err
		}
		b = b[n:]
	}
	syscall.Close(p[1])
	env := append(os.Environ(), secretsFDEnv+"="+strconv.Itoa(p[0]))
	err = syscall.Exec(exe, args, env)
	syscall.Close(p[0])
	return err
}
