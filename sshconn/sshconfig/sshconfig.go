// Package sshconfig answers the question OpenSSH's client asks before it
// connects: given a host alias, what are the effective settings from the
// user's ~/.ssh/config and the system's /etc/ssh/ssh_config? It knows the
// keywords an X2Go client needs to connect like `ssh <alias>` would
// (HostName, User, Port, IdentityFile, ProxyJump, known hosts files, host
// key checking, agent forwarding, keepalive and connect timeouts) and
// follows OpenSSH's rules exactly where they matter: the first obtained
// value of a keyword wins, Host patterns (with negation) are matched
// against the name given, Match blocks (host, originalhost, user,
// localuser, all, canonical, final) are evaluated with the values obtained
// so far, Include reads globs relative to ~/.ssh (or /etc/ssh), tokens
// (%h, %p, %r, %u, %d, %C, ...), ${ENV} and ~ are expanded in paths.
//
// Two ways of answering are built in (Mode): the native reader in this
// package, which never runs a command, and OpenSSH's own `ssh -G`, whose
// output is parsed. Auto uses the native reader and falls back to ssh -G
// only for what the native reader cannot answer (ErrUnsupported: hostname
// canonicalisation, keywords or Match criteria it does not know, a Match
// exec that has to run). Because ssh -G runs every Match exec command it
// reaches, Auto hands over no configuration that has a Match exec line
// anywhere unless Options.AllowExec says so.
//
// Where the native reader is knowingly more lenient than ssh: the values
// of keywords it does not report are not checked (ssh refuses, say,
// "Compression maybe"), and it knows a few keywords of newer OpenSSH
// releases. %-tokens are those of OpenSSH 9.2 (no %j).
//
// ProxyCommand is reported (Settings.ProxyCommand), never run: this
// package runs no command but ssh -G. Settings.Direct tells a caller that
// the connection needs a ProxyCommand it would have to run itself.
package sshconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// Mode selects who reads the configuration.
type Mode int

const (
	// Auto reads the files natively and asks `ssh -G` only for what the
	// native reader cannot answer (an error matching ErrUnsupported).
	Auto Mode = iota
	// Native reads the files natively and never runs ssh; what it cannot
	// answer is an error matching ErrUnsupported.
	Native
	// UseSSHG always asks OpenSSH's `ssh -G` and parses its output.
	UseSSHG
)

func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Native:
		return "native"
	case UseSSHG:
		return "ssh -G"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options say which files are read and stand in for ssh's command line.
// The zero value reads ~/.ssh/config and /etc/ssh/ssh_config like ssh.
type Options struct {
	Mode Mode
	// ConfigFile, when set, is the only file read, as `ssh -F` does
	// ("none" reads none). Jump hosts are resolved from it too.
	ConfigFile string
	// UserConfig and SystemConfig are read, in that order, when
	// ConfigFile is empty (defaults ~/.ssh/config and
	// /etc/ssh/ssh_config). ssh -G knows only the defaults: with other
	// paths and no ConfigFile, UseSSHG is refused (ErrUnsupported).
	UserConfig   string
	SystemConfig string
	// User and Port stand for `ssh -l` and `ssh -p`: they win over the
	// configuration (0 and "" mean not given).
	User string
	Port int
	// HomeDir is the home of ~ in paths and of %d (default: the current
	// user's home from the password database, as ssh uses). ssh -G always
	// uses the password database.
	HomeDir string
	// LocalUser is the local login name (%u, Match localuser, and the
	// default User; default: the current user).
	LocalUser string
	// Env is the environment for ${VAR} in paths, $HOME for `~` in
	// Include (glob's rule, which ssh follows) and for ssh -G (nil means
	// os.Environ()).
	Env []string
	// SSHPath is the ssh binary for ssh -G (default "ssh" in $PATH).
	SSHPath string
	// AllowExec lets Auto hand a configuration with Match exec lines to
	// ssh -G, which runs those commands as every ssh connection of the
	// user does. Without it, such a configuration that the native reader
	// cannot answer is an error matching ErrUnsupported.
	AllowExec bool
}

// StrictHostKeyChecking is OpenSSH's policy for unknown and changed host keys.
type StrictHostKeyChecking int

const (
	// StrictAsk asks the user about unknown host keys (OpenSSH's default).
	StrictAsk StrictHostKeyChecking = iota
	// StrictYes refuses unknown host keys.
	StrictYes
	// StrictAcceptNew adds unknown host keys, refuses changed ones.
	StrictAcceptNew
	// StrictNo (also "off") adds unknown host keys; OpenSSH then also
	// lets some changed keys through, which this project never does.
	StrictNo
)

func (s StrictHostKeyChecking) String() string {
	switch s {
	case StrictAsk:
		return "ask"
	case StrictYes:
		return "yes"
	case StrictAcceptNew:
		return "accept-new"
	case StrictNo:
		return "no"
	}
	return fmt.Sprintf("StrictHostKeyChecking(%d)", int(s))
}

// Settings are the effective settings for one host, defaults filled in as
// ssh fills them.
type Settings struct {
	// Host is the name asked for (ssh's host argument, %n).
	Host string
	// HostName is the name or address to connect to: HostName with %h
	// expanded, lower-cased unless it is an address (%h).
	HostName string
	User     string // remote login name (%r)
	Port     int    // 22 unless configured (%p)
	// IdentityFiles are the private key files to try, in order, with ~,
	// tokens and ${ENV} expanded ("none" removed). When the
	// configuration names none, they are OpenSSH's default names and
	// IdentityFilesDefault is true; files that do not exist are listed
	// all the same (ssh skips them when loading).
	IdentityFiles        []string
	IdentityFilesDefault bool
	IdentitiesOnly       bool
	// IdentityAgent is the agent socket for authentication ("" when not
	// configured, "none" when disabled, else expanded).
	IdentityAgent string
	// Jumps are the jump hosts of ProxyJump, the first one connected to
	// first; each with its own resolved settings. A jump host's own
	// ProxyJump is flattened into the chain; nil means direct (or
	// ProxyCommand).
	Jumps []Hop
	// ProxyCommand is the configured command ("" when none), tokens not
	// expanded. This package never runs it; see Direct.
	ProxyCommand string
	// UserKnownHostsFiles and GlobalKnownHostsFiles, expanded; empty for
	// "none".
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	StrictHostKeyChecking StrictHostKeyChecking
	// HostKeyAlias is the name host keys are looked up and stored under
	// (lower-cased, as ssh does); "" when not set.
	HostKeyAlias string
	// ForwardAgent asks for agent forwarding; ForwardAgentSocket is the
	// socket to forward when configured as a path or $VAR (expanded),
	// "" for $SSH_AUTH_SOCK. (A path after "ForwardAgent no" is kept but
	// forwards nothing; ssh -G cannot show that case and reports
	// ForwardAgent true there.)
	ForwardAgent       bool
	ForwardAgentSocket string
	// ServerAliveInterval is the keepalive interval (0: off) and
	// ServerAliveCountMax how many may go unanswered.
	ServerAliveInterval time.Duration
	ServerAliveCountMax int
	// ConnectTimeout is 0 when not set ("none").
	ConnectTimeout time.Duration
	// BatchMode, PasswordAuthentication, PubkeyAuthentication and
	// KbdInteractiveAuthentication are the login switches.
	BatchMode                    bool
	PasswordAuthentication       bool
	PubkeyAuthentication         bool
	KbdInteractiveAuthentication bool
	// Source says who answered: Native or UseSSHG.
	Source Mode
}

// Hop is one jump host of a ProxyJump chain.
type Hop struct {
	// Spec is the hop as written in ProxyJump ([user@]host[:port] or
	// ssh://[user@]host[:port]).
	Spec string
	// Settings are the hop's own settings from the configuration, with
	// the user and port of Spec winning over it. Its Jumps are empty (the
	// chain is flattened); ProxyCommand is set only for the first hop.
	Settings Settings
}

// Direct returns nil when the connection can be made without running a
// command: neither the host nor one of its jump hosts needs a
// ProxyCommand. Otherwise it returns a *ProxyCommandError (ErrProxyCommand).
func (s *Settings) Direct() error {
	if len(s.Jumps) > 0 {
		if pc := s.Jumps[0].Settings.ProxyCommand; pc != "" {
			return &ProxyCommandError{Host: s.Jumps[0].Settings.Host, Command: pc}
		}
		return nil
	}
	if s.ProxyCommand != "" {
		return &ProxyCommandError{Host: s.Host, Command: s.ProxyCommand}
	}
	return nil
}

// Resolve returns the effective settings for host, as `ssh host` would
// use them, with the jump hosts of ProxyJump resolved too. ctx bounds the
// ssh -G runs.
//
// Errors match ErrBadConfig (*ConfigError: a configuration ssh would
// refuse), ErrUnsupported (*UnsupportedError: Native cannot answer, or
// Auto may not hand over to ssh -G), ErrSSH (*SSHError: ssh -G failed or
// could not be run), or the context's error.
func Resolve(ctx context.Context, host string, opts Options) (Settings, error) {
	if host == "" {
		return Settings{}, &ConfigError{Msg: "no host given"}
	}
	r, err := newResolver(opts)
	if err != nil {
		return Settings{}, err
	}
	return r.resolve(ctx, host, hostArgs{user: opts.User, port: opts.Port}, 0)
}

// maxHops bounds the flattened ProxyJump chain (and breaks loops of jump
// hosts naming each other).
const maxHops = 8

// resolver holds what Resolve needs for the host and its jump hosts.
type resolver struct {
	opts      Options
	env       map[string]string
	home      string
	localUser string
	uid       string
	thisHost  string
}

func newResolver(opts Options) (*resolver, error) {
	r := &resolver{opts: opts, env: map[string]string{}}
	envList := opts.Env
	if envList == nil {
		envList = os.Environ()
	}
	for _, kv := range envList {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := r.env[k]; !dup {
				r.env[k] = v
			}
		}
	}
	r.home, r.localUser = opts.HomeDir, opts.LocalUser
	u, uerr := user.Current()
	if uerr == nil {
		r.uid = u.Uid
		if r.home == "" {
			r.home = u.HomeDir
		}
		if r.localUser == "" {
			r.localUser = u.Username
		}
	} else {
		r.uid = fmt.Sprint(os.Getuid())
	}
	if r.home == "" {
		r.home = r.env["HOME"]
	}
	if r.home == "" || r.localUser == "" {
		return nil, &ConfigError{Msg: "cannot tell the local user or home directory", Err: uerr}
	}
	r.thisHost, _ = os.Hostname()
	if opts.UserConfig == "" {
		r.opts.UserConfig = filepath.Join(r.home, ".ssh", "config")
	}
	if opts.SystemConfig == "" {
		r.opts.SystemConfig = "/etc/ssh/ssh_config"
	}
	return r, nil
}

// hostArgs are the command line parts of one lookup: -l, -p, and for
// jump hosts after the first, the -J that overrides their own proxy.
type hostArgs struct {
	user    string
	port    int
	noProxy bool
}

// resolve answers for one host and resolves its jump chain.
func (r *resolver) resolve(ctx context.Context, host string, args hostArgs, depth int) (Settings, error) {
	if depth > maxHops {
		return Settings{}, &ConfigError{Msg: fmt.Sprintf("more than %d jump hosts (a loop of ProxyJump?)", maxHops)}
	}
	var s Settings
	var jump string
	var err error
	switch r.opts.Mode {
	case Native:
		s, jump, err = r.native(host, args)
	case UseSSHG:
		s, jump, err = r.sshG(ctx, host, args)
	case Auto:
		s, jump, err = r.native(host, args)
		var unsup *UnsupportedError
		if errors.As(err, &unsup) && (!unsup.exec || r.opts.AllowExec) {
			s, jump, err = r.sshG(ctx, host, args)
		}
	default:
		return Settings{}, fmt.Errorf("sshconfig: unknown mode %d", int(r.opts.Mode))
	}
	if err != nil {
		return Settings{}, err
	}
	if jump == "" || args.noProxy {
		return s, nil
	}
	specs, err := splitJump(jump)
	if err != nil {
		return Settings{}, &ConfigError{Msg: fmt.Sprintf("ProxyJump %q: %v", jump, err)}
	}
	for i, spec := range specs {
		hop, err := parseHop(spec)
		if err != nil {
			return Settings{}, &ConfigError{Msg: fmt.Sprintf("ProxyJump %q: %v", jump, err)}
		}
		// The first hop is reached with its own configuration, proxy
		// included; the others through the hops before them (ssh -J).
		hs, err := r.resolve(ctx, hop.host, hostArgs{user: hop.user, port: hop.port, noProxy: i > 0}, depth+1)
		if err != nil {
			return Settings{}, fmt.Errorf("jump host %s: %w", spec, err)
		}
		if i == 0 {
			s.Jumps = append(s.Jumps, hs.Jumps...)
		}
		hs.Jumps = nil
		s.Jumps = append(s.Jumps, Hop{Spec: spec, Settings: hs})
		if len(s.Jumps) > maxHops {
			return Settings{}, &ConfigError{Msg: fmt.Sprintf("more than %d jump hosts (a loop of ProxyJump?)", maxHops)}
		}
	}
	return s, nil
}

// getenv looks up name in the resolver's environment.
func (r *resolver) getenv(name string) (string, bool) {
	v, ok := r.env[name]
	return v, ok
}
