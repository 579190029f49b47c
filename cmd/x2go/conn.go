package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/x2go-go/x2go"
)

// connFlags are the connection options of every subcommand that talks to
// a server.
type connFlags struct {
	port            int
	user            string
	keys            []string
	password        string // only through the secrets (see secrets.go)
	passwordFile    string
	passphraseFile  string
	knownHosts      []string
	addToKnownHosts bool
	jump            string
	timeout         time.Duration
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.IntVarP(&c.port, "port", "p", 0, "SSH port of the server (default 22, or the :port of the target)")
	fs.StringVarP(&c.user, "user", "u", "", "login name (default: the user@ of the target, else your local login name)")
	fs.StringArrayVarP(&c.keys, "identity", "i", nil, "private key file to log in with (repeatable); ~/.ssh/id_* and the SSH agent are tried too")
	fs.StringVar(&c.passwordFile, "password-file", "", `read the login password from the first line of this file ("-": standard input)`)
	fs.StringVar(&c.password, "password", "", "login password; visible to other users until x2go hides it: prefer --password-file or "+passwordEnv)
	fs.StringVar(&c.passphraseFile, "passphrase-file", "", "read the passphrase of encrypted private keys from this file")
	fs.String("passphrase", "", "passphrase of encrypted private keys (hidden like --password; prefer --passphrase-file)")
	fs.StringArrayVar(&c.knownHosts, "known-hosts", nil, "known_hosts file (repeatable; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts)")
	fs.BoolVar(&c.addToKnownHosts, "add-to-known-hosts", false, "trust a server whose host key is not known yet and store its key (a changed key is always refused)")
	fs.StringVarP(&c.jump, "jump", "J", "", "connect through this SSH jump host, [user@]host[:port]")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "how long to try to reach and log in to the server")
}

// target is a parsed [user@]host[:port].
type target struct {
	user, host string
	port       int
}

// parseTarget parses [user@]host[:port] ([v6addr]:port for IPv6).
func parseTarget(s string) (target, error) {
	var t target
	if i := strings.LastIndex(s, "@"); i >= 0 {
		t.user, s = s[:i], s[i+1:]
	}
	t.host = s
	if h, p, err := net.SplitHostPort(s); err == nil {
		t.host = h
		if t.port, err = strconv.Atoi(p); err != nil || t.port < 1 || t.port > 65535 {
			return t, usageErrorf("bad port in %q", s)
		}
	} else {
		t.host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	if t.host == "" {
		return t, usageErrorf("no server given: want [user@]host[:port]")
	}
	return t, nil
}

// readSecretFile reads a password or passphrase: the first line of file,
// or of standard input for "-".
func readSecretFile(e *env, file string) (string, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(e.stdin, 1<<16))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", err
	}
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// connection is what a subcommand needs to connect: the options, whether
// a password was given (else one may be asked for), and who asks.
type connection struct {
	opts        x2go.Options
	hasPassword bool
	ask         *asker
	e           *env
}

// options builds library options from the flags and the target.
func (c *connFlags) options(e *env, g *globalFlags, targetArg string) (*connection, error) {
	t, err := parseTarget(targetArg)
	if err != nil {
		return nil, err
	}
	o := x2go.Options{
		Server: t.host, Port: t.port, Username: c.user,
		KeyFiles: c.keys, LookForKeys: true, AllowAgent: true,
		KnownHostsFiles: c.knownHosts, AddToKnownHosts: c.addToKnownHosts,
		ConnectTimeout: c.timeout,
	}
	if c.port != 0 {
		o.Port = c.port
	}
	if o.Username == "" {
		o.Username = t.user
	}
	if o.Username == "" {
		cur, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("no user name given (-u) and the local one is unknown: %w", err)
		}
		o.Username = cur.Username
	}
	conn := &connection{e: e, ask: &asker{disable: g.nonInteractive}}
	switch {
	case c.passwordFile != "":
		if o.Password, err = readSecretFile(e, c.passwordFile); err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		conn.hasPassword = true
	case e.secrets["password"] != "":
		o.Password, conn.hasPassword = e.secrets["password"], true
	case e.envPassword != "":
		o.Password, conn.hasPassword = e.envPassword, true
	}
	if c.passphraseFile != "" {
		if o.Passphrase, err = readSecretFile(e, c.passphraseFile); err != nil {
			return nil, fmt.Errorf("reading the passphrase: %w", err)
		}
	} else if pp := e.secrets["passphrase"]; pp != "" {
		o.Passphrase = pp
	}
	if c.jump != "" {
		jt, err := parseTarget(c.jump)
		if err != nil {
			return nil, fmt.Errorf("--jump: %w", err)
		}
		o.Jump = &x2go.JumpHost{Host: jt.host, Port: jt.port, Username: jt.user, LookForKeys: true, AllowAgent: true, KeyFiles: c.keys}
	}
	if g.verbose && !g.quiet {
		o.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	o.PassphrasePrompt = func(ctx context.Context, file string) (string, error) {
		return conn.ask.ask(ctx, fmt.Sprintf("Passphrase of the key %s: ", file), true)
	}
	o.Hooks.CheckHostKey = conn.checkHostKey
	conn.opts = o
	return conn, nil
}

// checkHostKey asks the person at the terminal about an unknown host key;
// without a terminal the key is refused, and the error says how to accept
// it.
func (c *connection) checkHostKey(ctx context.Context, _ *x2go.ControlSession, key x2go.HostKeyInfo) bool {
	if !c.ask.interactive() {
		return false
	}
	prompt := fmt.Sprintf("x2go: %s is a server this computer has not met: no known_hosts file has its host key.\n"+
		"Its %s key has the fingerprint %s\n"+
		"Check that with the server's administrator. Trust this key and remember it? (yes/no): ",
		key.LookupName, key.KeyType, key.Fingerprint)
	for {
		answer, err := c.ask.ask(ctx, prompt, false)
		if err != nil {
			return false
		}
		switch a := strings.TrimSpace(answer); {
		case strings.EqualFold(a, "yes"), a == key.Fingerprint:
			return true
		case strings.EqualFold(a, "no"), a == "":
			return false
		}
		prompt = "Please answer yes or no: "
	}
}

// connect makes a Session and connects it. When the server refuses the
// login and no password was given, the person at the terminal is asked
// for one (three times at most, as OpenSSH does).
func (c *connection) connect(ctx context.Context) (*x2go.Session, error) {
	o := c.opts
	if !c.hasPassword && c.ask.interactive() {
		o.KeyboardInteractive = c.keyboardInteractive(ctx)
	}
	for attempt := 0; ; attempt++ {
		s, err := x2go.NewSession(o)
		if err != nil {
			return nil, err
		}
		err = s.Connect(ctx)
		if err == nil {
			return s, nil
		}
		if c.hasPassword || attempt == 3 || !c.ask.interactive() ||
			!(errors.Is(err, x2go.ErrAuthFailed) || errors.Is(err, x2go.ErrNoAuthMethods)) {
			return nil, err
		}
		pw, perr := c.ask.ask(ctx, fmt.Sprintf("%s@%s's password: ", o.Username, o.Server), true)
		if perr != nil || pw == "" {
			return nil, err
		}
		o.Password = pw
	}
}

// keyboardInteractive answers the server's keyboard-interactive questions
// (one-time codes and the like) at the terminal.
func (c *connection) keyboardInteractive(ctx context.Context) func(name, instruction string, questions []string, echos []bool) ([]string, error) {
	return func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i, q := range questions {
			if i == 0 && instruction != "" {
				q = instruction + "\n" + q
			}
			a, err := c.ask.ask(ctx, q, !echos[i])
			if err != nil {
				return nil, err
			}
			answers[i] = a
		}
		return answers, nil
	}
}
