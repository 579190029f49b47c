package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/protocol"
)

// annotationSessionWords lists (blank separated) the words a command
// takes besides session names, for completion (ALL).
const annotationSessionWords = "x2go-session-words"

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// queryCmd is the shape of the one-shot subcommands: connect to the
// server named by the first argument, do the work, print text or JSON.
// Nothing goes to standard error unless something fails.
func queryCmd(e *env, g *globalFlags, c *cobra.Command, nArgs int,
	do func(ctx context.Context, s *x2go.Session, args []string, asJSON bool) error) *cobra.Command {
	var cf connFlags
	var asJSON bool
	cf.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Args = args(1+nArgs, 1+nArgs)
	c.ValidArgsFunction = completeTarget
	if nArgs == 1 { // a session name: completed from the server
		var extra []string
		if w := c.Annotations[annotationSessionWords]; w != "" {
			extra = strings.Fields(w)
		}
		c.ValidArgsFunction = completeTargetThenSessions(e, extra...)
	}
	c.RunE = func(cmd *cobra.Command, a []string) error {
		conn, err := cf.options(e, g, a[0])
		if err != nil {
			return err
		}
		s, err := conn.connect(cmd.Context())
		if err != nil {
			return failed(err, &conn.opts)
		}
		defer s.Disconnect()
		return failed(do(cmd.Context(), s, a[1:], asJSON), &conn.opts)
	}
	return c
}

// sessionJSON is the --json form of a session: stable snake_case keys,
// documented in x2go list --help (listFieldsHelp).
type sessionJSON struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	Type         string `json:"type,omitempty"`
	Command      string `json:"command,omitempty"`
	Display      int    `json:"display"`
	AgentPID     int    `json:"agent_pid"`
	Hostname     string `json:"hostname"`
	Username     string `json:"username"`
	CreatedAt    string `json:"created_at"`
	LastChangeAt string `json:"last_change_at"`
	ClientIP     string `json:"client_ip"`
	GraphicsPort int    `json:"graphics_port"`
	SoundPort    int    `json:"sound_port"`
	SSHFSPort    int    `json:"sshfs_port"`
	AgeSeconds   int    `json:"age_seconds"`
	// Creating: the server is still setting the session up (no agent yet).
	Creating bool `json:"creating,omitempty"`
}

// listFieldsHelp documents sessionJSON (TestListJSONFieldsDocumented).
const listFieldsHelp = `With --json, x2go list prints an array with one object per session:
  name            the session's name
  status          R (running) or S (suspended)
  type            R (application windows), D (desktop), S (shared desktop)
  command         what the session runs
  display         the session's X display number on the server
  agent_pid       process id of the session's agent on the server
  hostname        the server's own host name
  username        the session's owner
  created_at      when the session started (UTC, YYYY-MM-DDTHH:MM:SS)
  last_change_at  when it was last started, resumed or suspended (UTC)
  client_ip       address of the client that last showed it
  graphics_port   server port of the session's graphics
  sound_port      server port for sound
  sshfs_port      server port for folder sharing
  age_seconds     seconds since created_at
  creating        true while the server is still setting the session up`

func toSessionJSON(si x2go.SessionInfo) sessionJSON {
	j := sessionJSON{Name: si.Name, Status: si.Status, Display: si.Display, AgentPID: si.AgentPID,
		Hostname: si.Hostname, Username: si.Username, CreatedAt: si.CreatedAt, LastChangeAt: si.LastChangeAt,
		ClientIP: si.ClientIP, GraphicsPort: si.GraphicsPort, SoundPort: si.SoundPort,
		SSHFSPort: si.SSHFSPort, AgeSeconds: si.AgeSeconds, Creating: si.Creating()}
	if n, err := x2go.ParseSessionName(si.Name); err == nil {
		j.Type, j.Command = n.Type, n.Command
	}
	return j
}

func listCmd(e *env, g *globalFlags) *cobra.Command {
	return withMany(e, g, listOneCmd(e, g), 0, manyList)
}

func listOneCmd(e *env, g *globalFlags) *cobra.Command {
	return queryCmd(e, g, &cobra.Command{
		Use:     "list [user@]host[:port]",
		Aliases: []string{"ls"},
		Short:   "List your sessions on a server",
		Long:    "List your running and suspended X2Go sessions on a server, in the server's order.\n\n" + listFieldsHelp,
		Example: "  x2go list alice@server.example.com\n  x2go list --json server.example.com | jq -r '.[] | select(.status == \"S\") | .name'\n  x2go list --hosts alice@a.example.com,b.example.com:2222\n  x2go list --all-profiles --json",
	}, 0, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		list, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			out := make([]sessionJSON, 0, len(list))
			for _, si := range list {
				out = append(out, toSessionJSON(si))
			}
			return writeJSON(e.stdout, out)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no sessions")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tTYPE\tCOMMAND\tDISPLAY\tCREATED")
		for _, si := range list {
			j := toSessionJSON(si)
			status := statusWord(j.Status)
			if j.Creating {
				status = "starting"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t:%d\t%s\n", j.Name, status, j.Type, j.Command, j.Display, j.CreatedAt)
		}
		return tw.Flush()
	})
}

func statusWord(st string) string {
	switch st {
	case "R":
		return "running"
	case "S":
		return "suspended"
	}
	return st
}

func desktopsCmd(e *env, g *globalFlags) *cobra.Command {
	return queryCmd(e, g, &cobra.Command{
		Use:     "desktops [user@]host[:port]",
		Short:   "List the desktops on a server you may share",
		Long:    "List the desktops on the server that you may join (as user@:display).\nWith --json: an array of strings.",
		Example: "  x2go desktops alice@server.example.com",
	}, 0, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		list, err := s.ListDesktops(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []string{}
			}
			return writeJSON(e.stdout, list)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no desktops to share")
		}
		for _, d := range list {
			fmt.Fprintln(e.stdout, d)
		}
		return nil
	})
}

func infoCmd(e *env, g *globalFlags) *cobra.Command {
	return queryCmd(e, g, &cobra.Command{
		Use:   "info [user@]host[:port]",
		Short: "Show the server's X2Go versions and features",
		Long: `Show what the server tells about itself: its X2Go components and their
versions, its features, your home directory there and whether you may use X2Go.
With --json: an object with server, peer, username, remote_home, x2go_user,
versions (component: version) and features (names).`,
		Example: "  x2go info alice@server.example.com",
	}, 0, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		versions, err := s.ServerVersions(ctx)
		if err != nil {
			return err
		}
		features, err := s.ServerFeatures(ctx)
		if err != nil {
			return err
		}
		peer, port, _ := s.ServerPeerName()
		x2gouser, err := s.UserIsX2GoUser(ctx)
		if err != nil {
			return err
		}
		if features == nil {
			features = []string{}
		}
		info := struct {
			Server   string            `json:"server"`
			Peer     string            `json:"peer"`
			Username string            `json:"username"`
			Home     string            `json:"remote_home"`
			X2GoUser bool              `json:"x2go_user"`
			Versions map[string]string `json:"versions"`
			Features []string          `json:"features"`
		}{s.ServerHostname(), fmt.Sprintf("[%s]:%d", peer, port), s.Options().Username, s.RemoteHome(), x2gouser, versions, features}
		if asJSON {
			return writeJSON(e.stdout, info)
		}
		fmt.Fprintf(e.stdout, "server: %s (%s)\nusername: %s\nremote home: %s\nx2go user: %v\n", info.Server, info.Peer, info.Username, info.Home, info.X2GoUser)
		comps := make([]string, 0, len(versions))
		for k := range versions {
			comps = append(comps, k)
		}
		slices.Sort(comps)
		fmt.Fprintln(e.stdout, "versions:")
		for _, k := range comps {
			fmt.Fprintf(e.stdout, "  %s: %s\n", k, versions[k])
		}
		fmt.Fprintf(e.stdout, "features:\n  %s\n", strings.Join(features, "\n  "))
		return nil
	})
}

func appsCmd(e *env, g *globalFlags) *cobra.Command {
	var lang, startEntry, inSession string
	var raw bool
	c := queryCmd(e, g, &cobra.Command{
		Use:   "apps [user@]host[:port]",
		Short: "Show the server's published applications, or start one",
		Long: `Show the menu of applications the server publishes, by category, with names
and comments in your language (--lang, default: from LC_ALL, LC_MESSAGES or
LANG). With --json: an object from category to a list of {name, comment,
exec, icon_base64}. With --raw: the server's own description (x2gogetapps).

With --start ENTRY: start the menu entry ENTRY (its name, in any language,
or its command) in your published applications session on the server, the
newest running one or --session NAME. Its windows appear where that session
is shown, e.g. by a running x2go start -t published.`,
		Example: `  x2go apps --lang de_DE alice@server.example.com
  x2go start -t published alice@server.example.com &
  x2go apps --start XTerm alice@server.example.com`,
	}, 0, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		if raw {
			text, err := s.PublishedApplicationsText(ctx)
			if err != nil {
				return err
			}
			_, err = io.WriteString(e.stdout, text)
			return err
		}
		if lang == "" {
			lang = localeLang(e.getenv)
		}
		menu, err := s.PublishedApplications(ctx, lang, 10)
		if err != nil {
			return err
		}
		if startEntry != "" {
			return startApp(ctx, e, g, s, menu, startEntry, inSession)
		}
		cats := make([]string, 0, len(menu))
		for c := range menu {
			cats = append(cats, c)
		}
		slices.Sort(cats)
		if asJSON {
			type entry struct {
				Name    string `json:"name"`
				Comment string `json:"comment,omitempty"`
				Exec    string `json:"exec"`
				Icon    string `json:"icon_base64,omitempty"`
			}
			out := map[string][]entry{}
			for _, c := range cats {
				for _, m := range menu[c] {
					out[c] = append(out[c], entry{m.Name, m.Comment, m.Exec, base64.StdEncoding.EncodeToString(m.Icon)})
				}
			}
			return writeJSON(e.stdout, out)
		}
		if len(cats) == 0 {
			fmt.Fprintln(e.stdout, "no published applications")
		}
		for _, c := range cats {
			fmt.Fprintf(e.stdout, "%s:\n", c)
			for _, m := range menu[c] {
				fmt.Fprintf(e.stdout, "  %s\t%s\n", m.Name, m.Exec)
			}
		}
		return nil
	})
	c.Flags().StringVar(&lang, "lang", "", "language of the names and comments, e.g. de_DE (default: from the locale)")
	c.Flags().BoolVar(&raw, "raw", false, "print the server's description of the applications as it sends it")
	c.Flags().StringVar(&startEntry, "start", "", "start this menu entry (name or command) in your running published applications session")
	c.Flags().StringVar(&inSession, "session", "", "with --start: the published applications session to start it in (default: your newest running one)")
	return c
}

// localeLang is the language of the locale the environment names (LC_ALL,
// LC_MESSAGES, LANG, the first one set), e.g. "de_DE.UTF-8"; "" for C and
// POSIX.
func localeLang(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
				return ""
			}
			return v
		}
	}
	return ""
}

// startApp starts the menu entry named want in a running published
// applications session of the user: by name, without showing the session
// here (ControlSession.ExecPublishedApplication). Whoever shows the
// session (an x2go start -t published, another client) shows the
// application's windows.
func startApp(ctx context.Context, e *env, g *globalFlags, s *x2go.Session, menu x2go.Menu, want, session string) error {
	var found []x2go.MenuEntry
	for _, entries := range menu {
		for _, m := range entries {
			if strings.EqualFold(m.Name, want) || m.Exec == want {
				found = append(found, m)
			}
		}
	}
	if len(found) == 0 {
		// Any language: the entry's names in the server's description.
		apps, err := s.PublishedApplicationsRaw(ctx)
		if err != nil {
			return err
		}
		for _, a := range apps {
			for _, kv := range a.Entries {
				if (kv.Key == "Name" || strings.HasPrefix(kv.Key, "Name[")) && strings.EqualFold(kv.Value, want) {
					if m, ok := protocol.MenuEntryFor(a, ""); ok {
						found = append(found, m)
					}
					break
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return usageErrorf("no published application %q; x2go apps lists them", want)
	case 1:
	default:
		return usageErrorf("%q names %d published applications; give its command instead", want, len(found))
	}
	if session == "" {
		list, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		for _, si := range x2go.SortByTimestamp(list) {
			if n, err := x2go.ParseSessionName(si.Name); err == nil && n.Type == protocol.TypePublished && si.Status == protocol.StatusRunning {
				session = si.Name // the newest wins
			}
		}
		if session == "" {
			return fmt.Errorf("%w: no published applications session of yours runs on %s; start one with x2go start -t published", x2go.ErrNoSuchSession, s.ServerHostname())
		}
	}
	if err := s.ControlSession().ExecPublishedApplication(ctx, session, found[0].Exec); err != nil {
		return err
	}
	if !g.quiet {
		fmt.Fprintf(e.stderr, "x2go: started %s in %s\n", found[0].Name, session)
	}
	return nil
}

func mountsCmd(e *env, g *globalFlags) *cobra.Command {
	return queryCmd(e, g, &cobra.Command{
		Use:     "mounts [user@]host[:port] SESSION",
		Short:   "List the folders of this computer mounted in a session",
		Long:    "List the client folders mounted in a session on the server.\nWith --json: an array of {client, path}.",
		Example: "  x2go mounts alice@server.example.com alice-51-1795627586_stRxterm_dp24",
	}, 1, func(ctx context.Context, s *x2go.Session, a []string, asJSON bool) error {
		if _, err := s.SessionInfoByName(ctx, a[0]); err != nil {
			return err
		}
		list, err := s.ListMounts(ctx, a[0])
		if err != nil {
			return err
		}
		if asJSON {
			type mount struct {
				Client string `json:"client"`
				Path   string `json:"path"`
			}
			out := []mount{}
			for _, m := range list {
				out = append(out, mount{m.Client, m.Path})
			}
			return writeJSON(e.stdout, out)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no folders mounted")
		}
		for _, m := range list {
			fmt.Fprintf(e.stdout, "%s\t%s\n", m.Client, m.Path)
		}
		return nil
	})
}

// endCmd is x2go suspend|terminate host NAME|ALL, and with --hosts or
// --all-profiles NAME|ALL|PATTERN on many servers.
func endCmd(e *env, g *globalFlags, verb string) *cobra.Command {
	c := withMany(e, g, endOneCmd(e, g, verb), 1, manyEnd(verb == "terminate"))
	c.Example += fmt.Sprintf("\n  x2go %s --all-profiles ALL\n  x2go %s --hosts a.example.com,b.example.com '*_stRxterm_*'", verb, verb)
	return c
}

func endOneCmd(e *env, g *globalFlags, verb string) *cobra.Command {
	past := map[string]string{"suspend": "suspended", "terminate": "terminated"}[verb]
	return queryCmd(e, g, &cobra.Command{
		Annotations: map[string]string{annotationSessionWords: "ALL"},
		Use:         verb + " [user@]host[:port] NAME|ALL",
		Short:       map[string]string{"suspend": "Suspend a session, or all of them", "terminate": "Terminate a session, or all of them"}[verb],
		Long: fmt.Sprintf(`%s the session NAME on the server, or ALL of your sessions there, whichever
client shows them. It prints the name of each session %s; with --json an object
{"%s": [names]}.`, strings.ToUpper(verb[:1])+verb[1:], past, past),
		Example: fmt.Sprintf("  x2go %s alice@server.example.com alice-51-1795627586_stRxterm_dp24\n  x2go %s alice@server.example.com ALL", verb, verb),
	}, 1, func(ctx context.Context, s *x2go.Session, a []string, asJSON bool) error {
		names, err := endSessions(ctx, s, a[0], verb == "terminate", nil)
		if errors.Is(err, errNoMatch) {
			return fmt.Errorf("%w: %s (x2go list shows your sessions)", x2go.ErrNoSuchSession, a[0])
		}
		if err != nil {
			return err
		}
		return printNames(e, past, names, asJSON)
	})
}

// errNoMatch: endSessions found no session of the name given.
var errNoMatch = errors.New("no session of that name")

// endSessions suspends or terminates the session name, or every session
// of the user for ALL, calling ended (if not nil) after each, and returns
// the names of those ended. It stops at the first failure, and fails with
// errNoMatch when name is not ALL and no session has it.
func endSessions(ctx context.Context, s *x2go.Session, name string, terminate bool, ended func(name string)) ([]string, error) {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, si := range list {
		if name == "ALL" || si.Name == name {
			names = append(names, si.Name)
		}
	}
	if len(names) == 0 && name != "ALL" {
		return nil, errNoMatch
	}
	for _, n := range names {
		if terminate {
			err = s.TerminateSession(ctx, n)
		} else {
			err = s.SuspendSession(ctx, n)
		}
		if err != nil {
			return nil, err
		}
		if ended != nil {
			ended(n)
		}
	}
	return names, nil
}

// printNames prints the sessions a command ended: one per line, or
// {"<key>": [...]}.
func printNames(e *env, key string, names []string, asJSON bool) error {
	if asJSON {
		if names == nil {
			names = []string{}
		}
		return writeJSON(e.stdout, map[string][]string{key: names})
	}
	if len(names) == 0 {
		fmt.Fprintln(e.stdout, "no sessions")
	}
	for _, n := range names {
		fmt.Fprintln(e.stdout, n)
	}
	return nil
}

// cleanCmd is x2go clean host: terminate all sessions.
func cleanCmd(e *env, g *globalFlags) *cobra.Command {
	var published bool
	c := queryCmd(e, g, &cobra.Command{
		Use:   "clean [user@]host[:port]",
		Short: "Terminate all your sessions on a server",
		Long: `Terminate every session of yours on the server (pyhoca-cli's --clean-sessions).
Sessions that provide published applications are left alone unless --published
is given. It prints the names of the sessions terminated; with --json an object
{"terminated": [names]}.`,
		Example: "  x2go clean alice@server.example.com",
	}, 0, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		before, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		if err := s.CleanSessions(ctx, published); err != nil {
			return err
		}
		after, err := s.ListSessions(ctx)
		if err != nil {
			return err
		}
		left := map[string]bool{}
		for _, si := range after {
			left[si.Name] = true
		}
		var names []string
		for _, si := range before {
			if !left[si.Name] {
				names = append(names, si.Name)
			}
		}
		return printNames(e, "terminated", names, asJSON)
	})
	c.Flags().BoolVar(&published, "published", false, "terminate the sessions providing published applications too")
	return c
}
