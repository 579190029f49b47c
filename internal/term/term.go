// Package term is the terminal session of python-x2go: the lifecycle of
// one X2Go session (start, resume, suspend, terminate, status watching,
// progress) and the parts of it that run on the client while it runs.
//
// It is written against small interfaces (service.Conn to run commands and
// open channels, service.Service for each part of a running session), so
// that its state machine can be tested with fakes as well as against the
// real server.
package term

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/x2go-go/x2go/internal/remote"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// Errors of the session lifecycle.
var (
	// ErrNoSuchCommand: the server cannot run the session command.
	ErrNoSuchCommand = errors.New("x2go: the server does not know the session command")
	// ErrNoActiveSession: the operation needs a session this client drives.
	ErrNoActiveSession = errors.New("x2go: no X2Go session is associated with this Session")
	// ErrSessionNotReady: the server lists the session, but
	// x2gostartagent is still setting it up (no agent yet).
	ErrSessionNotReady = errors.New("x2go: the session is still being started on the server")
	// ErrSessionActive: this terminal session already drives a running
	// session.
	ErrSessionActive = errors.New("x2go: this Session already drives a running session")
)

// Hooks report what happens to the session. Every field is optional. They
// are called without any lock of the Session held, from the goroutine
// that noticed the event, and must not block for long.
type Hooks struct {
	// StatusChanged reports every change of Status.
	StatusChanged func(StatusChange)
	// Progress reports start and resume progress 0..100, -1 on failure.
	Progress func(percent int)
	// StartupFailed: a start or resume did not bring a session up.
	StartupFailed func(err error)
	// NoSuchCommand: the server cannot run the session command.
	NoSuchCommand func(command string)
	// ServiceFailed: an optional part of the running session could not
	// start or ended on its own; the session goes on without it.
	ServiceFailed func(service string, err error)
	// GraphicsLost: the required part (the graphics) ended on its own
	// while the session was up; the session is faulty until the server
	// says what became of it.
	GraphicsLost func(err error)
}

// Config configures a Session.
type Config struct {
	// Conn returns the connection to run the session over: the control
	// session's current one. Required.
	Conn func() (service.Conn, error)
	// Services are the parts of a running session, started in this order
	// after the server started or resumed the session and stopped in
	// reverse order. The first one is required (the graphics): if it
	// cannot start, the start fails; if it ends on its own, the session
	// is faulty. The others are optional: their failures are reported
	// through Hooks.ServiceFailed and the session goes on.
	Services []service.Service
	Hooks    Hooks
	// AfterTerminate is called once the server has terminated the session,
	// e.g. to remove the local session directory.
	AfterTerminate func(name string, display int)
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
	// RecheckAttempts and RecheckInterval bound how long the server is
	// asked what became of a session whose graphics ended (default 4 × 1 s:
	// a suspend elsewhere takes the server a moment to record).
	RecheckAttempts int
	RecheckInterval time.Duration
	// CleanupTimeout bounds the server commands sent after a failed start
	// to terminate the half-started session (default 20 s), which run even
	// when the start's own context has ended.
	CleanupTimeout time.Duration
}

// Session is one X2Go session's lifecycle. Its methods are safe for
// concurrent use; lifecycle operations run one at a time.
type Session struct {
	cfg Config
	log *slog.Logger

	op  sync.Mutex    // serialises Start, Resume, Suspend, Terminate, Detach
	seq atomic.Uint64 // counts the operations finished (see OpSeq)

	mu       sync.Mutex
	name     string
	display  int
	status   Status
	progress int
	cur      *run
}

// New returns a virgin Session.
func New(cfg Config) *Session {
	if cfg.RecheckAttempts <= 0 {
		cfg.RecheckAttempts = 4
	}
	if cfg.RecheckInterval <= 0 {
		cfg.RecheckInterval = time.Second
	}
	if cfg.CleanupTimeout <= 0 {
		cfg.CleanupTimeout = 20 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Session{cfg: cfg, log: log, status: StatusVirgin}
}

// run is one start or resume of the session: the parts started for it and
// the goroutines watching them.
type run struct {
	name     string
	conn     service.Conn
	parts    []part
	stopping atomic.Bool   // set before this client ends the run itself
	stop     chan struct{} // closed by stopRun
	ended    chan struct{} // closed by the watcher when the run is over
	wg       sync.WaitGroup
}

// part is one started part of a run. parts[0], when there is one, is
// always the required part (the graphics): a run whose first service does
// not start is no run at all.
type part struct {
	name string
	inst service.Instance
}

// env collects the variables the started parts want the session's
// command to see (service.Environ).
func (r *run) env() map[string]string {
	var env map[string]string
	for _, p := range r.parts {
		e, ok := p.inst.(service.Environ)
		if !ok {
			continue
		}
		for k, v := range e.SessionEnv() {
			if env == nil {
				env = map[string]string{}
			}
			env[k] = v
		}
	}
	return env
}

// graphicsAlive reports whether the required part still runs.
func (r *run) graphicsAlive() bool {
	if len(r.parts) == 0 {
		return false
	}
	select {
	case <-r.parts[0].inst.Done():
		return false
	default:
		return true
	}
}

// Name returns the name of the session ("" before the first start).
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// Status returns the last known status.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Progress returns the progress of the running start or resume (0..100,
// -1 after a failure).
func (s *Session) Progress() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress
}

// GraphicsOK reports whether the required part runs (python-x2go's
// session_ok).
func (s *Session) GraphicsOK() bool {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	return r != nil && r.graphicsAlive()
}

// Attach binds the Session to an existing server session by name without
// resuming it, so that Suspend, Terminate and UpdateStatus act on it.
func (s *Session) Attach(name string) error {
	sn, err := protocol.ParseSessionName(name)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	s.op.Lock()
	defer s.unlockOp()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.name != name {
		return fmt.Errorf("%w: %s", ErrSessionActive, s.name)
	}
	s.name, s.display = name, sn.Display
	return nil
}

func (s *Session) setProgress(p int) {
	s.mu.Lock()
	s.progress = p
	s.mu.Unlock()
	if h := s.cfg.Hooks.Progress; h != nil {
		h(p)
	}
}

// FailProgress sets the progress to -1 (a start given up) and reports it
// through the Progress hook, without the startup-failed hook: for a
// caller whose start failed in a way it reports through a hook of its own.
func (s *Session) FailProgress() { s.setProgress(-1) }

// setStatus records a new status and reports a change.
func (s *Session) setStatus(to Status, byMe bool) {
	s.mu.Lock()
	from, name := s.status, s.name
	s.status = to
	s.mu.Unlock()
	if h := s.cfg.Hooks.StatusChanged; h != nil && from != to {
		h(StatusChange{Name: name, From: from, To: to, ByMe: byMe})
	}
}

// Fail ends a start or resume that failed: progress -1, the
// startup-failed hook, err. A caller that gives up a start before calling
// Start (a check of its own failed) reports it through Fail too, so that
// Progress agrees with what the hooks said.
func (s *Session) Fail(err error) error {
	s.FailProgress()
	if h := s.cfg.Hooks.StartupFailed; h != nil {
		h(err)
	}
	return err
}

// prepare checks that no session runs here and returns the connection for
// a new start or resume. What is left of an earlier run (a faulty session
// whose graphics still run, say) is stopped first: it must not outlive the
// run that replaces it.
func (s *Session) prepare(ctx context.Context) (service.Conn, error) {
	s.mu.Lock()
	r, st, name := s.cur, s.status, s.name
	s.mu.Unlock()
	if r != nil {
		if r.graphicsAlive() && (st == StatusRunning || st == StatusStarting) {
			return nil, fmt.Errorf("%w: %s", ErrSessionActive, name)
		}
		s.stopRun(ctx, r)
	}
	return s.cfg.Conn()
}

// StartParams are the values of a new session.
type StartParams struct {
	// Agent are x2gostartagent's values; Command and SessionType must be
	// set (protocol.SessionTypeFor).
	Agent protocol.StartParams
	// SoundSystem is passed to x2goruncommand: pulse, esd, arts or none.
	SoundSystem string
}

// Start starts a new session on the server and its parts here, and
// returns once the session runs. If anything fails after the server
// started the agent, the half-started server session is terminated, so a
// failed start leaves nothing running.
func (s *Session) Start(ctx context.Context, p StartParams) error {
	s.op.Lock()
	defer s.unlockOp()
	conn, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	s.setProgress(1)
	command := p.Agent.Command
	if err := s.probeCommand(ctx, conn, command); err != nil {
		return s.Fail(err)
	}
	s.setProgress(10)

	cmd, err := protocol.StartAgentCmd(p.Agent)
	if err != nil {
		return s.Fail(fmt.Errorf("x2go: %w", err))
	}
	// One more try when the agent died as it started: its port was most
	// likely taken between the script's check and the agent's bind, and
	// the second run picks other ports. Not for a shadow session: there
	// the same status also means the desktop went away, and a second try
	// could put the owner's grant dialog up again. Any other failure is
	// final.
	var res *sshconn.Result
	for attempt := 1; ; attempt++ {
		res, err = conn.Run(ctx, cmd)
		if err != nil {
			return s.Fail(fmt.Errorf("x2go: starting session: %w", err))
		}
		err = protocol.StartError(res.Stderr, res.Status)
		if err == nil {
			break
		}
		if attempt == 1 && p.Agent.SessionType != protocol.TypeShadow && protocol.AgentDiedAtStart(err) {
			s.log.Warn("x2go agent ended as it started; starting it once more", "err", err)
			continue
		}
		return s.Fail(fmt.Errorf("x2go: x2gostartagent: %w", err))
	}
	agent, err := protocol.ParseStartAgent(res.Stdout)
	if err != nil {
		return s.Fail(fmt.Errorf("x2go: x2gostartagent: %w", err))
	}
	s.mu.Lock()
	s.name, s.display = agent.Name, agent.Display
	s.mu.Unlock()
	s.setStatus(StatusStarting, true)
	s.setProgress(25)

	r, err := s.startRun(ctx, conn, service.Run{
		Name: agent.Name, Display: agent.Display, Cookie: agent.Cookie, AgentPID: agent.AgentPID,
		GraphicsPort: agent.GraphicsPort, SoundPort: agent.SoundPort, SSHFSPort: agent.SSHFSPort,
		Conn: conn,
	})
	if err != nil {
		s.setStatus(StatusFaulty, true)
		s.abandon(ctx, conn, agent.Name)
		return s.Fail(err)
	}
	s.setProgress(70)

	if needsRunCommand(command) {
		rc, err := protocol.RunCommandCmd(protocol.RunParams{
			Display: agent.Display, AgentPID: agent.AgentPID, Name: agent.Name, SoundPort: agent.SoundPort,
			Command: command, SoundSystem: p.SoundSystem, SessionType: p.Agent.SessionType,
			Env: r.env(),
		})
		if err == nil {
			_, err = remote.Output(ctx, conn, rc)
		}
		if err != nil {
			// The agent runs but the session's program does not: the
			// session is of no use. Do not leave it running on the server.
			s.setStatus(StatusFaulty, true)
			s.stopRun(ctx, r)
			s.abandon(ctx, conn, agent.Name)
			return s.Fail(fmt.Errorf("x2go: x2goruncommand: %w", err))
		}
	}
	s.setProgress(90)
	s.setStatus(StatusRunning, true)
	s.setProgress(100)
	s.log.Debug("session started", "name", agent.Name)
	return nil
}

// abandon terminates a session whose start failed half-way. It runs with
// its own deadline, because the start's context may be what ended.
func (s *Session) abandon(ctx context.Context, conn service.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.CleanupTimeout)
	defer cancel()
	if err := remote.Terminate(ctx, conn, name); err != nil {
		s.log.Warn("terminating a session whose start failed", "name", name, "err", err)
	}
}

// needsRunCommand: x2goruncommand is not sent for XDMCP and shadow sessions.
func needsRunCommand(command string) bool {
	return command != "XDMCP" && !strings.Contains(command, "XSHAD")
}

// probeCommand checks that the server can run command (python-x2go's
// has_command), calling the NoSuchCommand hook when it cannot.
func (s *Session) probeCommand(ctx context.Context, conn service.Conn, command string) error {
	probe, needed := protocol.CommandProbeCmd(command)
	if !needed {
		return nil
	}
	res, err := conn.Run(ctx, probe)
	if err != nil {
		return fmt.Errorf("x2go: checking command: %w", err)
	}
	if !strings.Contains(res.Stdout, "OK") {
		if h := s.cfg.Hooks.NoSuchCommand; h != nil {
			h(command)
		}
		return fmt.Errorf("%w: %q", ErrNoSuchCommand, command)
	}
	return nil
}

// Resume resumes the server session called name (suspended, or running
// elsewhere: the other client is then cut off) and starts its parts here.
func (s *Session) Resume(ctx context.Context, name string, p protocol.ResumeParams) error {
	s.op.Lock()
	defer s.unlockOp()
	conn, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	s.setProgress(1)
	info, err := remote.Find(ctx, conn, s.log, name)
	if err != nil {
		return s.Fail(err)
	}
	if info.Creating() {
		return s.Fail(fmt.Errorf("%w: %s", ErrSessionNotReady, name))
	}
	cmd, err := protocol.ResumeCmd(name, p)
	if err != nil {
		return s.Fail(fmt.Errorf("x2go: %w", err))
	}
	s.setProgress(10)
	res, err := conn.Run(ctx, cmd)
	if err != nil {
		return s.Fail(fmt.Errorf("x2go: resuming %s: %w", name, err))
	}
	if err := protocol.ResumeError(resumeStderr(res.Stderr), res.Status); err != nil {
		return s.Fail(err)
	}
	ports, err := protocol.ParseResume(res.Stdout)
	if err != nil {
		return s.Fail(fmt.Errorf("x2go: x2goresume-session: %w", err))
	}
	s.mu.Lock()
	s.name, s.display = name, info.Display
	s.mu.Unlock()
	s.setStatus(StatusStarting, true)
	s.setProgress(25)
	_, err = s.startRun(ctx, conn, service.Run{
		Name: name, Display: info.Display, Cookie: info.Cookie, AgentPID: info.AgentPID,
		GraphicsPort: ports.GraphicsPort, SoundPort: ports.SoundPort, SSHFSPort: ports.SSHFSPort,
		Conn: conn,
	})
	if err != nil {
		s.setStatus(StatusFaulty, true)
		return s.Fail(err)
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

// startRun starts the parts of the session in order and the goroutines
// watching them, and makes the run current. A required part that cannot
// start fails the run (after stopping what did start); an optional one is
// reported and left out.
func (s *Session) startRun(ctx context.Context, conn service.Conn, info service.Run) (*run, error) {
	r := &run{name: info.Name, conn: conn, stop: make(chan struct{}), ended: make(chan struct{})}
	for i, svc := range s.cfg.Services {
		inst, err := svc.Start(ctx, info)
		if err != nil {
			if i == 0 {
				stopParts(ctx, s.log, r.parts)
				return nil, fmt.Errorf("x2go: %s of %s did not come up: %w", svc.Name(), info.Name, err)
			}
			// Reported through Hooks.ServiceFailed; the caller decides how
			// loud it is (pyhoca-cli, say, stays quiet about sound).
			s.log.Debug("a part of the session failed to start", "part", svc.Name(), "err", err)
			if h := s.cfg.Hooks.ServiceFailed; h != nil {
				h(svc.Name(), err)
			}
			continue
		}
		r.parts = append(r.parts, part{name: svc.Name(), inst: inst})
	}
	s.mu.Lock()
	s.cur = r
	s.mu.Unlock()
	r.wg.Add(1)
	go s.watch(r)
	return r, nil
}

// stopParts stops parts in reverse order.
func stopParts(ctx context.Context, log *slog.Logger, parts []part) {
	for i := len(parts) - 1; i >= 0; i-- {
		if err := parts[i].inst.Stop(ctx); err != nil {
			log.Warn("stopping a part of the session", "part", parts[i].name, "err", err)
		}
	}
}

// stopRun stops every part of r in reverse order and waits for its
// goroutines; r is no longer current afterwards.
func (s *Session) stopRun(ctx context.Context, r *run) {
	r.stopping.Store(true)
	stopParts(ctx, s.log, r.parts)
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.wg.Wait()
	s.mu.Lock()
	if s.cur == r {
		s.cur = nil
	}
	s.mu.Unlock()
}

// watch follows the parts of r. An optional part ending on its own is
// reported. The required part ending on its own is reported at once
// (status faulty, Hooks.GraphicsLost); then the server is asked what
// became of the session: suspended or terminated elsewhere (or the agent
// suspending itself after losing its client) is a further status change,
// still running leaves it faulty.
func (s *Session) watch(r *run) {
	defer r.wg.Done()
	defer close(r.ended)
	if len(r.parts) == 0 {
		<-r.stop
		return
	}
	for _, p := range r.parts[1:] {
		r.wg.Add(1)
		go s.watchOptional(r, p)
	}
	g := r.parts[0]
	select {
	case <-r.stop:
		return
	case <-g.inst.Done():
	}
	if r.stopping.Load() {
		return
	}
	gerr := g.inst.Err()
	s.log.Debug("graphics ended", "name", r.name, "err", gerr)
	if r.conn.Err() != nil {
		s.setStatus(StatusUnknown, false)
		return
	}
	s.setStatus(StatusFaulty, false)
	if h := s.cfg.Hooks.GraphicsLost; h != nil {
		h(fmt.Errorf("x2go: %s of %s ended: %w", g.name, r.name, gerr))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.wg.Add(1)
	go func() { // let Suspend, Terminate or Detach cut the check short
		defer r.wg.Done()
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for attempt := 0; attempt < s.cfg.RecheckAttempts; attempt++ {
		st, err := remote.Status(ctx, r.conn, s.log, r.name)
		if err != nil {
			if r.conn.Err() != nil {
				s.setStatus(StatusUnknown, false)
			}
			return
		}
		if st != protocol.StatusRunning {
			// Suspended or terminated elsewhere: the optional parts (the
			// mounts of shared folders, say) have nothing left to serve.
			if len(r.parts) > 1 && !r.stopping.Swap(true) {
				stopParts(ctx, s.log, r.parts[1:])
			}
			if s.Status() == StatusFaulty {
				s.setStatus(serverStatus(st), false)
			}
			return
		}
		select {
		case <-time.After(s.cfg.RecheckInterval):
		case <-ctx.Done():
			return
		}
	}
}

// watchOptional reports an optional part that ends on its own.
func (s *Session) watchOptional(r *run, p part) {
	defer r.wg.Done()
	select {
	case <-r.stop:
		return
	case <-p.inst.Done():
	}
	if r.stopping.Load() {
		return
	}
	err := p.inst.Err()
	s.log.Debug("a part of the session ended", "part", p.name, "name", r.name, "err", err)
	if h := s.cfg.Hooks.ServiceFailed; h != nil {
		h(p.name, fmt.Errorf("x2go: %s of %s ended: %w", p.name, r.name, err))
	}
}

// serverStatus maps the server's status letter ("" = not listed).
func serverStatus(letter string) Status {
	switch letter {
	case protocol.StatusRunning:
		return StatusRunning
	case protocol.StatusSuspended:
		return StatusSuspended
	default:
		return StatusTerminated
	}
}

// Wait blocks until the current run is over (suspended or terminated here
// or elsewhere, graphics lost, connection dropped) and returns the status
// then known. Without a run it returns at once.
func (s *Session) Wait(ctx context.Context) (Status, error) {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	if r == nil {
		return s.Status(), nil
	}
	select {
	case <-r.ended:
		return s.Status(), nil
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	}
}

// Suspend suspends the session on the server and stops its parts here.
func (s *Session) Suspend(ctx context.Context) error { return s.end(ctx, false) }

// Terminate terminates the session on the server and stops its parts
// here; AfterTerminate runs once the server has done it.
func (s *Session) Terminate(ctx context.Context) error { return s.end(ctx, true) }

// end suspends or terminates. The optional parts stop first, while the
// session still runs (unmounting shares needs it), then the server
// command runs, then the graphics stop (the server cuts them off anyway;
// they are marked as ending so that this is not reported as a loss).
func (s *Session) end(ctx context.Context, terminate bool) error {
	s.op.Lock()
	defer s.unlockOp()
	s.mu.Lock()
	name, display, r := s.name, s.display, s.cur
	s.mu.Unlock()
	if name == "" {
		return ErrNoActiveSession
	}
	if r != nil {
		if len(r.parts) > 0 && !r.graphicsAlive() && !r.stopping.Load() {
			// The graphics ended on their own and the agent may be
			// suspending itself: let the watcher learn the server's view
			// first, because x2gosuspend-session on a SUSPENDING agent
			// fails and marks the session finished.
			select {
			case <-r.ended:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		r.stopping.Store(true)
		if len(r.parts) > 1 {
			stopParts(ctx, s.log, r.parts[1:])
		}
	}
	conn, err := s.cfg.Conn()
	if err == nil {
		if terminate {
			err = remote.Terminate(ctx, conn, name)
		} else {
			err = remote.Suspend(ctx, conn, s.log, name, s.Status() == StatusRunning)
		}
	}
	if r != nil {
		s.stopRun(ctx, r)
	}
	if err != nil {
		return err
	}
	if terminate {
		if f := s.cfg.AfterTerminate; f != nil {
			f(name, display)
		}
		s.setStatus(StatusTerminated, true)
	} else {
		s.setStatus(StatusSuspended, true)
	}
	return nil
}

// Detach stops every part of the running session here without asking the
// server anything: the session goes on running on the server without
// this client (the server suspends it when it notices).
func (s *Session) Detach(ctx context.Context) {
	s.op.Lock()
	defer s.unlockOp()
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	if r != nil {
		s.stopRun(ctx, r)
	}
}

// ConnectionLost marks the status unknown after the connection died; the
// parts die with it and the watcher notices.
func (s *Session) ConnectionLost() {
	if s.Status() != StatusVirgin {
		s.setStatus(StatusUnknown, false)
	}
}

// UpdateStatus asks the server for the session's status and reports a
// change (python-x2go's update_status). A session the server still runs
// but whose graphics failed here stays faulty.
func (s *Session) UpdateStatus(ctx context.Context) (Status, error) {
	name := s.Name()
	if name == "" {
		return s.Status(), nil
	}
	conn, err := s.cfg.Conn()
	if err != nil {
		s.setStatus(StatusUnknown, false)
		return s.Status(), err
	}
	letter, err := remote.Status(ctx, conn, s.log, name)
	if err != nil {
		if conn.Err() != nil {
			s.setStatus(StatusUnknown, false)
		}
		return s.Status(), err
	}
	return s.applyStatus(letter), nil
}

// unlockOp ends a lifecycle operation.
func (s *Session) unlockOp() {
	s.seq.Add(1)
	s.op.Unlock()
}

// OpSeq counts the lifecycle operations finished so far. A caller that
// lists the server's sessions takes it before the list, for
// ApplyServerStatus.
func (s *Session) OpSeq() uint64 { return s.seq.Load() }

// ApplyServerStatus takes the status letter a session list gave for the
// session ("" when it is not listed) as UpdateStatus does, for a caller
// that lists once for many sessions; seq is OpSeq as it was before the
// list was asked for. A list older than an operation of this Session
// (one that finished since, or one still in progress) is not applied.
func (s *Session) ApplyServerStatus(letter string, seq uint64) Status {
	if !s.op.TryLock() {
		return s.Status()
	}
	defer s.op.Unlock()
	if s.seq.Load() != seq || s.Name() == "" {
		return s.Status()
	}
	return s.applyStatus(letter)
}

// applyStatus takes the server's status letter for the session; a
// session still running on the server whose graphics failed here stays
// faulty, one being started stays starting.
func (s *Session) applyStatus(letter string) Status {
	st := serverStatus(letter)
	if cur := s.Status(); st == StatusRunning && (cur == StatusFaulty || cur == StatusStarting) {
		return cur
	}
	s.setStatus(st, false)
	return st
}
