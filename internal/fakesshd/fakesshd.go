// Package fakesshd is an in-process SSH server for tests: it speaks real
// SSH (golang.org/x/crypto/ssh, server side) on 127.0.0.1, understands the
// X2Go marker wrapper every command is sent in (server-protocol.md §1.1),
// and answers each command with whatever a Handler says — including the
// answers a real server gives only when something is broken: garbage,
// output without markers, a command that never returns, a connection that
// drops in the middle of a command. Options select the login methods it
// offers (password, public key, keyboard-interactive), make it a jump host
// (WithForwarding), accept remote port forwards (WithRemoteForward) or
// use the client's forwarded agent (WithAgentForwarding);
// Freeze makes it stop answering, as a hung server or a dead link does.
//
// A Server belongs to one test. New registers Close with t.Cleanup, and
// Close waits for every goroutine the server started, so tests can check
// for leaks with goleak.
package fakesshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DefaultPassword is the password a Server accepts unless WithPassword
// sets another one. It is deliberately distinctive, so tests can search
// error messages for it.
const DefaultPassword = "fakesshd-S3cret-pw"

// DirectTCPIPHandler serves one accepted "direct-tcpip" channel (a local
// port forward of the client) to host:port. The channel is closed when it
// returns.
type DirectTCPIPHandler func(host string, port int, ch ssh.Channel)

// Option configures a Server.
type Option func(*config)

type config struct {
	password        string
	noPassword      bool
	authKeys        []ssh.PublicKey
	kbdInt          []Challenge
	kbdIntOn        bool
	authDelay       time.Duration
	direct          DirectTCPIPHandler
	remoteForward   bool
	forwardLoopback bool
	rekeyBytes      uint64
	dropEarly       bool
	agentForwarding bool
}

// WithPassword sets the password the server accepts.
func WithPassword(pw string) Option { return func(c *config) { c.password = pw } }

// WithAuthorizedKey also accepts public key authentication with key.
func WithAuthorizedKey(key ssh.PublicKey) Option {
	return func(c *config) { c.authKeys = append(c.authKeys, key) }
}

// NoPassword turns password authentication off (the server then does not
// offer it).
func NoPassword() Option { return func(c *config) { c.noPassword = true } }

// Challenge is one prompt of a keyboard-interactive login and the answer
// the server wants.
type Challenge struct {
	Prompt string
	Echo   bool
	Answer string
}

// WithKeyboardInteractive accepts keyboard-interactive authentication: the
// server asks all challenges in one round and accepts the login when every
// answer matches. Without challenges it asks one hidden "Password: " and
// wants the server's password, as PAM does.
func WithKeyboardInteractive(challenges ...Challenge) Option {
	return func(c *config) { c.kbdIntOn, c.kbdInt = true, challenges }
}

// WithAuthDelay makes every password, public key and keyboard-interactive
// check take d: a slow PAM stack or LDAP lookup.
func WithAuthDelay(d time.Duration) Option { return func(c *config) { c.authDelay = d } }

// WithRemoteForward accepts "tcpip-forward" requests (the client's
// remote port forwards, ssh -R) for loopback addresses: the server listens
// on 127.0.0.1 and opens a "forwarded-tcpip" channel to the client for
// each connection it accepts. Without it the requests are refused, as by
// an sshd with AllowTcpForwarding no.
func WithRemoteForward() Option { return func(c *config) { c.remoteForward = true } }

// WithRekeyEvery makes the server start a new key exchange after every n
// bytes it sends (at least 256), as a long-lived connection does now and
// then.
func WithRekeyEvery(n uint64) Option { return func(c *config) { c.rekeyBytes = n } }

// WithDirectTCPIP accepts "direct-tcpip" channels and hands them to h.
// Without it they are rejected (ssh.Prohibited).
func WithDirectTCPIP(h DirectTCPIPHandler) Option { return func(c *config) { c.direct = h } }

// WithForwarding accepts "direct-tcpip" channels to loopback addresses
// and connects them there, as a real sshd does for a client's local port
// forward or ProxyJump: the server can be a jump host in front of another
// test server. Half-closes are passed on. It replaces WithDirectTCPIP.
func WithForwarding() Option { return func(c *config) { c.forwardLoopback = true } }

// CloseBeforeHandshake makes the server close every TCP connection as
// soon as it accepts it, before the SSH version exchange: what a client
// sees from a port where something else than sshd listens, or an sshd that
// refuses the client (tcp wrappers, MaxStartups).
func CloseBeforeHandshake() Option { return func(c *config) { c.dropEarly = true } }

// Server is a running fake SSH server.
type Server struct {
	t      testing.TB
	cfg    config
	ln     net.Listener
	signer ssh.Signer
	sshCfg *ssh.ServerConfig

	mu      sync.Mutex
	handler Handler
	conns   map[net.Conn]struct{}
	cmds    []string
	inputs  []string
	closed  bool
	thaw    chan struct{} // non-nil while frozen; closed by Thaw
	quit    chan struct{} // closed by Close

	agentUses []AgentUse // what WithAgentForwarding found

	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New starts a server on 127.0.0.1:0 that answers commands with handler
// (nil means Standard()). It is closed when the test ends.
func New(t testing.TB, handler Handler, opts ...Option) *Server {
	t.Helper()
	cfg := config{password: DefaultPassword}
	for _, o := range opts {
		o(&cfg)
	}
	if handler == nil {
		handler = Standard()
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("fakesshd: host key: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("fakesshd: host key: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fakesshd: listen: %v", err)
	}
	s := &Server{t: t, cfg: cfg, ln: ln, signer: signer, handler: handler, conns: map[net.Conn]struct{}{},
		quit: make(chan struct{})}
	s.sshCfg = &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 fakesshd",
	}
	s.sshCfg.RekeyThreshold = cfg.rekeyBytes
	if !cfg.noPassword {
		s.sshCfg.PasswordCallback = func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			s.authPause()
			if subtle.ConstantTimeCompare(pw, []byte(s.cfg.password)) == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	if len(cfg.authKeys) > 0 {
		s.sshCfg.PublicKeyCallback = func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.authPause()
			for _, k := range s.cfg.authKeys {
				if subtle.ConstantTimeCompare(k.Marshal(), key.Marshal()) == 1 {
					return nil, nil
				}
			}
			return nil, errors.New("key not authorized")
		}
	}
	if cfg.kbdIntOn {
		s.sshCfg.KeyboardInteractiveCallback = s.keyboardInteractive
	}
	s.sshCfg.AddHostKey(signer)
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// authPause waits the configured authentication delay, or until the
// server closes.
func (s *Server) authPause() {
	if s.cfg.authDelay > 0 {
		sleep(s.cfg.authDelay, s.quit)
	}
}

// keyboardInteractive asks the configured challenges in one round.
func (s *Server) keyboardInteractive(_ ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	s.authPause()
	challenges := s.cfg.kbdInt
	if len(challenges) == 0 {
		challenges = []Challenge{{Prompt: "Password: ", Answer: s.cfg.password}}
	}
	questions := make([]string, len(challenges))
	echos := make([]bool, len(challenges))
	for i, c := range challenges {
		questions[i], echos[i] = c.Prompt, c.Echo
	}
	answers, err := client("", "", questions, echos)
	if err != nil {
		return nil, err
	}
	if len(answers) != len(challenges) {
		return nil, errors.New("wrong number of answers")
	}
	ok := 1
	for i, c := range challenges {
		ok &= subtle.ConstantTimeCompare([]byte(answers[i]), []byte(c.Answer))
	}
	if ok != 1 {
		return nil, errors.New("wrong answers")
	}
	return nil, nil
}

// Addr returns the server's address, 127.0.0.1:<port>.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// HostKey returns the server's (ed25519) host key.
func (s *Server) HostKey() ssh.PublicKey { return s.signer.PublicKey() }

// Password returns the password the server accepts.
func (s *Server) Password() string { return s.cfg.password }

// KnownHostsFile writes a known_hosts file in a temporary directory of t
// that lists the server's host key as [127.0.0.1]:<port>, and returns its
// path.
func (s *Server) KnownHostsFile(t testing.TB) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{s.Addr()}, s.HostKey()) + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatalf("fakesshd: %v", err)
	}
	return file
}

// SetHandler replaces the handler for the commands that arrive from now on.
func (s *Server) SetHandler(h Handler) {
	if h == nil {
		h = Standard()
	}
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Commands returns the inner commands received so far (unwrapped from the
// marker wrapper), in the order they arrived.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

// Inputs returns the standard input of every command whose Reply had
// ReadInput, in order.
func (s *Server) Inputs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inputs)
}

// DropAll closes every live connection abruptly, without an SSH disconnect
// message: a dead link or a killed sshd child, as the client sees it. The
// server keeps accepting new connections.
func (s *Server) DropAll() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Freeze makes the server stop answering without closing anything, as a
// hung server or a link that silently drops every packet does: what the
// clients send is received but not processed until Thaw. A client that
// closes its side is still noticed.
func (s *Server) Freeze() {
	s.mu.Lock()
	if s.thaw == nil {
		s.thaw = make(chan struct{})
	}
	s.mu.Unlock()
}

// Thaw ends Freeze: what arrived meanwhile is processed.
func (s *Server) Thaw() {
	s.mu.Lock()
	if s.thaw != nil {
		close(s.thaw)
		s.thaw = nil
	}
	s.mu.Unlock()
}

// waitThawed returns when the server is not frozen, or false when closed
// is closed first.
func (s *Server) waitThawed(closed <-chan struct{}) bool {
	s.mu.Lock()
	thaw := s.thaw
	s.mu.Unlock()
	if thaw == nil {
		return true
	}
	select {
	case <-thaw:
		return true
	case <-closed:
		return false
	}
}

// Close stops the listener, closes every connection and waits for all
// goroutines of the server. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
		s.ln.Close()
		s.DropAll()
		s.wg.Wait()
	})
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		nc := &gatedConn{Conn: raw, s: s, closed: make(chan struct{})}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serveConn(nc)
	}
}

func (s *Server) currentHandler() Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handler
}

func (s *Server) record(cmd string) {
	s.mu.Lock()
	s.cmds = append(s.cmds, cmd)
	s.mu.Unlock()
}

// serveConn runs the SSH handshake on nc and serves its channels until the
// connection ends.
func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		nc.Close()
	}()
	if s.cfg.dropEarly {
		return
	}
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.sshCfg)
	if err != nil {
		return // failed login or handshake: the client sees it
	}
	fwd := &remoteForwards{s: s, sc: sc, listeners: map[string]net.Listener{}}
	defer fwd.closeAll()
	cs := &connState{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fwd.serveRequests(reqs)
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, creqs, err := nch.Accept()
			if err != nil {
				continue
			}
			s.wg.Add(1)
			go s.serveSession(sc, cs, ch, creqs)
		case "direct-tcpip":
			s.serveDirect(nch)
		default:
			nch.Reject(ssh.UnknownChannelType, "fakesshd: unsupported channel type")
		}
	}
	sc.Close()
	sc.Wait()
}

// serveSession serves one session channel: the first exec request runs a
// command; everything else (pty, env, subsystem, signal) is refused.
func (s *Server) serveSession(sc *ssh.ServerConn, cs *connState, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	gone := make(chan struct{}) // closed when the channel or the connection is closed
	started := false
	for req := range reqs {
		if req.Type == "exec" && !started {
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			started = true
			req.Reply(true, nil)
			s.wg.Add(1)
			go s.exec(sc, cs, ch, p.Command, gone)
			continue
		}
		if req.Type == "auth-agent-req@openssh.com" && s.cfg.agentForwarding {
			// Once per connection, as OpenSSH's sshd.
			req.Reply(cs.agentGranted.CompareAndSwap(false, true), nil)
			continue
		}
		if req.WantReply {
			req.Reply(false, nil)
		}
	}
	close(gone)
	if !started {
		ch.Close()
	}
}

// exec answers one command as the handler says.
func (s *Server) exec(sc *ssh.ServerConn, cs *connState, ch ssh.Channel, raw string, gone <-chan struct{}) {
	defer s.wg.Done()
	defer ch.Close()
	id, inner, wrapped := ParseWrapped(raw)
	if !wrapped {
		inner = raw
	}
	s.record(inner)
	if s.cfg.agentForwarding && cs.agentGranted.Load() {
		s.useAgent(sc, inner)
	}
	r := s.currentHandler()(inner)
	if r.ReadInput {
		in, err := io.ReadAll(io.LimitReader(ch, 1<<20))
		if err != nil {
			return
		}
		s.mu.Lock()
		s.inputs = append(s.inputs, string(in))
		s.mu.Unlock()
	}

	if r.Delay > 0 {
		if !sleep(r.Delay, gone) {
			return
		}
	}
	switch {
	case r.Hang:
		<-gone
		return
	case r.Drop:
		// The command got as far as printing its first output, then the
		// link died: BEGIN (and Stdout) arrive, END never does.
		if wrapped {
			io.WriteString(ch, beginMarker+id+"\n"+r.Stdout)
		}
		sc.Close()
		return
	}

	var out string
	switch {
	case r.Raw != "":
		out = r.Raw
	case !wrapped || r.NoMarkers:
		out = r.Stdout
	default:
		out = beginMarker + id + "\n" + r.Stdout
		if !r.NoEndMarker {
			out += endMarker + id + ":" + strconv.Itoa(r.Status) + "\n"
		}
	}
	if r.Noise != "" {
		out = r.Noise + out
	}
	if _, err := io.WriteString(ch, out); err != nil {
		return
	}
	if r.Stderr != "" {
		if _, err := io.WriteString(ch.Stderr(), r.Stderr); err != nil {
			return
		}
	}
	// The channel's exit status is that of the wrapper's trailing echo:
	// always 0. An unwrapped command reports its own.
	status := 0
	if !wrapped {
		status = r.Status
	}
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// serveDirect accepts a direct-tcpip channel for the configured handler,
// or rejects it.
func (s *Server) serveDirect(nch ssh.NewChannel) {
	if s.cfg.direct == nil && !s.cfg.forwardLoopback {
		nch.Reject(ssh.Prohibited, "fakesshd: port forwarding is disabled")
		return
	}
	var msg struct {
		Raddr string
		Rport uint32
		Laddr string
		Lport uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &msg); err != nil {
		nch.Reject(ssh.ConnectionFailed, fmt.Sprintf("fakesshd: bad direct-tcpip request: %v", err))
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if s.cfg.forwardLoopback {
			s.forwardLoopback(nch, msg.Raddr, int(msg.Rport))
			return
		}
		ch, reqs, err := nch.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ssh.DiscardRequests(reqs)
		}()
		defer ch.Close()
		s.cfg.direct(msg.Raddr, int(msg.Rport), ch)
	}()
}

// forwardLoopback serves a direct-tcpip channel for WithForwarding: as a
// real sshd, it connects first and confirms the channel only when that
// worked.
func (s *Server) forwardLoopback(nch ssh.NewChannel, host string, port int) {
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		nch.Reject(ssh.Prohibited, "fakesshd: forwarding only to loopback addresses")
		return
	}
	nc, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, "fakesshd: "+err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		nc.Close()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	pipe(ch, nc, s.quit)
}

// gatedConn is a server-side connection that Freeze can hold: data read
// while the server is frozen is handed on only after Thaw.
type gatedConn struct {
	net.Conn
	s         *Server
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == nil && !c.s.waitThawed(c.closed) {
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// pipe copies between ch and nc until both directions have ended, passing
// on half-closes (EOF) as a real sshd does; then it closes both. quit
// (the server's Close) ends it at any time.
func pipe(ch ssh.Channel, nc net.Conn, quit <-chan struct{}) {
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-quit:
			nc.Close()
			ch.Close()
		case <-finished:
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(nc, ch)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.CloseWrite()
		} else {
			nc.Close()
		}
	}()
	io.Copy(ch, nc)
	ch.CloseWrite()
	<-done
	ch.Close()
	nc.Close()
}

// Silent listens on 127.0.0.1 and returns the port: it accepts every
// connection and never sends a byte, as a server that hangs before the
// SSH version exchange. When the test ends it stops accepting, waits for
// its accept loop and closes the connections it holds.
func Silent(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().(*net.TCPAddr).Port
}
