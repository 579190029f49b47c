package sshconn

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Sentinel errors. Every error returned by this package that a caller may
// want to handle matches one of them with errors.Is.
var (
	// ErrConnect: the TCP connection or the SSH handshake could not be made
	// (refused, unreachable, reset, timed out). Not an authentication problem.
	ErrConnect = errors.New("cannot connect to SSH server")
	// ErrAuthFailed: the server refused every authentication method tried.
	ErrAuthFailed = errors.New("SSH authentication failed")
	// ErrPassphraseRequired: a private key is encrypted and no passphrase was given.
	ErrPassphraseRequired = errors.New("private key is encrypted and needs a passphrase")
	// ErrBadPassphrase: the passphrase given does not decrypt the private key.
	ErrBadPassphrase = errors.New("wrong passphrase for private key")
	// ErrNoAuthMethods: nothing to authenticate with (no password, key, agent or prompt).
	ErrNoAuthMethods = errors.New("no SSH authentication method available")
	// ErrHostKeyUnknown: the server's host key is not in known_hosts and the
	// caller did not opt in to accepting new keys.
	ErrHostKeyUnknown = errors.New("SSH host key is unknown")
	// ErrHostKeyChanged: known_hosts has a different key for this host. Always
	// fatal: it is what a man-in-the-middle attack looks like.
	ErrHostKeyChanged = errors.New("SSH host key has changed")
	// ErrHostKeyRevoked: known_hosts marks the server's key @revoked. Always
	// fatal, and never asked about.
	ErrHostKeyRevoked = errors.New("SSH host key is revoked")
	// ErrConnectionLost: the SSH connection died (closed by the server, network
	// failure, keepalive timeout) or was closed by the caller.
	ErrConnectionLost = errors.New("SSH connection lost")
	// ErrForwardDenied: the server refused to listen on an address for us
	// (port in use, forwarding disabled by its configuration).
	ErrForwardDenied = errors.New("SSH server refused the remote port forward")
	// ErrOutputTooLarge: a remote command wrote more than the client accepts.
	ErrOutputTooLarge = errors.New("remote command output too large")
	// ErrConfig: the Config cannot be used (no host or user, unreadable
	// known_hosts, a loop of jump hosts).
	ErrConfig = errors.New("invalid SSH configuration")
)

// ConnectError wraps a network or handshake failure with the address tried.
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string        { return fmt.Sprintf("connect to %s: %v", e.Addr, e.Err) }
func (e *ConnectError) Unwrap() error        { return e.Err }
func (e *ConnectError) Is(target error) bool { return target == ErrConnect }

// AuthError reports that the server refused the login: every method the
// client had and the server accepts was tried and refused. It never
// contains the password or passphrase.
type AuthError struct {
	User string
	Addr string
	// Methods are the methods tried and refused, in order, e.g.
	// publickey, password. Empty when the server accepts none of Offered.
	Methods []string
	// Offered are the methods the client had credentials for.
	Offered []string
	// Allowed are the methods the server said it accepts.
	Allowed []string
}

func (e *AuthError) Error() string {
	if len(e.Methods) == 0 {
		return fmt.Sprintf("authentication of %s at %s failed: the server accepts only %v, the client has %v",
			e.User, e.Addr, e.Allowed, e.Offered)
	}
	return fmt.Sprintf("authentication of %s at %s failed: the server refused %v", e.User, e.Addr, e.Methods)
}

// Is matches ErrAuthFailed.
func (e *AuthError) Is(target error) bool { return target == ErrAuthFailed }

// KeyFileError reports a private key file that could not be used.
type KeyFileError struct {
	File string
	Err  error // ErrPassphraseRequired, ErrBadPassphrase or the parse/read error
}

func (e *KeyFileError) Error() string { return fmt.Sprintf("private key %s: %v", e.File, e.Err) }
func (e *KeyFileError) Unwrap() error { return e.Err }

// HostKeyError reports a host key that was not accepted: an unknown host
// (Changed and Revoked false), a changed key or a revoked one.
type HostKeyError struct {
	Host        string // lookup name, e.g. [127.0.0.1]:2222
	KeyType     string
	Fingerprint string // SHA256:...
	Changed     bool
	Revoked     bool // known_hosts marks the key @revoked
	// Known lists file:line of the entries that disagree (Changed), or of
	// the @revoked entry (Revoked).
	Known []string
}

func (e *HostKeyError) Error() string {
	if e.Revoked {
		return fmt.Sprintf("host key of %s (%s %s) is marked revoked in known_hosts (%v); refusing to connect",
			e.Host, e.KeyType, e.Fingerprint, e.Known)
	}
	if e.Changed {
		return fmt.Sprintf("REMOTE HOST KEY HAS CHANGED for %s: server offered %s %s, known_hosts has a different key (%v); possible man-in-the-middle attack, refusing to connect",
			e.Host, e.KeyType, e.Fingerprint, e.Known)
	}
	return fmt.Sprintf("host key of %s is unknown (%s %s); refusing to connect (accept it explicitly, e.g. add it to known_hosts)",
		e.Host, e.KeyType, e.Fingerprint)
}

// Is matches ErrHostKeyRevoked, ErrHostKeyChanged or ErrHostKeyUnknown.
func (e *HostKeyError) Is(target error) bool {
	if e.Revoked {
		return target == ErrHostKeyRevoked
	}
	if e.Changed {
		return target == ErrHostKeyChanged
	}
	return target == ErrHostKeyUnknown
}

// CommandError reports a remote command that could not be run or whose
// answer could not be read (the connection is usually dead then).
type CommandError struct {
	Cmd string
	Err error
}

func (e *CommandError) Error() string { return fmt.Sprintf("remote command %q: %v", e.Cmd, e.Err) }
func (e *CommandError) Unwrap() error { return e.Err }

// ForwardError reports a remote port forward (Conn.ListenRemote) that
// could not be set up. Err is ErrForwardDenied when the server refused,
// else the connection's end (ErrConnectionLost), the context's error or
// what is wrong with the address.
type ForwardError struct {
	Addr string
	Err  error
}

func (e *ForwardError) Error() string {
	return fmt.Sprintf("listening on %s on the server: %v", e.Addr, e.Err)
}
func (e *ForwardError) Unwrap() error { return e.Err }

// ExitError reports a remote command that ran but exited non-zero.
type ExitError struct {
	Cmd    string
	Status int
	Stderr string
}

func (e *ExitError) Error() string {
	s := fmt.Sprintf("remote command %q exited with status %d", e.Cmd, e.Status)
	if e.Stderr != "" {
		s += ": " + firstLines(e.Stderr, 3)
	}
	return s
}

// Fingerprint returns OpenSSH's SHA256 fingerprint of key.
func Fingerprint(key ssh.PublicKey) string { return ssh.FingerprintSHA256(key) }

// firstLines joins the first n non-empty lines of s, so an error message
// stays on one line however chatty the server's stderr was.
func firstLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " | ")
}
