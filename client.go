package x2go

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/profile"
	"golang.org/x/crypto/ssh"
)

// ErrClientClosed: the Client has been closed.
var ErrClientClosed = errors.New("x2go: client closed")

// ClientOptions configure a Client. The zero value is usable: sessions
// are registered with explicit Options only, the status is refreshed
// every 5 seconds.
type ClientOptions struct {
	// Defaults are what RegisterProfile starts from before it lays a
	// profile over it (see ProfileOptions): known hosts files and policy,
	// hooks, logger, and the local side of sessions (Params.NXProxy,
	// SessionsRoot, Env). Register uses the Options it is given as they
	// are.
	Defaults Options
	// Profiles are the session profiles RegisterProfile finds names and
	// IDs in (X2Go Client's sessions file, see profile.LoadSessions).
	// Ignored when Broker is set.
	Profiles *profile.Sessions
	// Printing is X2Go Client's printing file, which says what to do with
	// the print jobs of profiles with print=true; nil: python-x2go's
	// defaults (see ProfileOptions).
	Printing *profile.Printing
	// Broker, when set, hands out the profiles (Profiles) and says, for
	// every profile session registered, which server to connect to, with
	// which key, and which session to resume (see RegisterProfile). The
	// caller closes it after the Client.
	Broker broker.Broker
	// BrokerSigner is the private key whose public key the broker was
	// offered (broker.HTTPConfig.PublicKey); when the broker reports it
	// accepted (Selection.PublicKeyAccepted), sessions log in with it only.
	BrokerSigner ssh.Signer

	// RefreshInterval is how often the status of the registered sessions
	// is refreshed from the servers in the background (python-x2go's
	// refresh_interval; default 5 s); negative turns the background
	// refresh off (Refresh still works).
	RefreshInterval time.Duration
	// AutoRegister registers the sessions the refresh finds on a connected
	// server that no Session of this Client drives (python-x2go's
	// auto_register_sessions), so that sessions started, resumed,
	// suspended and terminated by other clients are seen and reported
	// (ClientHooks), and can be suspended or terminated through the Client.
	AutoRegister bool
	// MaxParallel bounds the servers talked to at once by Refresh,
	// ListServers and the other calls across servers (default 16).
	MaxParallel int
	// Hooks receive the registry's events.
	Hooks ClientHooks
	// Logger receives debug and informational messages; nil discards them.
	Logger *slog.Logger
}

// SessionEvent describes a session the registry saw change.
type SessionEvent struct {
	// UUID is the registration of the Session in this Client.
	UUID    string
	Session *Session
	// ProfileName names the profile the Session was registered for.
	ProfileName string
	// Name is the X2Go session's name on the server.
	Name string
	// ByMe is true when this client caused the change, false when another
	// client or the server did.
	ByMe bool
}

// ClientHooks are the registry's callbacks (python-x2go's client hooks
// fired by its session registry). Every field is optional. They are
// called on the goroutine that noticed the change (the background
// refresh, a lifecycle call, a session's watcher) without any lock of the
// Client held; they must not block for long and must not call Close, or
// a lifecycle method of the Session concerned, synchronously.
type ClientHooks struct {
	// SessionStarted: a session began to run, started by this client or,
	// found by the refresh (ClientOptions.AutoRegister), by another one
	// (HOOK_on_session_has_started_by_me and _by_other). A virgin Session
	// that resumes a session counts as starting it, as in python-x2go.
	SessionStarted func(SessionEvent)
	// SessionResumed: a suspended session runs again, resumed here or by
	// another client (HOOK_on_session_has_resumed_by_me and _by_other).
	SessionResumed func(SessionEvent)
	// FoundRunningAfterConnect: the first refresh after connecting found
	// the session running, started earlier by another client
	// (HOOK_on_found_session_running_after_connect; AutoRegister only).
	FoundRunningAfterConnect func(SessionEvent)
	// SessionSuspended: the session was suspended, here or elsewhere
	// (HOOK_on_session_has_been_suspended).
	SessionSuspended func(SessionEvent)
	// SessionTerminated: the session ended, here or elsewhere
	// (HOOK_on_session_has_terminated).
	SessionTerminated func(SessionEvent)
	// ControlSessionLost: the SSH connection of a control session the
	// Client opened died while it was wanted; called once per connection,
	// not once per session on it (HOOK_on_control_session_death). Sessions
	// report it through their own Hooks.ControlSessionDeath too. It must
	// not call c.Disconnect or Close synchronously.
	ControlSessionLost func(c *ControlSession, err error)
}

// Client is python-x2go's X2GoClient: a registry of Sessions, each known
// by a UUID, registered from explicit Options or from session profiles
// (a sessions file or a broker), many at once and on many servers. The
// Sessions of one server and user share one control session, and so one
// SSH connection; the master-session rule (who shares a profile's
// folders) holds per profile on it. A background refresh follows the
// status of the sessions on every connected server and reports what
// changed (ClientHooks). Calls across servers (ListServers,
// SuspendMatching, TerminateMatching) talk to the servers in parallel and
// report each server's outcome on its own.
//
// A Client is safe for concurrent use. Close ends the refresh and every
// connection it opened.
type Client struct {
	opts ClientOptions
	log  *slog.Logger

	mu        sync.Mutex
	closed    bool
	entries   map[*Session]*clientEntry
	byUUID    map[string]*clientEntry
	order     []*clientEntry // registration order
	ctrls     map[string]*ctrlEntry
	ctrlOrder []*ctrlEntry

	profMu   sync.Mutex
	profiles *profile.Sessions // the broker's, once listed

	base   context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// clientEntry is one registered Session.
type clientEntry struct {
	uuid string
	s    *Session
	ctrl *ctrlEntry
	// stable is the last status the registry classified (virgin, running,
	// suspended, terminated); the passing ones (starting, faulty, unknown)
	// do not count.
	stable Status
	auto   bool // registered by the refresh, drives nothing here
	found  bool // auto, found by the first list after a connect
	sel    *broker.Selection
}

// ctrlEntry is one control session of the registry.
type ctrlEntry struct {
	key  string
	ctrl *ControlSession
	own  bool    // made by the Client (closed by Close)
	tmpl Options // the options of its first Session, for auto-registration
	// listed: a refresh has listed the sessions since the last connect.
	listed bool
}

// NewClient returns a Client and starts its background refresh.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = 5 * time.Second
	}
	if opts.MaxParallel <= 0 {
		opts.MaxParallel = 16
	}
	c := &Client{
		opts: opts, log: opts.Logger,
		entries: map[*Session]*clientEntry{}, byUUID: map[string]*clientEntry{},
		ctrls: map[string]*ctrlEntry{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	if opts.RefreshInterval > 0 {
		c.wg.Add(1)
		go c.refreshLoop(opts.RefreshInterval)
	}
	return c, nil
}

// connKey names the SSH connection opts ask for: server, port, user and
// the route there. Sessions with the same key share one control session.
func connKey(o *Options) string {
	port := o.Port
	if port == 0 {
		port = 22
	}
	k := o.Username + "@" + o.Server + ":" + strconv.Itoa(port)
	if o.UseSSHConfig {
		k += " F=" + o.SSHConfigFile
	}
	if j := o.Jump; j != nil {
		jp := j.Port
		if jp == 0 {
			jp = 22
		}
		k += " J=" + j.Username + "@" + j.Host + ":" + strconv.Itoa(jp)
	}
	return k
}

// Register registers a Session with opts and returns it. Sessions whose
// Options name the same server, port, user and jump host share one
// control session (the connection options of the first one are used for
// it); Options.ControlSession, when set, is used as it is. The Session's
// hooks are called as usual; the registry's come on top.
func (c *Client) Register(opts Options) (*Session, error) {
	s, _, err := c.register(opts, false)
	return s, err
}

func (c *Client) register(opts Options, auto bool) (*Session, *clientEntry, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, ErrClientClosed
	}
	var ce *ctrlEntry
	if opts.ControlSession != nil {
		for _, x := range c.ctrlOrder {
			if x.ctrl == opts.ControlSession {
				ce = x
			}
		}
		key := fmt.Sprintf("ctrl %p", opts.ControlSession)
		if ce == nil {
			ce = &ctrlEntry{key: key, ctrl: opts.ControlSession, tmpl: opts}
			c.addCtrl(ce)
		}
	} else {
		key := connKey(&opts)
		if ce = c.ctrls[key]; ce == nil {
			ctrl, err := NewControlSession(opts)
			if err != nil {
				c.mu.Unlock()
				return nil, nil, err
			}
			ce = &ctrlEntry{key: key, ctrl: ctrl, own: true, tmpl: opts}
			ctrl.onDeath = func(err error) { c.controlLost(ce, err) }
			c.addCtrl(ce)
		}
	}
	c.mu.Unlock()

	user := opts.Hooks
	opts.Hooks.StatusChanged = func(s *Session, ch StatusChange) {
		if user.StatusChanged != nil {
			user.StatusChanged(s, ch)
		}
		c.statusChanged(s, ch)
	}
	opts.ControlSession = ce.ctrl
	s, err := NewSession(opts)
	if err != nil {
		return nil, nil, err
	}
	e := &clientEntry{uuid: uuid.NewString(), s: s, ctrl: ce, stable: StatusVirgin, auto: auto}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.Disconnect()
		return nil, nil, ErrClientClosed
	}
	c.entries[s], c.byUUID[e.uuid] = e, e
	c.order = append(c.order, e)
	c.mu.Unlock()
	c.log.Debug("session registered", "uuid", e.uuid, "profile", s.ProfileName(), "server", ce.ctrl.Server(), "auto", auto)
	return s, e, nil
}

func (c *Client) addCtrl(ce *ctrlEntry) {
	c.ctrls[ce.key] = ce
	c.ctrlOrder = append(c.ctrlOrder, ce)
}

// Profiles returns the session profiles: the broker's (listed once, then
// kept; ReloadProfiles lists again) or ClientOptions.Profiles.
func (c *Client) Profiles(ctx context.Context) (*profile.Sessions, error) {
	if c.opts.Broker == nil {
		if c.opts.Profiles == nil {
			return profile.NewSessions(), nil
		}
		return c.opts.Profiles, nil
	}
	c.profMu.Lock()
	defer c.profMu.Unlock()
	if c.profiles != nil {
		return c.profiles, nil
	}
	p, err := c.opts.Broker.ListProfiles(ctx)
	if err != nil && p == nil {
		return nil, err
	}
	c.profiles = p
	return p, err
}

// ReloadProfiles asks the broker for the profiles again.
func (c *Client) ReloadProfiles(ctx context.Context) (*profile.Sessions, error) {
	c.profMu.Lock()
	c.profiles = nil
	c.profMu.Unlock()
	return c.Profiles(ctx)
}

// RegisterProfile registers a Session for the profile called nameOrID
// (a name, else an ID) with the options ResolveProfile gives; edit, if
// given, then changes what the caller wants otherwise (python-x2go's
// overriding keyword arguments; pyhoca-cli's -u, -c, -g with -P).
func (c *Client) RegisterProfile(ctx context.Context, nameOrID string, edit func(*Options)) (*Session, error) {
	o, sel, err := c.ResolveProfile(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(&o)
	}
	s, e, err := c.register(o, false)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e.sel = sel
	c.mu.Unlock()
	return s, nil
}

// ResolveProfile returns the Options of a session of the profile called
// nameOrID (a name, else an ID): ClientOptions.Defaults with the profile
// laid over them (ProfileOptions).
//
// With a Broker, the broker is asked where to connect (SelectSession) and
// its answer is returned too: its server and port replace the profile's,
// a private key it hands out (or the acceptance of BrokerSigner's public
// key) is then the only key used, for the jump host too, and a session it
// names is the one to resume (StartSession does). A broker that cannot be
// reached or has no server to offer is an error.
func (c *Client) ResolveProfile(ctx context.Context, nameOrID string) (Options, *broker.Selection, error) {
	profiles, err := c.Profiles(ctx)
	if err != nil && profiles == nil {
		return Options{}, nil, err
	}
	p, err := profiles.Profile(nameOrID)
	if err != nil {
		return Options{}, nil, fmt.Errorf("x2go: session profile %q: %w", nameOrID, err)
	}
	sp, err := p.Params()
	if err != nil {
		return Options{}, nil, fmt.Errorf("x2go: session profile %q: %w", nameOrID, err)
	}
	var sel *broker.Selection
	if c.opts.Broker != nil {
		if sel, err = c.opts.Broker.SelectSession(ctx, p.ID()); err != nil {
			return Options{}, nil, fmt.Errorf("x2go: session profile %q: %w", nameOrID, err)
		}
		sp.Server = sel.Server
		if sel.Port != 0 {
			sp.Port = sel.Port
		}
	}
	o, err := ProfileOptions(c.opts.Defaults, sp, c.opts.Printing)
	if err != nil {
		return Options{}, nil, err
	}
	if sel != nil {
		signer, err := sel.Signer()
		if err != nil {
			return Options{}, nil, fmt.Errorf("x2go: session profile %q: the broker's key: %w", nameOrID, err)
		}
		if signer == nil && sel.PublicKeyAccepted {
			signer = c.opts.BrokerSigner
		}
		if signer != nil {
			o.Signers, o.KeyFiles, o.LookForKeys, o.AllowAgent = []ssh.Signer{signer}, nil, false, false
			if o.Jump != nil {
				o.Jump.ReuseAuth = true
			}
		}
	}
	return o, sel, nil
}

// BrokerSelection returns the broker's answer for a Session registered by
// RegisterProfile with a broker, nil otherwise. Its PrivateKey is secret.
func (c *Client) BrokerSelection(s *Session) *broker.Selection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[s]; e != nil {
		return e.sel
	}
	return nil
}

// StartSession starts a new X2Go session for s, or resumes the one its
// broker selected (Selection.Resume), and brings its graphics up.
func (c *Client) StartSession(ctx context.Context, s *Session) error {
	if sel := c.BrokerSelection(s); sel != nil && sel.Resume != nil {
		return s.Resume(ctx, sel.Resume.Name)
	}
	return s.Start(ctx)
}

// UUID returns the UUID s is registered under ("" if it is not).
func (c *Client) UUID(s *Session) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[s]; e != nil {
		return e.uuid
	}
	return ""
}

// Session returns the Session registered under uuid, nil if none.
func (c *Client) Session(uuid string) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byUUID[uuid]; e != nil {
		return e.s
	}
	return nil
}

// Sessions returns the registered Sessions in registration order.
func (c *Client) Sessions() []*Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Session, len(c.order))
	for i, e := range c.order {
		out[i] = e.s
	}
	return out
}

// ProfileSessions returns the registered Sessions of a profile name.
func (c *Client) ProfileSessions(profileName string) []*Session {
	var out []*Session
	for _, s := range c.Sessions() {
		if s.ProfileName() == profileName {
			out = append(out, s)
		}
	}
	return out
}

// SessionByName returns the registered Session that drives (or, when
// auto-registered, stands for) the server session called name on
// server, nil if none.
func (c *Client) SessionByName(server, name string) *Session {
	for _, s := range c.Sessions() {
		if s.Name() == name && (server == "" || s.ServerHostname() == server) {
			return s
		}
	}
	return nil
}

// ControlSessions returns the control sessions of the registry, one per
// server and user, in the order they were first needed.
func (c *Client) ControlSessions() []*ControlSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*ControlSession, len(c.ctrlOrder))
	for i, ce := range c.ctrlOrder {
		out[i] = ce.ctrl
	}
	return out
}

// Unregister forgets s. Its X2Go session is suspended if it runs here (as
// Session.Disconnect does); a control session no other Session uses is
// closed.
func (c *Client) Unregister(s *Session) error {
	c.mu.Lock()
	e := c.entries[s]
	if e == nil {
		c.mu.Unlock()
		return nil
	}
	c.forget(e)
	ce := e.ctrl
	last := ce.own && !c.ctrlUsed(ce)
	if last {
		delete(c.ctrls, ce.key)
		c.ctrlOrder = slices.DeleteFunc(c.ctrlOrder, func(x *ctrlEntry) bool { return x == ce })
	}
	c.mu.Unlock()
	err := s.Disconnect()
	if last {
		err = errors.Join(err, ce.ctrl.Disconnect())
	}
	return err
}

// forget drops e from the registry; c.mu is held.
func (c *Client) forget(e *clientEntry) {
	delete(c.entries, e.s)
	delete(c.byUUID, e.uuid)
	c.order = slices.DeleteFunc(c.order, func(x *clientEntry) bool { return x == e })
}

// ctrlUsed reports whether a registered Session uses ce; c.mu is held.
func (c *Client) ctrlUsed(ce *ctrlEntry) bool {
	for _, e := range c.order {
		if e.ctrl == ce {
			return true
		}
	}
	return false
}

// Close stops the background refresh and closes every control session
// the Client opened, which suspends the X2Go sessions its Sessions show
// (they stay on the servers and can be resumed, as with python-x2go).
// Sessions over a control session given in Options leave it. The Client
// cannot be used afterwards.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ctrls := slices.Clone(c.ctrlOrder)
	var foreign []*Session
	for _, e := range c.order {
		if !e.ctrl.own {
			foreign = append(foreign, e.s)
		}
	}
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()

	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, ce := range ctrls {
		if !ce.own {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ce.ctrl.Disconnect(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", ce.ctrl.Server(), err))
				mu.Unlock()
			}
		}()
	}
	for _, s := range foreign {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Disconnect()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// controlLost is told by a control session that its connection died.
func (c *Client) controlLost(ce *ctrlEntry, err error) {
	c.mu.Lock()
	ce.listed = false
	c.mu.Unlock()
	c.log.Warn("control session lost", "server", ce.ctrl.Server(), "err", err)
	if h := c.opts.Hooks.ControlSessionLost; h != nil {
		h(ce.ctrl, err)
	}
}

// statusChanged turns a Session's status change into the registry's
// events, comparing with the last stable status the registry saw.
func (c *Client) statusChanged(s *Session, ch StatusChange) {
	c.mu.Lock()
	e := c.entries[s]
	if e == nil {
		c.mu.Unlock()
		return
	}
	h := &c.opts.Hooks
	prev := e.stable
	var hook func(SessionEvent)
	byMe := ch.ByMe && !e.auto
	switch ch.To {
	case StatusRunning:
		e.stable = StatusRunning
		switch {
		case prev == StatusRunning:
		case e.auto && prev == StatusVirgin && e.found:
			hook = h.FoundRunningAfterConnect
		case prev == StatusSuspended:
			hook = h.SessionResumed
		default: // virgin, or terminated and started anew
			hook = h.SessionStarted
		}
	case StatusSuspended:
		e.stable = StatusSuspended
		if prev != StatusSuspended && !(e.auto && prev == StatusVirgin) {
			hook = h.SessionSuspended
		}
	case StatusTerminated:
		e.stable = StatusTerminated
		if prev != StatusTerminated {
			hook = h.SessionTerminated
		}
	}
	ev := SessionEvent{UUID: e.uuid, Session: s, ProfileName: s.ProfileName(), Name: ch.Name, ByMe: byMe}
	c.mu.Unlock()
	if hook != nil {
		hook(ev)
	}
}

// refreshLoop refreshes every interval until Close.
func (c *Client) refreshLoop(interval time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.base.Done():
			return
		case <-t.C:
		}
		timeout := max(interval, 20*time.Second)
		ctx, cancel := context.WithTimeout(c.base, timeout)
		if err := c.Refresh(ctx); err != nil {
			c.log.Debug("refresh", "err", err)
		}
		cancel()
	}
}

// Refresh lists the sessions of every connected server once, in
// parallel, and brings the status of the registered Sessions up to date,
// which fires the hooks of what changed (python-x2go's registry
// update_status). With AutoRegister it registers the sessions found that
// no Session drives, and forgets those of them that ended. The error joins
// the servers' list errors.
func (c *Client) Refresh(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClientClosed
	}
	ctrls := slices.Clone(c.ctrlOrder)
	c.mu.Unlock()
	var errs []error
	var mu sync.Mutex
	c.parallel(ctx, len(ctrls), func(ctx context.Context, i int) {
		ce := ctrls[i]
		if !ce.ctrl.IsConnected() {
			return
		}
		if err := c.refreshOne(ctx, ce); err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: %w", ce.ctrl.Server(), err))
			mu.Unlock()
		}
	})
	return errors.Join(errs...)
}

// observed is a registered Session as it was before a list was asked for.
type observed struct {
	e        *clientEntry
	seq      uint64
	name     string
	starting bool
}

// observe notes the Sessions on ce; c.mu is held.
func (c *Client) observe(ce *ctrlEntry) []observed {
	var out []observed
	for _, e := range c.order {
		if e.ctrl != ce {
			continue
		}
		out = append(out, observed{e: e, seq: e.s.term.OpSeq(), name: e.s.Name(), starting: e.s.Status() == StatusStarting})
	}
	return out
}

// refreshOne lists the sessions on one control session and applies the
// list.
func (c *Client) refreshOne(ctx context.Context, ce *ctrlEntry) error {
	list, busy, err := c.listApplied(ctx, ce)
	if err != nil {
		return err
	}

	c.mu.Lock()
	first := !ce.listed
	ce.listed = true
	after := c.observe(ce)
	driven := map[string]bool{}
	var ended []*clientEntry
	for _, o := range after {
		busy = busy || o.starting
		if o.name != "" {
			driven[o.name] = true
		}
		if o.e.auto && o.e.s.Status() == StatusTerminated {
			c.forget(o.e)
			ended = append(ended, o.e)
		}
	}
	auto := c.opts.AutoRegister && !c.closed && !busy
	c.mu.Unlock()
	for _, e := range ended {
		e.s.Disconnect()
	}
	if !auto {
		return nil
	}
	for _, si := range list {
		if driven[si.Name] || si.Creating() {
			continue
		}
		if _, err := ParseSessionName(si.Name); err != nil {
			continue
		}
		c.autoRegister(ce, si, first)
	}
	return nil
}

// autoRegister registers a Session for a server session no Session of
// the Client drives.
func (c *Client) autoRegister(ce *ctrlEntry, si SessionInfo, first bool) {
	o := ce.tmpl
	o.ControlSession = ce.ctrl
	o.ProfileName = ce.ctrl.ProfileName()
	o.ShareFolders, o.AllowFolderSharing, o.Printing, o.MimeBox = nil, false, nil, nil
	s, e, err := c.register(o, true)
	if err != nil {
		return
	}
	c.mu.Lock()
	e.found = first
	c.mu.Unlock()
	if err := s.term.Attach(si.Name); err != nil {
		c.log.Debug("auto-registration", "name", si.Name, "err", err)
		return
	}
	s.term.ApplyServerStatus(si.Status, s.term.OpSeq())
}

// parallel runs f for 0..n-1 with at most MaxParallel at once and waits
// for all of them. f is not called for indices not begun when ctx ends.
func (c *Client) parallel(ctx context.Context, n int, f func(ctx context.Context, i int)) {
	sem := make(chan struct{}, c.opts.MaxParallel)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(ctx, i)
		}()
	}
	wg.Wait()
}
