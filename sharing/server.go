package sharing

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/user"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/x2go-go/x2go/protocol"
)

// Server is the client side's SSH/SFTP server for X2Go folder sharing,
// the print spool and the MIME box. The X2Go server's sshfs connects to
// it through a reverse port forward (x2gomountdirs) and may then see the
// shared folders, and nothing else.
//
// It accepts one user name with one Ed25519 client key, both made for
// this Server (the key travels to the X2Go server in the key bundle), on
// connections that offer public-key authentication; it opens nothing but
// one "session" channel per connection and on it nothing but the "sftp"
// subsystem. Its own host key (Ed25519 unless WithHostKey gives one) is in
// the key bundle too, so sshfs can check it.
//
// The zero value is not usable; make one with New. Close it when the
// session ends: that closes every connection, waits for every goroutine
// and closes the shared directories.
type Server struct {
	cfg       *ssh.ServerConfig
	user      string
	hostKey   ssh.Signer
	clientKey ed25519.PrivateKey
	clientPub ssh.PublicKey
	log       *slog.Logger
	handshake time.Duration
	rsOpts    []sftp.RequestServerOption

	shares shareTable

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	lns    map[net.Listener]struct{}
	wg     sync.WaitGroup // running Serve and ServeConn calls
}

// Option configures New.
type Option func(*Server) error

// WithUser sets the user name sshfs must log in with (x2gomountdirs
// passes it to sshfs). It must be a plain login name ([A-Za-z0-9._-], not
// starting with '-'). The default is the local user's login name, as
// python-x2go uses, or "x2go" if that is not a plain name.
func WithUser(name string) Option {
	return func(s *Server) error {
		if !protocol.ValidLoginName(name) {
			return fmt.Errorf("sharing: user name %q is not a plain login name", name)
		}
		s.user = name
		return nil
	}
}

// WithHostKey sets the server's host key, for callers that keep one
// across sessions. By default each Server makes a new Ed25519 key.
func WithHostKey(key ssh.Signer) Option {
	return func(s *Server) error {
		if key == nil {
			return errors.New("sharing: nil host key")
		}
		s.hostKey = key
		return nil
	}
}

// WithLogger sets where the server logs connections, refusals and
// errors (never key material). The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		if l != nil {
			s.log = l
		}
		return nil
	}
}

// WithHandshakeTimeout bounds the SSH handshake and authentication of a
// new connection (default 30 s).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(s *Server) error {
		if d <= 0 {
			return errors.New("sharing: handshake timeout must be positive")
		}
		s.handshake = d
		return nil
	}
}

// New makes a Server with a fresh Ed25519 client key. It shares nothing
// until AddShare.
func New(opts ...Option) (*Server, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	s := &Server{
		user:      defaultUser(),
		log:       slog.New(slog.DiscardHandler),
		handshake: 30 * time.Second,
		conns:     make(map[net.Conn]struct{}),
		lns:       make(map[net.Listener]struct{}),
		shares:    shareTable{shares: make(map[string]*share)},
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sharing: client key: %w", err)
	}
	s.clientKey = priv
	if s.clientPub, err = ssh.NewPublicKey(pub); err != nil {
		return nil, fmt.Errorf("sharing: client key: %w", err)
	}
	if s.hostKey == nil {
		_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("sharing: host key: %w", err)
		}
		if s.hostKey, err = ssh.NewSignerFromKey(hostPriv); err != nil {
			return nil, fmt.Errorf("sharing: host key: %w", err)
		}
	}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: s.checkKey,
		// ssh offers every key of the server user's agent before the
		// bundle's key; each refusal counts as a try.
		MaxAuthTries:  64,
		ServerVersion: "SSH-2.0-x2go-go_sharing",
	}
	s.cfg.Ciphers = ciphers()
	s.cfg.AddHostKey(s.hostKey)
	s.rsOpts = []sftp.RequestServerOption{sftp.WithRSAllocator()}
	return s, nil
}

// defaultUser is the local login name if it is a plain one, else "x2go".
func defaultUser() string {
	if u, err := user.Current(); err == nil && protocol.ValidLoginName(u.Username) {
		return u.Username
	}
	return "x2go"
}

// checkKey accepts exactly the Server's user with its client key.
func (s *Server) checkKey(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if c.User() == s.user && bytes.Equal(key.Marshal(), s.clientPub.Marshal()) {
		return &ssh.Permissions{}, nil
	}
	s.log.Debug("sharing: refused key", "user", c.User(), "key", ssh.FingerprintSHA256(key), "remote", c.RemoteAddr().String())
	return nil, errors.New("key not accepted")
}

// User is the user name sshfs must log in with.
func (s *Server) User() string { return s.user }

// HostKey is the server's public host key.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// ClientKey is the public half of the client key the server accepts.
func (s *Server) ClientKey() ssh.PublicKey { return s.clientPub }

// ClientPrivateKey returns the client key in OpenSSH's private key format
// (PEM, unencrypted), as sshfs's ssh reads it from IdentityFile. It is a
// secret: whoever has it can read and write the shared folders while the
// server runs.
func (s *Server) ClientPrivateKey() ([]byte, error) {
	block, err := ssh.MarshalPrivateKey(s.clientKey, "x2go-go sharing")
	if err != nil {
		return nil, fmt.Errorf("sharing: client key: %w", err)
	}
	return pem.EncodeToMemory(block), nil
}

// KeyBundle returns the file x2gomountdirs expects at its key file
// argument: the client private key, protocol.KeyBundleMarker and the
// host key (protocol.KeyBundle). Upload it with mode 0600.
func (s *Server) KeyBundle() ([]byte, error) {
	priv, err := s.ClientPrivateKey()
	if err != nil {
		return nil, err
	}
	return protocol.KeyBundle(priv, string(ssh.MarshalAuthorizedKey(s.HostKey())))
}

// AddShare shares the local directory local under the SFTP path remote
// (absolute and clean, e.g. what protocol.MountablePath makes of local).
// The directory is opened now (symlinks in local are followed: that is
// the folder the user chose); it stays shared, even if renamed, until
// RemoveShare or Close. Shares may nest; a path is served by the share
// with the longest matching remote path.
func (s *Server) AddShare(remote, local string, opts ...ShareOption) error {
	sh := Share{Remote: remote, Local: local}
	for _, o := range opts {
		o(&sh)
	}
	return s.shares.add(sh)
}

// RemoveShare stops sharing remote: later requests for it are refused and
// the files and directories clients have open in it are closed.
func (s *Server) RemoveShare(remote string) error { return s.shares.remove(remote) }

// Shares lists the current shares by remote path.
func (s *Server) Shares() []Share { return s.shares.list() }

// enter registers a running Serve or ServeConn call; it fails once the
// server is closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// Serve accepts connections on l (e.g. the listener of the reverse port
// forward) and serves each in its own goroutine until ctx ends, l fails
// or the server is closed. It closes l and waits for the connections it
// accepted before it returns: ctx.Err() if ctx ended, ErrClosed after
// Close, else the listener's error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if !s.enter() {
		l.Close()
		return ErrClosed
	}
	defer s.wg.Done()
	s.mu.Lock()
	s.lns[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, l)
		s.mu.Unlock()
	}()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()

	var conns sync.WaitGroup
	defer conns.Wait()
	defer l.Close()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			switch {
			case closed:
				return ErrClosed
			case ctx.Err() != nil:
				return ctx.Err()
			}
			return fmt.Errorf("sharing: accept: %w", err)
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			if err := s.ServeConn(ctx, c); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Info("sharing: connection ended", "remote", c.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

// ServeConn serves one connection (for instance one forwarded channel of
// the reverse port forward) until the client leaves, ctx ends or the
// server is closed, and closes it. It returns nil when the client
// authenticated and left; a refused or failed handshake is an error.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) error {
	if !s.enter() {
		c.Close()
		return ErrClosed
	}
	defer s.wg.Done()
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	// A timer, not a deadline: connections of a reverse forward
	// (ssh.Client.Listen) do not support deadlines.
	expired := time.AfterFunc(s.handshake, func() { c.Close() })
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if !expired.Stop() && err == nil {
		sc.Close()
		err = errors.New("handshake timed out")
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("sharing: ssh handshake: %w", err)
	}
	s.log.Debug("sharing: client logged in", "remote", c.RemoteAddr().String())

	var wg sync.WaitGroup
	defer wg.Wait()
	defer sc.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs) // tcpip-forward, keepalives, …: all refused
	}()
	sessions := 0
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		if sessions > 0 {
			nc.Reject(ssh.Prohibited, "one session per connection")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		sessions++
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(ch, creqs)
		}()
	}
	return nil
}

// session runs one session channel: it waits for the "sftp" subsystem
// request, refusing every other request (exec, shell, pty, env, agent and
// X11 forwarding, other subsystems), then serves SFTP until the client
// closes the channel or the connection ends.
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "subsystem" || subsystemName(req.Payload) != "sftp" {
			s.log.Debug("sharing: refused request", "type", req.Type)
			if req.WantReply {
				req.Reply(false, nil)
			}
			continue
		}
		if req.WantReply {
			req.Reply(true, nil)
		}
		var drained sync.WaitGroup
		drained.Add(1)
		go func() {
			defer drained.Done()
			for req := range reqs {
				if req.WantReply {
					req.Reply(false, nil)
				}
			}
		}()
		err := s.serveSFTP(ch)
		if err != nil && !errors.Is(err, io.EOF) {
			s.log.Info("sharing: sftp session ended", "err", err)
		}
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
		ch.Close()
		drained.Wait()
		return
	}
}

// subsystemName decodes the payload of a subsystem request.
func subsystemName(payload []byte) string {
	var p struct{ Name string }
	if ssh.Unmarshal(payload, &p) != nil {
		return ""
	}
	return p.Name
}

// serveSFTP runs pkg/sftp's request server on ch through a wire.
func (s *Server) serveSFTP(ch ssh.Channel) error {
	w := newWire(ch, s.log)
	go w.flush()
	h := &handlers{shares: &s.shares, wire: w, log: s.log}
	rs := sftp.NewRequestServer(w, h.sftpHandlers(), s.rsOpts...)
	err := rs.Serve()
	w.finish()
	return err
}

// Close stops the server: it closes every listener given to Serve and
// every connection, waits until all Serve and ServeConn calls have
// returned, and closes the shared directories. Later calls do nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.lns {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.shares.closeAll()
	return nil
}
