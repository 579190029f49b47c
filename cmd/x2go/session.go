package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/pyhoca"
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
// or elsewhere) and logs what happened in pyhoca-cli's words.
type runner struct {
	e                    *env
	s                    *x2go.Session
	log, libLog          *pyhoca.Logger
	terminateOnInterrupt bool
}

func (r *runner) attend(ctx context.Context) int {
	name := r.s.Name()
	r.libLog.Notice("x2gosession-pylib", fmt.Sprintf("Using session %s as master session for profile %s.", name, r.s.ProfileName()))
	if r.terminateOnInterrupt {
		r.log.Notice("PyHocaCLI", "Press CTRL+C to terminate the running session...")
	} else {
		r.log.Notice("PyHocaCLI", "Press CTRL+C to suspend the running session...")
	}
	st, err := r.s.Wait(ctx)
	if err != nil { // interrupted: suspend or terminate, as asked
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		verb := "suspended"
		if r.terminateOnInterrupt {
			verb = "terminated"
			err = r.s.Terminate(ectx)
		} else {
			err = r.s.Suspend(ectx)
		}
		if err != nil {
			r.log.Error("PyHocaCLI", fmt.Sprintf("X2Go session %s could not be %s: %v", name, verb, err))
			return 1
		}
		r.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been %s", name, verb))
		return 0
	}
	switch st {
	case x2go.StatusSuspended:
		r.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been suspended", name))
		return 0
	case x2go.StatusTerminated:
		r.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has terminated", name))
		return 0
	case x2go.StatusUnknown:
		// The control connection died: resuming the session on another
		// client makes the server kill this client's sshd.
		r.log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been moved to a different screen or its connection was lost", name))
		return 0
	default:
		r.log.Error("PyHocaCLI", fmt.Sprintf("X2Go session %s: the connection to the session's graphics failed (session status: %s); see %s", name, st, r.s.LocalSessionDir()))
		return 1
	}
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
	fs.StringVar(&sf.p.Command, "c", "TERMINAL", "session command")
	fs.StringVar(&sf.p.SessionType, "t", "application", "session type: application, desktop or published")
	fs.StringVar(&sf.p.Geometry, "g", "800x600", "geometry WxH, fullscreen or maximize")
	fs.StringVar(&sf.p.Link, "q", "adsl", "link quality: modem, isdn, adsl, wan, lan")
	fs.StringVar(&sf.p.Pack, "pack", "16m-jpeg-9", "NX pack method")
	fs.StringVar(&sf.p.KbLayout, "kbd-layout", "null", "keyboard layout")
	fs.StringVar(&sf.p.KbType, "kbd-type", "auto", "keyboard type")
	fs.StringVar(&sf.p.Clipboard, "clipboard", "both", "clipboard mode: both, server, client, none")
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
	level := pyhoca.LevelNotice
	if sf.quiet {
		level = pyhoca.LevelQuiet
	}
	log := pyhoca.NewLogger(e.stderr, "x2go", os.Getpid(), level)
	r := &runner{e: e, s: s, log: log, libLog: log, terminateOnInterrupt: sf.terminateOnInterrupt}
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
