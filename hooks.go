package x2go

import (
	"context"

	"github.com/x2go-go/x2go/sshconn"
)

// HostKeyInfo describes a server host key that is not in known_hosts.
type HostKeyInfo = sshconn.HostKeyInfo

// Hooks are python-x2go's HOOK_* callbacks. Every field is optional: a nil
// hook does what python-x2go's default does, except CheckHostKey, whose
// nil default refuses the key (safe by default).
//
// Hooks are a struct of func fields, as pgx's connection config has,
// rather than an interface: adding a hook is adding a field, which breaks
// no caller, while a new interface method breaks every implementation
// that does not embed a no-op type. Set only the hooks you need.
//
// Hooks run on the goroutine that noticed the event, without any lock of
// the Session held, so they may call the Session's accessors (Status,
// Name, IsConnected, ...). They must not block for long, and must not call
// a lifecycle method (Start, Resume, Suspend, Terminate, Disconnect) of the
// same Session synchronously: hand that to another goroutine.
type Hooks struct {
	// CheckHostKey is asked about an unknown host key
	// (HOOK_check_host_dialog); true accepts the key and stores it in
	// known_hosts. Not asked when Options.AddToKnownHosts is set, and
	// never for a changed key, which is always refused. The time a person
	// takes to answer does not count against Options.ConnectTimeout; ctx
	// ends when the connect is given up (Disconnect, the caller's ctx).
	CheckHostKey func(ctx context.Context, c *ControlSession, key HostKeyInfo) bool
	// ControlSessionDeath: the SSH connection died while the session was
	// connected (HOOK_on_control_session_death).
	ControlSessionDeath func(s *Session, err error)
	// SessionStartupFailed: start or resume did not bring up a session
	// (HOOK_session_startup_failed).
	SessionStartupFailed func(s *Session, err error)
	// NoSuchCommand: the server cannot run the session command
	// (HOOK_no_such_command).
	NoSuchCommand func(s *Session, command string)
	// ForwardingTunnelSetupFailed: a port forward could not be opened
	// (HOOK_forwarding_tunnel_setup_failed). For the graphics ("NX Proxy")
	// the session is then faulty.
	ForwardingTunnelSetupFailed func(s *Session, host string, port int, subsystem string, err error)
	// ProxyExited: the graphics (nxproxy) ended on their own while the
	// session was up; the session is faulty until the server says whether
	// it was suspended or terminated elsewhere (see StatusChanged).
	ProxyExited func(s *Session, err error)
	// ServiceFailed: an optional part of the running session (folder
	// sharing, printing, MIME box, sound) could not start or ended on its
	// own. The session goes on without it.
	ServiceFailed func(s *Session, service string, err error)
	// SSHFSNotAvailable: the server cannot mount client folders (no sshfs
	// or fusermount), so folder sharing, printing and the MIME box are off
	// for the session (HOOK_sshfs_not_available).
	SSHFSNotAvailable func(s *Session)
	// ReverseForwardDenied: the server refused the reverse port forward
	// the session's sshfs connects through (HOOK_rforward_request_denied).
	ReverseForwardDenied func(s *Session, serverPort int, err error)
	// SFTPClientFailed: the client could not put the key for the server's
	// sshfs connection on the server (HOOK_on_failing_SFTP_client;
	// python-x2go writes it with an SFTP client, hence the name).
	SFTPClientFailed func(s *Session, err error)
	// FolderSharingNotAvailable: folder sharing could not start in the
	// session (HOOK_foldersharing_not_available).
	FolderSharingNotAvailable func(s *Session, err error)
	// FolderShareFailed: one folder could not be shared at start or resume;
	// the others are.
	FolderShareFailed func(s *Session, folder string, err error)
	// PrintingNotAvailable: printing could not start in the session
	// (HOOK_printing_not_available).
	PrintingNotAvailable func(s *Session, err error)
	// MimeBoxNotAvailable: the MIME box could not start in the session
	// (HOOK_mimebox_not_available).
	MimeBoxNotAvailable func(s *Session, err error)
	// SoundTunnelFailed: the session's sound could not be brought here (no
	// local PulseAudio, no cookie, the server refused the forward, a sound
	// system other than pulse), or its forward ended; the session goes on
	// without sound (HOOK_on_sound_tunnel_failed).
	SoundTunnelFailed func(s *Session, err error)
	// StatusChanged reports every transition of the session's status,
	// e.g. running → suspended (python-x2go's HOOK_on_session_has_*
	// hooks in one place; ByMe tells who caused it).
	StatusChanged func(s *Session, change StatusChange)
	// Progress reports start and resume progress 0..100, -1 on failure.
	Progress func(s *Session, percent int)
	// NoSuchDesktop: ShareDesktop was asked for a desktop the server does
	// not offer for sharing (HOOK_no_such_desktop); nothing was started.
	NoSuchDesktop func(s *Session, desktop string)
	// DesktopSharingDenied: the owner of the desktop refused to share it
	// (HOOK_desktop_sharing_denied).
	DesktopSharingDenied func(s *Session, desktop string)
	// ListDesktopsTimeout: the server did not list its desktops within
	// Options.Timeouts.ListDesktops (HOOK_list_desktops_timeout), in
	// Session.ListDesktops or ShareDesktop. (ControlSession.ListDesktops
	// only returns the error: it has no Session to report.)
	ListDesktopsTimeout func(s *Session)
}
