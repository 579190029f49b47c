package pyhoca

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestSplitSecrets(t *testing.T) {
	for _, c := range []struct {
		args    []string
		rest    []string
		secrets map[string]string
	}{
		{[]string{"-L", "h"}, []string{"-L", "h"}, nil},
		{[]string{"--password", "pw", "-L", "h"}, []string{"-L", "h"}, map[string]string{"password": "pw"}},
		{[]string{"--password=a b", "h"}, []string{"h"}, map[string]string{"password": "a b"}},
		{[]string{"--passw", "x", "--pass=y", "h"}, []string{"h"}, map[string]string{"password": "y"}},
		{[]string{"--password=", "h"}, []string{"h"}, map[string]string{"password": ""}},
		{[]string{"--ssh-passphrase", "pp", "--broker-pa=bp", "h"}, []string{"h"}, map[string]string{"ssh_passphrase": "pp", "broker_password": "bp"}},
		{[]string{"--ssh-pa", "pp", "h"}, []string{"h"}, map[string]string{"ssh_passphrase": "pp"}},
		// After another option's value, the secret goes with its own.
		{[]string{"-c", "xterm", "--password", "pw"}, []string{"-c", "xterm"}, map[string]string{"password": "pw"}},
		// Not a value argparse would take: left for Parse to refuse.
		{[]string{"--password", "-L", "h"}, []string{"--password", "-L", "h"}, nil},
		{[]string{"h", "--password"}, []string{"h", "--password"}, nil},
		// After --, everything is positional.
		{[]string{"--", "--password", "pw"}, []string{"--", "--password", "pw"}, nil},
		// An ambiguous prefix: Parse fails before any value is used.
		{[]string{"--pa", "x", "--password", "pw"}, []string{"--pa", "x", "--password", "pw"}, nil},
		// --password-file is no secret.
		{[]string{"--password-file", "f", "h"}, []string{"--password-file", "f", "h"}, nil},
	} {
		rest, secrets := SplitSecrets(c.args)
		if !slices.Equal(rest, c.rest) || !maps.Equal(secrets, c.secrets) {
			t.Errorf("SplitSecrets(%q) = %q, %v; want %q, %v", c.args, rest, secrets, c.rest, c.secrets)
		}
	}
}

// TestSplitSecretsThenParse: parsing what SplitSecrets leaves and
// applying the secrets gives what parsing the whole command line gives.
func TestSplitSecretsThenParse(t *testing.T) {
	for _, args := range [][]string{
		{"--password", "pw", "--force-password", "-u", "bob", "h", "-L"},
		{"--ssh-passphrase=pp", "--pass", "pw", "h"},
		{"-B", "http://b/", "--broker-password", "bp", "h"},
		{"--password=", "h"},
	} {
		want, err := Parse(args)
		if err != nil {
			t.Fatal(err)
		}
		rest, secrets := SplitSecrets(args)
		for _, v := range secrets {
			if v != "" && slices.ContainsFunc(rest, func(w string) bool { return strings.Contains(w, v) }) {
				t.Errorf("%q: %q left in %q", args, v, rest)
			}
		}
		got, err := Parse(rest)
		if err != nil {
			t.Fatal(err)
		}
		got.ApplySecrets(secrets)
		if got.Password != want.Password || got.SSHPassphrase != want.SSHPassphrase ||
			got.BrokerPassword != want.BrokerPassword || !maps.Equal(got.Set, want.Set) {
			t.Errorf("%q: split and applied %+v, parsed whole %+v", args, got, want)
		}
	}
}
