// Package fakesshd is an in-process SSH server for tests: it speaks real
// SSH (golang.org/x/crypto/ssh, server side) on 127.0.0.1, understands the
// X2Go marker wrapper every command is sent in (server-protocol.md §1.1),
// and answers each command with whatever a Handler says — including the
// answers a real server gives only when something is broken: garbage,
// output without markers, a command that never returns, a connection that
// drops in the middle of a command.
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
	password     string
	authKeys     []ssh.PublicKey
	direct       DirectTCPIPHandler
	dropEarly    bool
	serverBanner string
}

// WithPassword sets the password the server accepts.
func WithPassword(pw string) Option { return func(c *config) { c.password = pw } }

// WithAuthorizedKey also accepts public key authentication with key.
func WithAuthorizedKey(key ssh.PublicKey) Option {
	return func(c *config) { c.authKeys = append(c.authKeys, key) }
}

// WithDirectTCPIP accepts "direct-tcpip" channels and hands them to h.
// Without it they are rejected (ssh.Prohibited).
func WithDirectTCPIP(h DirectTCPIPHandler) Option { return func(c *config) { c.direct = h } }

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
	closed  bool

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
	s := &Server{t: t, cfg: cfg, ln: ln, signer: signer, handler: handler, conns: map[net.Conn]struct{}{}}
	s.sshCfg = &ssh.ServerConfig{
		PasswordCallback: func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if subtle.ConstantTimeCompare(pw, []byte(s.cfg.password)) == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 fakesshd",
	}
	if len(cfg.authKeys) > 0 {
		s.sshCfg.PublicKeyCallback = func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.cfg.authKeys {
				if subtle.ConstantTimeCompare(k.Marshal(), key.Marshal()) == 1 {
					return nil, nil
				}
			}
			return nil, errors.New("key not authorized")
		}
	}
	s.sshCfg.AddHostKey(signer)
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
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

// Close stops the listener, closes every connection and waits for all
// goroutines of the server. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.ln.Close()
		s.DropAll()
		s.wg.Wait()
	})
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
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
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs) // keepalive@openssh.com gets "failure", as from OpenSSH
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, creqs, err := nch.Accept()
			if err != nil {
				continue
			}
			s.wg.Add(1)
			go s.serveSession(sc, ch, creqs)
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
func (s *Server) serveSession(sc *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
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
			go s.exec(sc, ch, p.Command, gone)
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
func (s *Server) exec(sc *ssh.ServerConn, ch ssh.Channel, raw string, gone <-chan struct{}) {
	defer s.wg.Done()
	defer ch.Close()
	id, inner, wrapped := ParseWrapped(raw)
	if !wrapped {
		inner = raw
	}
	s.record(inner)
	r := s.currentHandler()(inner)

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
	if s.cfg.direct == nil {
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
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	go func() {
		defer s.wg.Done()
		defer ch.Close()
		s.cfg.direct(msg.Raddr, int(msg.Rport), ch)
	}()
}
