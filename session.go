package x2go

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// Session is one SSH control connection to an X2Go server plus the X2Go
// session this client drives on it (python-x2go's X2GoSession). It is safe
// for concurrent use.
type Session struct {
	opts  Options
	hooks Hooks
	log   *slog.Logger

	mu       sync.Mutex
	conn     *sshconn.Conn
	home     string
	features []string
	versions map[string]string
	watchWG  sync.WaitGroup
	closing  chan struct{}

	term termState // the X2Go session this client drives (lifecycle.go)
}

// NewSession checks opts and returns an unconnected Session.
func NewSession(opts Options) (*Session, error) {
	if opts.Server == "" {
		return nil, errors.New("x2go: Options.Server is empty")
	}
	if opts.Username == "" {
		return nil, errors.New("x2go: Options.Username is empty")
	}
	s := &Session{opts: opts, hooks: opts.Hooks, log: opts.Logger}
	if s.hooks == nil {
		s.hooks = NopHooks{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.ProfileName == "" {
		s.opts.ProfileName = "UNKNOWN"
	}
	s.initTerm()
	return s, nil
}

// ProfileName returns the profile name given in Options.
func (s *Session) ProfileName() string { return s.opts.ProfileName }

// Options returns the session's options without credentials.
func (s *Session) Options() Options {
	o := s.opts
	o.Password, o.Passphrase, o.Signers = "", "", nil
	if o.Jump != nil {
		j := *o.Jump
		j.Password, j.Passphrase = "", ""
		o.Jump = &j
	}
	return o
}

func (s *Session) sshConfig(ctx context.Context) sshconn.Config {
	o := &s.opts
	cfg := sshconn.Config{
		Host: o.Server, Port: o.Port, User: o.Username,
		Auth: sshconn.Auth{
			Password: o.Password, ForcePassword: o.ForcePasswordAuth,
			KeyFiles: o.KeyFiles, Signers: o.Signers, Passphrase: o.Passphrase,
			PassphrasePrompt: passphrasePrompt(o.PassphrasePrompt), LookForKeys: o.LookForKeys,
			SSHDir: o.SSHDir, AllowAgent: o.AllowAgent,
			KeyboardInteractive: o.KeyboardInteractive,
		},
		HostKeys: sshconn.HostKeyConfig{
			KnownHostsFiles: o.KnownHostsFiles,
			AddUnknown:      o.AddToKnownHosts,
			Alias:           o.HostKeyAlias,
			Ask: func(ctx context.Context, info sshconn.HostKeyInfo) (bool, error) {
				return s.hooks.CheckHostKey(ctx, s, info), nil
			},
		},
		ConnectTimeout: o.ConnectTimeout,
		Logger:         s.log,
	}
	if j := o.Jump; j != nil {
		jc := &sshconn.Config{
			Host: j.Host, Port: j.Port, User: j.Username,
			Auth: sshconn.Auth{Password: j.Password, KeyFiles: j.KeyFiles, Passphrase: j.Passphrase,
				LookForKeys: j.LookForKeys, AllowAgent: j.AllowAgent, SSHDir: o.SSHDir},
			HostKeys:       cfg.HostKeys,
			ConnectTimeout: o.ConnectTimeout,
			Logger:         s.log,
		}
		jc.HostKeys.Alias = ""
		if j.ReuseAuth {
			jc.Auth = cfg.Auth
		}
		if jc.User == "" {
			jc.User = o.Username
		}
		cfg.Jump = jc
	}
	return cfg
}

// passphrasePrompt adapts Options.PassphrasePrompt to sshconn's, which
// takes a context. TODO(lead): let Options.PassphrasePrompt take the ctx.
func passphrasePrompt(f func(keyFile string) (string, error)) func(context.Context, string) (string, error) {
	if f == nil {
		return nil
	}
	return func(_ context.Context, keyFile string) (string, error) { return f(keyFile) }
}

// Connect opens the SSH control connection, logs in and checks that the
// user's home directory exists on the server. Connecting a connected
// Session does nothing.
func (s *Session) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && s.conn.Err() == nil {
		return nil
	}
	conn, err := sshconn.Dial(ctx, s.sshConfig(ctx))
	if err != nil {
		return fmt.Errorf("x2go: connecting to %s: %w", s.opts.Server, err)
	}
	// The remote home is needed by every session operation; fetch and
	// check it in the same round trip.
	res, err := conn.Run(ctx, protocol.HomeCheckCmd())
	if err != nil {
		conn.Close()
		return fmt.Errorf("x2go: %w", err)
	}
	home, ok := protocol.ParseHomeCheck(res.Stdout)
	if !ok {
		conn.Close()
		return fmt.Errorf("%w: %q", ErrRemoteHome, strings.TrimSpace(res.Stdout))
	}
	s.conn, s.home, s.features, s.versions = conn, home, nil, nil
	s.closing = make(chan struct{})
	s.watchWG.Add(1)
	go s.watchConn(conn, s.closing)
	s.log.Debug("connected", "server", s.opts.Server, "user", s.opts.Username)
	return nil
}

// watchConn calls the ControlSessionDeath hook when the connection dies
// while the caller still wants it.
func (s *Session) watchConn(conn *sshconn.Conn, closing chan struct{}) {
	defer s.watchWG.Done()
	select {
	case <-closing:
	case <-conn.Done():
		select {
		case <-closing:
			return
		default:
		}
		err := conn.Err()
		s.log.Warn("control session died", "err", err)
		s.connectionLost(err)
		s.hooks.ControlSessionDeath(s, err)
	}
}

// Disconnect closes the control connection. A running X2Go session driven
// by this client loses its graphics but keeps running on the server (the
// server suspends it when it notices).
func (s *Session) Disconnect() error {
	s.stopTerm(context.Background())
	s.mu.Lock()
	conn := s.conn
	closing := s.closing
	s.conn, s.closing = nil, nil
	s.mu.Unlock()
	if conn == nil {
		return nil
	}
	close(closing)
	err := conn.Close()
	s.watchWG.Wait()
	return err
}

// Close is Disconnect.
func (s *Session) Close() error { return s.Disconnect() }

// IsConnected reports whether the control connection is up.
func (s *Session) IsConnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil && s.conn.Err() == nil
}

func (s *Session) connection() (*sshconn.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil, ErrNotConnected
	}
	if err := s.conn.Err(); err != nil {
		return nil, err
	}
	return s.conn, nil
}

// run runs an x2go command and turns a non-zero exit into *ServerError.
func (s *Session) run(ctx context.Context, cmd string) (string, error) {
	conn, err := s.connection()
	if err != nil {
		return "", err
	}
	res, err := conn.Run(ctx, cmd)
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	if res.Status != 0 {
		return res.Stdout, &ServerError{Command: cmd, Status: res.Status, Stderr: strings.TrimSpace(res.Stderr)}
	}
	return res.Stdout, nil
}

// RemoteHome returns the user's home directory on the server.
func (s *Session) RemoteHome() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.home
}

// ServerFeatures returns the sorted feature names of x2gofeaturelist. The
// list is fetched once per connection.
func (s *Session) ServerFeatures(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	f := s.features
	s.mu.Unlock()
	if f != nil {
		return slices.Clone(f), nil
	}
	out, err := s.run(ctx, protocol.FeatureListCmd())
	if err != nil {
		return nil, err
	}
	f, err = protocol.ParseFeatures(out)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = []string{}
	}
	s.mu.Lock()
	s.features = f
	s.mu.Unlock()
	return slices.Clone(f), nil
}

// HasServerFeature reports whether the server has feature (e.g.
// X2GO_LIST_SHADOWSESSIONS).
func (s *Session) HasServerFeature(ctx context.Context, feature string) (bool, error) {
	f, err := s.ServerFeatures(ctx)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(f, feature)
	return found, nil
}

func (s *Session) requireFeature(ctx context.Context, feature string) error {
	ok, err := s.HasServerFeature(ctx, feature)
	if err != nil {
		return err
	}
	if !ok {
		return &FeatureError{Feature: feature}
	}
	return nil
}

// ServerVersions returns the x2goserver components and their versions
// (x2goversion), fetched once per connection.
func (s *Session) ServerVersions(ctx context.Context) (map[string]string, error) {
	s.mu.Lock()
	v := s.versions
	s.mu.Unlock()
	if v == nil {
		out, err := s.run(ctx, protocol.VersionCmd())
		if err != nil {
			var se *ServerError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%w: x2goversion is missing or failed: %v", ErrNotX2GoServer, err)
			}
			return nil, err
		}
		if v, err = protocol.ParseVersions(out); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.versions = v
		s.mu.Unlock()
	}
	out := make(map[string]string, len(v))
	for k, val := range v {
		out[k] = val
	}
	return out, nil
}

// ServerVersion returns the version of one component (default
// "x2goserver"); ErrNotX2GoServer if it is not installed.
func (s *Session) ServerVersion(ctx context.Context, component string) (string, error) {
	if component == "" {
		component = "x2goserver"
	}
	v, err := s.ServerVersions(ctx)
	if err != nil {
		return "", err
	}
	ver, ok := v[component]
	if !ok {
		return "", fmt.Errorf("%w: component %s not installed", ErrNotX2GoServer, component)
	}
	return ver, nil
}

// IsX2GoServer reports whether the server has x2goserver installed (the
// check pyhoca-cli makes after login).
func (s *Session) IsX2GoServer(ctx context.Context) (bool, error) {
	_, err := s.ServerVersion(ctx, "x2goserver")
	if errors.Is(err, ErrNotX2GoServer) {
		return false, nil
	}
	return err == nil, err
}

// UserIsX2GoUser reports whether the login user may use X2Go on the
// server: it can run x2golistsessions. (python-x2go always answers true.)
func (s *Session) UserIsX2GoUser(ctx context.Context) (bool, error) {
	_, err := s.run(ctx, protocol.CanListSessionsCmd())
	var se *ServerError
	if errors.As(err, &se) {
		return false, nil
	}
	return err == nil, err
}

// ServerHostname returns the server name the session connects to, as given
// in Options (python-x2go's get_server_hostname).
func (s *Session) ServerHostname() string { return s.opts.Server }

// ServerPort returns the SSH port the session connects to.
func (s *Session) ServerPort() int {
	if s.opts.Port == 0 {
		return 22
	}
	return s.opts.Port
}

// ServerPeerName returns the IP address and port of the SSH peer
// (python-x2go's get_server_peername).
func (s *Session) ServerPeerName() (string, int, error) {
	conn, err := s.connection()
	if err != nil {
		return "", 0, err
	}
	addr := conn.RemoteAddr()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String(), tcp.Port, nil
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", 0, err
	}
	var p int
	fmt.Sscan(port, &p)
	return host, p, nil
}

// ListSessions returns the user's running and suspended X2Go sessions,
// desktop-sharing (shadow) sessions included, in the server's order.
func (s *Session) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	// The two lists are independent Perl scripts of ~0.3 s each: run them
	// on two channels at once. The shadow list is skipped by the server
	// itself when the script is not installed.
	var (
		wg            sync.WaitGroup
		shadowOut     string
		shadowErr     error
		normal, other = protocol.ListSessionsCmd(false), protocol.ListShadowSessionsCmd()
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		shadowOut, shadowErr = s.run(ctx, other)
	}()
	out, err := s.run(ctx, normal)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if shadowErr != nil {
		return nil, shadowErr
	}
	list, err := protocol.ParseSessionList(out + shadowOut)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// SessionInfoByName returns the listed session called name, or an error
// matching ErrNoSuchSession.
func (s *Session) SessionInfoByName(ctx context.Context, name string) (SessionInfo, error) {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return SessionInfo{}, err
	}
	for _, si := range list {
		if si.Name == name {
			return si, nil
		}
	}
	return SessionInfo{}, fmt.Errorf("%w: %s", ErrNoSuchSession, name)
}

// ListDesktops returns the desktops the user may share (user@:display).
func (s *Session) ListDesktops(ctx context.Context) ([]string, error) {
	if err := s.requireFeature(ctx, "X2GO_LIST_DESKTOPS"); err != nil {
		return nil, err
	}
	out, err := s.run(ctx, protocol.ListDesktopsCmd())
	if err != nil {
		return nil, err
	}
	return protocol.ParseDesktops(out)
}

// ListMounts returns the client folders mounted in session name.
func (s *Session) ListMounts(ctx context.Context, name string) ([]Mount, error) {
	cmd, err := protocol.ListMountsCmd(name)
	if err != nil {
		return nil, err
	}
	out, err := s.run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return protocol.ParseMounts(out)
}

// PublishedApplicationsRaw returns the published applications as the
// server describes them (x2gogetapps), icons decoded.
func (s *Session) PublishedApplicationsRaw(ctx context.Context) ([]Application, error) {
	if err := s.requireFeature(ctx, "X2GO_PUBLISHED_APPLICATIONS"); err != nil {
		return nil, err
	}
	out, err := s.run(ctx, protocol.GetAppsCmd())
	if err != nil {
		return nil, err
	}
	return protocol.ParseApplications(out)
}

// PublishedApplications returns the published applications menu for
// language lang (e.g. "de_DE"; "" = English), grouped into categories as
// python-x2go does; with at most maxNoSubmenus entries (default 10) all go
// into category "TOP".
func (s *Session) PublishedApplications(ctx context.Context, lang string, maxNoSubmenus int) (Menu, error) {
	apps, err := s.PublishedApplicationsRaw(ctx)
	if err != nil {
		return nil, err
	}
	if maxNoSubmenus <= 0 {
		maxNoSubmenus = 10
	}
	return protocol.BuildMenu(apps, lang, maxNoSubmenus), nil
}

// ExecPublishedApplication starts exec, the command line of a published
// application (a menu entry's Exec from PublishedApplications), detached
// inside the running session this Session drives, with DISPLAY and
// X2GO_SESSION set (python-x2go's exec_published_application). Its windows
// appear on the local display like the session's own. It is meant for
// sessions started as published-applications providers (Params.SessionType
// "published"), and works in any running session.
func (s *Session) ExecPublishedApplication(ctx context.Context, exec string) error {
	name := s.Name()
	if name == "" || s.Status() != StatusRunning {
		return fmt.Errorf("%w: it must be running to start an application", ErrNoActiveSession)
	}
	sn, err := protocol.ParseSessionName(name)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	cmd, err := protocol.ExecPublishedCmd(protocol.ExecParams{Display: sn.Display, Name: name, Exec: exec})
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	_, err = s.run(ctx, cmd)
	return err
}
