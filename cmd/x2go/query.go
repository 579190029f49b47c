package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/x2go-go/x2go"
)

// parseInterleaved parses flags that may come before or after positional
// arguments (x2go list host --json) and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// queryCommand is the shape of the read-only subcommands: connect, ask,
// print as text or JSON.
func queryCommand(ctx context.Context, e *env, name string, args []string, minPos, maxPos int, extra func(fs *flag.FlagSet),
	do func(ctx context.Context, s *x2go.Session, pos []string, asJSON bool) error) int {
	fs := flag.NewFlagSet("x2go "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var c connFlags
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if extra != nil {
		extra(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 1+minPos || len(pos) > 1+maxPos {
		fmt.Fprintf(e.stderr, "x2go %s: need [user@]host[:port]", name)
		if maxPos > 0 {
			fmt.Fprint(e.stderr, " and a session name")
		}
		fmt.Fprintln(e.stderr)
		return 2
	}
	s, err := connect(ctx, e, &c, pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "x2go %s: %v\n", name, err)
		return exitCode(err)
	}
	defer s.Disconnect()
	if err := do(ctx, s, pos[1:], *asJSON); err != nil {
		fmt.Fprintf(e.stderr, "x2go %s: %v\n", name, err)
		return exitCode(err)
	}
	return 0
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sessionJSON is the --json form of a session: stable snake_case keys.
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

func cmdList(ctx context.Context, e *env, args []string) int {
	return queryCommand(ctx, e, "list", args, 0, 0, nil, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
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

func cmdDesktops(ctx context.Context, e *env, args []string) int {
	return queryCommand(ctx, e, "desktops", args, 0, 0, nil, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
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
		for _, d := range list {
			fmt.Fprintln(e.stdout, d)
		}
		return nil
	})
}

func cmdInfo(ctx context.Context, e *env, args []string) int {
	return queryCommand(ctx, e, "info", args, 0, 0, nil, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
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

func cmdApps(ctx context.Context, e *env, args []string) int {
	var lang string
	return queryCommand(ctx, e, "apps", args, 0, 0, func(fs *flag.FlagSet) {
		fs.StringVar(&lang, "lang", "", "language of names and comments, e.g. de_DE")
	}, func(ctx context.Context, s *x2go.Session, _ []string, asJSON bool) error {
		menu, err := s.PublishedApplications(ctx, lang, 10)
		if err != nil {
			return err
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
		for _, c := range cats {
			fmt.Fprintf(e.stdout, "%s:\n", c)
			for _, m := range menu[c] {
				fmt.Fprintf(e.stdout, "  %s\t%s\n", m.Name, m.Exec)
			}
		}
		return nil
	})
}
