package x2go

import (
	"errors"
	"fmt"

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
	// ErrConnectionLost: the control session's SSH connection died.
	ErrConnectionLost = sshconn.ErrConnectionLost
	// ErrMalformed: the server's answer did not have the documented shape.
	ErrMalformed = protocol.ErrMalformed
	// ErrNotConnected: the operation needs Connect first.
	ErrNotConnected = errors.New("x2go: session is not connected")
	// ErrFeatureMissing: the server lacks a feature the operation needs.
	ErrFeatureMissing = errors.New("x2go: server lacks a feature")
	// ErrRemoteHome: the user's home directory on the server is missing.
	ErrRemoteHome = errors.New("x2go: remote home directory does not exist")
	// ErrNotX2GoServer: the server has no x2goserver installed.
	ErrNotX2GoServer = errors.New("x2go: not an X2Go server")
	// ErrServerCommand: an x2goserver command failed (see *ServerError).
	ErrServerCommand = protocol.ErrServerCommand
	// ErrNoSuchSession: no session of that name is listed on the server.
	ErrNoSuchSession = errors.New("x2go: no such session")
)

// HostKeyError is the error for an unknown or changed host key; its
// Changed field tells which.
type HostKeyError = sshconn.HostKeyError

// AuthError is the error for a refused login.
type AuthError = sshconn.AuthError

// FeatureError reports a server feature that is missing.
type FeatureError struct{ Feature string }

func (e *FeatureError) Error() string {
	return fmt.Sprintf("x2go: the server does not support %s", e.Feature)
}
func (e *FeatureError) Is(target error) bool { return target == ErrFeatureMissing }

// ServerError reports an x2goserver command that failed; its Err field
// holds a recognised cause (ErrSessionLimit, ErrAccessDenied) if any.
type ServerError = protocol.ServerError
