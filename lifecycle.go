package x2go

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/internal/tunnel"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// Errors of the session lifecycle.
var (
	// ErrNoSuchCommand: the server cannot run the session command.
	ErrNoSuchCommand = errors.New("x2go: the server does not know the session command")
	// ErrSessionLimit: the server's per-user session limit is reached.
	ErrSessionLimit = protocol.ErrSessionLimit
	// ErrAccessDenied: the owner refused desktop sharing.
	ErrAccessDenied = protocol.ErrAccessDenied
	// ErrTunnel: the graphics port forward could not be opened.
	ErrTunnel = tunnel.ErrDialFailed
	// ErrProxyExited: nxproxy ended (see *nxproxy.ExitError in the chain).
	ErrProxyExited = nxproxy.ErrExited
	// ErrNoActiveSession: the operation needs a session this Session drives.
	ErrNoActiveSession = errors.New("x2go: no X2Go session is associated with this Session")
	// ErrSessionNotReady: the server lists the session, but
	// x2gostartagent is still setting it up (no agent yet).
	ErrSessionNotReady = errors.New("x2go: the session is still being started on the server")
	// ErrNotSuspended: the server kept running a session it was asked to
	// suspend.
	ErrNotSuspended = errors.New("x2go: the server did not suspend the session")
	// ErrSessionActive: this Session already drives a running session.
	ErrSessionActive = errors.New("x2go: this Session already drives a running session")
)

// termState is the X2Go session this client drives: its name, status,
// progress and graphics path. Fields are guarded by mu; op serialises the
// lifecycle operations (python-x2go's session lock).
type termState struct {
	op       sync.Mutex
	mu       sync.Mutex
	name     string
	status   Status
	progress int
	gfx      *graphics
}

// graphics is the local half of a running session: the port forward to
// the agent and nxproxy, plus the goroutine that watches them.
type graphics struct {
	fwd      *tunnel.Forward
	proxy    *nxproxy.Proxy
	stopping atomic.Bool
	ended    chan struct{} // closed by the watcher when the graphics ended
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (s *Session) initTerm() { s.term.status = StatusVirgin }

// Name returns the name of the session this Session drives ("" if none).
func (s *Session) Name() string {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	return s.term.name
}

// Status returns the last known status of the session this Session drives.
func (s *Session) Status() Status {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	return s.term.status
}

// Progress returns the progress of the running start or resume (0..100,
// -1 after a failure).
func (s *Session) Progress() int {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	return s.term.progress
}

// Title returns the session window's title: X2GO-<session name>, the name
// the server gives the agent's window.
func (s *Session) Title() string { return "X2GO-" + s.Name() }

// LocalSessionDir returns the local session directory (<root>/S-<name>)
// that holds nxproxy's logs.
func (s *Session) LocalSessionDir() string {
	return nxproxy.SessionDir(s.sessionsRoot(), s.Name())
}

func (s *Session) sessionsRoot() string {
	if r := s.opts.Params.SessionsRoot; r != "" {
		return r
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".x2go")
}

func (s *Session) setProgress(p int) {
	s.term.mu.Lock()
	s.term.progress = p
	s.term.mu.Unlock()
	s.hooks.Progress(s, p)
}

// setStatus records a new status and reports a change through the hook.
func (s *Session) setStatus(to Status, byMe bool) {
	s.term.mu.Lock()
	from, name := s.term.status, s.term.name
	s.term.status = to
	s.term.mu.Unlock()
	if from != to {
		s.hooks.StatusChanged(s, StatusChange{Name: name, From: from, To: to, ByMe: byMe})
	}
}

// fail ends a start or resume: progress -1, the startup-failed hook, err.
func (s *Session) fail(err error) error {
	s.setProgress(-1)
	s.hooks.SessionStartupFailed(s, err)
	return err
}

// Start starts a new X2Go session with Options.Params and brings its
// graphics up on the local display. It returns once the session runs;
// use Wait to learn when it ends.
func (s *Session) Start(ctx context.Context) error {
	s.term.op.Lock()
	defer s.term.op.Unlock()
	if err := s.checkIdle(); err != nil {
		return err
	}
	conn, err := s.connection()
	if err != nil {
		return err
	}
	p := s.opts.Params.withDefaults()
	s.setProgress(1)
	published := strings.EqualFold(p.SessionType, "published") || strings.EqualFold(p.SessionType, "P") || p.Command == "PUBLISHED"
	sessType := protocol.SessionTypeFor(p.Command, p.SessionType, published, p.Geometry, false)
	command := p.Command
	if sessType == protocol.TypePublished {
		command = "PUBLISHED"
		if err := s.requireFeature(ctx, "X2GO_PUBLISHED_APPLICATIONS"); err != nil {
			return s.fail(err)
		}
	}
	if err := s.probeCommand(ctx, command); err != nil {
		return s.fail(err)
	}
	s.setProgress(10)

	cmd, err := protocol.StartAgentCmd(protocol.StartParams{
		Geometry: p.Geometry, Link: p.Link, Pack: p.Pack, CacheType: p.CacheType, Depth: p.Depth,
		KbLayout: p.KbLayout, KbType: p.KbType, SessionType: sessType, Command: command,
		Clipboard: p.Clipboard, Xinerama: p.Xinerama, DPI: p.DPI, XDMCPServer: p.XDMCPServer,
	})
	if err != nil {
		return s.fail(fmt.Errorf("x2go: %w", err))
	}
	res, err := conn.Run(ctx, cmd)
	if err != nil {
		return s.fail(fmt.Errorf("x2go: starting session: %w", err))
	}
	if err := protocol.StartError(res.Stderr, res.Status); err != nil {
		return s.fail(fmt.Errorf("x2go: x2gostartagent: %w", err))
	}
	agent, err := protocol.ParseStartAgent(res.Stdout)
	if err != nil {
		return s.fail(fmt.Errorf("x2go: x2gostartagent: %w", err))
	}
	s.term.mu.Lock()
	s.term.name = agent.Name
	s.term.mu.Unlock()
	s.setStatus(StatusStarting, true)
	s.setProgress(25)

	if err := s.startGraphics(ctx, conn, agent.Name, agent.Cookie, agent.Display, agent.GraphicsPort); err != nil {
		return s.fail(err)
	}
	s.setProgress(70)

	if needsRunCommand(command) {
		rc, err := protocol.RunCommandCmd(protocol.RunParams{
			Display: agent.Display, AgentPID: agent.AgentPID, Name: agent.Name, SoundPort: agent.SoundPort,
			Command: command, SoundSystem: p.SoundSystem, SessionType: sessType,
		})
		if err == nil {
			_, err = s.run(ctx, rc)
		}
		if err != nil {
			s.stopGraphics(ctx)
			return s.fail(fmt.Errorf("x2go: x2goruncommand: %w", err))
		}
	}
	s.setProgress(90)
	s.setStatus(StatusRunning, true)
	s.setProgress(100)
	s.log.Debug("session started", "name", agent.Name)
	return nil
}

// needsRunCommand: x2goruncommand is not sent for XDMCP and shadow sessions.
func needsRunCommand(command string) bool {
	return command != "XDMCP" && !strings.Contains(command, "XSHAD")
}

// probeCommand checks that the server can run command (python-x2go's
// has_command), calling the NoSuchCommand hook when it cannot.
func (s *Session) probeCommand(ctx context.Context, command string) error {
	probe, needed := protocol.CommandProbeCmd(command)
	if !needed {
		return nil
	}
	conn, err := s.connection()
	if err != nil {
		return err
	}
	res, err := conn.Run(ctx, probe)
	if err != nil {
		return fmt.Errorf("x2go: checking command: %w", err)
	}
	if !strings.Contains(res.Stdout, "OK") {
		s.hooks.NoSuchCommand(s, command)
		return fmt.Errorf("%w: %q", ErrNoSuchCommand, command)
	}
	return nil
}

func (s *Session) checkIdle() error {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	if s.term.gfx != nil && (s.term.status == StatusRunning || s.term.status == StatusStarting) {
		return fmt.Errorf("%w: %s", ErrSessionActive, s.term.name)
	}
	return nil
}

// Resume resumes the server session called name (suspended, or running
// elsewhere: the other client is then cut off) and shows it locally.
func (s *Session) Resume(ctx context.Context, name string) error {
	s.term.op.Lock()
	defer s.term.op.Unlock()
	if err := s.checkIdle(); err != nil {
		return err
	}
	conn, err := s.connection()
	if err != nil {
		return err
	}
	s.setProgress(1)
	info, err := s.SessionInfoByName(ctx, name)
	if err != nil {
		return s.fail(err)
	}
	if info.Creating() {
		return s.fail(fmt.Errorf("%w: %s", ErrSessionNotReady, name))
	}
	p := s.opts.Params.withDefaults()
	cmd, err := protocol.ResumeCmd(name, protocol.ResumeParams{
		Geometry: p.Geometry, Link: p.Link, Pack: p.Pack, KbLayout: p.KbLayout, KbType: p.KbType,
		Clipboard: p.Clipboard, Xinerama: p.Xinerama,
	})
	if err != nil {
		return s.fail(fmt.Errorf("x2go: %w", err))
	}
	s.setProgress(10)
	res, err := conn.Run(ctx, cmd)
	if err != nil {
		return s.fail(fmt.Errorf("x2go: resuming %s: %w", name, err))
	}
	if err := protocol.ResumeError(resumeStderr(res.Stderr), res.Status); err != nil {
		return s.fail(err)
	}
	ports, err := protocol.ParseResume(res.Stdout)
	if err != nil {
		return s.fail(fmt.Errorf("x2go: x2goresume-session: %w", err))
	}
	s.term.mu.Lock()
	s.term.name = name
	s.term.mu.Unlock()
	s.setStatus(StatusStarting, true)
	s.setProgress(25)
	if err := s.startGraphics(ctx, conn, name, info.Cookie, info.Display, ports.GraphicsPort); err != nil {
		return s.fail(err)
	}
	s.setStatus(StatusRunning, true)
	s.setProgress(100)
	s.log.Debug("session resumed", "name", name)
	return nil
}

// resumeStderr drops the harmless "Died at .../x2gormport" lines every
// resume prints (server-protocol.md §6.12).
func resumeStderr(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "x2gormport") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// startGraphics opens the local forward to the agent's graphics port,
// starts nxproxy on it and waits until nxproxy is connected.
func (s *Session) startGraphics(ctx context.Context, conn *sshconn.Conn, name, cookie string, display, gfxPort int) error {
	p := s.opts.Params.withDefaults()
	remote := net.JoinHostPort("127.0.0.1", strconv.Itoa(gfxPort))
	g := &graphics{ended: make(chan struct{}), stop: make(chan struct{})}
	var dialErr atomic.Value
	fwd, err := tunnel.Listen(ctx, tunnel.Config{
		Dialer:        conn,
		RemoteAddr:    remote,
		PreferredPort: tunnel.PreferredPortFor(gfxPort, s.serverIsLocal(conn)),
		OnDialFailed: func(err error) {
			dialErr.Store(err)
			s.hooks.ForwardingTunnelSetupFailed(s, "127.0.0.1", gfxPort, "NX Proxy", err)
		},
		Logger: s.log,
	})
	if err != nil {
		s.hooks.ForwardingTunnelSetupFailed(s, "127.0.0.1", gfxPort, "NX Proxy", err)
		return fmt.Errorf("x2go: graphics forward: %w", err)
	}
	env := p.Env
	if env == nil {
		env = os.Environ()
	}
	proxy, err := nxproxy.Start(ctx, nxproxy.Config{
		Binary: p.NXProxy, SessionName: name, Cookie: cookie, Display: display,
		LocalPort: fwd.Port(), SessionsRoot: s.sessionsRoot(), Env: env, Logger: s.log,
	})
	if err != nil {
		fwd.Close()
		return fmt.Errorf("x2go: starting nxproxy: %w", err)
	}
	g.fwd, g.proxy = fwd, proxy

	// nxproxy connects within a second; 30 s covers a slow link (python
	// waits 40 × 0.5 s).
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	active := make(chan error, 1)
	go func() { active <- fwd.WaitActive(wctx) }()
	select {
	case err = <-active:
	case <-proxy.Done():
		cancel()
		<-active
		err = proxy.Err()
	}
	if err != nil {
		proxy.Stop(context.Background())
		fwd.Close()
		s.setStatus(StatusFaulty, true)
		return fmt.Errorf("x2go: graphics for %s did not come up: %w", name, err)
	}
	s.term.mu.Lock()
	s.term.gfx = g
	s.term.mu.Unlock()
	g.wg.Add(1)
	go s.watchGraphics(g, name)
	return nil
}

// serverIsLocal: the SSH peer is this machine, so the local forward must
// not take the agent's own port number (tunnels-and-proxy.md §1.1).
func (s *Session) serverIsLocal(conn *sshconn.Conn) bool {
	if tcp, ok := conn.RemoteAddr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return true
	}
	return tunnel.IsLocalHost(s.opts.Server)
}

// watchGraphics waits for nxproxy to end. An end this client did not ask
// for is reported at once (status faulty, Hooks.ProxyExited); then the
// server is asked what became of the session: suspended or terminated
// elsewhere (or the agent suspending itself after losing its client) is a
// further status change, still running leaves it faulty.
func (s *Session) watchGraphics(g *graphics, name string) {
	defer g.wg.Done()
	defer close(g.ended)
	select {
	case <-g.stop:
		return
	case <-g.proxy.Done():
	}
	if g.stopping.Load() {
		return
	}
	proxyErr := g.proxy.Err()
	g.fwd.Close()
	s.log.Debug("nxproxy ended", "name", name, "err", proxyErr)
	if conn, err := s.connection(); err != nil || conn.Err() != nil {
		s.setStatus(StatusUnknown, false)
		return
	}
	s.setStatus(StatusFaulty, false)
	s.hooks.ProxyExited(s, fmt.Errorf("x2go: graphics of %s ended: %w", name, proxyErr))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { // let Suspend, Terminate or Disconnect cut the check short
		select {
		case <-g.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	// A suspend by another client, or the agent suspending itself, takes
	// the server a moment to record: look again for a few seconds.
	for attempt := 0; attempt < 4; attempt++ {
		st, err := s.serverStatus(ctx, name)
		if err != nil {
			if errors.Is(err, ErrConnectionLost) {
				s.setStatus(StatusUnknown, false)
			}
			return
		}
		if st != StatusRunning {
			if s.Status() == StatusFaulty {
				s.setStatus(st, false)
			}
			return
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// stopGraphics stops nxproxy and the forward of the session this Session
// drives, and waits for their goroutines. The local session directory
// stays (endOwn removes it after a terminate).
func (s *Session) stopGraphics(ctx context.Context) {
	s.term.mu.Lock()
	g := s.term.gfx
	s.term.gfx = nil
	s.term.mu.Unlock()
	if g == nil {
		return
	}
	g.stopping.Store(true)
	g.proxy.Stop(ctx)
	g.fwd.Close()
	close(g.stop)
	g.wg.Wait()
}

// stopTerm is called by Disconnect: like python-x2go, a session this
// Session drives is suspended before the connection closes.
func (s *Session) stopTerm(ctx context.Context) {
	s.term.mu.Lock()
	running := s.term.gfx != nil && s.term.status == StatusRunning
	s.term.mu.Unlock()
	if running {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := s.Suspend(ctx); err != nil {
			s.log.Warn("suspend on disconnect failed", "err", err)
		}
	}
	s.stopGraphics(ctx)
}

// connectionLost marks the status unknown after the control connection
// died; the graphics die with it and the watcher notices.
func (s *Session) connectionLost(error) {
	s.term.mu.Lock()
	virgin := s.term.status == StatusVirgin
	s.term.mu.Unlock()
	if !virgin {
		s.setStatus(StatusUnknown, false)
	}
}

// Wait blocks until the graphics of the session this Session drives have
// ended (suspended or terminated here or elsewhere, nxproxy died, the link
// dropped) and returns the status then known.
func (s *Session) Wait(ctx context.Context) (Status, error) {
	s.term.mu.Lock()
	g := s.term.gfx
	s.term.mu.Unlock()
	if g == nil {
		return s.Status(), nil
	}
	select {
	case <-g.ended:
		return s.Status(), nil
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	}
}

// GraphicsOK reports whether nxproxy runs and its forward is connected
// (python-x2go's session_ok).
func (s *Session) GraphicsOK() bool {
	s.term.mu.Lock()
	g := s.term.gfx
	s.term.mu.Unlock()
	if g == nil {
		return false
	}
	select {
	case <-g.proxy.Done():
		return false
	default:
		return g.fwd.Active()
	}
}

// NXProxyPID returns the process id of the session's nxproxy (0 if none).
func (s *Session) NXProxyPID() int {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	if s.term.gfx == nil {
		return 0
	}
	return s.term.gfx.proxy.PID()
}

// Suspend suspends the session this Session drives and stops its local
// graphics.
func (s *Session) Suspend(ctx context.Context) error {
	return s.endOwn(ctx, false)
}

// Terminate terminates the session this Session drives, stops its local
// graphics and removes its local session directory.
func (s *Session) Terminate(ctx context.Context) error {
	return s.endOwn(ctx, true)
}

func (s *Session) endOwn(ctx context.Context, terminate bool) error {
	s.term.op.Lock()
	defer s.term.op.Unlock()
	name := s.Name()
	if name == "" {
		return ErrNoActiveSession
	}
	s.term.mu.Lock()
	g := s.term.gfx
	s.term.mu.Unlock()
	if g != nil {
		select {
		case <-g.proxy.Done():
			// nxproxy died on its own and the agent is suspending itself:
			// let the watcher learn the server's view first, because
			// x2gosuspend-session on a SUSPENDING agent fails and marks the
			// session finished.
			select {
			case <-g.ended:
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			g.stopping.Store(true) // the server command will cut nxproxy off
		}
	}
	var err error
	if terminate {
		err = s.endByName(ctx, name, true)
	} else {
		err = s.suspendIfRunning(ctx, name, s.Status() != StatusRunning)
	}
	s.stopGraphics(ctx)
	if err != nil {
		return err
	}
	if terminate {
		// The local session directory goes with the session, whether or
		// not its graphics were up (it may have been suspended before).
		if sn, perr := protocol.ParseSessionName(name); perr == nil {
			if rerr := nxproxy.RemoveSessionDirs(s.sessionsRoot(), name, sn.Display); rerr != nil {
				s.log.Warn("removing the local session directory", "err", rerr)
			}
		}
		s.setStatus(StatusTerminated, true)
	} else {
		s.setStatus(StatusSuspended, true)
	}
	return nil
}

func (s *Session) endByName(ctx context.Context, name string, terminate bool) error {
	var cmd string
	var err error
	if terminate {
		cmd, err = protocol.TerminateCmd(name)
	} else {
		cmd, err = protocol.SuspendCmd(name)
	}
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	conn, err := s.connection()
	if err != nil {
		return err
	}
	res, err := conn.Run(ctx, cmd)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	if res.Status != 0 || strings.Contains(res.Stderr, "ERROR:") {
		return &ServerError{Command: strings.Fields(cmd)[0], Status: res.Status, Stderr: strings.TrimSpace(res.Stderr)}
	}
	return nil
}

// SuspendSession suspends the server session called name, whichever
// client shows it (python-x2go's suspend by name). A session that is
// already suspended is left alone.
func (s *Session) SuspendSession(ctx context.Context, name string) error {
	if name == s.Name() {
		return s.Suspend(ctx)
	}
	return s.suspendIfRunning(ctx, name, true)
}

// suspendIfRunning runs x2gosuspend-session only for a session the server
// lists as running: on any other session the script fails and marks it
// finished, i.e. it destroys a suspended session (python-x2go does not
// guard against this). check=false skips the look when this client knows
// the session runs.
func (s *Session) suspendIfRunning(ctx context.Context, name string, check bool) error {
	if check {
		st, err := s.serverStatus(ctx, name)
		if err != nil {
			return err
		}
		switch st {
		case StatusSuspended:
			return nil
		case StatusTerminated:
			return fmt.Errorf("%w: %s", ErrNoSuchSession, name)
		}
	}
	// x2gosuspend-session signals the agent only when its state file says
	// STARTING, RESUMING or RUNNING; right after x2goresume-session the file
	// may still say SUSPENDED, and the script then does nothing and exits 0
	// while the session runs on (seen on the lab with a suspend issued as
	// soon as a resume returned). So look, and try again until the server
	// lists the session suspended.
	const attempts = 20
	for i := 1; ; i++ {
		if err := s.endByName(ctx, name, false); err != nil {
			return err
		}
		st, err := s.serverStatus(ctx, name)
		if err != nil || st != StatusRunning {
			return err
		}
		if i == attempts {
			return fmt.Errorf("%w: %s is still running after %d suspend requests", ErrNotSuspended, name, attempts)
		}
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TerminateSession terminates the server session called name.
func (s *Session) TerminateSession(ctx context.Context, name string) error {
	if name == s.Name() {
		return s.Terminate(ctx)
	}
	return s.endByName(ctx, name, true)
}

// CleanSessions terminates every session of the user on the server
// (published-applications providers only when published is true).
func (s *Session) CleanSessions(ctx context.Context, published bool) error {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, si := range list {
		if n, err := protocol.ParseSessionName(si.Name); err == nil && n.Type == protocol.TypePublished && !published {
			continue
		}
		if err := s.TerminateSession(ctx, si.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// serverStatus asks the server for the status of session name.
func (s *Session) serverStatus(ctx context.Context, name string) (Status, error) {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return StatusUnknown, err
	}
	for _, si := range list {
		if si.Name == name {
			switch si.Status {
			case protocol.StatusRunning:
				return StatusRunning, nil
			case protocol.StatusSuspended:
				return StatusSuspended, nil
			}
		}
	}
	return StatusTerminated, nil
}

// UpdateStatus asks the server for the status of the session this Session
// drives and reports a change through Hooks.StatusChanged (python-x2go's
// update_status).
func (s *Session) UpdateStatus(ctx context.Context) (Status, error) {
	name := s.Name()
	if name == "" {
		return s.Status(), nil
	}
	st, err := s.serverStatus(ctx, name)
	if err != nil {
		if errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrNotConnected) {
			s.setStatus(StatusUnknown, false)
		}
		return s.Status(), err
	}
	cur := s.Status()
	if st == StatusRunning && cur == StatusFaulty {
		return cur, nil // running on the server, broken here
	}
	if st == StatusRunning && !s.GraphicsOK() && cur != StatusStarting {
		st = StatusRunning // running, shown by another client
	}
	s.setStatus(st, false)
	return st, nil
}

// AutoMode chooses the session AutoStartOrResume resumes.
type AutoMode int

const (
	// ResumeNewest resumes the newest session.
	ResumeNewest AutoMode = iota
	// ResumeOldest resumes the oldest session.
	ResumeOldest
	// ResumeSuspended resumes the oldest suspended session.
	ResumeSuspended
)

// AutoStartOrResume resumes one of the user's sessions (published
// applications providers excluded) chosen by mode, or starts a new one if
// there is none (python-x2go's do_auto_start_or_resume).
func (s *Session) AutoStartOrResume(ctx context.Context, mode AutoMode) error {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return err
	}
	cands := SortByTimestamp(list)
	cands = slices.DeleteFunc(cands, func(si SessionInfo) bool {
		n, err := protocol.ParseSessionName(si.Name)
		return err != nil || n.Type == protocol.TypePublished || n.Type == protocol.TypeShadow
	})
	if mode == ResumeSuspended {
		cands = slices.DeleteFunc(cands, func(si SessionInfo) bool { return si.Status != protocol.StatusSuspended })
	}
	if len(cands) == 0 {
		return s.Start(ctx)
	}
	pick := cands[0]
	if mode == ResumeNewest {
		pick = cands[len(cands)-1]
	}
	return s.Resume(ctx, pick.Name)
}

// SortByTimestamp returns list sorted oldest first by the creation time in
// the session names (python-x2go's session_names_by_timestamp, without its
// bug for commands containing '-').
func SortByTimestamp(list []SessionInfo) []SessionInfo {
	out := slices.Clone(list)
	ts := func(si SessionInfo) int64 {
		if n, err := protocol.ParseSessionName(si.Name); err == nil {
			return n.Timestamp
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int {
		ta, tb := ts(a), ts(b)
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	return out
}

// MatchingCommand returns the sessions whose name says they run command
// (the _st<T><command>_dp part), as pyhoca-cli's --try-resume matches them.
func MatchingCommand(list []SessionInfo, command string) []SessionInfo {
	token := protocol.CommandToken(command)
	var out []SessionInfo
	for _, si := range list {
		n, err := protocol.ParseSessionName(si.Name)
		if err != nil || n.Type == protocol.TypeShadow {
			continue
		}
		if n.Command == token {
			out = append(out, si)
		}
	}
	return out
}
