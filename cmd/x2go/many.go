package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go"
)

// manyFlags select several servers for list, suspend and terminate:
// --hosts and --all-profiles.
type manyFlags struct {
	hosts       []string
	allProfiles bool
	profiles    profilesFlags
}

func (m *manyFlags) register(c *cobra.Command) {
	c.Flags().StringSliceVar(&m.hosts, "hosts", nil, "do it on these servers, [user@]host[:port] separated by commas (repeatable), all at once")
	c.Flags().BoolVar(&m.allProfiles, "all-profiles", false, "do it on the server of every session profile (~/.x2goclient/sessions), all at once")
	c.Flags().StringVar(&m.profiles.file, "sessions-file", "", "the session profiles file for --all-profiles (default ~/.x2goclient/sessions)")
}

func (m *manyFlags) on() bool { return len(m.hosts) > 0 || m.allProfiles }

// manyHelp is added to the help of the commands that take --hosts.
const manyHelp = `

With --hosts a,b,c or --all-profiles (or both) the command works on many
servers at once instead of one: their connections are made in parallel, each
server gets its lines (or its JSON object: {server, host, port, user,
sessions|<done>, error}), and a server that cannot be reached, refuses the
login or fails is reported in its own line while the others go on. Nothing is
asked on the terminal then: unknown host keys are refused, and the password
comes from --password-file or ` + passwordEnv + `. The exit status is 1 if any server
failed.`

// withMany adds --hosts and --all-profiles to a one-server command made by
// queryCmd. With them, the command takes extra positional arguments only
// (none for list, the session NAME, ALL or a pattern for suspend and
// terminate) and runs run on every server.
func withMany(e *env, g *globalFlags, c *cobra.Command, extra int,
	run func(ctx context.Context, cl *x2go.Client, a []string) ([]x2go.ServerResult, error)) *cobra.Command {
	m := &manyFlags{}
	m.register(c)
	c.Long += manyHelp
	oneArgs, oneRun := c.Args, c.RunE
	c.Args = func(cmd *cobra.Command, a []string) error {
		if m.on() {
			return args(extra, extra)(cmd, a)
		}
		return oneArgs(cmd, a)
	}
	c.RunE = func(cmd *cobra.Command, a []string) error {
		if !m.on() {
			return oneRun(cmd, a)
		}
		asJSON, _ := cmd.Flags().GetBool("json")
		cf := connFlagsOf(cmd)
		return runMany(cmd.Context(), e, g, &cf, m, a, asJSON, cmd.Name(), run)
	}
	return c
}

// connFlagsOf reads the connection flags of cmd, as queryCmd registers
// them.
func connFlagsOf(cmd *cobra.Command) connFlags {
	cf := flagsOf(cmd)
	fs := cmd.Flags()
	cf.passwordFile, _ = fs.GetString("password-file")
	cf.passphraseFile, _ = fs.GetString("passphrase-file")
	cf.addToKnownHosts, _ = fs.GetBool("add-to-known-hosts")
	return cf
}

// runMany registers the servers, runs run and prints the results.
func runMany(ctx context.Context, e *env, g *globalFlags, cf *connFlags, m *manyFlags, a []string, asJSON bool, verb string,
	run func(ctx context.Context, cl *x2go.Client, a []string) ([]x2go.ServerResult, error)) error {
	quiet := &globalFlags{quiet: g.quiet, verbose: g.verbose, nonInteractive: true}
	// The options are built once: building them reads --password-file and
	// --passphrase-file, and "-" (standard input) can be read only once.
	// Each --hosts entry then changes only the server, port and user.
	base, err := cf.options(e, quiet, "localhost")
	if err != nil {
		return err
	}
	defaults := base.opts
	defaults.Server, defaults.Port, defaults.Username = "", 0, ""
	clientOpts := x2go.ClientOptions{Defaults: defaults, RefreshInterval: -1}
	if m.allProfiles {
		ss, err := m.profiles.load(e)
		if err != nil {
			return failed(err, nil)
		}
		clientOpts.Profiles = ss
	}
	cl, err := x2go.NewClient(clientOpts)
	if err != nil {
		return err
	}
	defer cl.Close()

	labels := map[*x2go.ControlSession]string{}
	options := map[*x2go.ControlSession]*x2go.Options{}
	var failures []string // what could not even be registered
	add := func(label string, o x2go.Options, err error) {
		if err == nil {
			var s *x2go.Session
			if s, err = cl.Register(o); err == nil {
				ctrl := s.ControlSession()
				if _, seen := labels[ctrl]; !seen {
					labels[ctrl], options[ctrl] = label, &o
				}
				return
			}
		}
		failures = append(failures, label+": "+explain(err, &o))
	}
	for _, h := range m.hosts {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		t, err := parseTarget(h)
		if err != nil {
			return err
		}
		o := base.opts
		o.Server, o.Port, o.ProfileName = t.host, t.port, h
		if cf.port != 0 {
			o.Port = cf.port
		}
		if cf.user == "" && t.user != "" {
			o.Username = t.user // else -u, or the local login name as in base
		}
		add(h, o, nil)
	}
	if m.allProfiles {
		for _, p := range clientOpts.Profiles.Profiles() {
			o, _, err := cl.ResolveProfile(ctx, p.ID())
			if err == nil {
				o.KeyFiles = append(o.KeyFiles, cf.keys...)
			}
			add(p.Name(), o, err)
		}
	}
	res, err := run(ctx, cl, a)
	if err != nil {
		return err
	}
	failed := len(failures)
	for _, r := range res {
		if r.Err != nil {
			failed++
		}
	}
	key := map[string]string{"list": "sessions", "suspend": "suspended", "terminate": "terminated"}[verb]
	if asJSON {
		out := []map[string]any{}
		for _, r := range res {
			j := map[string]any{"server": labels[r.ControlSession], "host": r.Server, "port": r.Port, "user": r.User}
			list := []sessionJSON{}
			for _, si := range r.Sessions {
				list = append(list, toSessionJSON(si))
			}
			if key == "sessions" {
				j[key] = list
			} else {
				names := []string{}
				for _, si := range r.Sessions {
					names = append(names, si.Name)
				}
				j[key] = names
			}
			if r.Err != nil {
				j["error"] = explain(r.Err, options[r.ControlSession])
			}
			out = append(out, j)
		}
		for _, f := range failures {
			label, msg, _ := strings.Cut(f, ": ")
			out = append(out, map[string]any{"server": label, "error": msg})
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		if key == "sessions" {
			fmt.Fprintln(tw, "SERVER\tNAME\tSTATUS\tTYPE\tCOMMAND\tDISPLAY\tCREATED")
		} else {
			fmt.Fprintln(tw, "SERVER\t"+strings.ToUpper(key))
		}
		for _, r := range res {
			label := labels[r.ControlSession]
			switch {
			case r.Err != nil && len(r.Sessions) == 0:
				fmt.Fprintf(tw, "%s\terror: %s\n", label, explain(r.Err, options[r.ControlSession]))
				continue
			case len(r.Sessions) == 0:
				fmt.Fprintf(tw, "%s\tno sessions\n", label)
				continue
			}
			for _, si := range r.Sessions {
				if key != "sessions" {
					fmt.Fprintf(tw, "%s\t%s\n", label, si.Name)
					continue
				}
				j := toSessionJSON(si)
				status := statusWord(j.Status)
				if j.Creating {
					status = "starting"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t:%d\t%s\n", label, j.Name, status, j.Type, j.Command, j.Display, j.CreatedAt)
			}
			if r.Err != nil {
				fmt.Fprintf(tw, "%s\terror: %s\n", label, explain(r.Err, options[r.ControlSession]))
			}
		}
		for _, f := range failures {
			label, msg, _ := strings.Cut(f, ": ")
			fmt.Fprintf(tw, "%s\terror: %s\n", label, msg)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		if !g.quiet {
			fmt.Fprintf(e.stderr, "x2go %s: %d of %d servers failed\n", verb, failed, len(res)+len(failures))
		}
		return &exitStatus{exitError}
	}
	return nil
}

// manyList lists the sessions on every server.
func manyList(ctx context.Context, cl *x2go.Client, _ []string) ([]x2go.ServerResult, error) {
	return cl.ListServers(ctx), nil
}

// manyEnd suspends or terminates the sessions a[0] names (a name, ALL or
// a glob pattern) on every server.
func manyEnd(terminate bool) func(ctx context.Context, cl *x2go.Client, a []string) ([]x2go.ServerResult, error) {
	return func(ctx context.Context, cl *x2go.Client, a []string) ([]x2go.ServerResult, error) {
		match, err := x2go.MatchName(a[0])
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		if terminate {
			return cl.TerminateMatching(ctx, match), nil
		}
		return cl.SuspendMatching(ctx, match), nil
	}
}
