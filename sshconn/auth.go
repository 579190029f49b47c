package sshconn

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

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
	// PassphrasePrompt is asked for the passphrase of an encrypted key when
	// Passphrase is empty or wrong.
	PassphrasePrompt func(keyFile string) (string, error)
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

// methods builds the ssh.AuthMethods for a and names them for error
// messages. The returned closer releases the agent connection.
func (a *Auth) methods(ctx context.Context) (methods []ssh.AuthMethod, names []string, closer func(), err error) {
	closer = func() {}
	if a.ForcePassword {
		if a.Password == "" && a.KeyboardInteractive == nil {
			return nil, nil, closer, fmt.Errorf("%w: password authentication forced but no password given", ErrNoAuthMethods)
		}
		m, n := a.passwordMethods()
		return m, n, closer, nil
	}

	var signers []ssh.Signer
	signers = append(signers, a.Signers...)
	for _, file := range a.KeyFiles {
		s, err := a.loadKey(file, true)
		if err != nil {
			return nil, nil, closer, err
		}
		signers = append(signers, s)
	}
	if a.AllowAgent {
		sock := a.AgentSocket
		if sock == "" {
			sock = os.Getenv("SSH_AUTH_SOCK")
		}
		if sock != "" {
			var d net.Dialer
			if conn, err := d.DialContext(ctx, "unix", sock); err == nil {
				closer = func() { conn.Close() }
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
			if s, err := a.loadKey(file, false); err == nil {
				signers = append(signers, s)
			}
		}
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
		names = append(names, "publickey")
	}
	m, n := a.passwordMethods()
	methods, names = append(methods, m...), append(names, n...)
	if len(methods) == 0 {
		closer()
		return nil, nil, func() {}, ErrNoAuthMethods
	}
	return methods, names, closer, nil
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

// loadKey reads a private key file. explicit keys report every problem;
// for discovered keys the caller ignores the error.
func (a *Auth) loadKey(file string, explicit bool) (ssh.Signer, error) {
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
	passphrase := a.Passphrase
	for attempt := 0; attempt < 3; attempt++ {
		if passphrase == "" {
			if a.PassphrasePrompt == nil || !explicit {
				return nil, &KeyFileError{File: file, Err: ErrPassphraseRequired}
			}
			if passphrase, err = a.PassphrasePrompt(file); err != nil {
				return nil, &KeyFileError{File: file, Err: err}
			}
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
		if err == nil {
			return s, nil
		}
		if !isBadPassphrase(err) {
			return nil, &KeyFileError{File: file, Err: err}
		}
		if a.PassphrasePrompt == nil || !explicit {
			return nil, &KeyFileError{File: file, Err: ErrBadPassphrase}
		}
		passphrase = ""
	}
	return nil, &KeyFileError{File: file, Err: ErrBadPassphrase}
}

// isBadPassphrase: x/crypto reports a wrong passphrase for both PEM and
// OpenSSH-format keys as x509.IncorrectPasswordError.
func isBadPassphrase(err error) bool { return errors.Is(err, x509.IncorrectPasswordError) }
