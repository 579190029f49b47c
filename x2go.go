// Package x2go is an X2Go client library: it connects to an X2Go server
// over SSH, lists, starts, resumes, suspends and terminates X2Go sessions,
// and shows their graphics on the local X display through nxproxy.
//
// Session is the Go spelling of python-x2go's X2GoSession: a control
// session (ControlSession: one SSH connection to one server and every query
// on it) and the one X2Go session on it that this Session drives (start,
// resume, suspend, terminate, and the parts of the running session on this
// side, such as the graphics). Several Sessions can share one
// ControlSession, and so one SSH connection (Options.ControlSession).
//
// Every blocking method takes a context. Errors can be told apart with
// errors.Is (ErrAuthFailed, ErrHostKeyChanged, ...) and errors.As
// (*HostKeyError, *ServerError, ...).
//
// Safe defaults: unknown host keys are refused unless Options.AddToKnownHosts
// is set or Hooks.CheckHostKey says yes; a changed host key is always
// refused; every value sent to the server's shell is quoted; passwords never
// appear in logs, errors or process arguments.
package x2go

import (
	"context"
	"log/slog"
	"time"

	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/crypto/ssh"
)

// SessionInfo is one server-side X2Go session as x2golistsessions reports it.
type SessionInfo = protocol.SessionInfo

// SessionName is a parsed session name.
type SessionName = protocol.SessionName

// Mount is one mounted client folder of a session.
type Mount = protocol.Mount

// Menu is the published applications menu, by category.
type Menu = protocol.Menu

// Application is one published application as x2gogetapps sends it.
type Application = protocol.Application

// Options configure a Session or a ControlSession. Only Server and
// Username are required; an authentication method (password, key, agent,
// or key discovery) must be usable for Connect to succeed.
type Options struct {
	// ControlSession, when set, is the control session (SSH connection)
	// the Session runs over, shared with other Sessions; the connection
	// fields below (Server to HostKeyAlias, Jump, ConnectTimeout) are then
	// not used. Without it the Session opens a control session of its own
	// and closes it on Disconnect.
	ControlSession *ControlSession

	// Server is the host name or address of the X2Go server.
	Server string
	// Port is the SSH port (default 22).
	Port int
	// Username is the login name on the server.
	Username string

	// Password for password (and single-prompt keyboard-interactive)
	// authentication. Never logged.
	Password string
	// ForcePasswordAuth uses the password only (python-x2go's
	// force_password_auth).
	ForcePasswordAuth bool
	// KeyFiles are private key files to log in with (python-x2go's
	// key_filename). OpenSSH, PEM and PKCS#8 formats; RSA, ECDSA, Ed25519.
	KeyFiles []string
	// Signers are keys already in memory (python-x2go's pkey).
	Signers []ssh.Signer
	// Passphrase decrypts encrypted private keys. Never sent as a password.
	Passphrase string
	// PassphrasePrompt asks for a passphrase when a key needs one. The time
	// it takes does not count against ConnectTimeout; ctx ends when the
	// connect is given up.
	PassphrasePrompt func(ctx context.Context, keyFile string) (string, error)
	// LookForKeys also tries ~/.ssh/id_* (python-x2go's look_for_keys).
	LookForKeys bool
	// SSHDir replaces ~/.ssh for LookForKeys.
	SSHDir string
	// AllowAgent also tries the keys of the SSH agent ($SSH_AUTH_SOCK).
	AllowAgent bool
	// KeyboardInteractive answers keyboard-interactive challenges (2FA).
	KeyboardInteractive ssh.KeyboardInteractiveChallenge

	// KnownHostsFiles to check the server's host key against; default
	// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. New keys are
	// appended to the first one; the file is never rewritten.
	KnownHostsFiles []string
	// AddToKnownHosts accepts an unknown host key and stores it
	// (python-x2go's add_to_known_hosts). A changed key is still refused.
	AddToKnownHosts bool
	// HostKeyAlias stores and looks up the host key under this name
	// instead of the server name (python-x2go's unique_hostkey_aliases).
	HostKeyAlias string

	// Jump, when set, connects through an SSH jump host ("SSH proxy").
	// With UseSSHConfig it replaces the configuration's ProxyJump, as
	// `ssh -J` does.
	Jump *JumpHost

	// ForwardAgent forwards the local SSH agent ($SSH_AUTH_SOCK) to the
	// server (ssh -A, python-x2go's forward_sshagent), so that programs in
	// the session can log in elsewhere with this computer's keys. Whoever
	// is root on the server can use the agent while the session runs.
	ForwardAgent bool
	// UseSSHConfig reads the OpenSSH client configuration for Server as
	// `ssh Server` would (~/.ssh/config and /etc/ssh/ssh_config, or only
	// SSHConfigFile): HostName, Port, User, IdentityFile, ProxyJump,
	// known hosts files, StrictHostKeyChecking, HostKeyAlias,
	// ForwardAgent, ConnectTimeout and keepalive. What Options set
	// explicitly wins: Port and Username as ssh -p and -l, Jump as ssh -J,
	// KnownHostsFiles, HostKeyAlias and ConnectTimeout. Username may then
	// be empty (the configuration's User, else the local login name). A
	// host reached through a ProxyCommand is refused (no command is run).
	UseSSHConfig bool
	// SSHConfigFile, when set with UseSSHConfig, is the only
	// configuration file read (ssh -F).
	SSHConfigFile string

	// ConnectTimeout bounds the network part of connect and login
	// (default 30s); waiting for a person (CheckHostKey, PassphrasePrompt)
	// does not count.
	ConnectTimeout time.Duration
	// Timeouts bound the server queries that may hang.
	Timeouts Timeouts

	// ProfileName names the session profile in logs and hooks.
	ProfileName string
	// Hooks receive events; unset hooks do nothing (CheckHostKey refuses).
	Hooks Hooks
	// Logger receives debug and informational messages; nil discards them.
	Logger *slog.Logger

	// Params are the parameters of new and resumed sessions.
	Params Params

	// ShareFolders are local folders the server mounts in the session
	// (python-x2go's share_local_folders), shared again after a resume.
	// Only the master session of a profile mounts them: the first of the
	// profile's Sessions on a ControlSession to run (python-x2go's rule).
	ShareFolders []string
	// AllowFolderSharing enables folder sharing without folders to share
	// at start, so that ShareLocalFolder works later. ShareFolders implies it.
	AllowFolderSharing bool
	// Printing, when set, has the server send the session's print jobs to
	// this client, where a printing.Watcher made from it hands them to its
	// action (its Dir is set by the Session).
	Printing *printing.Config
	// MimeBox, when set, has the server's MIME box deliver files to this
	// client, where a mimebox.Watcher made from it handles them (its Dir
	// is set by the Session).
	MimeBox *mimebox.Config
}

// JumpHost is an SSH jump host the connection to the server is tunnelled
// through. Its host key is checked like the server's.
type JumpHost struct {
	Host        string
	Port        int // default 22
	Username    string
	Password    string
	KeyFiles    []string
	Passphrase  string
	LookForKeys bool
	AllowAgent  bool
	// ReuseAuth uses the server's credentials for the jump host too
	// (python-x2go's sshproxy_reuse_authinfo).
	ReuseAuth bool
}

// ParseSessionName parses an X2Go session name such as
// x2gotest-51-1795627586_stRxterm_dp24.
func ParseSessionName(name string) (SessionName, error) { return protocol.ParseSessionName(name) }
