package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/x2go-go/x2go"
)

// globalFlags are the flags every subcommand has.
type globalFlags struct {
	quiet          bool
	verbose        bool
	nonInteractive bool
}

// cmdError is a failure of a subcommand's work (not of its command
// line), with the options of its connection for the explanation.
type cmdError struct {
	err  error
	opts *x2go.Options
}

func (e *cmdError) Error() string { return e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

// failed wraps err of a command's work; nil stays nil.
func failed(err error, opts *x2go.Options) error {
	if err == nil {
		return nil
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		return err
	}
	return &cmdError{err: err, opts: opts}
}

const rootLong = `x2go is an X2Go client. It talks to an X2Go server over SSH: it lists your
sessions there, starts new ones and resumes suspended ones and shows them on
this computer's display, suspends and terminates them, and checks a server for
what X2Go needs.

A server is named as [user@]host[:port]. x2go logs in with your SSH keys
(~/.ssh/id_*, the SSH agent, -i FILE) or a password; give a password with
--password-file FILE or the environment variable X2GO_SSH_PASSWORD, not with
--password, which other users of this computer can see before x2go hides it.
On a terminal x2go asks for what it lacks: a password, a key's passphrase,
whether to trust a new server. With --non-interactive it never asks.

x2go pyhoca-cli (or x2go called as pyhoca-cli) takes pyhoca-cli's command line
and prints what pyhoca-cli prints.`

const rootExample = `  x2go list alice@server.example.com
  x2go start -c xterm alice@server.example.com
  x2go start -t desktop -c XFCE -g 1280x800 alice@server.example.com:2222
  x2go resume alice@server.example.com NEWEST
  x2go terminate alice@server.example.com ALL
  x2go list --json server.example.com | jq -r '.[].name'
  x2go check alice@server.example.com
  x2go share-desktop alice@server.example.com alice@:51
  X2GO_SSH_PASSWORD=... x2go list alice@server.example.com`

// newRootCmd builds the command tree, writing to e.
func newRootCmd(e *env, g *globalFlags) *cobra.Command {
	root := &cobra.Command{
		Use:           "x2go",
		Short:         "An X2Go client: list, start, resume, suspend and terminate X2Go sessions",
		Long:          rootLong + "\n\n" + exitStatusHelp,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		// No Run and no Args: x2go alone prints the help, x2go WORD
		// names an unknown command.
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing on standard error, not even errors (the exit status tells)")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log what the client does on standard error")
	pf.BoolVar(&g.nonInteractive, "non-interactive", false, "never ask (password, passphrase, host key): fail instead")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.CompletionOptions.HiddenDefaultCmd = false

	root.AddGroup(&cobra.Group{ID: "sessions", Title: "Sessions:"},
		&cobra.Group{ID: "server", Title: "Server:"},
		&cobra.Group{ID: "other", Title: "Other commands:"})
	for _, c := range []*cobra.Command{
		listCmd(e, g), startCmd(e, g), resumeCmd(e, g), shareDesktopCmd(e, g), endCmd(e, g, "suspend"), endCmd(e, g, "terminate"),
		cleanCmd(e, g), mountsCmd(e, g), shareCmd(e, g, "share"), shareCmd(e, g, "unshare"), sharedCmd(e, g),
	} {
		c.GroupID = "sessions"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{infoCmd(e, g), checkCmd(e, g), desktopsCmd(e, g), appsCmd(e, g)} {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{pyhocaCmd(e), manCmd(e, root), versionCmd(e)} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	prof := profilesCmd(e, g)
	prof.GroupID = "sessions"
	root.AddCommand(prof)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	return root
}

// runCobra runs the subcommand command line args (without argv[0]).
func runCobra(ctx context.Context, e *env, args []string) int {
	g := &globalFlags{}
	root := newRootCmd(e, g)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if !g.quiet { // an unknown command stops cobra before it parses flags
		for _, a := range args {
			if a == "--" {
				break
			}
			g.quiet = g.quiet || a == "--quiet" || a == "-q"
		}
	}
	var st *exitStatus
	if errors.As(err, &st) {
		return st.code // the command has said why
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		if !g.quiet {
			fmt.Fprintf(e.stderr, "%s: %s\n", cmd.CommandPath(), explain(ce.err, ce.opts))
		}
		return exitCode(ce.err)
	}
	// Everything else is the command line's fault: an unknown command or
	// flag, a flag without its value, the wrong number of arguments.
	if !g.quiet {
		fmt.Fprintf(e.stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
	}
	return exitUsage
}

// args checks the number of positional arguments, naming them (the
// command's Use) in the error; max < 0: no upper bound.
func args(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return usageErrorf("want %s", strings.TrimSpace(strings.TrimPrefix(cmd.Use, cmd.Name())))
		}
		return nil
	}
}

// flagValueTable tells which flags of subcommand sub take a value (the
// next word when not given as --flag=value): the secrets' splitter needs
// it to step over values.
func flagValueTable(sub string) func(name string, short bool) bool {
	g := &globalFlags{}
	root := newRootCmd(newEnv(strings.NewReader(""), io.Discard, io.Discard), g)
	cmd, _, err := root.Find([]string{sub})
	if err != nil || cmd == nil {
		cmd = root
	}
	return func(name string, short bool) bool {
		for _, fs := range []*pflag.FlagSet{cmd.LocalFlags(), cmd.InheritedFlags(), root.PersistentFlags()} {
			var f *pflag.Flag
			if short {
				f = fs.ShorthandLookup(name)
			} else {
				f = fs.Lookup(name)
			}
			if f != nil {
				return f.NoOptDefVal == ""
			}
		}
		return false
	}
}

// completeHosts offers the hosts named in ~/.ssh/config and
// ~/.ssh/known_hosts for the [user@]host argument.
func completeHosts(toComplete string) []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	prefix := ""
	if i := strings.LastIndex(toComplete, "@"); i >= 0 {
		prefix = toComplete[:i+1]
	}
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if h == "" || strings.ContainsAny(h, "*?!|") || seen[h] {
			return
		}
		seen[h] = true
		out = append(out, prefix+h)
	}
	if f, err := os.Open(filepath.Join(home, ".ssh", "config")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 1 && strings.EqualFold(fields[0], "Host") {
				for _, h := range fields[1:] {
					add(h)
				}
			}
		}
		f.Close()
	}
	if f, err := os.Open(filepath.Join(home, ".ssh", "known_hosts")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], "@") {
				continue
			}
			for _, h := range strings.Split(fields[0], ",") {
				if strings.HasPrefix(h, "[") { // [host]:port
					if end := strings.Index(h, "]:"); end > 0 {
						h = h[1:end] + ":" + h[end+2:]
					}
				}
				add(h)
			}
		}
		f.Close()
	}
	return out
}

// completeTargetThenSessions completes the server, then session names
// read from the server, when that is cheap: the host key is known and a
// key or the agent logs in, within a few seconds. extra are the words
// that stand for several sessions (ALL, NEWEST, ...).
func completeTargetThenSessions(e *env, extra ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return completeHosts(toComplete), cobra.ShellCompDirectiveNoFileComp
		case 1:
		default:
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := append([]string(nil), extra...)
		quiet := *e
		quiet.stdin = strings.NewReader("")
		cf := flagsOf(cmd)
		conn, err := cf.options(&quiet, &globalFlags{nonInteractive: true}, args[0])
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		conn.opts.ConnectTimeout = 5 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		s, err := conn.connect(ctx)
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		defer s.Disconnect()
		list, err := s.ListSessions(ctx)
		if err == nil {
			for _, si := range list {
				out = append(out, si.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTarget completes only the server argument.
func completeTarget(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return completeHosts(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func versionCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return writeJSON(e.stdout, map[string]string{"version": version})
			}
			fmt.Fprintf(e.stdout, "x2go %s\n", version)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON: {\"version\": ...}")
	return c
}

// pyhocaCmd is x2go pyhoca-cli ARGS...: everything after it is
// pyhoca-cli's command line.
func pyhocaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "pyhoca-cli [pyhoca-cli options] [[user@]host]",
		Short: "Run with pyhoca-cli's command line and output (also: x2go called as pyhoca-cli)",
		Long: `x2go pyhoca-cli takes the command line of pyhoca-cli 0.6.1.2 (and the options
newer front ends probe for with --list-cmdline-features) and prints pyhoca-cli's
lists and log lines, so that scripts and programs written for pyhoca-cli work
unchanged. A link named pyhoca-cli to the x2go program does the same.
x2go pyhoca-cli --help describes its options.`,
		Example:            "  x2go pyhoca-cli --server server.example.com -u alice -L\n  ln -s \"$(command -v x2go)\" ~/bin/pyhoca-cli",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			code := runPyhoca(cmd.Context(), e, "pyhoca-cli", args)
			if code != 0 {
				return &exitStatus{code}
			}
			return nil
		},
	}
}

// exitStatus is a status a subcommand chose itself, after saying why.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }
