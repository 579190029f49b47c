package x2go

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/control"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// ControlSession is one SSH connection to one X2Go server and every query
// on it (python-x2go's X2GoControlSession). Sessions run over it: each
// Session opens its own unless Options.ControlSession hands it a shared
// one, so that the sessions of one profile use one SSH connection.
//
// It is safe for concurrent use. Connect, Disconnect and the queries never
// wait for each other: a slow connect (or a host key question waiting for
// a person) does not stall IsConnected, and Disconnect gives it up.
type ControlSession struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	ctrl    *control.Session // nil while not connected
	closing chan struct{}    // closed by Disconnect for ctrl's watcher
	attempt *connectAttempt  // the connect in progress, if any
	users   map[*Session]struct{}
	masters map[string]*Session // per profile name: the session that shares the folders
	// resolvedUser is the login name the SSH configuration gave
	// (Options.UseSSHConfig), "" until the first connect.
	resolvedUser string
	watchWG      sync.WaitGroup
	bgWG         sync.WaitGroup // master handovers in progress
	// onDeath, set by a Client before the first connect, hears once of
	// every death of the connection while it was wanted.
	onDeath func(err error)
}

// connectAttempt is one connect in progress; callers that ask to connect
// meanwhile wait for it instead of dialling again.
type connectAttempt struct {
	cancel  context.CancelFunc
	done    chan struct{}
	aborted bool  // set by Disconnect, under ControlSession.mu
	err     error // the outcome, set before done is closed
}

// NewControlSession checks opts and returns an unconnected ControlSession.
// Of opts it uses the connection fields, ProfileName, Logger and
// Hooks.CheckHostKey.
func NewControlSession(opts Options) (*ControlSession, error) {
	if opts.Server == "" {
		return nil, errors.New("x2go: Options.Server is empty")
	}
	if opts.Username == "" && !opts.UseSSHConfig {
		return nil, errors.New("x2go: Options.Username is empty")
	}
	if opts.ProfileName == "" {
		opts.ProfileName = "UNKNOWN"
	}
	c := &ControlSession{opts: opts, log: opts.Logger, users: map[*Session]struct{}{}, masters: map[string]*Session{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// ProfileName returns the profile name given in Options.
func (c *ControlSession) ProfileName() string { return c.opts.ProfileName }

// Server returns the server name as given in Options (python-x2go's
// get_server_hostname).
func (c *ControlSession) Server() string { return c.opts.Server }

// Port returns the SSH port.
func (c *ControlSession) Port() int {
	if c.opts.Port == 0 {
		return 22
	}
	return c.opts.Port
}

// Username returns the login name: as given in Options, else (with
// Options.UseSSHConfig) the one the SSH configuration gave, once known.
func (c *ControlSession) Username() string {
	if c.opts.Username != "" {
		return c.opts.Username
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resolvedUser
}

func (c *ControlSession) sshConfig() sshconn.Config {
	o := &c.opts
	cfg := sshconn.Config{
		Host: o.Server, Port: o.Port, User: o.Username,
		Auth: sshconn.Auth{
			Password: o.Password, ForcePassword: o.ForcePasswordAuth,
			KeyFiles: o.KeyFiles, Signers: o.Signers, Passphrase: o.Passphrase,
			PassphrasePrompt: o.PassphrasePrompt, LookForKeys: o.LookForKeys,
			SSHDir: o.SSHDir, AllowAgent: o.AllowAgent,
			KeyboardInteractive: o.KeyboardInteractive,
		},
		HostKeys: sshconn.HostKeyConfig{
			KnownHostsFiles: o.KnownHostsFiles,
			AddUnknown:      o.AddToKnownHosts,
			Alias:           o.HostKeyAlias,
		},
		ConnectTimeout: o.ConnectTimeout,
		Logger:         c.log,
		ForwardAgent:   o.ForwardAgent,
	}
	if h := o.Hooks.CheckHostKey; h != nil {
		cfg.HostKeys.Ask = func(ctx context.Context, info sshconn.HostKeyInfo) (bool, error) {
			return h(ctx, c, info), nil
		}
	}
	if j := o.Jump; j != nil {
		jc := &sshconn.Config{
			Host: j.Host, Port: j.Port, User: j.Username,
			Auth: sshconn.Auth{Password: j.Password, KeyFiles: j.KeyFiles, Passphrase: j.Passphrase,
				LookForKeys: j.LookForKeys, AllowAgent: j.AllowAgent, SSHDir: o.SSHDir,
				PassphrasePrompt: o.PassphrasePrompt},
			HostKeys:       cfg.HostKeys,
			ConnectTimeout: o.ConnectTimeout,
			Logger:         c.log,
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

// Connect opens the SSH connection, logs in and checks that the user's
// home directory exists on the server. Connecting a connected
// ControlSession does nothing; a ControlSession whose connection died
// connects anew (the dead connection, and a jump host's, are closed
// first). A connect already in progress is joined, not repeated.
func (c *ControlSession) Connect(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.ctrl != nil && c.ctrl.Conn().Err() == nil {
			c.mu.Unlock()
			return nil
		}
		if a := c.attempt; a != nil {
			c.mu.Unlock()
			select {
			case <-a.done:
				if a.err != nil {
					return a.err
				}
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		a := &connectAttempt{done: make(chan struct{})}
		actx, cancel := context.WithCancel(ctx)
		a.cancel = cancel
		c.attempt = a
		old, oldClosing := c.ctrl, c.closing
		c.ctrl, c.closing = nil, nil
		c.mu.Unlock()
		if old != nil {
			close(oldClosing)
			old.Close()
			c.watchWG.Wait()
		}
		return c.dial(actx, a)
	}
}

// dial makes the connection of attempt a; it runs without the lock held.
func (c *ControlSession) dial(ctx context.Context, a *connectAttempt) error {
	defer a.cancel()
	var ctrl *control.Session
	var conn *sshconn.Conn
	cfg, err := c.dialConfig(ctx)
	if err == nil {
		conn, err = sshconn.Dial(ctx, cfg)
	}
	if err == nil {
		if ctrl, err = control.New(ctx, conn, c.log); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		err = fmt.Errorf("x2go: connecting to %s: %w", c.opts.Server, err)
	}
	c.mu.Lock()
	c.attempt = nil
	switch {
	case a.aborted:
		if ctrl != nil {
			defer ctrl.Close()
		}
		err = fmt.Errorf("%w: %s", ErrConnectAborted, c.opts.Server)
	case err == nil:
		c.ctrl, c.closing = ctrl, make(chan struct{})
		c.watchWG.Add(1)
		go c.watch(ctrl, c.closing)
		c.log.Debug("connected", "server", c.opts.Server, "user", c.opts.Username)
	}
	a.err = err
	c.mu.Unlock()
	close(a.done)
	return err
}

// watch tells the Sessions using the connection when it dies while it is
// still wanted.
func (c *ControlSession) watch(ctrl *control.Session, closing chan struct{}) {
	defer c.watchWG.Done()
	select {
	case <-closing:
		return
	case <-ctrl.Conn().Done():
	}
	select {
	case <-closing:
		return
	default:
	}
	err := ctrl.Conn().Err()
	c.log.Warn("control session died", "server", c.opts.Server, "err", err)
	if c.onDeath != nil {
		c.onDeath(err)
	}
	for _, s := range c.sessions() {
		s.controlDied(err)
	}
}

func (c *ControlSession) sessions() []*Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Keys(c.users))
}

func (c *ControlSession) attach(s *Session) {
	c.mu.Lock()
	c.users[s] = struct{}{}
	c.mu.Unlock()
}

func (c *ControlSession) detach(s *Session) {
	c.mu.Lock()
	delete(c.users, s)
	c.mu.Unlock()
	c.releaseMaster(s)
}

// claimMaster reports whether s is its profile's master session, the one
// that mounts the profile's shared folders, making it the master when the
// profile has none that runs (python-x2go's master-session rule: the first
// session of a profile to run; when it ends, the next running one).
func (c *ControlSession) claimMaster(s *Session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.masters[s.ProfileName()]
	if m == s {
		return true
	}
	if m != nil {
		if _, attached := c.users[m]; attached && m.runsHere() {
			return false
		}
	}
	c.masters[s.ProfileName()] = s
	return true
}

// isMaster reports whether s is its profile's master session now.
func (c *ControlSession) isMaster(s *Session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.masters[s.ProfileName()] == s
}

// releaseMaster gives up s's master role when it has it, and hands the
// role to another running session of the profile, which then mounts its
// folders (in the background: the caller may be one of s's lifecycle
// calls).
func (c *ControlSession) releaseMaster(s *Session) {
	c.mu.Lock()
	profile := s.ProfileName()
	if c.masters[profile] != s {
		c.mu.Unlock()
		return
	}
	delete(c.masters, profile)
	var next *Session
	for u := range c.users {
		if u != s && u.ProfileName() == profile && u.folders != nil && u.runsHere() {
			next = u
			break
		}
	}
	if next != nil {
		c.masters[profile] = next
		c.bgWG.Add(1)
	}
	c.mu.Unlock()
	if next == nil {
		return
	}
	go func() {
		defer c.bgWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := next.folders.ShareAll(ctx); err != nil {
			c.log.Warn("the new master session could not share its folders", "session", next.Name(), "err", err)
		}
	}()
}

// Disconnect gives up a connect in progress, suspends the X2Go sessions
// that Sessions drive over this connection (as python-x2go does: they stay
// on the server, suspended, and can be resumed), and closes the
// connection. Connect may be called again afterwards.
func (c *ControlSession) Disconnect() error {
	c.mu.Lock()
	a := c.attempt
	if a != nil {
		a.aborted = true
		a.cancel()
	}
	c.mu.Unlock()
	if a != nil {
		<-a.done
	}
	for _, s := range c.sessions() {
		s.suspendForDisconnect()
	}
	c.bgWG.Wait()
	c.mu.Lock()
	ctrl, closing := c.ctrl, c.closing
	c.ctrl, c.closing = nil, nil
	c.mu.Unlock()
	if ctrl == nil {
		return nil
	}
	close(closing)
	err := ctrl.Close()
	c.watchWG.Wait()
	return err
}

// Close is Disconnect.
func (c *ControlSession) Close() error { return c.Disconnect() }

// IsConnected reports whether the connection is up. It never waits for a
// connect in progress.
func (c *ControlSession) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctrl != nil && c.ctrl.Conn().Err() == nil
}

// current returns the live control session.
func (c *ControlSession) current() (*control.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctrl == nil {
		return nil, ErrNotConnected
	}
	if err := c.ctrl.Conn().Err(); err != nil {
		return nil, err
	}
	return c.ctrl, nil
}

// RemoteHome returns the user's home directory on the server ("" while
// not connected).
func (c *ControlSession) RemoteHome() string {
	ctrl, err := c.current()
	if err != nil {
		return ""
	}
	return ctrl.Home()
}

// ServerPeerName returns the IP address and port of the SSH peer
// (python-x2go's get_server_peername).
func (c *ControlSession) ServerPeerName() (string, int, error) {
	ctrl, err := c.current()
	if err != nil {
		return "", 0, err
	}
	addr := ctrl.Conn().RemoteAddr()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String(), tcp.Port, nil
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, p, err
}

// ServerFeatures returns the sorted feature names of x2gofeaturelist,
// fetched once per connection.
func (c *ControlSession) ServerFeatures(ctx context.Context) ([]string, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return ctrl.Features(ctx)
}

// HasServerFeature reports whether the server has feature (e.g.
// X2GO_LIST_SHADOWSESSIONS).
func (c *ControlSession) HasServerFeature(ctx context.Context, feature string) (bool, error) {
	ctrl, err := c.current()
	if err != nil {
		return false, err
	}
	return ctrl.HasFeature(ctx, feature)
}

// requireFeature returns a *FeatureError when the server lacks feature.
func (c *ControlSession) requireFeature(ctx context.Context, feature string) error {
	ctrl, err := c.current()
	if err != nil {
		return err
	}
	return ctrl.RequireFeature(ctx, feature)
}

// ServerVersions returns the x2goserver components and their versions
// (x2goversion), fetched once per connection.
func (c *ControlSession) ServerVersions(ctx context.Context) (map[string]string, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return ctrl.Versions(ctx)
}

// ServerVersion returns the version of one component (default
// "x2goserver"); ErrNotX2GoServer if it is not installed.
func (c *ControlSession) ServerVersion(ctx context.Context, component string) (string, error) {
	if component == "" {
		component = "x2goserver"
	}
	v, err := c.ServerVersions(ctx)
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
func (c *ControlSession) IsX2GoServer(ctx context.Context) (bool, error) {
	_, err := c.ServerVersion(ctx, "x2goserver")
	if errors.Is(err, ErrNotX2GoServer) {
		return false, nil
	}
	return err == nil, err
}

// UserIsX2GoUser reports whether the login user may use X2Go on the
// server: it can run x2golistsessions. (python-x2go always answers true.)
func (c *ControlSession) UserIsX2GoUser(ctx context.Context) (bool, error) {
	ctrl, err := c.current()
	if err != nil {
		return false, err
	}
	return ctrl.UserIsX2GoUser(ctx)
}

// ListSessions returns the user's running and suspended X2Go sessions,
// desktop-sharing (shadow) sessions included, in the server's order. A
// line of the server's answer that cannot be read is skipped (and logged).
func (c *ControlSession) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return ctrl.ListSessions(ctx)
}

// SessionInfoByName returns the listed session called name, or an error
// matching ErrNoSuchSession.
func (c *ControlSession) SessionInfoByName(ctx context.Context, name string) (SessionInfo, error) {
	ctrl, err := c.current()
	if err != nil {
		return SessionInfo{}, err
	}
	return ctrl.FindSession(ctx, name)
}

// ListDesktops returns the desktops the user may share (user@:display),
// within Options.Timeouts.ListDesktops (else a *TimeoutError matching
// ErrListDesktopsTimeout).
func (c *ControlSession) ListDesktops(ctx context.Context) ([]string, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return bounded(ctx, c.opts.Timeouts.ListDesktops, ErrListDesktopsTimeout, ctrl.ListDesktops)
}

// ListMounts returns the client folders mounted in session name.
func (c *ControlSession) ListMounts(ctx context.Context, name string) ([]Mount, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return ctrl.ListMounts(ctx, name)
}

// The published applications are read from the server once per
// connection and kept, as python-x2go keeps its menu;
// RefreshPublishedApplications reads them again. Reading them is bounded
// by Options.Timeouts.Menu (else a *TimeoutError matching ErrMenuTimeout).

// PublishedApplicationsText returns the published applications as the
// server sends them: x2gogetapps' output (python-x2go's very_raw form).
func (c *ControlSession) PublishedApplicationsText(ctx context.Context) (string, error) {
	return c.appsText(ctx, false)
}

// RefreshPublishedApplications reads the published applications from the
// server again (python-x2go's refresh), e.g. after the server's
// administrator changed them.
func (c *ControlSession) RefreshPublishedApplications(ctx context.Context) error {
	_, err := c.appsText(ctx, true)
	return err
}

func (c *ControlSession) appsText(ctx context.Context, refresh bool) (string, error) {
	ctrl, err := c.current()
	if err != nil {
		return "", err
	}
	return bounded(ctx, c.opts.Timeouts.Menu, ErrMenuTimeout, func(ctx context.Context) (string, error) {
		return ctrl.ApplicationsText(ctx, refresh)
	})
}

// PublishedApplicationsRaw returns the published applications as the
// server describes them (x2gogetapps), icons decoded (python-x2go's raw
// form).
func (c *ControlSession) PublishedApplicationsRaw(ctx context.Context) ([]Application, error) {
	ctrl, err := c.current()
	if err != nil {
		return nil, err
	}
	return bounded(ctx, c.opts.Timeouts.Menu, ErrMenuTimeout, func(ctx context.Context) ([]Application, error) {
		return ctrl.Applications(ctx, false)
	})
}

// PublishedApplications returns the published applications menu for
// language lang (e.g. "de_DE"; "" = the names without a language), grouped
// into categories as python-x2go does; with at most maxNoSubmenus entries
// (default 10) all go into category "TOP". Entries carry their icons.
func (c *ControlSession) PublishedApplications(ctx context.Context, lang string, maxNoSubmenus int) (Menu, error) {
	apps, err := c.PublishedApplicationsRaw(ctx)
	if err != nil {
		return nil, err
	}
	if maxNoSubmenus <= 0 {
		maxNoSubmenus = protocol.DefaultMaxNoSubmenus
	}
	return protocol.BuildMenu(apps, lang, maxNoSubmenus), nil
}

// driverOf returns the Session over this connection that drives the X2Go
// session called name, if any.
func (c *ControlSession) driverOf(name string) *Session {
	for _, s := range c.sessions() {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// SuspendSession suspends the server session called name, whichever
// client shows it (python-x2go's suspend by name); a Session over this
// connection that drives it suspends it itself. A session that is already
// suspended is left alone.
func (c *ControlSession) SuspendSession(ctx context.Context, name string) error {
	if s := c.driverOf(name); s != nil {
		return s.Suspend(ctx)
	}
	ctrl, err := c.current()
	if err != nil {
		return err
	}
	return ctrl.SuspendSession(ctx, name)
}

// TerminateSession terminates the server session called name; a Session
// over this connection that drives it terminates it itself.
func (c *ControlSession) TerminateSession(ctx context.Context, name string) error {
	if s := c.driverOf(name); s != nil {
		return s.Terminate(ctx)
	}
	ctrl, err := c.current()
	if err != nil {
		return err
	}
	return ctrl.TerminateSession(ctx, name)
}

// CleanSessions terminates every session of the user on the server
// (published-applications providers only when published is true).
func (c *ControlSession) CleanSessions(ctx context.Context, published bool) error {
	list, err := c.ListSessions(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, si := range list {
		if n, err := protocol.ParseSessionName(si.Name); err == nil && n.Type == protocol.TypePublished && !published {
			continue
		}
		if err := c.TerminateSession(ctx, si.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
