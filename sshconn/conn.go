// Package sshconn is the SSH side of an X2Go control session: dialing
// (directly or through jump hosts), authentication, OpenSSH-compatible host
// key checking, running x2goserver commands inside the marker wrapper with
// their exit status, and port forwards in both directions (DialContext,
// ListenRemote).
//
// Every error a caller may want to handle matches one of the Err*
// sentinels with errors.Is, and most carry details in a typed error
// (errors.As): *ConnectError, *AuthError, *HostKeyError, *KeyFileError,
// *CommandError, *ExitError, *ForwardError. Passwords and passphrases
// never appear in them.
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
	"sync"
	"sync/atomic"
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
	// Jump, when set, is an SSH jump host (which may have its own Jump):
	// the connection to Host is tunnelled through it, and both host keys
	// are checked under their real names. The jump connection lives as
	// long as the connection through it and is closed with it.
	Jump *Config
	// ConnectTimeout bounds the network part of connecting: TCP connect,
	// SSH handshake and authentication (default 30s). Time spent waiting
	// for a person (HostKeyConfig.Ask; passphrase prompts come before the
	// clock starts) does not count. The ConnectTimeout of the Config given
	// to Dial bounds all hops together; a Jump's own bounds its hop. The
	// context of Dial may cut it shorter at any time.
	ConnectTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests that
	// detect a dead link (default 5s, as python-x2go; negative disables).
	// A server that stops answering is given up about three intervals
	// after its last answer; the connection then ends with
	// ErrConnectionLost.
	KeepAlive time.Duration
	// MaxSessions bounds concurrent command channels on the connection
	// (OpenSSH's MaxSessions defaults to 10). Default 8.
	MaxSessions int
	// Logger receives debug records (connect, commands, the end of the
	// connection) and server banners; nil discards them.
	Logger *slog.Logger
	// ForwardAgent forwards the local SSH agent to the server (ssh -A,
	// python-x2go's forward_sshagent): command sessions ask for agent
	// forwarding, and programs on the server reach the agent at
	// AgentForwardSocket (default $SSH_AUTH_SOCK), one agent connection
	// per use. Dial fails with ErrNoAgent (*AgentError) when that agent
	// does not answer. It applies to this hop only, not to its Jump.
	ForwardAgent       bool
	AgentForwardSocket string
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

	done     chan struct{} // closed when the connection is gone
	deadOnce sync.Once
	errMu    sync.Mutex
	err      error // why it is gone

	closeClient func() error  // closes client once, returns the first result
	stop        chan struct{} // closed by Close
	stopOnce    sync.Once
	bgMu        sync.Mutex
	closing     bool           // set by Close; no new background goroutines
	wg          sync.WaitGroup // the goroutines Close waits for

	agentAccepted      atomic.Bool // the server accepted agent forwarding once
	agentRefusalLogged atomic.Bool
}

// maxJumpHops bounds a chain of jump hosts (and catches a Config whose
// Jump points back at itself).
const maxJumpHops = 8

// Dial connects and authenticates, through the jump hosts of cfg.Jump
// when set. Passphrase prompts are asked first, before any connection is
// made; host key questions (HostKeyConfig.Ask) stop the ConnectTimeout
// clock while they wait for an answer. ctx cancels everything at any time.
//
// Errors match ErrConnect (a *ConnectError; a timeout also matches
// context.DeadlineExceeded, a cancelled ctx the context's error),
// ErrAuthFailed (*AuthError), ErrHostKeyUnknown, ErrHostKeyChanged or
// ErrHostKeyRevoked (*HostKeyError), ErrPassphraseRequired or
// ErrBadPassphrase (*KeyFileError), ErrNoAuthMethods, or ErrConfig
// (errors.Is). An error of HostKeyConfig.Ask or Auth.PassphrasePrompt is
// returned wrapped. Errors of a jump hop say so and wrap the same errors.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	// hops lists the connections to make, the outermost jump host first.
	var hops []*Config
	for h := &cfg; h != nil; h = h.Jump {
		if len(hops) == maxJumpHops {
			return nil, fmt.Errorf("%w: more than %d jump hosts", ErrConfig, maxJumpHops-1)
		}
		if h.Host == "" {
			return nil, fmt.Errorf("%w: no host given", ErrConfig)
		}
		if h.User == "" {
			return nil, fmt.Errorf("%w: no user name given for %s", ErrConfig, h.Host)
		}
		hops = append([]*Config{h}, hops...)
	}
	for _, h := range hops {
		if h.ForwardAgent {
			if err := checkAgent(ctx, agentSocket(h.AgentForwardSocket)); err != nil {
				return nil, hopErr(h, h == &cfg, err)
			}
		}
	}

	// Credentials first, untimed: they may ask a person for passphrases.
	creds := make([]*credentials, len(hops))
	defer func() {
		for _, c := range creds {
			c.close()
		}
	}()
	passphrases := map[string]string{}
	for i, h := range hops {
		c, err := h.Auth.prepare(ctx, passphrases)
		if err != nil {
			return nil, hopErr(h, h == &cfg, err)
		}
		creds[i] = c
	}

	// Then the network work, under the connect timeout. Each jump hop has
	// its own budget inside the whole connect's.
	dialCtx, total := newBudget(ctx, cfg.connectTimeout(), nil)
	defer total.end()
	var prev *Conn
	for i, h := range hops {
		hopCtx, b := dialCtx, total
		if h != &cfg {
			hopCtx, b = newBudget(dialCtx, h.connectTimeout(), total)
		}
		c, err := dialHop(hopCtx, b, h, creds[i], prev)
		if b != total {
			b.end()
		}
		if err != nil {
			if prev != nil {
				prev.Close()
			}
			return nil, hopErr(h, h == &cfg, err)
		}
		prev = c
	}
	return prev, nil
}

func (c *Config) connectTimeout() time.Duration {
	if c.ConnectTimeout <= 0 {
		return 30 * time.Second
	}
	return c.ConnectTimeout
}

// hopErr says which jump host an error is about.
func hopErr(h *Config, final bool, err error) error {
	if final {
		return err
	}
	return fmt.Errorf("jump host %s: %w", h.Addr(), err)
}

// dialHop makes the connection to h, over jump when it is not nil. ctx
// ends when b runs out or the caller cancels.
func dialHop(ctx context.Context, b *budget, h *Config, creds *credentials, jump *Conn) (*Conn, error) {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr := h.Addr()
	var netConn net.Conn
	var err error
	if jump != nil {
		netConn, err = jump.client.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		netConn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, &ConnectError{Addr: addr, Err: context.Cause(ctx)}
		}
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	if tcp, ok := netConn.(*net.TCPConn); ok {
		tcp.SetNoDelay(true)
	}

	client, err := handshake(ctx, b, netConn, h, creds, log)
	if err != nil {
		netConn.Close()
		return nil, err
	}
	c := &Conn{cfg: *h, client: client, jump: jump, log: log,
		done: make(chan struct{}), stop: make(chan struct{})}
	c.closeClient = sync.OnceValue(client.Close)
	max := h.MaxSessions
	if max <= 0 {
		max = 8
	}
	c.sem = make(chan struct{}, max)
	if h.ForwardAgent {
		// Registered before any session can ask for forwarding; without
		// it the library refuses agent channels. (nil only if something
		// registered the type before, which nothing does.)
		if agentChans := client.HandleChannelOpen(agentChannelType); agentChans != nil {
			sock := agentSocket(h.AgentForwardSocket)
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.serveAgentChannels(agentChans, sock)
			}()
		}
	}
	c.wg.Add(1)
	go c.watch()
	if ka := h.KeepAlive; ka >= 0 {
		if ka == 0 {
			ka = 5 * time.Second
		}
		c.wg.Add(1)
		go c.keepAlive(ka)
	}
	log.Debug("ssh connected", "addr", addr, "user", h.User, "server", string(client.ServerVersion()))
	return c, nil
}

// handshake runs the SSH handshake and authentication on netConn, aborting
// when ctx ends. b is paused while the host key question waits for a
// person.
func handshake(ctx context.Context, b *budget, netConn net.Conn, cfg *Config, creds *credentials, log *slog.Logger) (*ssh.Client, error) {
	addr := cfg.Addr()
	checker, err := newHostKeyChecker(ctx, b, cfg.HostKeys, cfg.Host, cfg.port())
	if err != nil {
		return nil, err
	}
	recorder := &ioErrConn{Conn: netConn}
	selector := &authSelector{creds: creds, linkErr: recorder.err}
	clientCfg := &ssh.ClientConfig{
		User:              cfg.User,
		AuthCallback:      selector.next,
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
	sshConn, chans, reqs, err := ssh.NewClientConn(recorder, addr, clientCfg)
	close(stopWatch)
	watch.Wait()
	if err == nil {
		return ssh.NewClient(sshConn, chans, reqs), nil
	}
	if hostErr := checker.failed(); hostErr != nil {
		return nil, hostErr
	}
	if ctx.Err() != nil {
		// The caller's context or the connect timeout (the cause says which).
		return nil, &ConnectError{Addr: addr, Err: context.Cause(ctx)}
	}
	if errors.Is(err, errAllRefused) {
		tried, allowed := selector.outcome()
		return nil, &AuthError{User: cfg.User, Addr: addr, Methods: tried, Offered: creds.names(), Allowed: allowed}
	}
	// Any other handshake failure (no common algorithm, protocol error) is
	// not the user's credentials.
	return nil, &ConnectError{Addr: addr, Err: err}
}

// ioErrConn remembers the first read or write error of a connection, so
// the authentication selector can tell a broken link from a refused login.
type ioErrConn struct {
	net.Conn
	mu    sync.Mutex
	first error
}

func (c *ioErrConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.record(err)
	}
	return n, err
}

func (c *ioErrConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.record(err)
	}
	return n, err
}

func (c *ioErrConn) record(err error) {
	c.mu.Lock()
	if c.first == nil {
		c.first = err
	}
	c.mu.Unlock()
}

func (c *ioErrConn) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.first
}

// watch notices the end of the connection. A jump host connection has no
// other user than this one, so it ends with it.
func (c *Conn) watch() {
	defer c.wg.Done()
	err := c.client.Wait()
	if err == nil || errors.Is(err, io.EOF) {
		err = errors.New("closed by server")
	}
	c.markDead(err)
	if c.jump != nil {
		c.jump.Close()
	}
}

// keepAlive sends keepalive@openssh.com every interval and ends the
// connection when one is not answered within two intervals (so a dead
// link is noticed at most three intervals after the last answer).
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
		timeout := time.NewTimer(2 * interval)
		select {
		case err := <-reply:
			timeout.Stop()
			if err != nil {
				c.markDead(fmt.Errorf("keepalive: %w", err))
				c.closeClient()
				return
			}
		case <-timeout.C:
			c.markDead(errors.New("keepalive: no answer from server"))
			c.closeClient()
			<-reply // SendRequest returns once the client is closed
			return
		case <-c.stop:
			timeout.Stop()
			c.closeClient()
			<-reply
			return
		}
	}
}

func (c *Conn) markDead(err error) {
	c.deadOnce.Do(func() {
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
// connection's goroutines. It may be called more than once, also
// concurrently, and after the connection died by itself.
func (c *Conn) Close() error {
	c.markDead(errors.New("closed by client"))
	c.bgMu.Lock()
	c.closing = true
	c.bgMu.Unlock()
	c.stopOnce.Do(func() { close(c.stop) })
	err := c.closeClient()
	c.wg.Wait() // watch closes the jump connection
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// goBackground runs f on a goroutine that Close waits for; false when
// the connection is already closing.
func (c *Conn) goBackground(f func()) bool {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// Client returns the underlying SSH client (for SFTP and the like). Use
// DialContext and ListenRemote for port forwards.
func (c *Conn) Client() *ssh.Client { return c.client }

// ListenRemote asks the server to listen on addr (host:port on the
// server's side, e.g. "127.0.0.1:0" for a port the server picks; the
// listener's Addr tells which) and returns a listener for the connections
// it forwards back (SSH's tcpip-forward, OpenSSH's -R). The caller must
// keep accepting, or the SSH connection stalls. The listener ends with the
// connection: Accept then fails with an error matching net.ErrClosed.
// A refusal by the server is a *ForwardError matching ErrForwardDenied.
func (c *Conn) ListenRemote(ctx context.Context, addr string) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(portStr, 10, 16)
	}
	if err != nil {
		return nil, &ForwardError{Addr: addr, Err: fmt.Errorf("%w: bad address: %w", ErrConfig, err)}
	}
	if host == "" {
		return nil, &ForwardError{Addr: addr, Err: fmt.Errorf("%w: no host in address (use 127.0.0.1 or localhost)", ErrConfig)}
	}
	// An ended context sends nothing. Left to the select below, a request
	// the server answers at once could win against it.
	if err := ctx.Err(); err != nil {
		return nil, &ForwardError{Addr: addr, Err: err}
	}
	type result struct {
		ln  net.Listener
		err error
	}
	res := make(chan result)
	abandoned := make(chan struct{})
	// The request has no context of its own: it runs on a goroutine Close
	// waits for, which closes a listener nobody is waiting for any more.
	started := c.goBackground(func() {
		ln, err := c.client.Listen("tcp", addr)
		select {
		case res <- result{ln, err}:
		case <-abandoned:
			if ln != nil {
				ln.Close()
			}
		}
	})
	if !started {
		return nil, &ForwardError{Addr: addr, Err: c.Err()}
	}
	var r result
	select {
	case r = <-res:
	case <-ctx.Done():
		close(abandoned)
		return nil, &ForwardError{Addr: addr, Err: ctx.Err()}
	case <-c.done:
		close(abandoned)
		return nil, &ForwardError{Addr: addr, Err: c.Err()}
	}
	if r.err != nil {
		// The library fails a tcpip-forward request either because the
		// transport is gone or because the server answered "failure"; its
		// error for the latter is plain text. Telling them apart by the
		// connection's state avoids matching that text.
		if lost := c.lostErr(r.err); errors.Is(lost, ErrConnectionLost) {
			return nil, &ForwardError{Addr: addr, Err: lost}
		}
		return nil, &ForwardError{Addr: addr, Err: ErrForwardDenied}
	}
	c.log.Debug("ssh remote listen", "addr", addr, "bound", r.ln.Addr())
	return &remoteListener{Listener: r.ln, conn: c, addr: addr, closed: make(chan struct{})}, nil
}

// remoteListener is a server-side listener whose Accept reports the end
// of the connection as net.ErrClosed.
type remoteListener struct {
	net.Listener
	conn      *Conn
	addr      string
	closeOnce sync.Once
	closeErr  error
	closed    chan struct{} // closed by Close
}

// Accept waits for the next connection forwarded by the server.
func (l *remoteListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		return conn, nil
	}
	select {
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "ssh-remote", Addr: l.Addr(), Err: net.ErrClosed}
	default:
	}
	if cerr := l.conn.Err(); cerr != nil {
		return nil, &net.OpError{Op: "accept", Net: "ssh-remote", Addr: l.Addr(), Err: fmt.Errorf("%w: %w", net.ErrClosed, cerr)}
	}
	return nil, &net.OpError{Op: "accept", Net: "ssh-remote", Addr: l.Addr(), Err: fmt.Errorf("%w: %w", net.ErrClosed, err)}
}

// Close asks the server to stop listening. Closing after the connection
// ended does nothing.
func (l *remoteListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		if l.conn.Err() != nil {
			return
		}
		if err := l.Listener.Close(); err != nil && l.conn.Err() == nil {
			l.closeErr = &ForwardError{Addr: l.addr, Err: fmt.Errorf("cancelling: %w", err)}
		}
	})
	return l.closeErr
}

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
// It is a variable for the tests.
var maxOutput = 64 << 20

// Run runs cmd (a shell command line whose values the caller has quoted)
// on the server through `sh -c` inside X2Go's marker wrapper, and returns
// its output and real exit status. A non-zero status is not an error here;
// errors are *CommandError wrapping a transport problem (ErrConnectionLost
// when the connection died), the context's error, ErrOutputTooLarge, or a
// missing marker (*protocol.ParseError).
func (c *Conn) Run(ctx context.Context, cmd string) (*Result, error) {
	return c.run(ctx, cmd, nil)
}

// RunInput is Run with input as the command's standard input: the way to
// hand the server a secret (a key for the reverse sshfs connection) that
// must not appear in a command line, which other users on the server can
// read in the process list. input is never logged.
func (c *Conn) RunInput(ctx context.Context, cmd string, input []byte) (*Result, error) {
	if input == nil {
		input = []byte{}
	}
	return c.run(ctx, cmd, input)
}

func (c *Conn) run(ctx context.Context, cmd string, input []byte) (*Result, error) {
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
	c.requestAgent(sess)
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxOutput, 1<<20
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if input != nil {
		sess.Stdin = bytes.NewReader(input)
	}

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
		return nil, &CommandError{Cmd: cmd, Err: fmt.Errorf("%w: more than %d bytes", ErrOutputTooLarge, maxOutput)}
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

// limitedBuffer keeps up to max bytes and notes that more came. The
// buffer is a field, not embedded: an embedded bytes.Buffer's ReadFrom
// would let io.Copy bypass Write and the limit.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.overflow = true
		return len(p), nil // keep draining the channel
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) Bytes() []byte  { return b.buf.Bytes() }
func (b *limitedBuffer) String() string { return b.buf.String() }
