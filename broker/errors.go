package broker

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error of this package that a caller may want to
// handle matches one of them with errors.Is; most come as one of the
// typed errors below (errors.As) with the details. No error text ever
// contains a password, an auth cookie or a private key.
var (
	// ErrAuthFailed: the broker refused the credentials (HTTP 401 or 403,
	// an answer without "Access granted", a refused SSH login, or an
	// auth cookie it no longer accepts). A *AuthError.
	ErrAuthFailed = errors.New("x2go broker: authentication refused")
	// ErrUnreachable: the broker could not be reached or the connection
	// broke before an answer came (DNS, refused, reset, TLS handshake,
	// timeout). A *ConnectError.
	ErrUnreachable = errors.New("x2go broker: broker unreachable")
	// ErrCertificate: the broker's TLS certificate is not trusted (unknown
	// authority, wrong name, expired). It also matches ErrUnreachable.
	ErrCertificate = errors.New("x2go broker: TLS certificate not trusted")
	// ErrMalformed: the broker's answer could not be understood.
	// A *MalformedError naming the line or field.
	ErrMalformed = errors.New("x2go broker: malformed answer")
	// ErrBrokerFailed: the broker answered with an error of its own: an
	// unexpected HTTP status (a *StatusError; 404 usually means a wrong
	// URL path or a disabled broker backend) or, for the SSH broker,
	// a command that exited non-zero (a *CommandError).
	ErrBrokerFailed = errors.New("x2go broker: broker failed")
	// ErrNoServer: the broker has no X2Go server to offer for the profile
	// (none reachable, or a profile ID it does not know). A *NoServerError.
	ErrNoServer = errors.New("x2go broker: no X2Go server available")
	// ErrConfig: the HTTPConfig or SSHConfig cannot be used.
	ErrConfig = errors.New("x2go broker: invalid configuration")
)

// AuthError reports credentials the broker refused.
type AuthError struct {
	Broker string // the broker: URL without credentials, or ssh://user@host:port
	User   string // the broker user name
	// Status is the HTTP status of the refusal; 0 for an answer without
	// "Access granted" and for the SSH broker.
	Status int
	// Cookie is true when the refused request carried an auth cookie
	// rather than (or besides) a password: the cookie may have been used
	// up, expired, or been handed out to another client address.
	Cookie bool
	// Err is the SSH login error when the SSH broker's login was refused
	// (it matches sshconn.ErrAuthFailed), else nil.
	Err error
}

func (e *AuthError) Error() string {
	s := "x2go broker: " + e.Broker + ": authentication refused for user " + strconv.Quote(e.User)
	if e.Status != 0 {
		s += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if e.Cookie {
		s += " (auth cookie refused)"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrAuthFailed.
func (e *AuthError) Is(target error) bool { return target == ErrAuthFailed }

// Unwrap returns the SSH login error, if any.
func (e *AuthError) Unwrap() error { return e.Err }

// ConnectError reports a broker that could not be reached.
type ConnectError struct {
	Broker string
	Err    error
}

func (e *ConnectError) Error() string {
	return "x2go broker: " + e.Broker + ": cannot reach the broker: " + e.Err.Error()
}

// Is matches ErrUnreachable, and ErrCertificate when the TLS certificate
// was not trusted.
func (e *ConnectError) Is(target error) bool {
	if target == ErrUnreachable {
		return true
	}
	return target == ErrCertificate && isCertError(e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// StatusError reports an HTTP status other than 200, 401 and 403.
type StatusError struct {
	Broker string
	Code   int    // e.g. 404
	Status string // e.g. "404 Not Found"
}

func (e *StatusError) Error() string {
	return "x2go broker: " + e.Broker + ": unexpected HTTP status " + e.Status
}

// Is matches ErrBrokerFailed.
func (e *StatusError) Is(target error) bool { return target == ErrBrokerFailed }

// CommandError reports an SSH broker command that exited non-zero.
type CommandError struct {
	Broker string
	Task   string // listsessions or selectsession
	Status int    // the exit status
	// Stderr is what the broker printed on stderr. It is left out of the
	// error text: the broker's debug log there names auth cookies.
	Stderr string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("x2go broker: %s: broker command for task %s failed with exit status %d", e.Broker, e.Task, e.Status)
}

// Is matches ErrBrokerFailed.
func (e *CommandError) Is(target error) bool { return target == ErrBrokerFailed }

// MalformedError reports an answer that could not be understood. It names
// where the problem is but never quotes the answer, which may hold a
// private key or an auth cookie.
type MalformedError struct {
	Dialect Dialect // the dialect the answer was read as
	Task    Task
	// Line is the 1-based line of the answer, 0 when the problem is not on
	// one line (or for JSON, when the decoder could not say).
	Line int
	// Field is the key or field concerned, e.g. "SERVER",
	// "selected_session.port", "profiles.lab.host"; "" if none.
	Field string
	Msg   string
	// Err is an underlying error, e.g. a *profile.SyntaxError; nil if none.
	Err error
}

func (e *MalformedError) Error() string {
	s := "x2go broker: malformed " + e.Dialect.String() + " answer to " + string(e.Task)
	if e.Line > 0 {
		s += ", line " + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		s += ", " + e.Field
	}
	return s + ": " + e.Msg
}

// Is matches ErrMalformed.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

func (e *MalformedError) Unwrap() error { return e.Err }

// NoServerError reports that the broker had no X2Go server for a profile.
type NoServerError struct {
	ProfileID string
	Server    string // what the broker said instead of a server name
}

func (e *NoServerError) Error() string {
	return "x2go broker: no X2Go server available for profile " + strconv.Quote(e.ProfileID) + " (broker said " + strconv.Quote(e.Server) + ")"
}

// Is matches ErrNoServer.
func (e *NoServerError) Is(target error) bool { return target == ErrNoServer }

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}
