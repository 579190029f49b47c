// Package remote runs x2goserver's scripts over an SSH command runner and
// turns their answers into values and typed errors. The control session
// (every query on a server) and the terminal session (one session's
// lifecycle) both build on it, so a session list is fetched, parsed and
// checked one way only.
package remote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

var (
	// ErrNoSuchSession: no session of that name is listed on the server.
	ErrNoSuchSession = errors.New("x2go: no such session")
	// ErrNotSuspended: the server kept running a session it was asked to
	// suspend.
	ErrNotSuspended = errors.New("x2go: the server did not suspend the session")
)

// Runner runs a shell command line on the server. *sshconn.Conn is one.
type Runner interface {
	Run(ctx context.Context, cmd string) (*sshconn.Result, error)
}

// Output runs cmd and returns its stdout; a non-zero exit status is a
// *protocol.ServerError naming the script and carrying its stderr.
func Output(ctx context.Context, r Runner, cmd string) (string, error) {
	res, err := r.Run(ctx, cmd)
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	if res.Status != 0 {
		return res.Stdout, &protocol.ServerError{Command: scriptName(cmd), Status: res.Status, Stderr: strings.TrimSpace(res.Stderr)}
	}
	return res.Stdout, nil
}

// scriptName names the x2goserver script a command line runs, for error
// messages: its first x2go* word (the builders put helpers such as setsid
// or export in front), else its first word.
func scriptName(cmd string) string {
	f := strings.Fields(cmd)
	for _, w := range f {
		if strings.HasPrefix(w, "x2go") {
			return w
		}
	}
	if len(f) > 0 {
		return f[0]
	}
	return cmd
}

// ListSessions returns the user's running and suspended sessions,
// desktop-sharing (shadow) sessions included, in the server's order. A
// line of the listing that cannot be parsed is logged (cookie redacted)
// and skipped; the other sessions are still returned.
func ListSessions(ctx context.Context, r Runner, log *slog.Logger) ([]protocol.SessionInfo, error) {
	// The two listings are independent Perl scripts of about 0.3 s each:
	// run them on two channels at once. The server skips the shadow list
	// itself when its script is not installed.
	var (
		wg        sync.WaitGroup
		shadowOut string
		shadowErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		shadowOut, shadowErr = Output(ctx, r, protocol.ListShadowSessionsCmd())
	}()
	out, err := Output(ctx, r, protocol.ListSessionsCmd(false))
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if shadowErr != nil {
		return nil, shadowErr
	}
	list, skipped := protocol.ParseSessionList(out + shadowOut)
	for _, pe := range skipped {
		log.Warn("skipping a session list line the client cannot read", "err", pe)
	}
	return list, nil
}

// Find returns the listed session called name, or an error matching
// ErrNoSuchSession.
func Find(ctx context.Context, r Runner, log *slog.Logger, name string) (protocol.SessionInfo, error) {
	list, err := ListSessions(ctx, r, log)
	if err != nil {
		return protocol.SessionInfo{}, err
	}
	for _, si := range list {
		if si.Name == name {
			return si, nil
		}
	}
	return protocol.SessionInfo{}, fmt.Errorf("%w: %s", ErrNoSuchSession, name)
}

// Status returns the server's status letter for session name:
// protocol.StatusRunning or protocol.StatusSuspended, or "" when the
// server does not list it (terminated, or never there).
func Status(ctx context.Context, r Runner, log *slog.Logger, name string) (string, error) {
	si, err := Find(ctx, r, log, name)
	if errors.Is(err, ErrNoSuchSession) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if si.Status == protocol.StatusFinished {
		return "", nil
	}
	return si.Status, nil
}

// Terminate runs x2goterminate-session for session name.
func Terminate(ctx context.Context, r Runner, name string) error {
	cmd, err := protocol.TerminateCmd(name)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	return end(ctx, r, cmd)
}

// end runs a suspend or terminate script. Both scripts report some
// failures on stderr with status 0, so an "ERROR:" line counts too.
func end(ctx context.Context, r Runner, cmd string) error {
	res, err := r.Run(ctx, cmd)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	if res.Status != 0 || strings.Contains(res.Stderr, "ERROR:") {
		return &protocol.ServerError{Command: scriptName(cmd), Status: res.Status, Stderr: strings.TrimSpace(res.Stderr)}
	}
	return nil
}

// suspendAttempts and suspendPause bound how long Suspend insists.
const (
	suspendAttempts = 20
	suspendPause    = 500 * time.Millisecond
)

// Suspend suspends session name and returns once the server lists it as
// suspended. knownRunning skips the first look when the caller knows the
// session runs.
//
// x2gosuspend-session on a session that is not running fails and marks
// it finished, which destroys a suspended session (python-x2go does not
// guard against this): a session the server lists as suspended is left
// alone, one it does not list is ErrNoSuchSession.
//
// The script also signals the agent only when the agent's state file
// says STARTING, RESUMING or RUNNING. Right after x2goresume-session the
// file may still say SUSPENDED; the script then does nothing and exits 0
// while the session runs on (seen on the lab with a suspend sent as soon
// as a resume returned). So Suspend looks again and repeats the request
// until the server lists the session suspended, and gives up with
// ErrNotSuspended.
func Suspend(ctx context.Context, r Runner, log *slog.Logger, name string, knownRunning bool) error {
	cmd, err := protocol.SuspendCmd(name)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	if !knownRunning {
		st, err := Status(ctx, r, log, name)
		if err != nil {
			return err
		}
		switch st {
		case protocol.StatusSuspended:
			return nil
		case "":
			return fmt.Errorf("%w: %s", ErrNoSuchSession, name)
		}
	}
	for i := 1; ; i++ {
		if err := end(ctx, r, cmd); err != nil {
			return err
		}
		st, err := Status(ctx, r, log, name)
		if err != nil || st != protocol.StatusRunning {
			return err
		}
		if i == suspendAttempts {
			return fmt.Errorf("%w: %s is still running after %d suspend requests", ErrNotSuspended, name, suspendAttempts)
		}
		select {
		case <-time.After(suspendPause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
