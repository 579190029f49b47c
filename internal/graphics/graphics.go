// Package graphics is the graphics part of a running X2Go session: a local
// forward over the SSH connection to the agent's graphics port, and
// Debian's nxproxy drawing the session on the local display through it.
// It is the one part a session cannot run without.
package graphics

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/internal/tunnel"
)

// Config configures the graphics of a session.
type Config struct {
	// NXProxy is the nxproxy binary (default /usr/bin/nxproxy).
	NXProxy string
	// SessionsRoot holds the local session directories (nxproxy's NX_ROOT).
	SessionsRoot string
	// Env is nxproxy's environment; it carries DISPLAY and XAUTHORITY.
	Env []string
	// ServerIsLocal: the SSH peer is this machine, so the local forward
	// must not take the agent's own port number.
	ServerIsLocal bool
	// ActiveTimeout bounds the wait for nxproxy to connect (default 30 s;
	// python-x2go waits 40 × 0.5 s).
	ActiveTimeout time.Duration
	// OnTunnelFailed is told when the forward cannot reach the agent's
	// port (python-x2go's forwarding-tunnel-setup-failed hook).
	OnTunnelFailed func(host string, port int, err error)
	Logger         *slog.Logger
}

// Service starts the graphics of each run of a session. It remembers the
// current run so that callers can ask for nxproxy's process id.
type Service struct {
	cfg Config
	log *slog.Logger

	mu  sync.Mutex
	cur *instance
}

// New returns the graphics service.
func New(cfg Config) *Service {
	if cfg.ActiveTimeout <= 0 {
		cfg.ActiveTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log}
}

// Name is "graphics".
func (g *Service) Name() string { return "graphics" }

// PID returns the process id of the current run's nxproxy, 0 if none runs.
func (g *Service) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur == nil {
		return 0
	}
	select {
	case <-g.cur.done:
		return 0
	default:
		return g.cur.proxy.PID()
	}
}

// instance is the graphics of one run.
type instance struct {
	fwd   *tunnel.Forward
	proxy *nxproxy.Proxy
	done  chan struct{} // closed once nxproxy has ended and the forward is closed
	mu    sync.Mutex
	err   error // why it ended on its own
	wg    sync.WaitGroup
}

// Start opens the local forward to the agent's graphics port, starts
// nxproxy on it and returns once nxproxy is connected through it.
func (g *Service) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	const subsystem = "NX Proxy"
	remote := net.JoinHostPort("127.0.0.1", strconv.Itoa(run.GraphicsPort))
	tunnelFailed := func(err error) {
		if g.cfg.OnTunnelFailed != nil {
			g.cfg.OnTunnelFailed("127.0.0.1", run.GraphicsPort, err)
		}
	}
	fwd, err := tunnel.Listen(ctx, tunnel.Config{
		Dialer:        run.Conn,
		RemoteAddr:    remote,
		PreferredPort: tunnel.PreferredPortFor(run.GraphicsPort, g.cfg.ServerIsLocal || peerIsLoopback(run.Conn)),
		OnDialFailed:  tunnelFailed,
		Logger:        g.log,
	})
	if err != nil {
		tunnelFailed(err)
		return nil, fmt.Errorf("%s forward: %w", subsystem, err)
	}
	proxy, err := nxproxy.Start(ctx, nxproxy.Config{
		Binary: g.cfg.NXProxy, SessionName: run.Name, Cookie: run.Cookie, Display: run.Display,
		LocalPort: fwd.Port(), SessionsRoot: g.cfg.SessionsRoot, Env: g.cfg.Env, Logger: g.log,
	})
	if err != nil {
		fwd.Close()
		return nil, fmt.Errorf("starting nxproxy: %w", err)
	}

	wctx, cancel := context.WithTimeout(ctx, g.cfg.ActiveTimeout)
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
		return nil, err
	}

	inst := &instance{fwd: fwd, proxy: proxy, done: make(chan struct{})}
	inst.wg.Add(1)
	go inst.follow()
	g.mu.Lock()
	g.cur = inst
	g.mu.Unlock()
	return inst, nil
}

// follow waits for nxproxy to end, then closes the forward: without its
// proxy the forward serves nothing.
func (i *instance) follow() {
	defer i.wg.Done()
	<-i.proxy.Done()
	i.mu.Lock()
	i.err = i.proxy.Err()
	i.mu.Unlock()
	i.fwd.Close()
	close(i.done)
}

func (i *instance) Done() <-chan struct{} { return i.done }

func (i *instance) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

// Stop stops nxproxy and the forward and waits for them.
func (i *instance) Stop(ctx context.Context) error {
	i.proxy.Stop(ctx)
	i.fwd.Close()
	i.wg.Wait()
	i.mu.Lock()
	i.err = nil // asked for: not an error
	i.mu.Unlock()
	return nil
}

// peerIsLoopback reports whether conn's SSH peer is on this machine (a
// jump host's tunnel or a name that resolved to a loopback address).
func peerIsLoopback(conn service.Conn) bool {
	rc, ok := conn.(interface{ RemoteAddr() net.Addr })
	if !ok {
		return false
	}
	tcp, ok := rc.RemoteAddr().(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
