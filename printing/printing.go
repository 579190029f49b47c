// Package printing picks up the print jobs an X2Go server sends to the
// client and hands each one to a print action: show it (PDFVIEW), save it
// (PDFSAVE), send it to a CUPS queue (PRINT), pipe it to any command
// (PRINTCMD), or let the application decide per job (DIALOG).
//
// How jobs arrive: during a session the server mounts the client's spool
// directory (Config.Dir, python-x2go's <local session dir>/spool) through
// sshfs. A print job in the session goes through CUPS' cups-x2go backend,
// which converts it to PDF and calls x2goprint; x2goprint moves the PDF into
// the mounted spool, then writes "<pdf name>.ready" there (created under
// another name and renamed, so it appears complete). The .ready file holds
// the PDF's file name, a newline and the job title. A job is therefore
// complete exactly when its .ready file exists; a PDF without one is still
// arriving and is left alone.
//
// What the client does with a job: a Watcher claims it by moving both files
// out of the spool into its work directory (Config.WorkDir, not shared with
// the server) while holding a lock on the .ready file, runs the action, and
// deletes the job when the action succeeded. A job whose action fails is
// moved to the work directory's "failed" folder and reported through
// Config.OnError; it can be queued again with Watcher.Retry. A job claimed by
// a process that crashed (its lock is gone) is taken up again by the next
// scan of any watcher, so a crash loses no job, and a job locked by another
// live watcher is never run twice.
package printing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/x2go-go/x2go/internal/spoolfs"
)

// Action is what a Watcher does with a print job. The names are
// python-x2go's print action names.
type Action int

const (
	// ActionDefault in Config means PDFView.
	ActionDefault Action = iota
	// PDFView opens a copy of the PDF named after the job title with a
	// viewer command (PDFVIEW).
	PDFView
	// PDFSave stores the PDF in a folder under a name made from the job
	// title (PDFSAVE).
	PDFSave
	// Print sends the PDF to a CUPS print queue with lp (PRINT).
	Print
	// PrintCmd runs a configured command with the PDF as its last argument
	// (PRINTCMD).
	PrintCmd
	// Dialog asks Config.Dialog which action to take for each job
	// (DIALOG).
	Dialog
	// Discard drops the job without output, e.g. when the user cancels a
	// print dialog (python-x2go's dialog returning nothing).
	Discard
)

var actionNames = map[Action]string{
	PDFView:  "PDFVIEW",
	PDFSave:  "PDFSAVE",
	Print:    "PRINT",
	PrintCmd: "PRINTCMD",
	Dialog:   "DIALOG",
	Discard:  "DISCARD",
}

// String returns python-x2go's name of the action ("PDFVIEW", ...).
func (a Action) String() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	if a == ActionDefault {
		return "DEFAULT"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// ParseAction maps a python-x2go print action name (case-insensitive) to an
// Action.
func ParseAction(name string) (Action, error) {
	for a, n := range actionNames {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown print action %q", ErrConfig, name)
}

// Defaults, mostly python-x2go's.
const (
	// DefaultTitle is the job title used when the .ready file has none
	// (python-x2go's "X2Go Print Job").
	DefaultTitle = "X2Go Print Job"
	// DefaultViewer is the PDF viewer command (python-x2go's default).
	DefaultViewer = "xdg-open"
	// DefaultSaveDir is where PDFSave puts files, relative to the home
	// directory.
	DefaultSaveDir = "PDF"
	// DefaultLP is the program Print runs.
	DefaultLP = "lp"
	// DefaultPrintCommand is the command PrintCmd runs.
	DefaultPrintCommand = "lpr"
	// DefaultInterval is how often Run looks into the spool.
	DefaultInterval = time.Second
	// DefaultCopyKeep is how long the title-named copy handed to a viewer
	// or print command is kept after the command returned (python-x2go
	// waits 20 s), so a viewer started in the background can still open it.
	DefaultCopyKeep = 20 * time.Second
	// DefaultMaxJobs is how many jobs run at the same time.
	DefaultMaxJobs = 2
)

// Job is one print job.
type Job struct {
	// ID names the job in the spool: its .ready file's name without
	// ".ready" (with x2goprint also the PDF's original file name, e.g.
	// "<session>_<cups job>-<user>-cupsjob<pid><random>.pdf").
	ID string
	// Title is the job title as the server sent it (untrusted; may contain
	// any characters except newline).
	Title string
	// PDF is the path of the job's PDF file: in the work directory while
	// the job is processed (it is deleted once the action succeeded, before
	// OnDone is called), in its "failed" folder after a failure.
	PDF string
}

// Decision is what Config.Dialog chose for a job. Empty fields take the
// Config's values.
type Decision struct {
	// Action to run: PDFView, PDFSave, Print, PrintCmd or Discard.
	Action Action
	// Printer for Print ("" = the Config's, or the CUPS default).
	Printer string
	// SaveDir for PDFSave.
	SaveDir string
}

// Result describes a completed job.
type Result struct {
	// Action that was run (the Dialog's choice for Dialog).
	Action Action
	// Output is the file the action produced or handed to a command: the
	// saved PDF for PDFSave, the temporary title-named copy otherwise, ""
	// for Discard.
	Output string
}

// Config configures a Watcher. Only Dir is required; every hook is
// optional, and new optional fields may be added in later versions.
type Config struct {
	// Dir is the spool directory the server writes into (the client's
	// "<local session dir>/spool", mounted by x2gomountdirs with the
	// __PRINT_SPOOL_ marker). It is created with mode 0700 if missing.
	Dir string
	// WorkDir holds claimed and failed jobs and the title-named copies. It
	// must be on the same file system as Dir and should not be shared with
	// the server. Default: Dir + ".work".
	WorkDir string

	// Action for every job. Default PDFView.
	Action Action
	// Viewer is the PDFView command; the PDF is appended as one argument.
	// Default ["xdg-open"]; if Viewer's program is not installed,
	// xdg-open is used instead (as python-x2go does).
	Viewer []string
	// SaveDir is where PDFSave stores PDFs; relative paths and "~/" are
	// taken from the home directory. Default "PDF" (~/PDF). Created with
	// mode 0700 if missing.
	SaveDir string
	// Printer is the CUPS queue for Print; "" means CUPS' default.
	Printer string
	// LP is the program Print runs, called as
	// LP [-d <Printer>] -t <title> <pdf>. Default "lp".
	LP string
	// PrintCommand is the PrintCmd command; the PDF is appended as one
	// argument. Default ["lpr"]. SplitCommand turns a configured string
	// into this form.
	PrintCommand []string
	// Env is the environment of the commands run (nil: this process's).
	Env []string

	// Interval is how often Run looks for jobs. Default 1 s.
	Interval time.Duration
	// CopyKeep is how long a title-named copy stays after its command
	// returned. Default 20 s.
	CopyKeep time.Duration
	// MaxJobs limits how many jobs run at once. Default 2.
	MaxJobs int

	// Dialog decides the action for each job when Action is Dialog (the
	// print dialog; python-x2go's HOOK_open_print_dialog). It may block
	// until the user answers; ctx ends when the watcher closes. An error
	// fails the job.
	Dialog func(ctx context.Context, job Job) (Decision, error)
	// OnDone is called after a job completed and its spool files were
	// removed.
	OnDone func(job Job, res Result)
	// OnError is called for every job that failed or is malformed (a
	// *JobError) and for problems reading the spool. The job's files are
	// kept (see Job.PDF and Watcher.Retry).
	OnError func(err error)
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Errors a caller may tell apart with errors.Is.
var (
	// ErrConfig: the Config is unusable.
	ErrConfig = errors.New("printing: invalid configuration")
	// ErrInvalidJob: a .ready file is malformed or its PDF is missing or
	// not a regular file.
	ErrInvalidJob = errors.New("printing: invalid print job")
	// ErrActionFailed: the print action for a job failed.
	ErrActionFailed = errors.New("printing: print action failed")
	// ErrNoDialog: the action is Dialog but Config.Dialog is nil, or the
	// dialog chose an action that cannot be run.
	ErrNoDialog = errors.New("printing: no usable print dialog decision")
	// ErrClosed: the Watcher was closed.
	ErrClosed = errors.New("printing: watcher closed")
)

// JobError reports a job that could not be completed. Its Job's files are
// kept in the work directory's "failed" folder.
type JobError struct {
	Job Job
	// Action that failed; ActionDefault if the job was malformed and no
	// action ran.
	Action Action
	// Err is the cause: an error matching ErrInvalidJob, a *CommandError,
	// a file system error, or the Dialog's error.
	Err error
}

func (e *JobError) Error() string {
	if e.Action == ActionDefault {
		return fmt.Sprintf("printing: job %q: %v", e.Job.ID, e.Err)
	}
	return fmt.Sprintf("printing: job %q (%s): %v", e.Job.ID, e.Action, e.Err)
}

func (e *JobError) Unwrap() error { return e.Err }

// Is makes every JobError for which an action ran match ErrActionFailed.
func (e *JobError) Is(target error) bool {
	return target == ErrActionFailed && e.Action != ActionDefault
}

// CommandError reports a viewer, lp or print command that could not be
// started or exited unsuccessfully.
type CommandError = spoolfs.CommandError

// SplitCommand splits a command line into words without any expansion
// (quotes and backslashes as in a POSIX shell), for Config.Viewer and
// Config.PrintCommand. The words are run without a shell.
func SplitCommand(s string) ([]string, error) { return spoolfs.SplitCommand(s) }
