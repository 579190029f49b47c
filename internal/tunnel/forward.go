// Package tunnel implements the local end of X2Go's graphics forward: a TCP
// listener on 127.0.0.1 whose connections are each carried to a fixed address
// on the far side (the agent's graphics port) through a Dialer, normally an
// *ssh.Client opening a "direct-tcpip" channel.
//
// A Forward owns every goroutine it starts; Close stops the listener, closes
// every open connection and waits for all of them.
package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults taken from python-x2go's forward.py.
const (
	DefaultDialAttempts = 20
	DefaultDialInterval = 400 * time.Millisecond
)

// copyBufferSize is the buffer used per copy direction (python-x2go reads
// 1024 bytes at a time; bigger buffers move NX traffic with fewer syscalls).
const copyBufferSize = 64 << 10

// halfCloseLinger is how long the second direction of a connection may keep
// running after the first one reached EOF and was half-closed. After that both
// sides are closed so no goroutine waits forever on a peer that never closes.
var halfCloseLinger = 5 * time.Second

var (
	// ErrDialFailed is matched by the error WaitActive returns when every
	// attempt to reach the remote address failed for a connection.
	ErrDialFailed = errors.New("tunnel: forwarding setup failed")
	// ErrClosed is returned by WaitActive after Close.
	ErrClosed = errors.New("tunnel: forward closed")
)

// Dialer opens a connection to addr on the far side of the tunnel.
// *ssh.Client from golang.org/x/crypto/ssh satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Config describes a local forward.
type Config struct {
	// Dialer carries each accepted connection to RemoteAddr. Required.
	Dialer Dialer
	// RemoteAddr is the address dialled through Dialer, e.g. the agent's
	// graphics port "127.0.0.1:48176". Required.
	RemoteAddr string
	// PreferredPort is the local port to try first (see PreferredPortFor);
	// 0 means any free port.
	PreferredPort int
	// DialAttempts is how often dialling RemoteAddr is tried per accepted
	// connection (default 20).
	DialAttempts int
	// DialInterval is the pause between dial attempts (default 400ms).
	DialInterval time.Duration
	// OnDialFailed, if set, is called once per accepted connection for which
	// every dial attempt failed, with the last dial error. It runs on the
	// connection's goroutine: it must not block for long and must not call
	// Close (Close waits for that goroutine).
	OnDialFailed func(err error)
	// OnConnClosed, if set, is called each time a forwarded connection (one
	// whose dial succeeded) has ended and both of its sides are closed, unless
	// it was ended by Close. For X2Go this is how a client learns that its
	// graphics connection went away (session suspended elsewhere, nxproxy
	// died, link dropped). Same restrictions as OnDialFailed.
	OnConnClosed func()
	// Logger receives debug and error messages; nil discards them.
	Logger *slog.Logger
}

// Forward is a running local forward created by Listen.
type Forward struct {
	cfg    Config
	log    *slog.Logger
	ln     net.Listener
	ctx    context.Context // cancelled by Close; bounds dials and retries
	cancel context.CancelFunc
	wg     sync.WaitGroup

	activeOnce sync.Once
	activeCh   chan struct{} // closed on the first successful dial
	failOnce   sync.Once
	failedCh   chan struct{} // closed on the first connection whose dials all failed
	failErr    error         // set before failedCh is closed

	connsClosed atomic.Int64

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{} // every open local and remote conn
}

// PreferredPortFor returns the local port python-x2go would try first for a
// server-side graphics port (tunnels-and-proxy.md §1.1): the same port, or
// port+10000 when the server runs on this host so the agent's own listener is
// not hit. It returns 0 (any port) when the result would not be a valid port.
func PreferredPortFor(graphicsPort int, serverIsLocal bool) int {
	p := graphicsPort
	if serverIsLocal {
		p += 10000
	}
	if graphicsPort <= 0 || p > 65535 {
		return 0
	}
	return p
}

// IsLocalHost reports whether an SSH peer address names this host the way
// python-x2go checks it: "::1", "127.0.0.1", "localhost" or
// "localhost.localdomain".
func IsLocalHost(host string) bool {
	switch host {
	case "::1", "127.0.0.1", "localhost", "localhost.localdomain":
		return true
	}
	return false
}

// Listen binds 127.0.0.1:cfg.PreferredPort, or any free port on 127.0.0.1 if
// that one is taken, and starts forwarding accepted connections. The listener
// that succeeded is kept, so there is no window in which another process can
// take the port. ctx bounds only the setup; the Forward runs until Close.
func Listen(ctx context.Context, cfg Config) (*Forward, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Dialer == nil {
		return nil, errors.New("tunnel: Config.Dialer is nil")
	}
	if _, _, err := net.SplitHostPort(cfg.RemoteAddr); err != nil {
		return nil, fmt.Errorf("tunnel: bad RemoteAddr %q: %w", cfg.RemoteAddr, err)
	}
	if cfg.PreferredPort < 0 || cfg.PreferredPort > 65535 {
		return nil, fmt.Errorf("tunnel: PreferredPort %d out of range", cfg.PreferredPort)
	}
	if cfg.DialAttempts < 0 || cfg.DialInterval < 0 {
		return nil, errors.New("tunnel: negative DialAttempts or DialInterval")
	}
	if cfg.DialAttempts == 0 {
		cfg.DialAttempts = DefaultDialAttempts
	}
	if cfg.DialInterval == 0 {
		cfg.DialInterval = DefaultDialInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("remote", cfg.RemoteAddr)

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.PreferredPort)))
	if err != nil && cfg.PreferredPort != 0 {
		log.Debug("tunnel: preferred port unavailable, using any free port",
			"port", cfg.PreferredPort, "err", err)
		ln, err = lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("tunnel: listen: %w", err)
	}

	fctx, cancel := context.WithCancel(context.Background())
	f := &Forward{
		cfg:      cfg,
		log:      log,
		ln:       ln,
		ctx:      fctx,
		cancel:   cancel,
		activeCh: make(chan struct{}),
		failedCh: make(chan struct{}),
		conns:    make(map[net.Conn]struct{}),
	}
	log.Debug("tunnel: listening", "addr", ln.Addr().String())
	f.wg.Add(1)
	go f.acceptLoop()
	return f, nil
}

// Port is the local port the Forward listens on.
func (f *Forward) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Addr is the local listen address, "127.0.0.1:<port>".
func (f *Forward) Addr() string { return f.ln.Addr().String() }

// Active reports whether at least one connection has been forwarded
// successfully (python-x2go's is_active). It stays true afterwards.
func (f *Forward) Active() bool {
	select {
	case <-f.activeCh:
		return true
	default:
		return false
	}
}

// ConnsClosed is how many forwarded connections have ended by themselves
// (the number of OnConnClosed calls).
func (f *Forward) ConnsClosed() int { return int(f.connsClosed.Load()) }

// WaitActive blocks until a connection has been forwarded (nil), until the
// dials for a connection failed for good (an error matching ErrDialFailed
// and wrapping the last dial error), until Close (ErrClosed) or until ctx
// ends (ctx.Err()).
func (f *Forward) WaitActive(ctx context.Context) error {
	select {
	case <-f.activeCh:
		return nil
	case <-f.failedCh:
		if f.Active() {
			return nil
		}
		return f.failErr
	case <-f.ctx.Done():
		if f.Active() {
			return nil
		}
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the listener, closes every open connection and waits for all
// goroutines of the Forward. It is safe to call more than once.
func (f *Forward) Close() error {
	f.mu.Lock()
	already := f.closed
	f.closed = true
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()

	var err error
	if !already {
		f.cancel()
		err = f.ln.Close()
		for c := range conns {
			_ = c.Close()
		}
	}
	f.wg.Wait()
	return err
}

// track registers c so Close can close it; it reports false (and closes c)
// when the Forward is already closed.
func (f *Forward) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

// untrack closes c and forgets it. It reports whether the Forward was closed
// meanwhile.
func (f *Forward) untrack(c net.Conn) (closing bool) {
	_ = c.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns != nil {
		delete(f.conns, c)
	}
	return f.closed
}

func (f *Forward) acceptLoop() {
	defer f.wg.Done()
	var backoff time.Duration
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient failure such as EMFILE: back off like net/http does.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			f.log.Error("tunnel: accept failed", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-f.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		if !f.track(c) {
			return
		}
		f.wg.Add(1)
		go f.handle(c)
	}
}

// handle forwards one accepted local connection.
func (f *Forward) handle(local net.Conn) {
	defer f.wg.Done()
	log := f.log.With("peer", local.RemoteAddr().String())
	if tc, ok := local.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}

	remote, err := f.dial(log)
	if err != nil {
		f.untrack(local)
		if f.ctx.Err() != nil { // closed while dialling: not a tunnel failure
			return
		}
		log.Error("tunnel: forwarding setup failed", "attempts", f.cfg.DialAttempts, "err", err)
		f.failOnce.Do(func() {
			f.failErr = fmt.Errorf("%w: %s after %d attempts: %w",
				ErrDialFailed, f.cfg.RemoteAddr, f.cfg.DialAttempts, err)
			close(f.failedCh)
		})
		if f.cfg.OnDialFailed != nil {
			f.cfg.OnDialFailed(err)
		}
		return
	}
	if !f.track(remote) {
		f.untrack(local)
		return
	}
	f.activeOnce.Do(func() { close(f.activeCh) })
	log.Debug("tunnel: connection forwarded")

	Pipe(local, remote, log)

	closing := f.untrack(local)
	closing = f.untrack(remote) || closing
	if closing {
		log.Debug("tunnel: connection closed by Close")
		return
	}
	f.connsClosed.Add(1)
	log.Debug("tunnel: connection ended")
	if f.cfg.OnConnClosed != nil {
		f.cfg.OnConnClosed()
	}
}

// dial tries to reach the remote address up to DialAttempts times.
func (f *Forward) dial(log *slog.Logger) (net.Conn, error) {
	var err error
	for attempt := 1; attempt <= f.cfg.DialAttempts; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(f.cfg.DialInterval)
			select {
			case <-t.C:
			case <-f.ctx.Done():
				t.Stop()
				return nil, f.ctx.Err()
			}
		}
		var c net.Conn
		c, err = f.cfg.Dialer.DialContext(f.ctx, "tcp", f.cfg.RemoteAddr)
		if err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetNoDelay(true)
			}
			return c, nil
		}
		if f.ctx.Err() != nil {
			return nil, f.ctx.Err()
		}
		log.Debug("tunnel: dial failed", "attempt", attempt, "err", err)
	}
	return nil, err
}

type closeWriter interface{ CloseWrite() error }

// Pipe copies a<->b until both directions are done. When one direction ends
// with EOF its destination is half-closed (CloseWrite) so the peer sees a
// clean end of stream; the other direction then has halfCloseLinger to end
// before both connections are closed. Any copy error closes both at once.
// The caller closes a and b afterwards.
func Pipe(a, b net.Conn, log *slog.Logger) {
	type result struct {
		dst net.Conn
		err error
	}
	done := make(chan result, 2)
	cp := func(dst, src net.Conn) {
		buf := make([]byte, copyBufferSize)
		_, err := io.CopyBuffer(dst, src, buf)
		done <- result{dst, err}
	}
	go cp(b, a)
	go cp(a, b)

	first := <-done
	halfClosed := false
	if first.err == nil {
		if cw, ok := first.dst.(closeWriter); ok && cw.CloseWrite() == nil {
			halfClosed = true
		}
	} else {
		log.Debug("tunnel: copy ended", "err", first.err)
	}
	if !halfClosed {
		_ = a.Close()
		_ = b.Close()
		<-done
		return
	}
	t := time.NewTimer(halfCloseLinger)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		log.Debug("tunnel: peer did not finish after half-close; closing")
		_ = a.Close()
		_ = b.Close()
		<-done
	}
}
