package x2go

import (
	"errors"
	"fmt"
	"time"

	"github.com/x2go-go/x2go/internal/control"
	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/internal/remote"
	"github.com/x2go-go/x2go/internal/term"
	"github.com/x2go-go/x2go/internal/tunnel"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// Errors a caller may want to tell apart, for use with errors.Is. They are
// the same values as the lower packages', so errors.Is works whichever
// layer produced the error.
var (
	// ErrConnect: the server could not be reached (network, refused,
	// handshake failure); not a credentials problem.
	ErrConnect = sshconn.ErrConnect
	// ErrAuthFailed: the server refused the login.
	ErrAuthFailed = sshconn.ErrAuthFailed
	// ErrPassphraseRequired: an encrypted private key and no passphrase.
	ErrPassphraseRequired = sshconn.ErrPassphraseRequired
	// ErrBadPassphrase: the passphrase does not decrypt the key.
	ErrBadPassphrase = sshconn.ErrBadPassphrase
	// ErrNoAuthMethods: no password, key, agent or prompt to log in with.
	ErrNoAuthMethods = sshconn.ErrNoAuthMethods
	// ErrHostKeyUnknown: the server's host key is not known and was not
	// accepted (see Options.AddToKnownHosts and Hooks.CheckHostKey).
	ErrHostKeyUnknown = sshconn.ErrHostKeyUnknown
	// ErrHostKeyChanged: known_hosts has another key for this server.
	ErrHostKeyChanged = sshconn.ErrHostKeyChanged
	// ErrHostKeyRevoked: known_hosts marks the server's key @revoked.
	ErrHostKeyRevoked = sshconn.ErrHostKeyRevoked
	// ErrForwardDenied: the server refused a reverse port forward.
	ErrForwardDenied = sshconn.ErrForwardDenied
	// ErrOutputTooLarge: a server command wrote more than the client reads.
	ErrOutputTooLarge = sshconn.ErrOutputTooLarge
	// ErrConfig: the connection settings cannot work (no host or user, an
	// unreadable known_hosts file, a jump host loop).
	ErrConfig = sshconn.ErrConfig
	// ErrConnectionLost: the control session's SSH connection died.
	ErrConnectionLost = sshconn.ErrConnectionLost
	// ErrMalformed: the server's answer did not have the documented shape.
	ErrMalformed = protocol.ErrMalformed
	// ErrNotConnected: the operation needs Connect first.
	ErrNotConnected = errors.New("x2go: not connected")
	// ErrConnectAborted: Disconnect gave up a connect in progress.
	ErrConnectAborted = errors.New("x2go: connect aborted by Disconnect")
	// ErrFeatureMissing: the server lacks a feature the operation needs
	// (see *FeatureError).
	ErrFeatureMissing = control.ErrFeatureMissing
	// ErrRemoteHome: the user's home directory on the server is missing.
	ErrRemoteHome = control.ErrRemoteHome
	// ErrNotX2GoServer: the server has no x2goserver installed.
	ErrNotX2GoServer = control.ErrNotX2GoServer
	// ErrServerCommand: an x2goserver command failed (see *ServerError).
	ErrServerCommand = protocol.ErrServerCommand
	// ErrNoSuchSession: no session of that name is listed on the server.
	ErrNoSuchSession = remote.ErrNoSuchSession
	// ErrNotSuspended: the server kept running a session it was asked to
	// suspend.
	ErrNotSuspended = remote.ErrNotSuspended

	// ErrNoSuchCommand: the server cannot run the session command.
	ErrNoSuchCommand = term.ErrNoSuchCommand
	// ErrSessionLimit: the server's per-user session limit is reached.
	ErrSessionLimit = protocol.ErrSessionLimit
	// ErrAccessDenied: the owner refused desktop sharing (or runs no
	// desktop sharing applet that could ask them).
	ErrAccessDenied = protocol.ErrAccessDenied
	// ErrNoSuchDesktop: the desktop to share is not among those the
	// server offers (ListDesktops); nothing was started.
	ErrNoSuchDesktop = errors.New("x2go: no such desktop to share")
	// ErrDesktopGone: the desktop to share was offered, but it went away
	// while the shadow session was being started (python-x2go: "the
	// session on desktop … is seemingly dead").
	ErrDesktopGone = errors.New("x2go: the desktop to share is gone")
	// ErrTunnel: the graphics port forward could not be opened.
	ErrTunnel = tunnel.ErrDialFailed
	// ErrProxyExited: nxproxy ended (see *nxproxy.ExitError in the chain).
	ErrProxyExited = nxproxy.ErrExited
	// ErrNoActiveSession: the operation needs a session this Session drives.
	ErrNoActiveSession = term.ErrNoActiveSession
	// ErrSessionNotReady: the server lists the session, but
	// x2gostartagent is still setting it up (no agent yet).
	ErrSessionNotReady = term.ErrSessionNotReady
	// ErrSessionActive: this Session already drives a running session.
	ErrSessionActive = term.ErrSessionActive
)

// Server queries that may hang have a time limit (Options.Timeouts); when
// it passes, they fail with a *TimeoutError matching ErrTimeout and one of
// these.
var (
	// ErrTimeout is matched by every *TimeoutError.
	ErrTimeout = errors.New("x2go: the server did not answer in time")
	// ErrListDesktopsTimeout: x2golistdesktops did not answer in time.
	ErrListDesktopsTimeout = fmt.Errorf("%w: listing the desktops to share", ErrTimeout)
	// ErrMenuTimeout: x2gogetapps (the published applications) did not
	// answer in time.
	ErrMenuTimeout = fmt.Errorf("%w: reading the published applications", ErrTimeout)
	// ErrExecTimeout: starting a published application did not return in
	// time.
	ErrExecTimeout = fmt.Errorf("%w: starting an application", ErrTimeout)
)

// TimeoutError is a server query cut short by its time limit. It matches
// ErrTimeout, its Op (ErrListDesktopsTimeout, ErrMenuTimeout,
// ErrExecTimeout) and context.DeadlineExceeded.
type TimeoutError struct {
	Op    error         // which query
	Limit time.Duration // its time limit
	Err   error         // the error the deadline caused
}

func (e *TimeoutError) Error() string { return fmt.Sprintf("%v (limit %v)", e.Op, e.Limit) }

// Unwrap returns Op and Err, for errors.Is and errors.As.
func (e *TimeoutError) Unwrap() []error { return []error{e.Op, e.Err} }

// HostKeyError is the error for an unknown or changed host key; its
// Changed field tells which.
type HostKeyError = sshconn.HostKeyError

// AuthError is the error for a refused login.
type AuthError = sshconn.AuthError

// FeatureError reports a server feature that is missing; it matches
// ErrFeatureMissing.
type FeatureError = control.FeatureError

// ServerError reports an x2goserver command that failed; its Err field
// holds a recognised cause (ErrSessionLimit, ErrAccessDenied) if any.
type ServerError = protocol.ServerError
