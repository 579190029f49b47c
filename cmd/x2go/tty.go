package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// errNoTerminal: a question needs a person at a terminal and there is
// none, or --non-interactive forbids asking.
var errNoTerminal = errors.New("no terminal to ask on")

// asker puts questions to the person at the controlling terminal, the way
// OpenSSH does: on /dev/tty, whatever standard input and output are, so
// that x2go list | jq still asks for a password. Without a terminal (or
// with --non-interactive) every question fails with errNoTerminal.
//
// Questions are asked one at a time; each ends when its context does.
type asker struct {
	mu      sync.Mutex
	disable bool
}

// interactive reports whether there is a terminal to ask on.
func (a *asker) interactive() bool {
	if a == nil || a.disable {
		return false
	}
	tty, err := openTTY()
	if err != nil {
		return false
	}
	tty.Close()
	return true
}

// ask writes prompt on the terminal and reads one line, without echo when
// hidden (passwords, passphrases).
func (a *asker) ask(ctx context.Context, prompt string, hidden bool) (string, error) {
	if a == nil || a.disable {
		return "", errNoTerminal
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	tty, err := openTTY()
	if err != nil {
		return "", errNoTerminal
	}
	defer tty.Close()
	line, err := ttyReadLine(ctx, tty, prompt, hidden)
	if hidden {
		io.WriteString(tty, "\n") // the Enter was not echoed
	}
	return line, err
}

// readLineCtx reads bytes up to a newline from f, giving up when ctx ends
// (through a read deadline; f must be pollable, as a terminal opened with
// os.OpenFile is on Linux).
func readLineCtx(ctx context.Context, f *os.File) (string, error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			f.SetReadDeadline(time.Now())
		case <-done:
		}
	}()
	defer func() { close(done); wg.Wait() }()
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				break
			}
			line = append(line, buf[0])
			if len(line) > 4096 {
				return "", errors.New("answer too long")
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if errors.Is(err, io.EOF) && len(line) > 0 {
				break
			}
			return "", err
		}
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}
