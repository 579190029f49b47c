package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// The statuses of x2go check's findings.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// finding is one line of x2go check: what was looked at, how it is, and
// what to do when it is not ok.
type finding struct {
	Status string `json:"status"`
	Topic  string `json:"topic"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// report collects the findings in the order they were made.
type report struct {
	Server   string    `json:"server"`
	OK       bool      `json:"ok"` // no finding failed
	Findings []finding `json:"findings"`
}

func (r *report) add(status, topic, detail, fix string) {
	r.Findings = append(r.Findings, finding{Status: status, Topic: topic, Detail: detail, Fix: fix})
}
func (r *report) ok(topic, detail string)        { r.add(statusOK, topic, detail, "") }
func (r *report) warn(topic, detail, fix string) { r.add(statusWarn, topic, detail, fix) }
func (r *report) fail(topic, detail, fix string) { r.add(statusFail, topic, detail, fix) }

func (r *report) failed() bool {
	return slices.ContainsFunc(r.Findings, func(f finding) bool { return f.Status == statusFail })
}

// commandRunner runs a shell command line (values quoted by the caller)
// on the server and returns its output and exit status. *sshconn.Conn is
// one. The library's ControlSession has no public way to run an arbitrary
// command, so x2go check opens its own connection with sshconn.
type commandRunner interface {
	Run(ctx context.Context, cmd string) (*sshconn.Result, error)
}

// The remote probes of x2go check, each a shell command line run as the
// login user. Their output is read by probeServer.
const (
	probeHome         = `if [ -d "$HOME" ] && [ -w "$HOME" ]; then echo "ok $HOME"; else echo "bad $HOME"; fi`
	probeAgent        = "command -v x2goagent"
	probeSessionLimit = "x2gosessionlimit"
	probeSSHFS        = "command -v sshfs"
	probeFusermount   = "command -v fusermount || command -v fusermount3"
	probeDevFuse      = "if [ ! -c /dev/fuse ]; then echo missing; elif [ -r /dev/fuse ] && [ -w /dev/fuse ]; then echo ok; else echo denied; fi"
	probeSSHClient    = "ssh -V 2>&1"
	// The reverse connection of folder sharing goes from the server's
	// ssh (under sshfs) to 127.0.0.1; ssh -G shows the key types it
	// accepts there, ~/.ssh/config included.
	probeSSHKeyTypes  = "ssh -G -p 22 127.0.0.1 2>/dev/null | grep -i -E '^(pubkeyacceptedalgorithms|pubkeyacceptedkeytypes) '"
	probeCupsX2Go     = "test -e /usr/lib/cups/backend/cups-x2go"
	probeDesktopShare = "command -v x2godesktopsharing"
	probeListDesktops = "command -v x2golistdesktops"
)

// probeServer runs the remote probes and records what they find. It
// returns an error only when the connection fails under it.
func probeServer(ctx context.Context, run commandRunner, r *report) error {
	var runErr error
	do := func(cmd string) (*sshconn.Result, bool) {
		if runErr != nil {
			return nil, false
		}
		res, err := run.Run(ctx, cmd)
		if err != nil {
			runErr = err
			return nil, false
		}
		return res, true
	}
	firstLine := func(s string) string {
		l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
		return strings.TrimSpace(l)
	}

	if res, ok := do(probeHome); ok {
		state, home, _ := strings.Cut(firstLine(res.Stdout), " ")
		if state == "ok" {
			r.ok("home", home)
		} else {
			r.fail("home", fmt.Sprintf("your home directory %q is missing or not writable", home),
				"create it, owned by you (X2Go keeps its session files there)")
		}
	}

	// x2goserver and its parts.
	res, ok := do(protocol.VersionCmd())
	if !ok {
		return runErr
	}
	versions, _ := protocol.ParseVersions(res.Stdout)
	if res.Status != 0 || versions["x2goserver"] == "" {
		r.fail("x2goserver", "not installed (no x2goversion)", "install the x2goserver and x2goserver-xsession packages on the server")
		return nil // nothing else to look at
	}
	r.ok("x2goserver", "version "+versions["x2goserver"])
	var comps []string
	for k, v := range versions {
		if k != "x2goserver" {
			comps = append(comps, k+" "+v)
		}
	}
	slices.Sort(comps)
	r.ok("components", strings.Join(comps, ", "))
	if versions["x2goserver-xsession"] == "" {
		r.warn("xsession", "x2goserver-xsession is not installed: desktop sessions (KDE, XFCE, ...) will not start",
			"install x2goserver-xsession on the server")
	}
	if res, ok := do(probeAgent); ok {
		if res.Status == 0 {
			r.ok("x2goagent", firstLine(res.Stdout))
		} else {
			r.fail("x2goagent", "not found: no session can start", "install x2goserver-x2goagent on the server")
		}
	}
	var features []string
	if res, ok := do(protocol.FeatureListCmd()); ok {
		features, _ = protocol.ParseFeatures(res.Stdout)
		if res.Status != 0 || len(features) == 0 {
			r.warn("features", "the server lists no features (no x2gofeaturelist): an old x2goserver",
				"upgrade x2goserver to 4.1 or later")
		} else {
			r.ok("features", strings.Join(features, " "))
		}
	}

	// May this user run sessions?
	if res, ok := do(protocol.CanListSessionsCmd()); ok {
		if res.Status == 0 {
			r.ok("x2go user", "you may use X2Go (x2golistsessions runs for you)")
		} else {
			r.fail("x2go user", "x2golistsessions fails for you: "+orNone(firstLine(res.Stderr)),
				"the administrator: check the session database (x2godbadmin --createdb) and that /usr/lib/x2go/libx2go-server-db-sqlite3-wrapper is setgid x2gouser")
		}
	}
	if res, ok := do(probeSessionLimit); ok {
		limit := firstLine(res.Stdout)
		switch {
		case res.Status != 0:
			r.warn("session limit", "x2gosessionlimit fails: "+orNone(firstLine(res.Stderr)), "check /etc/x2go/x2goserver.conf")
		case strings.HasPrefix(limit, "LIMIT"):
			r.warn("session limit", "reached: you may start no more sessions ([limit users]/[limit groups] of /etc/x2go/x2goserver.conf)",
				"resume a session, terminate one (x2go terminate), or have the limit raised")
		case limit == "" || limit == "0":
			r.ok("session limit", "none configured (/etc/x2go/x2goserver.conf)")
		default:
			r.ok("session limit", fmt.Sprintf("at most %s sessions for you (/etc/x2go/x2goserver.conf)", limit))
		}
	}

	// Folder sharing: x2gomountdirs mounts the client's folders with
	// sshfs, whose ssh connects back to this client through the tunnel.
	if !slices.Contains(features, protocol.FeatureMountDirs) && len(features) > 0 {
		r.warn("folder sharing", "the server does not offer X2GO_MOUNTDIRS", "upgrade x2goserver")
	}
	if res, ok := do(probeSSHFS); ok {
		if res.Status == 0 {
			r.ok("sshfs", firstLine(res.Stdout))
		} else {
			r.fail("sshfs", "not installed: folders of this computer cannot be shared with sessions", "install sshfs on the server")
		}
	}
	if res, ok := do(probeFusermount); ok {
		if res.Status == 0 {
			r.ok("fusermount", firstLine(res.Stdout))
		} else {
			r.fail("fusermount", "not installed: shared folders cannot be mounted", "install fuse3 (or fuse) on the server")
		}
	}
	if res, ok := do(probeDevFuse); ok {
		switch firstLine(res.Stdout) {
		case "ok":
			r.ok("/dev/fuse", "present, readable and writable for you")
		case "denied":
			r.fail("/dev/fuse", "not readable and writable for you: shared folders cannot be mounted",
				"make /dev/fuse mode 0666 (or put the user into the fuse group)")
		default:
			r.fail("/dev/fuse", "missing: shared folders cannot be mounted", "load the fuse kernel module (modprobe fuse); in a container, pass /dev/fuse in")
		}
	}
	if res, ok := do(probeSSHClient); ok {
		version := firstLine(res.Stdout)
		if res.Status != 0 || !strings.Contains(version, "SSH") {
			r.fail("ssh client", "no OpenSSH client: sshfs cannot connect back to this computer", "install openssh-client on the server")
		} else {
			r.ok("ssh client", version)
			if res, ok := do(probeSSHKeyTypes); ok {
				_, algs, _ := strings.Cut(firstLine(res.Stdout), " ")
				accepted := strings.Split(algs, ",")
				switch {
				case algs == "":
					r.warn("ssh key types", "could not learn which key types ssh accepts (ssh -G)", "")
				case !slices.Contains(accepted, "ssh-ed25519"):
					r.warn("ssh key types", "ssh on the server refuses ed25519 keys for the connection back to this computer: folder sharing will fail",
						"allow ssh-ed25519 in PubkeyAcceptedAlgorithms of the server's ssh_config or ~/.ssh/config")
				default:
					rsa := "refuses"
					if slices.Contains(accepted, "ssh-rsa") {
						rsa = "accepts"
					}
					r.ok("ssh key types", fmt.Sprintf("ssh accepts ed25519 keys for the connection back (and %s ssh-rsa with SHA-1, which older clients need)", rsa))
				}
			}
		}
	}

	// Printing: x2goserver-printing takes the jobs the cups-x2go backend
	// of the print server (normally this one) hands over.
	printing := versions["x2goserver-printing"] != ""
	if !printing {
		r.warn("printing", "x2goserver-printing is not installed: sessions cannot print on this computer",
			"install x2goserver-printing and cups-x2go on the server")
	} else if res, ok := do(probeCupsX2Go); ok {
		if res.Status == 0 {
			r.ok("printing", "x2goserver-printing "+versions["x2goserver-printing"]+" and the cups-x2go backend are installed")
		} else {
			r.warn("printing", "x2goserver-printing is installed but the cups-x2go backend is not (unless another print server has it)",
				"install cups-x2go on the server")
		}
	}

	// Desktop sharing: joining another X2Go session needs shadow sessions;
	// x2goserver-desktopsharing adds sharing of the server's own screen.
	if res, ok := do(probeListDesktops); ok {
		shadow := res.Status == 0 && (len(features) == 0 || slices.Contains(features, protocol.FeatureListShadowSessions))
		extra := "; x2goserver-desktopsharing (sharing the server's own screen) is not installed"
		if r2, ok := do(probeDesktopShare); ok && r2.Status == 0 {
			extra = "; x2goserver-desktopsharing is installed"
		}
		if shadow {
			r.ok("desktop sharing", "X2Go desktop sessions can be shared"+extra)
		} else {
			r.warn("desktop sharing", "the server cannot share desktop sessions (no x2golistdesktops or shadow sessions)"+extra,
				"upgrade x2goserver to 4.1 or later")
		}
	}
	return runErr
}

func orNone(s string) string {
	if s == "" {
		return "(no message)"
	}
	return s
}

// sshConfigFor maps library options onto sshconn's (as the library's
// control session does).
func sshConfigFor(o x2go.Options, ask func(ctx context.Context, info sshconn.HostKeyInfo) (bool, error)) sshconn.Config {
	cfg := sshconn.Config{
		Host: o.Server, Port: o.Port, User: o.Username,
		Auth: sshconn.Auth{
			Password: o.Password, ForcePassword: o.ForcePasswordAuth, KeyFiles: o.KeyFiles,
			Passphrase: o.Passphrase, LookForKeys: o.LookForKeys, AllowAgent: o.AllowAgent,
			KeyboardInteractive: o.KeyboardInteractive,
		},
		HostKeys:       sshconn.HostKeyConfig{KnownHostsFiles: o.KnownHostsFiles, AddUnknown: o.AddToKnownHosts, Ask: ask},
		ConnectTimeout: o.ConnectTimeout,
		Logger:         o.Logger,
	}
	if j := o.Jump; j != nil {
		cfg.Jump = &sshconn.Config{Host: j.Host, Port: j.Port, User: j.Username,
			Auth:           sshconn.Auth{KeyFiles: j.KeyFiles, LookForKeys: j.LookForKeys, AllowAgent: j.AllowAgent},
			HostKeys:       cfg.HostKeys,
			ConnectTimeout: o.ConnectTimeout, Logger: o.Logger}
		if cfg.Jump.User == "" {
			cfg.Jump.User = o.Username
		}
	}
	return cfg
}

// checkConnect reaches the server and logs in, recording each step. It
// returns nil when a step failed (the report says which).
func checkConnect(ctx context.Context, conn *connection, r *report) *sshconn.Conn {
	o := conn.opts
	port := o.Port
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(o.Server, strconv.Itoa(port))
	if o.Jump == nil {
		d := net.Dialer{Timeout: o.ConnectTimeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			r.fail("reach", fmt.Sprintf("cannot reach %s: %v", addr, err),
				"check the host name and the port (-p), that sshd runs there and that no firewall is in the way")
			return nil
		}
		c.Close()
		r.ok("reach", addr+" answers")
	}
	var asked *sshconn.HostKeyInfo
	ask := func(ctx context.Context, info sshconn.HostKeyInfo) (bool, error) {
		yes := conn.checkHostKey(ctx, nil, info)
		if yes {
			asked = &info
		}
		return yes, nil
	}
	if o.Password == "" && conn.ask.interactive() {
		o.KeyboardInteractive = conn.keyboardInteractive(ctx)
	}
	var sc *sshconn.Conn
	var err error
	for attempt := 0; ; attempt++ {
		sc, err = sshconn.Dial(ctx, sshConfigFor(o, ask))
		if err == nil || conn.hasPassword || attempt == 3 || !conn.ask.interactive() || !errors.Is(err, x2go.ErrAuthFailed) {
			break
		}
		pw, perr := conn.ask.ask(ctx, fmt.Sprintf("%s@%s's password: ", o.Username, o.Server), true)
		if perr != nil || pw == "" {
			break
		}
		o.Password = pw
	}
	var hk *sshconn.HostKeyError
	var ae *sshconn.AuthError
	switch {
	case err == nil:
		r.ok("ssh", string(sc.Client().ServerVersion()))
		if asked != nil {
			r.ok("host key", fmt.Sprintf("%s %s, accepted now and stored in known_hosts", asked.KeyType, asked.Fingerprint))
		} else {
			r.ok("host key", "known (or accepted with --add-to-known-hosts)")
		}
		r.ok("login", "logged in as "+o.Username)
		return sc
	case errors.As(err, &hk) && hk.Changed:
		r.ok("ssh", "the server speaks SSH")
		r.fail("host key", fmt.Sprintf("CHANGED: the server offers %s %s, known_hosts (%s) has another key", hk.KeyType, hk.Fingerprint, strings.Join(hk.Known, ", ")),
			fmt.Sprintf("someone may be in the middle; if the server's key really changed, remove the old one: ssh-keygen -R '%s'", hk.Host))
	case errors.As(err, &hk):
		r.ok("ssh", "the server speaks SSH")
		r.fail("host key", fmt.Sprintf("not known: %s %s %s", hk.Host, hk.KeyType, hk.Fingerprint),
			"compare with the server's key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there), then run again with --add-to-known-hosts, or on a terminal")
	case errors.As(err, &ae):
		r.ok("ssh", "the server speaks SSH")
		r.ok("host key", "known")
		r.fail("login", fmt.Sprintf("%s@%s refused the login (tried: %s)", ae.User, ae.Addr, strings.Join(ae.Methods, ", ")),
			"give a key with -i, a password with --password-file or "+passwordEnv+", or check the user name (-u)")
	case errors.Is(err, x2go.ErrConnect):
		r.fail("ssh", fmt.Sprintf("no SSH server answers at %s: %v", addr, err), "check the port (-p) and that sshd runs there")
	default:
		r.fail("login", explain(err, &o), "")
	}
	return nil
}

func checkCmd(e *env, g *globalFlags) *cobra.Command {
	var cf connFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "check [user@]host[:port]",
		Short: "Check a server for what X2Go needs",
		Long: `Check a server the way its administrator would: whether SSH answers and lets
you in, its host key, the X2Go server and its parts and features, whether you
may start sessions and how many, whether folder sharing can work (sshfs,
fusermount, /dev/fuse, the server's ssh client and the key types it accepts),
printing (x2goserver-printing, cups-x2go) and desktop sharing.

Each line is ok, warn or fail, with the fix for what is not ok. The exit
status is 1 if a line failed, else 0. With --json: an object with server, ok
and findings (status, topic, detail, fix).`,
		Example:           "  x2go check alice@server.example.com\n  x2go check --json server.example.com | jq '.findings[] | select(.status != \"ok\")'",
		Args:              args(1, 1),
		ValidArgsFunction: completeTarget,
		RunE: func(cmd *cobra.Command, a []string) error {
			conn, err := cf.options(e, g, a[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r := &report{Server: a[0]}
			if sc := checkConnect(ctx, conn, r); sc != nil {
				err = probeServer(ctx, sc, r)
				sc.Close()
				if err != nil {
					r.fail("connection", "lost while checking: "+err.Error(), "run x2go check again")
				}
			}
			if ctx.Err() != nil {
				return failed(ctx.Err(), &conn.opts)
			}
			r.OK = !r.failed()
			if asJSON {
				if err := writeJSON(e.stdout, r); err != nil {
					return failed(err, nil)
				}
			} else {
				writeReport(e, r)
			}
			if !r.OK {
				return &exitStatus{exitError}
			}
			return nil
		},
	}
	cf.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// writeReport prints the findings as a table, each fix under its line.
func writeReport(e *env, r *report) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Status, f.Topic, f.Detail)
		if f.Fix != "" {
			fmt.Fprintf(tw, "\t\t  fix: %s\n", f.Fix)
		}
	}
	tw.Flush()
}
