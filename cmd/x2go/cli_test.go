package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go/internal/pyhoca"
	"go.uber.org/goleak"
)

// runIn runs the x2go command line args in process with env e's secrets
// and password, and returns what it printed.
func runIn(t *testing.T, e *env, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e.stdout, e.stderr = &out, &errOut
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	code = e.run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// subcommands returns the names of the tree's visible subcommands.
func subcommands(t *testing.T) []string {
	t.Helper()
	root := newRootCmd(newEnv(nil, nil, nil), &globalFlags{})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if len(names) < 14 {
		t.Fatalf("only %d subcommands: %v", len(names), names)
	}
	return names
}

func TestHelpListsEverySubcommand(t *testing.T) {
	defer goleak.VerifyNone(t)
	out, errOut, code := runIn(t, &env{}, "x2go", "--help")
	if code != 0 || errOut != "" {
		t.Fatalf("x2go --help: exit %d, stderr %q", code, errOut)
	}
	for _, name := range subcommands(t) {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("x2go --help does not list %s", name)
		}
	}
	for _, want := range []string{"Examples:", "Exit status:", "--password-file", passwordEnv} {
		if !strings.Contains(out, want) {
			t.Errorf("x2go --help lacks %q", want)
		}
	}
	// Every subcommand's own help has examples, except the generated ones.
	root := newRootCmd(newEnv(nil, nil, nil), &globalFlags{})
	for _, c := range root.Commands() {
		if c.Example == "" && c.Name() != "version" {
			t.Errorf("x2go %s --help has no examples", c.Name())
		}
	}
}

func TestManPageListsEverySubcommand(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	out, errOut, code := runIn(t, &env{}, "x2go", "man")
	if code != 0 || errOut != "" {
		t.Fatalf("x2go man: exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, ".nh\n.TH \"X2GO\" \"1\" \"Nov 2023\"") {
		t.Errorf("x2go man does not start like a troff page:\n%.200s", out)
	}
	for _, name := range subcommands(t) {
		if name == "help" {
			continue // cobra's help is no page of its own
		}
		if !strings.Contains(out, `\fBx2go-`+name+`(1)\fP`) {
			t.Errorf("x2go(1) does not refer to x2go-%s(1)", name)
		}
	}
	dir := t.TempDir()
	if _, errOut, code := runIn(t, &env{}, "x2go", "man", "--dir", dir); code != 0 {
		t.Fatalf("x2go man --dir: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"x2go.1", "x2go-list.1", "x2go-check.1", "x2go-start.1"} {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil || !bytes.Contains(b, []byte(".SH EXAMPLE")) {
			t.Errorf("%s: %v, or no examples", name, err)
		}
	}
}

func TestCommandLineErrorsExit2(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, args := range [][]string{
		{"x2go", "list", "--bogus", "h"},
		{"x2go", "list"},
		{"x2go", "resume", "h"},
		{"x2go", "no-such-command"},
		{"x2go", "list", "-p"},
		{"x2go", "list", "h:99999"},
	} {
		out, errOut, code := runIn(t, &env{}, args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "--help' for usage.\n") || strings.Count(errOut, "\n") > 6 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and a short usage hint", args, code, out, errOut)
		}
		if _, errOut, _ := runIn(t, &env{}, append(args[:1:1], append([]string{"--quiet"}, args[1:]...)...)...); errOut != "" {
			t.Errorf("%q --quiet printed %q", args, errOut)
		}
	}
}

func TestListJSONFieldsDocumented(t *testing.T) {
	var documented []string
	for _, l := range strings.Split(listFieldsHelp, "\n")[1:] {
		documented = append(documented, strings.Fields(l)[0])
	}
	var tags []string
	typ := reflect.TypeFor[sessionJSON]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	if !slices.Equal(documented, tags) {
		t.Errorf("x2go list --help documents %v, the JSON has %v", documented, tags)
	}
	b, err := json.Marshal(sessionJSON{Creating: true})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range tags {
		if _, ok := m[k]; !ok && k != "type" && k != "command" {
			t.Errorf("field %s missing from %s", k, b)
		}
	}
}

func TestSplitSecretsOfSubcommands(t *testing.T) {
	for _, c := range []struct {
		args    []string
		rest    []string
		secrets map[string]string
	}{
		{[]string{"x2go", "list", "h"}, []string{"x2go", "list", "h"}, nil},
		{[]string{"x2go", "list", "--password", "pw", "h"}, []string{"x2go", "list", "h"}, map[string]string{"password": "pw"}},
		{[]string{"x2go", "start", "--password=pw", "-c", "xterm", "--passphrase", "-pp-", "h"},
			[]string{"x2go", "start", "-c", "xterm", "h"}, map[string]string{"password": "pw", "passphrase": "-pp-"}},
		// A value that looks like the option stays a value.
		{[]string{"x2go", "start", "-c", "--password", "h"}, []string{"x2go", "start", "-c", "--password", "h"}, nil},
		{[]string{"x2go", "start", "--command", "--password", "h"}, []string{"x2go", "start", "--command", "--password", "h"}, nil},
		{[]string{"x2go", "list", "--json", "--password", "pw", "h"}, []string{"x2go", "list", "--json", "h"}, map[string]string{"password": "pw"}},
		{[]string{"x2go", "list", "h", "--", "--password", "pw"}, []string{"x2go", "list", "h", "--", "--password", "pw"}, nil},
		// pflag takes no abbreviations: --passw is no secret flag (pflag
		// reports it as unknown).
		{[]string{"x2go", "list", "--passw", "pw", "h"}, []string{"x2go", "list", "--passw", "pw", "h"}, nil},
		{[]string{"x2go", "list", "--password-file", "f", "h"}, []string{"x2go", "list", "--password-file", "f", "h"}, nil},
		{[]string{"x2go", "pyhoca-cli", "--pass", "pw", "-L", "h"}, []string{"x2go", "pyhoca-cli", "-L", "h"}, map[string]string{"password": "pw"}},
		{[]string{"/usr/bin/pyhoca-cli", "--password=pw", "--ssh-passphrase", "pp", "h"}, []string{"/usr/bin/pyhoca-cli", "h"},
			map[string]string{"password": "pw", "ssh_passphrase": "pp"}},
	} {
		rest, secrets := splitSecrets(c.args)
		if !slices.Equal(rest, c.rest) || !maps.Equal(secrets, c.secrets) {
			t.Errorf("splitSecrets(%q) = %q, %v; want %q, %v", c.args, rest, secrets, c.rest, c.secrets)
		}
	}
}

func TestSecretsFromPipe(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	syscall.Write(p[1], []byte(`{"password":"s3cret"}`))
	syscall.Close(p[1])
	t.Setenv(secretsFDEnv, strconv.Itoa(p[0]))
	got, err := secretsFromPipe()
	if err != nil || got["password"] != "s3cret" {
		t.Fatalf("secretsFromPipe = %v, %v", got, err)
	}
	if _, ok := os.LookupEnv(secretsFDEnv); ok {
		t.Errorf("%s is still set", secretsFDEnv)
	}
	if err := syscall.Close(p[0]); err == nil {
		t.Errorf("the pipe was left open")
	}
	// A descriptor that is no pipe is refused.
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv(secretsFDEnv, strconv.Itoa(int(f.Fd())))
	if _, err := secretsFromPipe(); err == nil {
		t.Errorf("a regular file was taken for the secrets pipe")
	}
	os.Unsetenv(secretsFDEnv)
	if got, err := secretsFromPipe(); got != nil || err != nil {
		t.Errorf("without the variable: %v, %v", got, err)
	}
}

func TestChildEnvironHasNoPassword(t *testing.T) {
	t.Setenv(passwordEnv, "pw")
	t.Setenv(secretsFDEnv, "7")
	for _, kv := range childEnviron() {
		if strings.HasPrefix(kv, passwordEnv+"=") || strings.HasPrefix(kv, secretsFDEnv+"=") {
			t.Errorf("childEnviron passes %s on", kv)
		}
	}
}

func TestListCmdlineFeatures(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, args := range [][]string{{"x2go", "pyhoca-cli", "--list-cmdline-features"}, {"pyhoca-cli", "--list-cmdline-features"}} {
		out, errOut, code := runIn(t, &env{}, args...)
		if want := strings.Join(pyhoca.CmdlineFeatures(), "\n") + "\n"; code != 0 || errOut != "" || out != want {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want 0 and\n%s", args, code, errOut, out, want)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	out, _, code := runIn(t, &env{}, "x2go", "version", "--json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] != version {
		t.Errorf("x2go version --json: %d %q", code, out)
	}
}

// TestCompletionCandidates asks the command tree what the shell script
// would ask it (cobra's __complete): subcommands, flags, and ALL for the
// session of suspend when the server cannot be asked.
func TestCompletionCandidates(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"s"}, []string{"share", "share-desktop", "shared", "start", "suspend"}},
		{[]string{"list", "--js"}, []string{"--json"}},
		{[]string{"suspend", "-p", "1", "127.0.0.1", ""}, []string{"ALL"}},
		{[]string{"resume", "--non-interactive", "-p", "1", "127.0.0.1", ""}, []string{"NEWEST", "OLDEST"}},
	} {
		out, _, code := runIn(t, &env{}, append([]string{"x2go", cobra.ShellCompRequestCmd}, c.args...)...)
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") {
				w, _, _ := strings.Cut(l, "\t")
				got = append(got, w)
			}
		}
		if code != 0 || !slices.Equal(got, c.want) {
			t.Errorf("completing %q: %q (exit %d), want %q", c.args, got, code, c.want)
		}
	}
}
