package x2go

import (
	"context"

	"github.com/x2go-go/x2go/sshconn"
)

// HostKeyInfo describes a server host key that is not in known_hosts.
type HostKeyInfo = sshconn.HostKeyInfo

// Hooks are python-x2go's HOOK_* callbacks. Embed NopHooks in your own type
// and override the methods you care about; NopHooks does nothing and, for
// CheckHostKey, refuses (safe by default). Hooks are called from the
// goroutine that noticed the event; they must not block for long and must
// not call back into the same Session synchronously except where noted.
type Hooks interface {
	// CheckHostKey is asked about an unknown host key
	// (HOOK_check_host_dialog). true accepts the key and stores it in
	// known_hosts. Not called when Options.AddToKnownHosts is set, and never
	// for a changed key, which is always refused.
	CheckHostKey(ctx context.Context, s *Session, key HostKeyInfo) bool
	// ControlSessionDeath: the SSH connection died while the session
	// was connected (HOOK_on_control_session_death).
	ControlSessionDeath(s *Session, err error)
	// SessionStartupFailed: start or resume did not bring up a session
	// (HOOK_session_startup_failed).
	SessionStartupFailed(s *Session, err error)
	// NoSuchCommand: the server cannot run the session command
	// (HOOK_no_such_command).
	NoSuchCommand(s *Session, command string)
	// ForwardingTunnelSetupFailed: the graphics (or another) port forward
	// could not be opened (HOOK_forwarding_tunnel_setup_failed). For the
	// NX graphics forward the session is then faulty.
	ForwardingTunnelSetupFailed(s *Session, host string, port int, subsystem string, err error)
	// ProxyExited: nxproxy ended on its own while the session was up; the
	// session is faulty or was suspended elsewhere (see StatusChanged).
	ProxyExited(s *Session, err error)
	// StatusChanged reports a transition of the session's status, e.g.
	// running → suspended (HOOK_on_session_has_been_suspended,
	// HOOK_on_session_has_terminated, HOOK_on_session_has_started_by_me,
	// HOOK_on_session_has_resumed_by_me, ... in one place; By tells who).
	StatusChanged(s *Session, change StatusChange)
	// Progress reports start/resume progress 0..100, -1 on failure.
	Progress(s *Session, percent int)
}

// NopHooks implements Hooks with no-ops; CheckHostKey refuses.
type NopHooks struct{}

func (NopHooks) CheckHostKey(context.Context, *Session, HostKeyInfo) bool { return false }
func (NopHooks) ControlSessionDeath(*Session, error)                      {}
func (NopHooks) SessionStartupFailed(*Session, error)                     {}
func (NopHooks) NoSuchCommand(*Session, string)                           {}
func (NopHooks) ForwardingTunnelSetupFailed(*Session, string, int, string, error) {
}
func (NopHooks) ProxyExited(*Session, error)          {}
func (NopHooks) StatusChanged(*Session, StatusChange) {}
func (NopHooks) Progress(*Session, int)               {}

var _ Hooks = NopHooks{}
