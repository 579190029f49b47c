package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/pyhoca"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/term"
)

func init() {
	lifecycleCommands["start"] = cmdStart
	lifecycleCommands["resume"] = cmdResume
	lifecycleCommands["suspend"] = func(ctx context.Context, e *env, args []string) int {
		return cmdEnd(ctx, e, "suspend", args)
	}
	lifecycleCommands["terminate"] = func(ctx context.Context, e *env, args []string) int {
		return cmdEnd(ctx, e, "terminate", args)
	}
}

func runOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}

// runner keeps a started or resumed session company until it ends: it
// returns when the session was suspended or terminated (here, by Ctrl-C,
// or elsewhere) and says what happened through its narrator.
type runner struct {
	s                    *x2go.Session
	say                  narrator
	terminateOnInterrupt bool
}

// narrator tells the user what happens to an attended session: the
// pyhoca-cli front end in pyhoca-cli's log lines, the x2go subcommands in
// their own short lines.
type narrator interface {
	attending(s *x2go.Session, terminateOnInterrupt bool)
	// ended: the session was suspended, terminated or moved (taken over
	// elsewhere, or the link lost); here tells whether this process did it.
	ended(name, how string, here bool)
	failed(name, what string)
}

func (r *runner) attend(ctx context.Context) int {
	name := r.s.Name()
	r.say.attending(r.s, r.terminateOnInterrupt)
	st, err := r.s.Wait(ctx)
	if err != nil { // interrupted: suspend or terminate, as asked
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		how := "suspended"
		if r.terminateOnInterrupt {
			how = "terminated"
			err = r.s.Terminate(ectx)
		} else {
			err = r.s.Suspend(ectx)
		}
		if err != nil {
			r.say.failed(name, fmt.Sprintf("could not be %s: %v", how, err))
			return 1
		}
		r.say.ended(name, how, true)
		return 0
	}
	switch st {
	case x2go.StatusSuspended:
		r.say.ended(name, "suspended", false)
		return 0
	case x2go.StatusTerminated:
		r.say.ended(name, "terminated", false)
		return 0
	case x2go.StatusUnknown:
		// The control connection died: resuming the session on another
		// client makes the server kill this client's sshd.
		r.say.ended(name, "moved", false)
		return 0
	default:
		r.say.failed(name, fmt.Sprintf("failed: the connection to its graphics broke (session status: %s); see %s", st, r.s.LocalSessionDir()))
		return 1
	}
}

// pyhocaNarrator speaks pyhoca-cli's log lines, for the front ends that
// read them.
type pyhocaNarrator struct{ log, libLog *pyhoca.Logger }

func (n pyhocaNarrator) attending(s *x2go.Session, terminate bool) {
	n.libLog.Notice("x2gosession-pylib", fmt.Sprintf("Using session %s as master session for profile %s.", s.Name(), s.ProfileName()))
	if terminate {
		n.log.Notice("PyHocaCLI", "Press CTRL+C to terminate the running session...")
	} else {
		n.log.Notice("PyHocaCLI", "Press CTRL+C to suspend the running session...")
	}
}

func (n pyhocaNarrator) ended(name, how string, here bool) {
	switch {
	case how == "moved":
		n.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been moved to a different screen or its connection was lost", name))
	case how == "terminated" && !here:
		n.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has terminated", name))
	default:
		n.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been %s", name, how))
	}
}

func (n pyhocaNarrator) failed(name, what string) {
	n.log.Error("PyHocaCLI", fmt.Sprintf("X2Go session %s %s", name, what))
}

// plainNarrator is the x2go subcommands' voice: one short line per event
// on stderr, nothing with --quiet.
type plainNarrator struct {
	w     io.Writer
	quiet bool
}

func (n plainNarrator) attending(s *x2go.Session, terminate bool) {
	if n.quiet {
		return
	}
	verb := "suspend"
	if terminate {
		verb = "terminate"
	}
	fmt.Fprintf(n.w, "x2go: %s is running; Ctrl-C will %s it\n", s.Name(), verb)
}

func (n plainNarrator) ended(name, how string, here bool) {
	if n.quiet {
		return
	}
	if how == "moved" {
		fmt.Fprintf(n.w, "x2go: %s was taken over by another client, or the connection to the server was lost\n", name)
		return
	}
	where := ""
	if !here {
		where = " elsewhere"
	}
	fmt.Fprintf(n.w, "x2go: %s %s%s\n", name, how, where)
}

func (n plainNarrator) failed(name, what string) {
	fmt.Fprintf(n.w, "x2go: %s %s\n", name, what)
}

// progressHooks draws start/resume progress on a terminal.
type progressHooks struct {
	mu  sync.Mutex
	e   *env
	tty bool
}

func (h *progressHooks) Progress(_ *x2go.Session, p int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.tty {
		return
	}
	if p < 0 {
		fmt.Fprint(h.e.stderr, "\r\033[K")
		return
	}
	const width = 30
	n := p * width / 100
	fmt.Fprintf(h.e.stderr, "\r[%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(" ", width-n), p)
	if p == 100 {
		fmt.Fprintln(h.e.stderr)
	}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// sessionFlags are the session parameters of x2go start and resume.
type sessionFlags struct {
	p                    x2go.Params
	terminateOnInterrupt bool
	quiet                bool
}

func (sf *sessionFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.p.Command, "c", protocol.DefaultCommand, "session command")
	fs.StringVar(&sf.p.SessionType, "t", "application", "session type: application, desktop or published")
	fs.StringVar(&sf.p.Geometry, "g", protocol.DefaultGeometry, "geometry WxH, fullscreen or maximize")
	fs.StringVar(&sf.p.Link, "q", protocol.DefaultLink, "link quality: modem, isdn, adsl, wan, lan")
	fs.StringVar(&sf.p.Pack, "pack", protocol.DefaultPack, "NX pack method")
	fs.StringVar(&sf.p.KbLayout, "kbd-layout", protocol.DefaultKbLayout, "keyboard layout")
	fs.StringVar(&sf.p.KbType, "kbd-type", protocol.DefaultKbType, "keyboard type")
	fs.StringVar(&sf.p.Clipboard, "clipboard", protocol.DefaultClipboard, "clipboard mode: both, server, client, none")
	fs.BoolVar(&sf.p.Xinerama, "x", false, "enable Xinerama")
	fs.BoolVar(&sf.terminateOnInterrupt, "terminate-on-interrupt", false, "Ctrl-C terminates instead of suspending")
	fs.BoolVar(&sf.quiet, "quiet", false, "no progress and no log lines")
}

// sessionCommand connects and runs start or resume, then attends the
// session until it ends.
func sessionCommand(ctx context.Context, e *env, name string, args []string, nPos int,
	do func(ctx context.Context, s *x2go.Session, pos []string) error) int {
	fs := flag.NewFlagSet("x2go "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var c connFlags
	c.register(fs)
	var sf sessionFlags
	sf.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) != 1+nPos {
		fmt.Fprintf(e.stderr, "x2go %s: wrong number of arguments\n", name)
		return 2
	}
	opts, err := c.options(e, pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "x2go %s: %v\n", name, err)
		return 2
	}
	if sf.p.Geometry == "maximize" {
		sf.p.Geometry = maximizeGeometry()
	}
	opts.Params = sf.p
	hooks := &progressHooks{e: e, tty: isTerminal(e.stderr) && !sf.quiet}
	opts.Hooks.Progress = hooks.Progress
	s, err := x2go.NewSession(opts)
	if err == nil {
		err = s.Connect(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "x2go %s: %v\n", name, err)
		return exitCode(err)
	}
	defer s.Disconnect()
	if err := do(ctx, s, pos[1:]); err != nil {
		hooks.Progress(s, -1)
		fmt.Fprintf(e.stderr, "x2go %s: %v\n", name, err)
		if errors.Is(err, x2go.ErrNoSuchCommand) {
			return 255
		}
		return exitCode(err)
	}
	r := &runner{s: s, say: plainNarrator{w: e.stderr, quiet: sf.quiet}, terminateOnInterrupt: sf.terminateOnInterrupt}
	fmt.Fprintln(e.stdout, s.Name())
	return r.attend(ctx)
}

func cmdStart(ctx context.Context, e *env, args []string) int {
	return sessionCommand(ctx, e, "start", args, 0, func(ctx context.Context, s *x2go.Session, _ []string) error {
		return s.Start(ctx)
	})
}

func cmdResume(ctx context.Context, e *env, args []string) int {
	return sessionCommand(ctx, e, "resume", args, 1, func(ctx context.Context, s *x2go.Session, pos []string) error {
		name, err := pickSession(ctx, s, pos[0])
		if err != nil {
			return err
		}
		return s.Resume(ctx, name)
	})
}

// cmdEnd is x2go suspend|terminate host NAME|ALL.
func cmdEnd(ctx context.Context, e *env, verb string, args []string) int {
	return queryCommand(ctx, e, verb, args, 1, 1, nil, func(ctx context.Context, s *x2go.Session, pos []string, asJSON bool) error {
		list, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		var names []string
		for _, si := range list {
			if pos[0] == "ALL" || si.Name == pos[0] {
				names = append(names, si.Name)
			}
		}
		if len(names) == 0 && pos[0] != "ALL" {
			return fmt.Errorf("%w: %s", x2go.ErrNoSuchSession, pos[0])
		}
		for _, n := range names {
			if verb == "terminate" {
				err = s.TerminateSession(ctx, n)
			} else {
				err = s.SuspendSession(ctx, n)
			}
			if err != nil {
				return err
			}
		}
		if asJSON {
			if names == nil {
				names = []string{}
			}
			key := map[string]string{"suspend": "suspended", "terminate": "terminated"}[verb]
			return writeJSON(e.stdout, map[string][]string{key: names})
		}
		for _, n := range names {
			fmt.Fprintln(e.stdout, n)
		}
		return nil
	})
}
