// Package mimebox receives the files an X2Go server offers to the client
// through the MIME box and opens (OPEN), hands to a chosen program
// (OPENWITH) or saves (SAVEAS) each of them, if its extension is allowed.
//
// How files arrive: during a session the server mounts the client's MIME
// box directory (Config.Dir, python-x2go's <local session dir>/mimebox)
// through sshfs, and a program in the session copies a file into it
// (X2GO_MIMEBOX in the session environment points there). x2goserver
// itself ships no such program and writes no completion marker: a file is
// simply created and written. A Watcher therefore takes a file only when it
// has not changed size or modification time for Config.SettleTime, or when
// Config.Busy (which the embedded SFTP server can answer exactly) says no
// writer has it open.
//
// What the client does with a file: names starting with "." are left alone
// (upload tools write such temporary names); files whose extension is on
// the blacklist, or not on a non-empty whitelist, are rejected (removed,
// as python-x2go does, unless Config.KeepRejected) and reported. Anything
// else is claimed by moving it out of the shared directory into the work
// directory while holding a lock on it, so a second watcher never takes it
// and a crash leaves it for the next run. A file whose action fails is kept
// in the work directory's "failed" folder and reported.
//
// Files pushed by a server are untrusted. Opening them automatically hands
// them to whatever program the desktop associates with their type, so the
// default action here is SAVEAS, not python-x2go's OPEN.
package mimebox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/x2go-go/x2go/internal/spoolfs"
)

// Action is what a Watcher does with an offered file; the names are
// python-x2go's MIME box action names.
type Action int

const (
	// ActionDefault in Config means SaveAs.
	ActionDefault Action = iota
	// Open hands the file to the desktop's opener (xdg-open) (OPEN).
	Open
	// OpenWith asks Config.OpenWith for the program (OPENWITH).
	OpenWith
	// SaveAs stores the file in Config.SaveDir under a unique name
	// (SAVEAS).
	SaveAs
)

var actionNames = map[Action]string{Open: "OPEN", OpenWith: "OPENWITH", SaveAs: "SAVEAS"}

// String returns python-x2go's name of the action.
func (a Action) String() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	if a == ActionDefault {
		return "DEFAULT"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// ParseAction maps a MIME box action name (case-insensitive; "SAVE" is
// taken for "SAVEAS") to an Action.
func ParseAction(name string) (Action, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "SAVE" {
		return SaveAs, nil
	}
	for a, s := range actionNames {
		if s == n {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown MIME box action %q", ErrConfig, name)
}

// DefaultBlacklist holds the extensions python-x2go never processes
// (compared upper-case with the text after the file name's last dot).
var DefaultBlacklist = []string{
	"LOCK", "SYS", "SWP",
	"EXE", "COM", "CMD", "PS1", "PS2", "BAT",
	"JS", "PY", "PL", "SH",
}

// Defaults.
const (
	// DefaultOpener is the program Open runs.
	DefaultOpener = "xdg-open"
	// DefaultSaveDir is where SaveAs puts files, relative to the home
	// directory.
	DefaultSaveDir = "Downloads"
	// DefaultSettleTime is how long a file must stay unchanged before it
	// is taken.
	DefaultSettleTime = 2 * time.Second
	// DefaultInterval is how often Run looks into the MIME box.
	DefaultInterval = time.Second
	// DefaultOpenKeep is how long an opened file is kept after the opener
	// returned, for applications that read it only later (python-x2go
	// waits 20 s).
	DefaultOpenKeep = time.Minute
	// DefaultMaxJobs is how many files are handled at the same time.
	DefaultMaxJobs = 2
)

// File is one file offered through the MIME box.
type File struct {
	// Name is the file name as the server chose it (untrusted).
	Name string
	// Path is where the file is now: the work directory while it is
	// handled, the folder it was opened from or saved to afterwards, the
	// "failed" folder after a failure.
	Path string
	// Size in bytes when it was taken.
	Size int64
}

// Result describes a handled file.
type Result struct {
	// Action that ran.
	Action Action
	// Output is the saved file for SaveAs, the file handed to the program
	// for Open and OpenWith.
	Output string
}

// Config configures a Watcher. Only Dir is required; every hook is
// optional, and new optional fields may be added in later versions.
type Config struct {
	// Dir is the MIME box directory the server writes into (the client's
	// "<local session dir>/mimebox", mounted by x2gomountdirs with the
	// __MIMEBOX_SPOOL_ marker). Created with mode 0700 if missing.
	Dir string
	// WorkDir holds claimed, opened and failed files. It must be on the
	// file system of Dir and should not be shared with the server.
	// Default: Dir + ".work".
	WorkDir string

	// Action for every accepted file. Default SaveAs.
	Action Action
	// Extensions, if not empty, is the whitelist (python-x2go's
	// mimebox_extensions): a file is accepted only if its name ends with
	// "." and one of these (case-insensitive; a leading dot in an entry is
	// ignored, so "pdf", ".PDF" and "tar.gz" all work). Empty: every
	// extension not on the blacklist.
	Extensions []string
	// Blacklist lists extensions that are always rejected, compared
	// case-insensitively with the text after the last dot. nil means
	// DefaultBlacklist; an empty non-nil slice disables it.
	Blacklist []string
	// KeepRejected leaves rejected files in Dir instead of removing them.
	KeepRejected bool
	// Opener is the Open command; the file is appended as one argument.
	// Default ["xdg-open"].
	Opener []string
	// OpenWith returns the command (program and arguments) that opens f;
	// the file is appended as one argument. It may block until the user
	// has chosen; ctx ends when the watcher closes. Without it OpenWith
	// acts like Open, as python-x2go does on Unix.
	OpenWith func(ctx context.Context, f File) ([]string, error)
	// SaveDir is where SaveAs stores files; relative paths and "~/" are
	// taken from the home directory. Default "Downloads". Created with mode
	// 0700 if missing.
	SaveDir string
	// Env is the environment of the commands run (nil: this process's).
	Env []string

	// SettleTime is how long a file's size and modification time must stay
	// the same before it is taken. Default 2 s; negative: take files as
	// soon as they are seen (when Busy is exact, or in tests).
	SettleTime time.Duration
	// Busy, if set, reports whether the file at path is still open for
	// writing, e.g. by the embedded SFTP server serving the share; a busy
	// file is not taken.
	Busy func(path string) bool
	// Interval is how often Run looks for files. Default 1 s.
	Interval time.Duration
	// OpenKeep is how long a file handed to Open/OpenWith is kept after
	// the command returned. Default 1 min.
	OpenKeep time.Duration
	// MaxJobs limits how many files are handled at once. Default 2.
	MaxJobs int

	// OnDone is called after a file was handled.
	OnDone func(f File, res Result)
	// OnError is called for every rejected file (*RejectedError), every
	// file whose action failed (*FileError) and problems reading the
	// directory.
	OnError func(err error)
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Errors a caller may tell apart with errors.Is.
var (
	// ErrConfig: the Config is unusable.
	ErrConfig = errors.New("mimebox: invalid configuration")
	// ErrRejected: a file was refused (blacklisted or not whitelisted
	// extension, or not a regular file).
	ErrRejected = errors.New("mimebox: file rejected")
	// ErrActionFailed: the action for a file failed.
	ErrActionFailed = errors.New("mimebox: action failed")
	// ErrClosed: the Watcher was closed.
	ErrClosed = errors.New("mimebox: watcher closed")
)

// RejectedError reports a file that was not handled, and why.
type RejectedError struct {
	Name   string
	Reason string
	// Removed tells whether the file was deleted (see Config.KeepRejected).
	Removed bool
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("mimebox: file %q rejected: %s", e.Name, e.Reason)
}

// Is makes a RejectedError match ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// FileError reports a file whose action failed; the file is kept (File.Path).
type FileError struct {
	File   File
	Action Action
	// Err is the cause: a *CommandError, a file system error or the
	// OpenWith hook's error.
	Err error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("mimebox: %s of %q failed: %v", e.Action, e.File.Name, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Is makes a FileError match ErrActionFailed.
func (e *FileError) Is(target error) bool { return target == ErrActionFailed }

// CommandError reports an opener that could not be started or exited
// unsuccessfully.
type CommandError = spoolfs.CommandError
