// Package sound is the part of a running X2Go session that brings its
// sound to this computer: the session's PulseAudio clients on the server
// connect to 127.0.0.1:<session sound port>, which the SSH server
// forwards back here (a reverse port forward), where each connection is
// passed on to the local PulseAudio's native-protocol TCP listener.
//
// As python-x2go does it (folder-sharing-printing-mimebox.md §7), the
// client puts its PulseAudio cookie into the session directory on the
// server (<rc> = ~/.x2go/C-<session>) as .pulse-cookie, and writes
// <rc>/.pulse-client.conf naming the forwarded port and that cookie; the
// session's command gets PULSE_CLIENTCONFIG pointing at the file from
// x2goruncommand's caller (the server's scripts do not set it). On resume
// the service starts anew with the (possibly new) sound port and rewrites
// the file.
//
// Only PulseAudio is forwarded: EsounD and aRts have left the
// distributions (PulseAudio 15 dropped its esound module), so "esd" and
// "arts" fail with ErrUnsupported.
package sound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/internal/tunnel"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

var (
	// ErrNoPulseAudio: no local PulseAudio accepts TCP connections where
	// the sound would go.
	ErrNoPulseAudio = errors.New("x2go: no local PulseAudio to send the session's sound to")
	// ErrNoCookie: the local PulseAudio's cookie was not found, so the
	// session's clients could not authenticate.
	ErrNoCookie = errors.New("x2go: the local PulseAudio cookie was not found")
	// ErrUnsupported: the sound system is not one this client forwards
	// (esd, arts).
	ErrUnsupported = errors.New("x2go: this client forwards PulseAudio sound only")
	// ErrSetup: the PulseAudio client configuration or the cookie could
	// not be written on the server.
	ErrSetup = errors.New("x2go: could not set up the session's PulseAudio client on the server")
)

// Conn is what the sound forward needs of the SSH connection: a command
// with the cookie on its standard input, and a reverse forward.
// *sshconn.Conn implements it.
type Conn interface {
	service.Conn
	RunInput(ctx context.Context, cmd string, input []byte) (*sshconn.Result, error)
	ListenRemote(ctx context.Context, addr string) (net.Listener, error)
}

// Hooks report why the forward could not start. Each is optional.
type Hooks struct {
	// ForwardDenied: the server refused the reverse forward of the sound
	// port (python-x2go's HOOK_rforward_request_denied).
	ForwardDenied func(port int, err error)
}

// Config configures the sound service.
type Config struct {
	// System is the session's sound system: pulse (esd and arts fail with
	// ErrUnsupported).
	System string
	// Local says where the local PulseAudio is; the zero value finds it.
	Local LocalConfig
	// Home returns the user's home directory on the server.
	Home   func() string
	Hooks  Hooks
	Logger *slog.Logger
}

// Service is the sound service. Each start or resume of the session is a
// new Forward.
type Service struct {
	cfg Config
	log *slog.Logger

	mu  sync.Mutex
	cur *Forward
}

// New returns the sound service.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Local.Logger == nil {
		cfg.Local.Logger = log
	}
	return &Service{cfg: cfg, log: log}
}

// Name is "sound".
func (s *Service) Name() string { return "sound" }

// Start finds the local PulseAudio and its cookie, puts the cookie and
// the client configuration into the session directory on the server, and
// asks the server to forward the session's sound port here.
func (s *Service) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	if s.cfg.System != "pulse" {
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, s.cfg.System)
	}
	conn, ok := run.Conn.(Conn)
	if !ok {
		return nil, errors.New("x2go: the connection cannot forward ports back to the client")
	}
	if run.SoundPort <= 0 || run.SoundPort > 65535 {
		return nil, fmt.Errorf("x2go: the server gave session %s no sound port", run.Name)
	}
	if _, err := protocol.ParseSessionName(run.Name); err != nil {
		return nil, fmt.Errorf("x2go: %w", err)
	}
	home := ""
	if s.cfg.Home != nil {
		home = s.cfg.Home()
	}
	if !strings.HasPrefix(home, "/") {
		return nil, fmt.Errorf("%w: the home directory on the server is not known", ErrSetup)
	}
	local, err := Find(ctx, s.cfg.Local)
	if err != nil {
		return nil, err
	}
	rc := protocol.SessionRCDir(home, run.Name)
	res, err := conn.RunInput(ctx, SetupCmd(rc, run.SoundPort), local.Cookie)
	if err == nil && res.Status != 0 {
		err = fmt.Errorf("exit status %d: %s", res.Status, strings.TrimSpace(res.Stderr))
	}
	if err != nil {
		local.Release(ctx)
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(run.SoundPort))
	ln, err := conn.ListenRemote(ctx, addr)
	if err != nil {
		local.Release(ctx)
		if h := s.cfg.Hooks.ForwardDenied; h != nil && errors.Is(err, sshconn.ErrForwardDenied) {
			h(run.SoundPort, err)
		}
		return nil, fmt.Errorf("x2go: reverse forward for sound: %w", err)
	}
	s.log.Debug("sound forwarded", "session", run.Name, "server_port", run.SoundPort, "local", local.Addr)
	f := startForward(ln, local, run.SoundPort, rc+"/.pulse-client.conf", s.log)
	s.mu.Lock()
	s.cur = f
	s.mu.Unlock()
	return f, nil
}

// Current returns the forward of the session's current run, nil when it
// is not running (not started, failed, stopped or ended).
func (s *Service) Current() *Forward {
	s.mu.Lock()
	f := s.cur
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	select {
	case <-f.done:
		return nil
	default:
		return f
	}
}

// SetupCmd builds the command that puts the cookie (read from standard
// input, never from the command line) into <rc>/.pulse-cookie, readable
// by the user only, and writes <rc>/.pulse-client.conf pointing the
// session's PulseAudio clients at the forwarded port and that cookie
// (server-protocol.md §6.19, in one round trip).
func SetupCmd(rc string, soundPort int) string {
	cookie := rc + "/.pulse-cookie"
	return "umask 077 && rm -f " + protocol.Quote(cookie) + " && cat > " + protocol.Quote(cookie) +
		" && printf '%s\\n' " + protocol.Quote("default-server=127.0.0.1:"+strconv.Itoa(soundPort)) + " " +
		protocol.Quote("cookie-file="+cookie) + " > " + protocol.Quote(rc+"/.pulse-client.conf")
}

// Forward is a running sound forward: it accepts the connections the
// server forwards and passes each on to the local PulseAudio.
type Forward struct {
	ln         net.Listener
	local      *Local
	serverPort int
	clientConf string
	log        *slog.Logger

	ctx    context.Context // ends with Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}
	once   sync.Once

	mu     sync.Mutex
	err    error
	conns  map[net.Conn]struct{}
	served int
}

func startForward(ln net.Listener, local *Local, serverPort int, clientConf string, log *slog.Logger) *Forward {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forward{
		ln: ln, local: local, serverPort: serverPort, clientConf: clientConf, log: log,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), conns: map[net.Conn]struct{}{},
	}
	f.wg.Add(1)
	go f.accept()
	return f
}

// SessionEnv gives the session's command PULSE_CLIENTCONFIG, which points
// its PulseAudio clients at the forward.
func (f *Forward) SessionEnv() map[string]string {
	return map[string]string{"PULSE_CLIENTCONFIG": f.clientConf}
}

// ServerPort is the port the server forwards (the session's sound port).
func (f *Forward) ServerPort() int { return f.serverPort }

// LocalAddr is the local PulseAudio's address the connections go to.
func (f *Forward) LocalAddr() string { return f.local.Addr }

// Served is how many connections the forward has passed on so far.
func (f *Forward) Served() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

// Done is closed when the forward has ended.
func (f *Forward) Done() <-chan struct{} { return f.done }

// Err says why the forward ended on its own.
func (f *Forward) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Stop ends the forward (the server stops listening), closes its
// connections, waits for their goroutines and unloads the local listener
// if Find loaded it.
func (f *Forward) Stop(ctx context.Context) error {
	f.shut()
	f.wg.Wait()
	err := f.local.Release(ctx)
	f.once.Do(func() { close(f.done) })
	f.mu.Lock()
	f.err = nil
	f.mu.Unlock()
	return err
}

// shut closes the listener and every connection. It cancels ctx first, so
// that accept can tell a listener closed here from one that failed.
func (f *Forward) shut() {
	f.cancel()
	_ = f.ln.Close()
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// accept passes each forwarded connection on until the listener ends.
func (f *Forward) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil {
				return // closed by Stop
			}
			f.mu.Lock()
			f.err = fmt.Errorf("x2go: the sound forward of port %d ended: %w", f.serverPort, err)
			f.mu.Unlock()
			f.log.Warn("sound forward ended", "port", f.serverPort, "err", err)
			f.shut()
			f.once.Do(func() { close(f.done) })
			return
		}
		if !f.track(c) {
			return
		}
		f.wg.Add(1)
		go f.serve(c)
	}
}

// track registers c for Stop; false (c closed) when stopping.
func (f *Forward) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Forward) untrack(c net.Conn) {
	_ = c.Close()
	f.mu.Lock()
	if f.conns != nil {
		delete(f.conns, c)
	}
	f.mu.Unlock()
}

// serve passes one forwarded connection on to the local PulseAudio.
func (f *Forward) serve(remote net.Conn) {
	defer f.wg.Done()
	defer f.untrack(remote)
	d := net.Dialer{Timeout: 5 * time.Second}
	local, err := d.DialContext(f.ctx, "tcp", f.local.Addr)
	if err != nil {
		if f.ctx.Err() == nil {
			f.log.Warn("sound: the local PulseAudio refused a connection", "addr", f.local.Addr, "err", err)
		}
		return
	}
	if !f.track(local) {
		return
	}
	defer f.untrack(local)
	f.mu.Lock()
	f.served++
	f.mu.Unlock()
	tunnel.Pipe(remote, local, f.log)
}
