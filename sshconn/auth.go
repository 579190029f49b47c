package sshconn

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Auth holds the credentials and the methods allowed for one login. Login
// password and key passphrase are kept apart: a passphrase is never sent to
// the server as a password (python-x2go does that; we do not).
type Auth struct {
	// Password for password and keyboard-interactive authentication.
	Password string
	// ForcePassword uses only the password (python-x2go's force_password_auth).
	ForcePassword bool
	// KeyFiles are private keys to offer, in order. An encrypted key needs
	// Passphrase or PassphrasePrompt.
	KeyFiles []string
	// Signers are already loaded keys (python-x2go's pkey).
	Signers []ssh.Signer
	// Passphrase decrypts encrypted private keys.
	Passphrase string
	// PassphrasePrompt is asked for the passphrase of an encrypted key in
	// KeyFiles when Passphrase is empty or wrong (three tries). It is called
	// before any network connection is made, so the time a person takes to
	// answer does not count against ConnectTimeout; it should return when
	// ctx is done. An error aborts Dial (wrapped in a *KeyFileError).
	PassphrasePrompt func(ctx context.Context, keyFile string) (string, error)
	// LookForKeys offers ~/.ssh/id_* keys (python-x2go's look_for_keys).
	// Encrypted ones are used only when a passphrase is at hand.
	LookForKeys bool
	// SSHDir is where LookForKeys searches; default ~/.ssh.
	SSHDir string
	// AllowAgent offers the keys of the agent at $SSH_AUTH_SOCK.
	AllowAgent bool
	// AgentSocket overrides $SSH_AUTH_SOCK.
	AgentSocket string
	// KeyboardInteractive answers keyboard-interactive challenges (2FA and
	// the like). Without it, a challenge with exactly one hidden prompt is
	// answered with Password.
	KeyboardInteractive ssh.KeyboardInteractiveChallenge
}

// discoveredKeyNames are the ~/.ssh files tried by LookForKeys, in
// OpenSSH's order.
var discoveredKeyNames = []string{"id_ed25519", "id_ecdsa", "id_rsa", "id_ed25519_sk", "id_ecdsa_sk", "id_dsa"}

// credentials are the authentication methods of one login, ready before
// the first packet is sent: key files are read and decrypted (asking for
// passphrases) before the connect timeout starts, so that a person typing
// a passphrase is not racing it.
type credentials struct {
	methods []namedMethod // in the order they are offered
	closer  func()        // releases the agent connection
}

type namedMethod struct {
	name   string // RFC 4252 method name
	method ssh.AuthMethod
}

func (c *credentials) names() []string {
	names := make([]string, len(c.methods))
	for i, m := range c.methods {
		names[i] = m.name
	}
	return names
}

func (c *credentials) close() {
	if c != nil && c.closer != nil {
		c.closer()
	}
}

// prepare builds the authentication methods of a. passphrases remembers
// what the prompt answered per key file during one Dial, so a key used on
// both hops of a jump connection is asked for once.
func (a *Auth) prepare(ctx context.Context, passphrases map[string]string) (*credentials, error) {
	creds := &credentials{}
	add := func(ms []ssh.AuthMethod, names []string) {
		for i := range ms {
			creds.methods = append(creds.methods, namedMethod{names[i], ms[i]})
		}
	}
	if a.ForcePassword {
		if a.Password == "" && a.KeyboardInteractive == nil {
			return nil, fmt.Errorf("%w: password authentication forced but no password given", ErrNoAuthMethods)
		}
		add(a.passwordMethods())
		return creds, nil
	}

	var signers []ssh.Signer
	signers = append(signers, a.Signers...)
	for _, file := range a.KeyFiles {
		s, err := a.loadKey(ctx, file, true, passphrases)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if a.AllowAgent {
		if sock := agentSocket(a.AgentSocket); sock != "" {
			var d net.Dialer
			if conn, err := d.DialContext(ctx, "unix", sock); err == nil {
				creds.closer = func() { conn.Close() }
				if agentSigners, err := agent.NewClient(conn).Signers(); err == nil {
					signers = append(signers, agentSigners...)
				}
			}
		}
	}
	if a.LookForKeys {
		dir := a.SSHDir
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".ssh")
			}
		}
		for _, name := range discoveredKeyNames {
			file := filepath.Join(dir, name)
			if _, err := os.Stat(file); err != nil {
				continue
			}
			// Discovered keys are offered when usable; an encrypted one
			// without passphrase is passed over, as OpenSSH in batch mode does.
			if s, err := a.loadKey(ctx, file, false, passphrases); err == nil {
				signers = append(signers, s)
			}
		}
	}
	if len(signers) > 0 {
		add([]ssh.AuthMethod{ssh.PublicKeys(signers...)}, []string{"publickey"})
	}
	add(a.passwordMethods())
	if len(creds.methods) == 0 {
		creds.close()
		return nil, ErrNoAuthMethods
	}
	return creds, nil
}

func (a *Auth) passwordMethods() ([]ssh.AuthMethod, []string) {
	var methods []ssh.AuthMethod
	var names []string
	if a.Password != "" {
		methods = append(methods, ssh.Password(a.Password))
		names = append(names, "password")
	}
	switch {
	case a.KeyboardInteractive != nil:
		methods = append(methods, ssh.KeyboardInteractive(a.KeyboardInteractive))
		names = append(names, "keyboard-interactive")
	case a.Password != "":
		pw := a.Password
		methods = append(methods, ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
			// Answer the usual single hidden "Password:" prompt only; a
			// multi-step challenge needs a KeyboardInteractive callback.
			if len(questions) == 0 {
				return nil, nil
			}
			if len(questions) == 1 && !echos[0] {
				return []string{pw}, nil
			}
			return nil, errors.New("keyboard-interactive challenge needs a prompt callback")
		}))
		names = append(names, "keyboard-interactive")
	}
	return methods, names
}

// loadKey reads a private key file. explicit keys report every problem
// and may prompt; for discovered keys the caller ignores the error.
func (a *Auth) loadKey(ctx context.Context, file string, explicit bool, passphrases map[string]string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, &KeyFileError{File: file, Err: err}
	}
	s, err := ssh.ParsePrivateKey(pem)
	if err == nil {
		return s, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, &KeyFileError{File: file, Err: err}
	}
	prompt := a.PassphrasePrompt
	if !explicit {
		prompt = nil
	}
	passphrase := a.Passphrase
	if passphrase == "" {
		passphrase = passphrases[file]
	}
	for attempt := 0; attempt < 3; attempt++ {
		if passphrase == "" {
			if prompt == nil {
				return nil, &KeyFileError{File: file, Err: ErrPassphraseRequired}
			}
			if passphrase, err = prompt(ctx, file); err != nil {
				return nil, &KeyFileError{File: file, Err: err}
			}
			if err := ctx.Err(); err != nil {
				return nil, &KeyFileError{File: file, Err: err}
			}
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
		if err == nil {
			passphrases[file] = passphrase
			return s, nil
		}
		if !isBadPassphrase(err) {
			return nil, &KeyFileError{File: file, Err: err}
		}
		if prompt == nil {
			return nil, &KeyFileError{File: file, Err: ErrBadPassphrase}
		}
		passphrase = ""
	}
	return nil, &KeyFileError{File: file, Err: ErrBadPassphrase}
}

// isBadPassphrase: x/crypto reports a wrong passphrase for both PEM and
// OpenSSH-format keys as x509.IncorrectPasswordError.
func isBadPassphrase(err error) bool { return errors.Is(err, x509.IncorrectPasswordError) }

// errAllRefused ends the handshake once the server has refused every
// method that is left to try.
var errAllRefused = errors.New("the server refused every authentication method")

// authSelector chooses the next authentication method for the SSH library
// (ssh.ClientConfig.AuthCallback, called after each attempt with the
// methods tried and those the server still accepts). Doing the choice
// ourselves is how a refused login is recognised: the library's own
// "unable to authenticate" error is untyped text, whereas the selector
// knows exactly when nothing acceptable is left and then aborts with
// errAllRefused, recording what was tried.
type authSelector struct {
	creds   *credentials
	linkErr func() error // the first I/O error of the connection, if any

	mu      sync.Mutex
	tried   []string // refused methods in order, each once
	allowed []string // the methods the server last said it accepts
}

func (s *authSelector) next(ac *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = slices.Clone(ac.AllowedMethods)
	s.tried = s.tried[:0]
	for _, m := range ac.TriedMethods {
		if m != "none" && !slices.Contains(s.tried, m) {
			s.tried = append(s.tried, m)
		}
	}
	for _, m := range s.creds.methods {
		if slices.Contains(ac.TriedMethods, m.name) || !slices.Contains(ac.AllowedMethods, m.name) {
			continue
		}
		return m.method, nil
	}
	if err := s.linkErr(); err != nil {
		// The attempts failed because the link broke, not by refusal.
		return nil, fmt.Errorf("connection failed during authentication: %w", err)
	}
	return nil, errAllRefused
}

// outcome returns the refused methods and the server's accepted ones.
func (s *authSelector) outcome() (tried, allowed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tried), slices.Clone(s.allowed)
}
