package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go/profile"
)

// profilesFlags are the options of x2go profiles and its subcommands.
type profilesFlags struct {
	file string // the sessions file; default ~/.x2goclient/sessions
}

// path is the sessions file to use.
func (f *profilesFlags) path() (string, error) {
	if f.file != "" {
		return f.file, nil
	}
	return defaultSessionsFile()
}

// defaultSessionsFile is X2Go Client's sessions file,
// ~/.x2goclient/sessions.
func defaultSessionsFile() (string, error) {
	dir, err := profile.ClientDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, profile.SessionsFile), nil
}

// load reads the sessions file; a missing one has no profiles (and is
// created by a save). Lines that cannot be read are reported on standard
// error, the rest is used.
func (f *profilesFlags) load(e *env) (*profile.Sessions, error) {
	p, err := f.path()
	if err != nil {
		return nil, err
	}
	ss, err := profile.LoadSessions(p)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return ss, nil
	case errors.Is(err, profile.ErrSyntax) && ss != nil:
		fmt.Fprintf(e.stderr, "x2go: %v\n", err)
		return ss, nil
	}
	return nil, err
}

const profilesLong = `Session profiles are the saved sessions of X2Go Client and pyhoca-cli, kept in
~/.x2goclient/sessions (--sessions-file names another file). x2go reads and
writes the file as X2Go Client does: a change touches only the lines it
changes, comments and keys other programs keep stay as they are.

Use a profile with x2go pyhoca-cli -P NAME, or list the sessions of all of
them with x2go list --all-profiles.`

// profilesCmd is x2go profiles: list, show, add, edit, remove.
func profilesCmd(e *env, g *globalFlags) *cobra.Command {
	pf := &profilesFlags{}
	c := &cobra.Command{
		Use:   "profiles",
		Short: "List, show, add, edit and remove session profiles",
		Long:  profilesLong,
		Example: `  x2go profiles list
  x2go profiles add office alice@desk.example.org --set command=XFCE --set rootless=false
  x2go profiles edit office --set width=1280 --set height=800
  x2go profiles show --json office
  x2go profiles remove office`,
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.PersistentFlags().StringVar(&pf.file, "sessions-file", "", "the session profiles file (default ~/.x2goclient/sessions)")
	c.AddCommand(profilesListCmd(e, pf), profilesShowCmd(e, pf), profilesAddCmd(e, pf),
		profilesEditCmd(e, pf), profilesRemoveCmd(e, pf))
	return c
}

// profileJSON is a profile in x2go profiles list --json.
type profileJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	User        string `json:"user"`
	Command     string `json:"command"`
	SessionType string `json:"session_type"`
	Jump        string `json:"jump,omitempty"`
	Error       string `json:"error,omitempty"`
}

func toProfileJSON(p *profile.Profile) profileJSON {
	j := profileJSON{ID: p.ID(), Name: p.Name()}
	sp, err := p.Params()
	if err != nil {
		j.Error = err.Error()
		return j
	}
	j.Host, j.Port, j.User, j.Command, j.SessionType = sp.Server, sp.Port, sp.User, sp.Command, sp.SessionType
	if sp.PublishedApplications {
		j.SessionType = "published"
	}
	if sp.UseSSHProxy {
		j.Jump = sp.SSHProxyHost
		if sp.SSHProxyUser != "" {
			j.Jump = sp.SSHProxyUser + "@" + j.Jump
		}
	}
	return j
}

func profilesListCmd(e *env, pf *profilesFlags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the session profiles",
		Long: `List the session profiles: ID, name, server and command.
With --json an array of {id, name, host, port, user, command, session_type,
jump, error}.`,
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := pf.load(e)
			if err != nil {
				return failed(err, nil)
			}
			out := []profileJSON{}
			for _, p := range ss.Profiles() {
				out = append(out, toProfileJSON(p))
			}
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stdout, "no session profiles")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSERVER\tCOMMAND")
			for _, j := range out {
				server := fmt.Sprintf("%s@%s:%d", j.User, j.Host, j.Port)
				if j.Jump != "" {
					server += " via " + j.Jump
				}
				if j.Error != "" {
					server = "(" + j.Error + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.ID, j.Name, server, j.Command)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func profilesShowCmd(e *env, pf *profilesFlags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NAME|ID",
		Short: "Show every option of a session profile",
		Long: `Show every option of a session profile, with python-x2go's default for the
options the file does not have (marked "default"). With --json an object
{id, name, options: {key: value}}, values typed (text, number, true/false,
lists, and export as [{path, mount}]).`,
		Args: args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			ss, err := pf.load(e)
			if err != nil {
				return failed(err, nil)
			}
			p, err := ss.Profile(a[0])
			if err != nil {
				return failed(profileLookupError(a[0], err), nil)
			}
			keys := profileKeyNames(p)
			if asJSON {
				opts := map[string]any{}
				for _, k := range keys {
					v, err := p.Value(k)
					if err != nil {
						v = p.String(k)
					}
					if ex, ok := v.([]profile.Export); ok {
						type export struct {
							Path  string `json:"path"`
							Mount bool   `json:"mount"`
						}
						list := []export{}
						for _, x := range ex {
							list = append(list, export{x.Path, x.Mount})
						}
						v = list
					}
					opts[k] = v
				}
				return writeJSON(e.stdout, map[string]any{"id": p.ID(), "name": p.Name(), "options": opts})
			}
			fmt.Fprintf(e.stdout, "ID: %s\nName: %s\n", p.ID(), p.Name())
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 1, ' ', 0)
			for _, k := range keys {
				v := p.String(k)
				if k == "export" {
					v = profile.FormatExports(p.Exports())
				}
				note := ""
				if !p.Has(k) {
					note = "\t(default)"
				}
				fmt.Fprintf(tw, "  %s\t= %s%s\n", k, v, note)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// profileKeyNames lists the options of p: every key python-x2go knows and
// the others the file has, sorted.
func profileKeyNames(p *profile.Profile) []string {
	var keys []string
	for _, k := range profile.ProfileKeys() {
		keys = append(keys, k.Name)
	}
	for _, k := range p.Keys() {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// profileLookupError says what went wrong finding a profile.
func profileLookupError(name string, err error) error {
	if errors.Is(err, profile.ErrAmbiguous) {
		return fmt.Errorf("several session profiles are called %q; name the one you mean by its ID (x2go profiles list): %w", name, err)
	}
	if errors.Is(err, profile.ErrNotFound) {
		return fmt.Errorf("no session profile %q (x2go profiles list shows them): %w", name, err)
	}
	return err
}

// setProfileValue stores key=value with the type the key has.
func setProfileValue(p *profile.Profile, kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return usageErrorf("--set %q: want KEY=VALUE", kv)
	}
	if key == "name" {
		return usageErrorf("--set name: use --rename (profile names must stay unique)")
	}
	spec, known := p.Spec(key)
	if !known {
		p.SetString(key, value)
		return nil
	}
	switch spec.Kind {
	case profile.KindBool:
		switch strings.ToLower(strings.TrimSpace(value)) {
		case "1", "yes", "true", "on":
			p.SetBool(key, true)
		case "0", "no", "false", "off":
			p.SetBool(key, false)
		default:
			return usageErrorf("--set %s: want true or false", key)
		}
	case profile.KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return usageErrorf("--set %s: want a number", key)
		}
		p.SetInt(key, n)
	case profile.KindList:
		var list []string
		for _, x := range strings.Split(value, ",") {
			if x = strings.TrimSpace(x); x != "" {
				list = append(list, x)
			}
		}
		p.SetList(key, list)
	case profile.KindExports:
		p.SetExports(profile.ParseExports(value))
	default:
		p.SetString(key, value)
	}
	return nil
}

func profilesAddCmd(e *env, pf *profilesFlags) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "add NAME [user@]host[:port]",
		Short: "Add a session profile",
		Long: `Add a session profile for the server, with every option at python-x2go's
default (as python-x2go writes new profiles) except those given with --set
KEY=VALUE (repeatable; x2go profiles show lists the keys). The user defaults
to your local login name.`,
		Example: "  x2go profiles add lab x2gotest@127.0.0.1:2222 --set command=xterm --set key=~/.ssh/id_ed25519",
		Args:    args(2, 2),
		RunE: func(cmd *cobra.Command, a []string) error {
			t, err := parseTarget(a[1])
			if err != nil {
				return err
			}
			ss, err := pf.load(e)
			if err != nil {
				return failed(err, nil)
			}
			p, err := ss.Add(a[0])
			if err != nil {
				return failed(fmt.Errorf("adding profile %q: %w", a[0], err), nil)
			}
			p.SetList("host", []string{t.host})
			if t.port != 0 {
				p.SetInt("sshport", t.port)
			}
			if t.user != "" {
				p.SetString("user", t.user)
			}
			for _, kv := range sets {
				if err := setProfileValue(p, kv); err != nil {
					return err
				}
			}
			if _, err := p.Params(); err != nil {
				return failed(err, nil)
			}
			if err := ss.Save(); err != nil {
				return failed(err, nil)
			}
			fmt.Fprintf(e.stdout, "%s\n", p.ID())
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "set an option, KEY=VALUE (repeatable)")
	return c
}

func profilesEditCmd(e *env, pf *profilesFlags) *cobra.Command {
	var sets, unsets []string
	var rename string
	c := &cobra.Command{
		Use:   "edit NAME|ID",
		Short: "Change options of a session profile",
		Long: `Change options of a session profile: --set KEY=VALUE sets one (repeatable),
--unset KEY removes one (it then has python-x2go's default), --rename NEW gives
the profile a new name. Only the lines of these options change in the file.`,
		Example: "  x2go profiles edit lab --set width=1280 --set height=800 --unset dpi --rename lab-xterm",
		Args:    args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if len(sets)+len(unsets) == 0 && rename == "" {
				return usageErrorf("nothing to change: give --set, --unset or --rename")
			}
			ss, err := pf.load(e)
			if err != nil {
				return failed(err, nil)
			}
			p, err := ss.Profile(a[0])
			if err != nil {
				return failed(profileLookupError(a[0], err), nil)
			}
			for _, kv := range sets {
				if err := setProfileValue(p, kv); err != nil {
					return err
				}
			}
			for _, k := range unsets {
				p.Delete(k)
			}
			if rename != "" {
				if err := ss.Rename(p.ID(), rename); err != nil {
					return failed(fmt.Errorf("renaming: %w", err), nil)
				}
			}
			if _, err := p.Params(); err != nil {
				return failed(err, nil)
			}
			return failed(ss.Save(), nil)
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "set an option, KEY=VALUE (repeatable)")
	c.Flags().StringArrayVar(&unsets, "unset", nil, "remove an option, KEY (repeatable)")
	c.Flags().StringVar(&rename, "rename", "", "give the profile a new name")
	return c
}

func profilesRemoveCmd(e *env, pf *profilesFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME|ID",
		Aliases: []string{"rm"},
		Short:   "Remove a session profile",
		Args:    args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			ss, err := pf.load(e)
			if err != nil {
				return failed(err, nil)
			}
			if err := ss.Remove(a[0]); err != nil {
				return failed(profileLookupError(a[0], err), nil)
			}
			return failed(ss.Save(), nil)
		},
	}
}
