package pyhoca

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// argparseVector is one recorded argparse result, see argparseVectors.
type argparseVector struct {
	args   []string
	values map[string]string
	help   bool
	err    string
}

func TestArgparseMatchesPython(t *testing.T) {
	for _, v := range argparseVectors {
		t.Run(strings.Join(v.args, " "), func(t *testing.T) {
			r, err := argparse(v.args)
			switch {
			case v.help:
				if !errors.Is(err, ErrHelp) {
					t.Fatalf("got %v, want ErrHelp", err)
				}
			case v.err != "":
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Code != 2 || ue.Msg != v.err {
					t.Fatalf("got error %#v, want code 2 %q", err, v.err)
				}
			default:
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				got := maps.Clone(r.values)
				if r.hasHost {
					got["host"] = r.host
				}
				if !maps.Equal(got, v.values) {
					t.Fatalf("got %v, want %v", got, v.values)
				}
			}
		})
	}
}

func TestAmbiguousPrefixHidesValue(t *testing.T) {
	_, err := argparse([]string{"--pa=s3cret", "h"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v, want an ambiguity error without the value", err)
	}
	if want := "ambiguous option: --pa could match --password, --pack"; err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"foo":    "'foo'",
		"":       "''",
		"it's":   `"it's"`,
		`a'b"c`:  `'a\'b"c'`,
		"a\nb":   `'a\nb'`,
		`back\s`: `'back\\s'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

// newerVectors are command lines with the options pyhoca-cli 0.6.1.2 does
// not have: every abbreviation 0.6.1.2 accepts keeps its meaning there,
// and only a prefix no 0.6.1.2 option has reaches a newer option.
var newerVectors = []argparseVector{
	{args: []string{"--n", "h"}, values: map[string]string{"host": "h", "new": "true"}},
	{args: []string{"--non", "h"}, values: map[string]string{"host": "h", "non_interactive": "true"}},
	{args: []string{"--non-interactive", "-L", "h"}, values: map[string]string{"host": "h", "list_sessions": "true", "non_interactive": "true"}},
	{args: []string{"--ssh-p", "k", "h"}, values: map[string]string{"host": "h", "ssh_privkey": "k"}},
	{args: []string{"--ssh-pa", "pp", "h"}, values: map[string]string{"host": "h", "ssh_passphrase": "pp"}},
	{args: []string{"--ssh-passphrase=a b", "h"}, values: map[string]string{"host": "h", "ssh_passphrase": "a b"}},
	{args: []string{"--passw=x", "h"}, values: map[string]string{"host": "h", "password": "x"}},
	{args: []string{"--password", "x", "h"}, values: map[string]string{"host": "h", "password": "x"}},
	{args: []string{"--password-f", "f", "h"}, values: map[string]string{"host": "h", "password_file": "f"}},
	{args: []string{"--clip", "none", "h"}, values: map[string]string{"host": "h", "clipboard_mode": "none"}},
	{args: []string{"--clipboard-mode=server", "h"}, values: map[string]string{"host": "h", "clipboard_mode": "server"}},
	{args: []string{"--clipboard-mode", "all", "h"}, err: "argument --clipboard-mode: invalid choice: 'all' (choose from 'both', 'server', 'client', 'none')"},
	{args: []string{"--cl", "h"}, err: "ambiguous option: --cl could match --clean-sessions, --client-ssh-port"},
	{args: []string{"--dpi", "120", "h"}, values: map[string]string{"host": "h", "dpi": "120"}},
	{args: []string{"--d", "h"}, values: map[string]string{"debug": "true", "host": "h"}},
	{args: []string{"--list-c"}, values: map[string]string{"list_cmdline_features": "true"}},
	{args: []string{"--list-"}, err: "ambiguous option: --list- could match --list-sessions, --list-desktops, --list-profiles"},
}

func TestArgparseNewerOptions(t *testing.T) {
	for _, v := range newerVectors {
		t.Run(strings.Join(v.args, " "), func(t *testing.T) {
			r, err := argparse(v.args)
			if v.err != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Code != 2 || ue.Msg != v.err {
					t.Fatalf("got error %#v, want code 2 %q", err, v.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			got := maps.Clone(r.values)
			if r.hasHost {
				got["host"] = r.host
			}
			if !maps.Equal(got, v.values) {
				t.Fatalf("got %v, want %v", got, v.values)
			}
		})
	}
}
