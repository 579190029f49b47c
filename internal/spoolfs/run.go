package spoolfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ErrEmptyCommand is returned for a command with no words.
var ErrEmptyCommand = errors.New("spoolfs: empty command")

// ErrUnbalancedQuote is returned by SplitCommand for an unterminated quote
// or a trailing backslash.
var ErrUnbalancedQuote = errors.New("spoolfs: unbalanced quote in command")

// SplitCommand splits a command line into words the way a POSIX shell
// would for a simple command, without any expansion: blanks separate words;
// 'single quotes' keep everything literally; "double quotes" keep
// everything except that a backslash escapes ", \, $ and `; outside quotes
// a backslash escapes the next character. $, ~, globs, ;, | and the like
// are ordinary characters, since the words are run without a shell.
func SplitCommand(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word (possibly an empty quoted one)
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, ErrUnbalancedQuote
			}
			i++
			if rs[i] == '\n' { // backslash-newline is a line continuation
				continue
			}
			cur.WriteRune(rs[i])
			in = true
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, ErrUnbalancedQuote
			}
			cur.WriteString(string(rs[i+1 : j]))
			i = j
			in = true
		case r == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[j+1]) {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, ErrUnbalancedQuote
			}
			i = j
			in = true
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, ErrEmptyCommand
	}
	return words, nil
}

// CommandError reports a command that could not be started, exited with a
// non-zero status, was killed, or was stopped because its context ended.
type CommandError struct {
	// Argv is the command as run.
	Argv []string
	// ExitCode is the exit status, or -1 if the command did not start or
	// was ended by a signal.
	ExitCode int
	// Stderr is the end of what the command wrote to its standard error.
	Stderr string
	// Err is the underlying error (*exec.ExitError, exec.ErrNotFound,
	// context.Canceled, ...).
	Err error
}

func (e *CommandError) Error() string {
	name := ""
	if len(e.Argv) > 0 {
		name = e.Argv[0]
	}
	msg := fmt.Sprintf("command %q failed: %v", name, e.Err)
	if line := lastLine(e.Stderr); line != "" {
		msg += ": " + line
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// stderrKeep is how much of a command's standard error CommandError keeps.
const stderrKeep = 2048

// killDelay is how long a command may take to exit after SIGTERM before it
// is killed.
var killDelay = 3 * time.Second

// Run runs argv (no shell) with environment env (nil: this process's),
// standard input and output on the null device and standard error
// captured, and waits for it to exit. When ctx ends the command gets
// SIGTERM and, killDelay later, SIGKILL. Any failure is a *CommandError.
//
// Standard error goes to an already unlinked temporary file rather than a
// pipe, so a background child the command leaves behind (xdg-open
// starting a viewer) cannot keep Run waiting.
func Run(ctx context.Context, argv []string, env []string) error {
	if len(argv) == 0 {
		return &CommandError{ExitCode: -1, Err: ErrEmptyCommand}
	}
	errf, err := os.CreateTemp("", "x2go-cmd-stderr-*")
	if err != nil {
		return &CommandError{Argv: argv, ExitCode: -1, Err: err}
	}
	os.Remove(errf.Name())
	defer errf.Close()

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stderr = errf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = killDelay
	runErr := cmd.Run()
	if runErr == nil {
		return nil
	}
	ce := &CommandError{Argv: argv, ExitCode: -1, Err: runErr, Stderr: tail(errf, stderrKeep)}
	if cmd.ProcessState != nil {
		ce.ExitCode = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() != nil {
		ce.Err = fmt.Errorf("%w (%v)", ctx.Err(), runErr)
	}
	return ce
}

// tail returns up to n bytes from the end of f.
func tail(f *os.File, n int64) string {
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := fi.Size() - n
	if off < 0 {
		off = 0
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, off, fi.Size()-off))
	return string(b)
}
