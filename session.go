package x2go

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/x2go-go/x2go/internal/fileshare"
	"github.com/x2go-go/x2go/internal/graphics"
	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/internal/sound"
	"github.com/x2go-go/x2go/internal/term"
	"github.com/x2go-go/x2go/internal/tunnel"
	"github.com/x2go-go/x2go/protocol"
)

// Session is python-x2go's X2GoSession: a control session (the SSH
// connection and every query on it) and the X2Go session this client
// drives on it. It is safe for concurrent use.
type Session struct {
	opts     Options
	hooks    Hooks
	log      *slog.Logger
	ctrl     *ControlSession
	ownsCtrl bool // opened by NewSession, closed by Disconnect

	gfx       *graphics.Service
	transport *fileshare.Transport // nil unless sharing, printing or MIME box is on
	folders   *fileshare.Folders   // nil unless folder sharing is on
	sound     *sound.Service       // nil without sound
	term      *term.Session
	root      string // the local sessions root (Params.SessionsRoot or its default)
}

// NewSession checks opts and returns an unconnected Session.
func NewSession(opts Options) (*Session, error) {
	s := &Session{opts: opts, hooks: opts.Hooks, log: opts.Logger, ctrl: opts.ControlSession}
	if s.ctrl == nil {
		ctrl, err := NewControlSession(opts)
		if err != nil {
			return nil, err
		}
		s.ctrl, s.ownsCtrl = ctrl, true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.ProfileName == "" {
		s.opts.ProfileName = s.ctrl.ProfileName()
	}
	p := opts.Params.withDefaults()
	if p.Env == nil {
		p.Env = os.Environ()
	}
	s.root = p.SessionsRoot
	if s.root == "" {
		root, err := nxproxy.DefaultSessionsRoot()
		if err != nil {
			root = filepath.Join(os.TempDir(), ".x2go")
		}
		s.root = root
	}
	s.gfx = graphics.New(graphics.Config{
		NXProxy: p.NXProxy, SessionsRoot: s.root, Env: p.Env,
		ServerIsLocal: tunnel.IsLocalHost(s.ctrl.Server()),
		OnTunnelFailed: func(host string, port int, err error) {
			if h := s.hooks.ForwardingTunnelSetupFailed; h != nil {
				h(s, host, port, "NX Proxy", err)
			}
		},
		Logger: s.log,
	})
	s.term = term.New(term.Config{
		Conn:     s.conn,
		Services: s.services(p),
		Hooks:    s.termHooks(),
		AfterTerminate: func(name string, display int) {
			// The local session directory goes with the session, whether
			// or not its graphics were up (it may have been suspended).
			if err := nxproxy.RemoveSessionDirs(s.root, name, display); err != nil {
				s.log.Warn("removing the local session directory", "err", err)
			}
		},
		Logger: s.log,
	})
	s.ctrl.attach(s)
	return s, nil
}

// services returns the parts of a running session, in start order: the
// graphics first (required), then the sound forward, then the sshfs
// transport and what uses it (python-x2go's order). p are the session's
// Params with their defaults and Env filled in.
func (s *Session) services(p Params) []service.Service {
	svcs := []service.Service{s.gfx}
	if snd := s.soundService(p); snd != nil {
		svcs = append(svcs, snd)
	}
	o := &s.opts
	folders := o.AllowFolderSharing || len(o.ShareFolders) > 0
	if !folders && o.Printing == nil && o.MimeBox == nil {
		return svcs
	}
	h := &s.hooks
	s.transport = fileshare.NewTransport(fileshare.TransportConfig{
		Home: s.ctrl.RemoteHome,
		Hooks: fileshare.TransportHooks{
			SSHFSUnavailable: func(error) {
				if h.SSHFSNotAvailable != nil {
					h.SSHFSNotAvailable(s)
				}
			},
			ForwardDenied: func(port int, err error) {
				if h.ReverseForwardDenied != nil {
					h.ReverseForwardDenied(s, port, err)
				}
			},
		},
		Logger: s.log,
	})
	svcs = append(svcs, s.transport)
	spool := fileshare.SpoolConfig{
		Transport: s.transport,
		LocalDir:  func(name string) string { return nxproxy.SessionDir(s.root, name) },
	}
	if o.Printing != nil {
		svcs = append(svcs, fileshare.NewPrintSpool(spool, *o.Printing))
	}
	if o.MimeBox != nil {
		svcs = append(svcs, fileshare.NewMimeBox(spool, *o.MimeBox))
	}
	if folders {
		s.folders = fileshare.NewFolders(fileshare.FoldersConfig{
			Transport: s.transport,
			Master:    func() bool { return s.ctrl.claimMaster(s) },
			Failed: func(folder string, err error) {
				s.log.Warn("a folder could not be shared", "folder", folder, "err", err)
				s.keyUploadFailed(err)
				if h.FolderShareFailed != nil {
					h.FolderShareFailed(s, folder, err)
				}
			},
		}, o.ShareFolders)
		svcs = append(svcs, s.folders)
	}
	return svcs
}

// serviceFailed passes the failure of an optional part on to its
// python-x2go hook.
func (s *Session) serviceFailed(name string, err error) {
	h := &s.hooks
	s.keyUploadFailed(err)
	switch name {
	case "printing":
		if h.PrintingNotAvailable != nil {
			h.PrintingNotAvailable(s, err)
		}
	case "mimebox":
		if h.MimeBoxNotAvailable != nil {
			h.MimeBoxNotAvailable(s, err)
		}
	case "folders":
		if h.FolderSharingNotAvailable != nil {
			h.FolderSharingNotAvailable(s, err)
		}
	case "sound":
		if h.SoundTunnelFailed != nil {
			h.SoundTunnelFailed(s, err)
		}
	}
	if h.ServiceFailed != nil {
		h.ServiceFailed(s, name, err)
	}
}

func (s *Session) keyUploadFailed(err error) {
	if errors.Is(err, fileshare.ErrKeyUpload) && s.hooks.SFTPClientFailed != nil {
		s.hooks.SFTPClientFailed(s, err)
	}
}

// statusChanged follows the session's status for the master-session rule,
// then tells the caller.
func (s *Session) statusChanged(c term.StatusChange) {
	if c.To != StatusRunning && c.To != StatusStarting {
		s.ctrl.releaseMaster(s)
	}
	if h := s.hooks.StatusChanged; h != nil {
		h(s, c)
	}
}

// termHooks passes the terminal session's events on to the public hooks.
func (s *Session) termHooks() term.Hooks {
	h := &s.hooks
	return term.Hooks{
		StatusChanged: s.statusChanged,
		Progress: func(p int) {
			if h.Progress != nil {
				h.Progress(s, p)
			}
		},
		StartupFailed: func(err error) {
			if h.SessionStartupFailed != nil {
				h.SessionStartupFailed(s, err)
			}
		},
		NoSuchCommand: func(cmd string) {
			if h.NoSuchCommand != nil {
				h.NoSuchCommand(s, cmd)
			}
		},
		ServiceFailed: s.serviceFailed,
		GraphicsLost: func(err error) {
			if h.ProxyExited != nil {
				h.ProxyExited(s, err)
			}
		},
	}
}

// conn returns the control session's live connection for the terminal
// session.
func (s *Session) conn() (service.Conn, error) {
	ctrl, err := s.ctrl.current()
	if err != nil {
		return nil, err
	}
	return ctrl.Conn(), nil
}

// ControlSession returns the control session the Session runs over; pass
// it as Options.ControlSession to run more sessions over the same SSH
// connection.
func (s *Session) ControlSession() *ControlSession { return s.ctrl }

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

// Connect connects the control session (if it is not connected yet) and
// makes this Session one of its users again after a Disconnect.
func (s *Session) Connect(ctx context.Context) error {
	s.ctrl.attach(s)
	return s.ctrl.Connect(ctx)
}

// Disconnect suspends the X2Go session this Session drives, as
// python-x2go does: it stays on the server, suspended, and can be resumed
// later. It stops the session's local parts (graphics) and, if this
// Session opened its control session, closes it, which suspends the
// sessions of the other Sessions sharing it too (python-x2go's control
// session does the same). A Session running over a shared control session
// only leaves it.
func (s *Session) Disconnect() error {
	if s.ownsCtrl {
		return s.ctrl.Disconnect()
	}
	s.suspendForDisconnect()
	s.ctrl.detach(s)
	return nil
}

// Close is Disconnect.
func (s *Session) Close() error { return s.Disconnect() }

// suspendForDisconnect suspends the running session (bounded to 30 s) and
// stops its local parts whatever the outcome.
func (s *Session) suspendForDisconnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.term.Status() == StatusRunning && s.term.GraphicsOK() {
		if err := s.term.Suspend(ctx); err != nil {
			s.log.Warn("suspend on disconnect failed", "err", err)
		}
	}
	s.term.Detach(ctx)
}

// controlDied is called by the control session when its connection died.
func (s *Session) controlDied(err error) {
	s.term.ConnectionLost()
	if h := s.hooks.ControlSessionDeath; h != nil {
		h(s, err)
	}
}

// IsConnected reports whether the control session is up.
func (s *Session) IsConnected() bool { return s.ctrl.IsConnected() }

// RemoteHome returns the user's home directory on the server.
func (s *Session) RemoteHome() string { return s.ctrl.RemoteHome() }

// ServerFeatures returns the sorted feature names of x2gofeaturelist.
func (s *Session) ServerFeatures(ctx context.Context) ([]string, error) {
	return s.ctrl.ServerFeatures(ctx)
}

// HasServerFeature reports whether the server has feature.
func (s *Session) HasServerFeature(ctx context.Context, feature string) (bool, error) {
	return s.ctrl.HasServerFeature(ctx, feature)
}

// ServerVersions returns the x2goserver components and their versions.
func (s *Session) ServerVersions(ctx context.Context) (map[string]string, error) {
	return s.ctrl.ServerVersions(ctx)
}

// ServerVersion returns the version of one component (default
// "x2goserver"); ErrNotX2GoServer if it is not installed.
func (s *Session) ServerVersion(ctx context.Context, component string) (string, error) {
	return s.ctrl.ServerVersion(ctx, component)
}

// IsX2GoServer reports whether the server has x2goserver installed.
func (s *Session) IsX2GoServer(ctx context.Context) (bool, error) { return s.ctrl.IsX2GoServer(ctx) }

// UserIsX2GoUser reports whether the login user may use X2Go on the
// server.
func (s *Session) UserIsX2GoUser(ctx context.Context) (bool, error) {
	return s.ctrl.UserIsX2GoUser(ctx)
}

// ServerHostname returns the server name as given in Options.
func (s *Session) ServerHostname() string { return s.ctrl.Server() }

// ServerPort returns the SSH port.
func (s *Session) ServerPort() int { return s.ctrl.Port() }

// ServerPeerName returns the IP address and port of the SSH peer.
func (s *Session) ServerPeerName() (string, int, error) { return s.ctrl.ServerPeerName() }

// ListSessions returns the user's running and suspended X2Go sessions,
// desktop-sharing (shadow) sessions included, in the server's order.
func (s *Session) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	return s.ctrl.ListSessions(ctx)
}

// SessionInfoByName returns the listed session called name, or an error
// matching ErrNoSuchSession.
func (s *Session) SessionInfoByName(ctx context.Context, name string) (SessionInfo, error) {
	return s.ctrl.SessionInfoByName(ctx, name)
}

// ListDesktops returns the desktops the user may share (user@:display):
// the user's own X displays and the desktops of other users who offer
// theirs (see ShareDesktop). It takes at most the control session's
// Options.Timeouts.ListDesktops; then it fails with a *TimeoutError
// matching ErrListDesktopsTimeout and calls Hooks.ListDesktopsTimeout.
func (s *Session) ListDesktops(ctx context.Context) ([]string, error) {
	return s.listDesktops(ctx)
}

// ListMounts returns the client folders mounted in session name.
func (s *Session) ListMounts(ctx context.Context, name string) ([]Mount, error) {
	return s.ctrl.ListMounts(ctx, name)
}

// PublishedApplicationsRaw returns the published applications as the
// server describes them (x2gogetapps), icons decoded.
func (s *Session) PublishedApplicationsRaw(ctx context.Context) ([]Application, error) {
	return s.ctrl.PublishedApplicationsRaw(ctx)
}

// PublishedApplications returns the published applications menu (see
// ControlSession.PublishedApplications).
func (s *Session) PublishedApplications(ctx context.Context, lang string, maxNoSubmenus int) (Menu, error) {
	return s.ctrl.PublishedApplications(ctx, lang, maxNoSubmenus)
}

// CleanSessions terminates every session of the user on the server
// (published-applications providers only when published is true).
func (s *Session) CleanSessions(ctx context.Context, published bool) error {
	return s.ctrl.CleanSessions(ctx, published)
}

// SuspendSession suspends the server session called name, whichever
// client shows it (python-x2go's suspend by name). A session that is
// already suspended is left alone.
func (s *Session) SuspendSession(ctx context.Context, name string) error {
	return s.ctrl.SuspendSession(ctx, name)
}

// TerminateSession terminates the server session called name.
func (s *Session) TerminateSession(ctx context.Context, name string) error {
	return s.ctrl.TerminateSession(ctx, name)
}

// ExecPublishedApplication starts exec, the command line of a published
// application (a menu entry's Exec from PublishedApplications), detached
// inside the running session this Session drives, with DISPLAY and
// X2GO_SESSION set, and PULSE_CLIENTCONFIG when the session's sound is
// forwarded (python-x2go's exec_published_application). Its windows
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
	return s.ctrl.execIn(ctx, name, sn.Display, exec, s.soundEnv(), s.opts.Timeouts.Exec)
}

// Name returns the name of the session this Session drives ("" if none).
func (s *Session) Name() string { return s.term.Name() }

// Status returns the last known status of the session this Session drives.
func (s *Session) Status() Status { return s.term.Status() }

// Progress returns the progress of the running start or resume (0..100,
// -1 after a failure).
func (s *Session) Progress() int { return s.term.Progress() }

// Title returns the session window's title: X2GO-<session name>, the name
// the server gives the agent's window.
func (s *Session) Title() string { return "X2GO-" + s.Name() }

// LocalSessionDir returns the local session directory (<root>/S-<name>)
// that holds nxproxy's logs.
func (s *Session) LocalSessionDir() string {
	return nxproxy.SessionDir(s.root, s.Name())
}

// GraphicsOK reports whether nxproxy runs and its forward is connected
// (python-x2go's session_ok).
func (s *Session) GraphicsOK() bool { return s.term.GraphicsOK() }

// NXProxyPID returns the process id of the session's nxproxy (0 if none).
func (s *Session) NXProxyPID() int { return s.gfx.PID() }

// Wait blocks until the graphics of the session this Session drives have
// ended (suspended or terminated here or elsewhere, nxproxy died, the link
// dropped) and returns the status then known.
func (s *Session) Wait(ctx context.Context) (Status, error) { return s.term.Wait(ctx) }

// UpdateStatus asks the server for the status of the session this Session
// drives and reports a change through Hooks.StatusChanged (python-x2go's
// update_status).
func (s *Session) UpdateStatus(ctx context.Context) (Status, error) {
	return s.term.UpdateStatus(ctx)
}

// Start starts a new X2Go session with Options.Params and brings its
// graphics up on the local display. It returns once the session runs;
// use Wait to learn when it ends. If the start fails after the server
// created the session, that half-started session is terminated.
func (s *Session) Start(ctx context.Context) error {
	p := s.opts.Params.withDefaults()
	// The command is never empty here, so SessionTypeFor's published flag
	// only counts for PUBLISHED; a "published"/"P" SessionType gives P
	// through the requested type.
	sessType := protocol.SessionTypeFor(p.Command, p.SessionType, p.Command == "PUBLISHED", p.Geometry, false)
	command := p.Command
	if sessType == protocol.TypePublished {
		command = "PUBLISHED"
		if err := s.ctrl.requireFeature(ctx, protocol.FeaturePublishedApplications); err != nil {
			return s.term.Fail(err)
		}
	}
	return s.term.Start(ctx, p.startParams(sessType, command))
}

// Resume resumes the server session called name (suspended, or running
// elsewhere: the other client is then cut off) and shows it locally.
func (s *Session) Resume(ctx context.Context, name string) error {
	p := s.opts.Params
	return s.term.Resume(ctx, name, protocol.ResumeParams{
		Geometry: p.Geometry, Link: p.Link, Pack: p.Pack, KbLayout: p.KbLayout, KbType: p.KbType,
		Clipboard: p.Clipboard, Xinerama: p.Xinerama,
	})
}

// Suspend suspends the session this Session drives and stops its local
// graphics.
func (s *Session) Suspend(ctx context.Context) error { return s.term.Suspend(ctx) }

// Terminate terminates the session this Session drives, stops its local
// graphics and removes its local session directory.
func (s *Session) Terminate(ctx context.Context) error { return s.term.Terminate(ctx) }

// AutoMode chooses the session AutoStartOrResume resumes.
type AutoMode int

const (
	// ResumeNewest resumes the newest session.
	ResumeNewest AutoMode = iota
	// ResumeOldest resumes the oldest session.
	ResumeOldest
	// ResumeSuspended resumes the oldest suspended session.
	ResumeSuspended
)

// AutoStartOrResume resumes one of the user's sessions (published
// applications providers excluded) chosen by mode, or starts a new one if
// there is none (python-x2go's do_auto_start_or_resume).
func (s *Session) AutoStartOrResume(ctx context.Context, mode AutoMode) error {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return err
	}
	cands := SortByTimestamp(list)
	cands = slices.DeleteFunc(cands, func(si SessionInfo) bool {
		n, err := protocol.ParseSessionName(si.Name)
		return err != nil || n.Type == protocol.TypePublished || n.Type == protocol.TypeShadow
	})
	if mode == ResumeSuspended {
		cands = slices.DeleteFunc(cands, func(si SessionInfo) bool { return si.Status != protocol.StatusSuspended })
	}
	if len(cands) == 0 {
		return s.Start(ctx)
	}
	pick := cands[0]
	if mode == ResumeNewest {
		pick = cands[len(cands)-1]
	}
	return s.Resume(ctx, pick.Name)
}

// SortByTimestamp returns list sorted oldest first by the creation time in
// the session names (python-x2go's session_names_by_timestamp, without its
// bug for commands containing '-').
func SortByTimestamp(list []SessionInfo) []SessionInfo {
	out := slices.Clone(list)
	ts := func(si SessionInfo) int64 {
		if n, err := protocol.ParseSessionName(si.Name); err == nil {
			return n.Timestamp
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int {
		ta, tb := ts(a), ts(b)
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	return out
}

// MatchingCommand returns the sessions whose name says they run command
// (the _st<T><command>_dp part), as pyhoca-cli's --try-resume matches them.
func MatchingCommand(list []SessionInfo, command string) []SessionInfo {
	token := protocol.CommandToken(command)
	var out []SessionInfo
	for _, si := range list {
		n, err := protocol.ParseSessionName(si.Name)
		if err != nil || n.Type == protocol.TypeShadow {
			continue
		}
		if n.Command == token {
			out = append(out, si)
		}
	}
	return out
}
