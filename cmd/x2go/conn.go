package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/x2go-go/x2go"
	"golang.org/x/term"
)

// connFlags are the connection options every subcommand shares.
type connFlags struct {
	port            int
	user            string
	keys            stringList
	passwordFile    string
	passphraseFile  string
	knownHosts      stringList
	addToKnownHosts bool
	jump            string
	timeout         time.Duration
	verbose         bool
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&c.port, "p", 0, "SSH port")
	fs.StringVar(&c.user, "u", "", "login name")
	fs.Var(&c.keys, "i", "private key file (repeatable)")
	fs.StringVar(&c.passwordFile, "password-file", "", "read the password from this file (- = stdin)")
	fs.StringVar(&c.passphraseFile, "passphrase-file", "", "read the key passphrase from this file")
	fs.Var(&c.knownHosts, "known-hosts", "known_hosts file (repeatable)")
	fs.BoolVar(&c.addToKnownHosts, "add-to-known-hosts", false, "accept and store an unknown host key")
	fs.StringVar(&c.jump, "jump", "", "SSH jump host [user@]host[:port]")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "connect timeout")
	fs.BoolVar(&c.verbose, "v", false, "debug log on stderr")
}

// splitTarget parses [user@]host[:port].
func splitTarget(target string) (user, host string, port int, err error) {
	if i := strings.Index(target, "@"); i >= 0 {
		user, target = target[:i], target[i+1:]
	}
	host = target
	if h, p, splitErr := net.SplitHostPort(target); splitErr == nil {
		host = h
		if port, err = strconv.Atoi(p); err != nil {
			return "", "", 0, fmt.Errorf("bad port in %q", target)
		}
	}
	if host == "" {
		return "", "", 0, errors.New("no server given")
	}
	return user, host, port, nil
}

// readSecretFile reads a password or passphrase: the first line of file, or
// of standard input for "-".
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

// options builds library options from the flags and the positional target.
func (c *connFlags) options(e *env, target string) (x2go.Options, error) {
	u, host, port, err := splitTarget(target)
	if err != nil {
		return x2go.Options{}, err
	}
	o := x2go.Options{
		Server: host, Port: port, Username: c.user,
		KeyFiles: c.keys, LookForKeys: true, AllowAgent: true,
		KnownHostsFiles: c.knownHosts, AddToKnownHosts: c.addToKnownHosts,
		ConnectTimeout: c.timeout,
		PassphrasePrompt: func(_ context.Context, file string) (string, error) {
			return promptSecret(e, fmt.Sprintf("Passphrase for %s: ", file))
		},
	}
	if c.port != 0 {
		o.Port = c.port
	}
	if o.Username == "" {
		o.Username = u
	}
	if o.Username == "" {
		cur, err := user.Current()
		if err != nil {
			return o, fmt.Errorf("no user name given: %w", err)
		}
		o.Username = cur.Username
	}
	if c.passwordFile != "" {
		if o.Password, err = readSecretFile(e, c.passwordFile); err != nil {
			return o, fmt.Errorf("reading password: %w", err)
		}
	} else if pw := e.getenv("X2GO_SSH_PASSWORD"); pw != "" {
		o.Password = pw
	}
	if c.passphraseFile != "" {
		if o.Passphrase, err = readSecretFile(e, c.passphraseFile); err != nil {
			return o, fmt.Errorf("reading passphrase: %w", err)
		}
	}
	if c.jump != "" {
		ju, jh, jp, err := splitTarget(c.jump)
		if err != nil {
			return o, fmt.Errorf("--jump: %w", err)
		}
		o.Jump = &x2go.JumpHost{Host: jh, Port: jp, Username: ju, LookForKeys: true, AllowAgent: true, KeyFiles: c.keys}
	}
	if c.verbose {
		o.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o, nil
}

// promptSecret asks on the terminal without echo; without a terminal it
// fails rather than block.
func promptSecret(e *env, prompt string) (string, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for it")
	}
	fmt.Fprint(e.stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	return string(b), err
}

// connect parses fs's arguments (options then target) and connects.
func connect(ctx context.Context, e *env, c *connFlags, target string) (*x2go.Session, error) {
	opts, err := c.options(e, target)
	if err != nil {
		return nil, err
	}
	s, err := x2go.NewSession(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// exitCode maps library errors to the CLI's exit statuses (the same numbers
// pyhoca-cli intends; see cli-pyhoca.md §7).
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, x2go.ErrHostKeyChanged), errors.Is(err, x2go.ErrHostKeyUnknown):
		return 2
	case errors.Is(err, x2go.ErrAuthFailed), errors.Is(err, x2go.ErrNoAuthMethods),
		errors.Is(err, x2go.ErrPassphraseRequired), errors.Is(err, x2go.ErrBadPassphrase):
		return 54
	case errors.Is(err, x2go.ErrConnect):
		return 11
	case errors.Is(err, x2go.ErrNotX2GoServer):
		return 57
	case errors.Is(err, context.Canceled):
		return 130
	default:
		return 1
	}
}
