package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/pyhoca"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/term"
)

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
	stopControl := serveControl(ctx, r.s) // x2go share/unshare reach the session through it
	defer stopControl()
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
type pyhocaNarrator struct {
	log, libLog *pyhoca.Logger
	sharing     bool // the session shows a shared desktop (-D)
}

func (n pyhocaNarrator) attending(s *x2go.Session, terminate bool) {
	n.libLog.Notice("x2gosession-pylib", fmt.Sprintf("Using session %s as master session for profile %s.", s.Name(), s.ProfileName()))
	switch {
	case n.sharing:
		n.log.Notice("PyHocaCLI", "Press CTRL+C to end desktop sharing for this session...")
	case terminate:
		n.log.Notice("PyHocaCLI", "Press CTRL+C to terminate the running session...")
	default:
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

// progress shows how a start or resume goes: on a terminal a bar that
// is redrawn in place and wiped when done, elsewhere (a log, a pipe) a
// plain line per stage. Nothing with --quiet.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
	stage string
	last  int
}

// step announces a stage ("connecting to ...", "starting xterm").
func (p *progress) step(stage string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	p.stage = stage
	if p.tty {
		p.draw()
		return
	}
	fmt.Fprintf(p.w, "x2go: %s\n", stage)
}

// Progress is the library's progress hook: 0..100, -1 on failure.
func (p *progress) Progress(_ *x2go.Session, percent int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet || !p.tty {
		return
	}
	if percent < 0 {
		p.wipe()
		return
	}
	p.last = percent
	p.draw()
}

func (p *progress) draw() {
	const width = 24
	n := p.last * width / 100
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %3d%% %s", strings.Repeat("#", n), strings.Repeat(" ", width-n), p.last, p.stage)
}

func (p *progress) wipe() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// note prints a line of its own (a warning) above the bar.
func (p *progress) note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	p.wipe()
	fmt.Fprintf(p.w, "x2go: %s\n", line)
	if p.tty && p.stage != "" {
		p.draw()
	}
}

// done wipes the bar, before the lines that follow it.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.quiet {
		p.wipe()
	}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// sessionFlags are the session parameters of x2go start and resume.
type sessionFlags struct {
	p                    x2go.Params
	sound                string
	terminateOnInterrupt bool
}

func (sf *sessionFlags) register(fs *pflag.FlagSet, start bool) {
	if start {
		fs.StringVarP(&sf.p.Command, "command", "c", protocol.DefaultCommand, "what to run: a program, a desktop (KDE, XFCE, ...), TERMINAL, WWWBROWSER, PUBLISHED, ...")
		fs.StringVarP(&sf.p.SessionType, "type", "t", "application", "session type: application (its own windows), desktop (one window) or published")
	}
	fs.StringVarP(&sf.p.Geometry, "geometry", "g", protocol.DefaultGeometry, "window size WIDTHxHEIGHT, fullscreen or maximize")
	fs.StringVar(&sf.p.Link, "link", protocol.DefaultLink, "network speed the compression is tuned to: modem, isdn, adsl, wan, lan")
	fs.StringVar(&sf.p.Pack, "pack", protocol.DefaultPack, "NX image compression method")
	fs.StringVar(&sf.p.KbLayout, "kbd-layout", protocol.DefaultKbLayout, "keyboard layout, e.g. us or de (null: none)")
	fs.StringVar(&sf.p.KbType, "kbd-type", protocol.DefaultKbType, "keyboard model, e.g. pc105/us (auto: this computer's)")
	fs.StringVar(&sf.p.Clipboard, "clipboard", protocol.DefaultClipboard, "clipboard sharing: both, server, client or none")
	fs.IntVar(&sf.p.DPI, "dpi", 0, "screen resolution of the session in dots per inch (default: the server's)")
	fs.BoolVarP(&sf.p.Xinerama, "xinerama", "x", false, "let the session span several monitors")
	fs.StringVar(&sf.sound, "sound", "auto", "the session's sound: pulse (played here through PulseAudio), none, or auto: pulse if PulseAudio runs here")
	fs.BoolVar(&sf.terminateOnInterrupt, "terminate-on-interrupt", false, "Ctrl-C, SIGTERM and SIGHUP terminate the session instead of suspending it")
	fs.BoolVar(&sf.terminateOnInterrupt, "terminate-on-ctrl-c", false, "same as --terminate-on-interrupt")
	fs.MarkHidden("terminate-on-ctrl-c")
}

const attendHelp = `x2go stays with the session until it ends and prints its name on standard
output. Ctrl-C, SIGTERM and SIGHUP suspend the session (terminate it with
--terminate-on-interrupt); so does suspending or terminating it elsewhere.`

// soundSystem resolves --sound: auto is pulse when a PulseAudio runs
// here (the way X2Go Client and pyhoca-cli default to sound on), else
// none, so that a computer without sound gets no warning about it.
func (sf *sessionFlags) soundSystem() (string, error) {
	switch sf.sound {
	case "auto":
		if x2go.LocalPulseAudio(sf.p.Env) {
			return "pulse", nil
		}
		return "none", nil
	case "pulse", "none":
		return sf.sound, nil
	}
	return "", usageErrorf("--sound: want pulse, none or auto, not %q", sf.sound)
}

// sessionCmd is start or resume: connect, bring the session up, attend
// it until it ends.
func sessionCmd(e *env, g *globalFlags, c *cobra.Command, start bool,
	do func(ctx context.Context, s *x2go.Session, p *progress, args []string) error) *cobra.Command {
	var cf connFlags
	var sf sessionFlags
	var shf sharingFlags
	var asJSON bool
	cf.register(c.Flags())
	sf.register(c.Flags(), start)
	shf.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, `print {"name": ..., "server": ..., "display": ...} on standard output once the session runs`)
	c.RunE = func(cmd *cobra.Command, a []string) error {
		ctx := cmd.Context()
		conn, err := cf.options(e, g, a[0])
		if err != nil {
			return err
		}
		if sf.p.Geometry == "maximize" {
			sf.p.Geometry = maximizeGeometry()
		}
		sf.p.Env = childEnviron()
		if sf.p.SoundSystem, err = sf.soundSystem(); err != nil {
			return err
		}
		conn.opts.Params = sf.p
		if err := shf.apply(&conn.opts); err != nil {
			return err
		}
		prog := &progress{w: e.stderr, tty: isTerminal(e.stderr), quiet: g.quiet}
		conn.opts.Hooks.Progress = prog.Progress
		conn.opts.Hooks.SoundTunnelFailed = func(_ *x2go.Session, err error) {
			prog.note("no sound: " + strings.TrimPrefix(err.Error(), "x2go: "))
		}
		prog.step(fmt.Sprintf("connecting to %s@%s", conn.opts.Username, a[0][strings.LastIndex(a[0], "@")+1:]))
		s, err := conn.connect(ctx)
		if err != nil {
			prog.done()
			return failed(err, &conn.opts)
		}
		defer s.Disconnect()
		if err := do(ctx, s, prog, a[1:]); err != nil {
			prog.done()
			return failed(err, &conn.opts)
		}
		prog.done()
		if asJSON {
			info, _ := s.SessionInfoByName(ctx, s.Name())
			writeJSON(e.stdout, map[string]any{"name": s.Name(), "server": s.ServerHostname(), "display": info.Display})
		} else {
			fmt.Fprintln(e.stdout, s.Name())
		}
		r := &runner{s: s, say: plainNarrator{w: e.stderr, quiet: g.quiet}, terminateOnInterrupt: sf.terminateOnInterrupt}
		if code := r.attend(ctx); code != 0 {
			return &exitStatus{code}
		}
		return nil
	}
	return c
}

func startCmd(e *env, g *globalFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "start [user@]host[:port]",
		Short: "Start a new session and show it here",
		Long:  "Start a new X2Go session on the server and show it on this computer's display.\n\n" + attendHelp,
		Example: `  x2go start -c xterm alice@server.example.com
  x2go start -t desktop -c XFCE -g fullscreen alice@server.example.com
  x2go start --terminate-on-interrupt -c firefox alice@server.example.com`,
		Args:              args(1, 1),
		ValidArgsFunction: completeTarget,
	}
	return sessionCmd(e, g, c, true, func(ctx context.Context, s *x2go.Session, p *progress, _ []string) error {
		p.step("starting " + s.Options().Params.Command)
		return s.Start(ctx)
	})
}

func resumeCmd(e *env, g *globalFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "resume [user@]host[:port] NAME|NEWEST|OLDEST",
		Short: "Resume a session and show it here",
		Long: `Resume the session NAME, or your NEWEST or OLDEST one, and show it on this
computer's display; a session another client shows is taken over.

` + attendHelp,
		Example:           "  x2go resume alice@server.example.com NEWEST\n  x2go resume alice@server.example.com alice-51-1795627586_stRxterm_dp24",
		Args:              args(2, 2),
		ValidArgsFunction: completeTargetThenSessions(e, "NEWEST", "OLDEST"),
	}
	return sessionCmd(e, g, c, false, func(ctx context.Context, s *x2go.Session, p *progress, a []string) error {
		name, err := pickSession(ctx, s, a[0])
		if err != nil {
			return err
		}
		p.step("resuming " + name)
		return s.Resume(ctx, name)
	})
}

// flagsOf reads the connection flags back from a command's parsed flags.
func flagsOf(cmd *cobra.Command) connFlags {
	var cf connFlags
	fs := cmd.Flags()
	cf.port, _ = fs.GetInt("port")
	cf.user, _ = fs.GetString("user")
	cf.keys, _ = fs.GetStringArray("identity")
	cf.knownHosts, _ = fs.GetStringArray("known-hosts")
	cf.jump, _ = fs.GetString("jump")
	cf.timeout, _ = fs.GetDuration("timeout")
	return cf
}
