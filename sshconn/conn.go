// Package sshconn is the SSH side of an X2Go control session: dialing
// (directly or through a jump host), authentication, OpenSSH-compatible host
// key checking, and running x2goserver commands inside the marker wrapper
// with their exit status.
package sshconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/crypto/ssh"
)

// Config says where and how to connect.
type Config struct {
	Host string
	Port int // default 22
	User string
	Auth Auth
	// HostKeys: the zero value refuses hosts that are not in known_hosts.
	HostKeys HostKeyConfig
	// Jump, when set, is an SSH jump host: the connection to Host is
	// tunnelled through it, and both host keys are checked under their
	// real names.
	Jump *Config
	// ConnectTimeout bounds TCP connect + handshake + authentication
	// (default 30s; the context may cut it shorter).
	ConnectTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests that
	// detect a dead link (default 5s, as python-x2go; negative disables).
	KeepAlive time.Duration
	// MaxSessions bounds concurrent command channels on the connection
	// (OpenSSH's MaxSessions defaults to 10). Default 8.
	MaxSessions int
	Logger      *slog.Logger
}

func (c *Config) port() int {
	if c.Port == 0 {
		return 22
	}
	return c.Port
}

// Addr returns host:port.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.port())) }

// Conn is one authenticated SSH connection. It is safe for concurrent use.
type Conn struct {
	cfg    Config
	client *ssh.Client
	jump   *Conn
	log    *slog.Logger
	sem    chan struct{}

	done      chan struct{} // closed when the connection is gone
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error // why it is gone
	wg        sync.WaitGroup
	stop      chan struct{}
}

// Dial connects and authenticates. Errors match ErrConnect, ErrAuthFailed,
// ErrHostKeyUnknown, ErrHostKeyChanged, ErrPassphraseRequired,
// ErrBadPassphrase or ErrNoAuthMethods (errors.Is), or are the context's.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.Host == "" {
		return nil, errors.New("sshconn: no host given")
	}
	if cfg.User == "" {
		return nil, errors.New("sshconn: no user name given")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.ConnectTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var jump *Conn
	var netConn net.Conn
	var err error
	addr := cfg.Addr()
	if cfg.Jump != nil {
		jump, err = Dial(ctx, *cfg.Jump)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %w", cfg.Jump.Addr(), err)
		}
		netConn, err = jump.client.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		netConn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		if jump != nil {
			jump.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, &ConnectError{Addr: addr, Err: fmt.Errorf("timed out: %w", err)}
		}
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	if tcp, ok := netConn.(*net.TCPConn); ok {
		tcp.SetNoDelay(true)
	}

	client, err := handshake(ctx, netConn, &cfg, log)
	if err != nil {
		netConn.Close()
		if jump != nil {
			jump.Close()
		}
		return nil, err
	}
	c := &Conn{cfg: cfg, client: client, jump: jump, log: log,
		done: make(chan struct{}), stop: make(chan struct{})}
	max := cfg.MaxSessions
	if max <= 0 {
		max = 8
	}
	c.sem = make(chan struct{}, max)
	c.wg.Add(1)
	go c.watch()
	if ka := cfg.KeepAlive; ka >= 0 {
		if ka == 0 {
			ka = 5 * time.Second
		}
		c.wg.Add(1)
		go c.keepAlive(ka)
	}
	log.Debug("ssh connected", "addr", addr, "user", cfg.User, "server", string(client.ServerVersion()))
	return c, nil
}

// handshake runs the SSH handshake and authentication on netConn, aborting
// when ctx ends.
func handshake(ctx context.Context, netConn net.Conn, cfg *Config, log *slog.Logger) (*ssh.Client, error) {
	addr := cfg.Addr()
	checker, err := newHostKeyChecker(ctx, cfg.HostKeys, cfg.Host, cfg.port())
	if err != nil {
		return nil, err
	}
	methods, names, closeAgent, err := cfg.Auth.methods(ctx)
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	clientCfg := &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              methods,
		HostKeyCallback:   checker.callback,
		HostKeyAlgorithms: checker.algorithms(),
		BannerCallback:    func(msg string) error { log.Info("ssh banner", "text", msg); return nil },
	}

	// ssh.NewClientConn takes no context: close the socket if ctx ends.
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		select {
		case <-ctx.Done():
			netConn.Close()
		case <-stopWatch:
		}
	}()
	if deadline, ok := ctx.Deadline(); ok {
		netConn.SetDeadline(deadline)
	}
	sshConn, chans, reqs, err := ssh.NewClientConn(netConn, addr, clientCfg)
	close(stopWatch)
	watch.Wait()
	if err != nil {
		var hk *HostKeyError
		switch {
		case errors.As(err, &hk):
			return nil, hk
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, &AuthError{User: cfg.User, Addr: addr, Methods: names, Err: err}
		case ctx.Err() != nil:
			return nil, &ConnectError{Addr: addr, Err: fmt.Errorf("timed out during SSH handshake: %w", ctx.Err())}
		default:
			// Any other handshake failure (EOF, reset, no common algorithm)
			// is not the user's credentials.
			return nil, &ConnectError{Addr: addr, Err: err}
		}
	}
	netConn.SetDeadline(time.Time{})
	return ssh.NewClient(sshConn, chans, reqs), nil
}

// watch notices the end of the connection.
func (c *Conn) watch() {
	defer c.wg.Done()
	err := c.client.Wait()
	if err == nil || errors.Is(err, io.EOF) {
		err = errors.New("closed by server")
	}
	c.markDead(err)
}

func (c *Conn) keepAlive(interval time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.done:
			return
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case err := <-reply:
			if err != nil {
				c.markDead(fmt.Errorf("keepalive: %w", err))
				c.client.Close()
				return
			}
		case <-time.After(3 * interval):
			c.markDead(errors.New("keepalive: no answer from server"))
			c.client.Close()
			<-reply // SendRequest returns once the client is closed
			return
		case <-c.stop:
			c.client.Close()
			<-reply
			return
		}
	}
}

func (c *Conn) markDead(err error) {
	c.closeOnce.Do(func() {
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
		close(c.done)
		c.log.Debug("ssh connection gone", "addr", c.cfg.Addr(), "err", err)
	})
}

// Done is closed when the connection has ended, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection ended (wrapping ErrConnectionLost), or nil
// while it is up.
func (c *Conn) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return fmt.Errorf("%w: %v", ErrConnectionLost, c.err)
}

// Close closes the connection (and the jump host's) and waits for the
// connection's goroutines.
func (c *Conn) Close() error {
	c.markDead(errors.New("closed by client"))
	err := c.client.Close()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.wg.Wait()
	if c.jump != nil {
		c.jump.Close()
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Client returns the underlying SSH client (for port forwarding and SFTP).
func (c *Conn) Client() *ssh.Client { return c.client }

// DialContext opens a direct-tcpip channel to addr on the server side.
func (c *Conn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.client.DialContext(ctx, network, addr)
}

// RemoteAddr is the address of the SSH peer (the jump tunnel's far end for
// jump host connections).
func (c *Conn) RemoteAddr() net.Addr { return c.client.RemoteAddr() }

// User is the login name.
func (c *Conn) User() string { return c.cfg.User }

// Config returns the configuration the connection was made with, without
// its credentials.
func (c *Conn) Config() Config {
	cfg := c.cfg
	cfg.Auth = Auth{}
	cfg.Jump = nil
	return cfg
}

// Result is what a remote command produced.
type Result struct {
	Stdout string // between the markers: login-script noise removed
	Stderr string
	Status int // the command's own exit status
}

// maxOutput bounds what one command may write, so a broken server cannot
// exhaust the client's memory (x2gogetapps with icons is the largest
// legitimate answer, a few MB).
const maxOutput = 64 << 20

// Run runs cmd (a shell command line whose values the caller has quoted)
// on the server through `sh -c` inside X2Go's marker wrapper, and returns
// its output and real exit status. A non-zero status is not an error here;
// errors are transport problems (the connection is then usually dead),
// context ends, or a missing marker (*protocol.ParseError).
func (c *Conn) Run(ctx context.Context, cmd string) (*Result, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &CommandError{Cmd: cmd, Err: ctx.Err()}
	case <-c.done:
		return nil, &CommandError{Cmd: cmd, Err: c.Err()}
	}
	defer func() { <-c.sem }()

	id := uuid.NewString()
	sess, err := c.client.NewSession()
	if err != nil {
		return nil, &CommandError{Cmd: cmd, Err: c.lostErr(err)}
	}
	defer sess.Close()
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxOutput, 1<<20
	sess.Stdout, sess.Stderr = &stdout, &stderr

	start := time.Now()
	finished := make(chan error, 1)
	go func() { finished <- sess.Run(protocol.Wrap(id, cmd)) }()
	select {
	case err = <-finished:
	case <-ctx.Done():
		sess.Signal(ssh.SIGTERM)
		sess.Close()
		<-finished
		return nil, &CommandError{Cmd: cmd, Err: ctx.Err()}
	}
	c.log.Debug("ssh command", "cmd", cmd, "took", time.Since(start), "err", err)
	if err != nil {
		var exitErr *ssh.ExitError
		if !errors.As(err, &exitErr) {
			return nil, &CommandError{Cmd: cmd, Err: c.lostErr(err)}
		}
		// The wrapper's own exit status is the trailing echo's; a non-zero
		// one means the wrapper did not run as intended. The markers decide.
	}
	if stdout.overflow {
		return nil, &CommandError{Cmd: cmd, Err: fmt.Errorf("output larger than %d bytes", maxOutput)}
	}
	out, status, perr := protocol.Unwrap(id, stdout.Bytes())
	if perr != nil {
		return nil, &CommandError{Cmd: cmd, Err: perr}
	}
	return &Result{Stdout: out, Stderr: stderr.String(), Status: status}, nil
}

// lostErr turns the failure err of a channel into the connection's end
// (matching ErrConnectionLost) when the connection died. The channel can
// fail before watch has marked the connection dead, so when it is not
// marked yet a keepalive request decides: it fails at once on a dead
// connection and is answered on a live one (err is then returned as is).
func (c *Conn) lostErr(err error) error {
	if e := c.Err(); e != nil {
		return e
	}
	if _, _, perr := c.client.SendRequest("keepalive@openssh.com", true, nil); perr == nil {
		return err
	}
	select {
	case <-c.done:
		return c.Err()
	case <-time.After(time.Second):
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
}

// Output runs cmd and returns its stdout; a non-zero exit status is an
// *ExitError carrying stderr.
func (c *Conn) Output(ctx context.Context, cmd string) (string, error) {
	res, err := c.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	if res.Status != 0 {
		return res.Stdout, &ExitError{Cmd: cmd, Status: res.Status, Stderr: res.Stderr}
	}
	return res.Stdout, nil
}

type limitedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.overflow = true
		return len(p), nil // keep draining the channel
	}
	return b.Buffer.Write(p)
}
