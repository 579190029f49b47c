package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// lineChanges is a line diff of a and b (longest common subsequence):
// the lines only a has ("-") and only b has ("+"), in order.
func lineChanges(a, b string) []string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(la), len(lb)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if la[i] == lb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var del, add []string
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case la[i] == lb[j]:
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			del, i = append(del, "-"+la[i]), i+1
		default:
			add, j = append(add, "+"+lb[j]), j+1
		}
	}
	for ; i < n; i++ {
		del = append(del, "-"+la[i])
	}
	for ; j < m; j++ {
		add = append(add, "+"+lb[j])
	}
	return append(del, add...)
}

// TestProfilesCommands: x2go profiles add, list, show, edit and remove on
// a copy of a sessions file in X2Go Client's format; edit changes only
// the lines of the options it changes.
func TestProfilesCommands(t *testing.T) {
	defer goleak.VerifyNone(t)
	orig, err := os.ReadFile("../../testdata/client/sessions")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sessions")
	if err := os.WriteFile(file, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	x := func(args ...string) (string, string, int) {
		return runIn(t, &env{}, append([]string{"x2go", "profiles", "--sessions-file", file}, args...)...)
	}
	out, errOut, code := x("list")
	if code != 0 || !strings.Contains(out, `lab, xterm "e2e"`) || !strings.Contains(out, "alice@desk.example.org:22 via alice@gw.example.org:2200") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}

	before, _ := os.ReadFile(file)
	if out, errOut, code = x("edit", `lab, xterm "e2e"`, "--set", "width=1024", "--set", "rootless=false", "--unset", "dpi"); code != 0 {
		t.Fatalf("edit: %d %q %q", code, out, errOut)
	}
	after, _ := os.ReadFile(file)
	got := strings.Join(lineChanges(string(before), string(after)), "\n")
	if want := "-dpi=96\n-rootless=true\n-width=640\n+rootless=false\n+width=1024"; got != want {
		t.Fatalf("edit changed:\n%s\nwant:\n%s", got, want)
	}

	out, errOut, code = x("add", "new one", "bob@srv.example.org:2022", "--set", "command=xterm", "--set", "export=/tmp/a:1;/tmp/b:0")
	if code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	id := strings.TrimSpace(out)
	out, _, code = x("show", "--json", id)
	var shown struct {
		ID, Name string
		Options  map[string]any
	}
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
		t.Fatalf("show --json: %d %v %q", code, err, out)
	}
	o := shown.Options
	if shown.Name != "new one" || o["sshport"] != float64(2022) || o["user"] != "bob" || o["command"] != "xterm" ||
		fmt.Sprint(o["host"]) != "[srv.example.org]" || fmt.Sprint(o["export"]) != "[map[mount:true path:/tmp/a] map[mount:false path:/tmp/b]]" {
		t.Fatalf("shown %+v", shown)
	}
	if _, errOut, code = x("edit", id, "--set", "sshport=many"); code != exitUsage || !strings.Contains(errOut, "want a number") {
		t.Fatalf("bad value: %d %q", code, errOut)
	}
	if _, _, code = x("add", "new one", "srv2"); code == 0 {
		t.Fatal("a second profile of the same name was added")
	}
	if _, errOut, code = x("remove", "new one"); code != 0 {
		t.Fatalf("remove: %d %q", code, errOut)
	}
	if _, errOut, code = x("show", "new one"); code == 0 || !strings.Contains(errOut, "no session profile") {
		t.Fatalf("show after remove: %d %q", code, errOut)
	}
	final, _ := os.ReadFile(file)
	if string(final) != string(after) {
		t.Fatalf("add then remove left changes:\n%s", strings.Join(lineChanges(string(after), string(final)), "\n"))
	}
}

// TestListManyServers: x2go list --hosts lists several servers at once in
// one table (and in JSON); a server that is down gets an error line of
// its own, the others are listed, and the exit status says one failed.
func TestListManyServers(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the servers' cleanup
	line := "32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n"
	a := fakesshd.New(t, fakesshd.Standard().With("x2golistsessions", fakesshd.Output(line)))
	b := fakesshd.New(t, nil)
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	var known []byte
	for _, s := range []*fakesshd.Server{a, b} {
		k, err := os.ReadFile(s.KnownHostsFile(t))
		if err != nil {
			t.Fatal(err)
		}
		known = append(known, k...)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(kh, known, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte(a.Password()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	t.Setenv("HOME", dir) // no keys, no known_hosts of the person running the tests
	t.Setenv("SSH_AUTH_SOCK", "")
	hosts := strings.Join([]string{a.Addr(), b.Addr(), down}, ",")
	args := []string{"x2go", "list", "--hosts", hosts, "-u", "x2gotest", "--known-hosts", kh, "--password-file", pw}
	out, errOut, code := runIn(t, &env{}, args...)
	if code != exitError || !strings.Contains(errOut, "1 of 3 servers failed") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], a.Addr()+" ") || !strings.Contains(lines[1], "x2gotest-51-1795627896_stRxterm_dp24  suspended") ||
		!strings.HasPrefix(lines[2], b.Addr()+" ") || !strings.Contains(lines[2], "no sessions") ||
		!strings.HasPrefix(lines[3], down+" ") || !strings.Contains(lines[3], "error: cannot reach") {
		t.Fatalf("table:\n%s", out)
	}
	out, _, _ = runIn(t, &env{}, append(args, "--json")...)
	var res []struct {
		Server   string
		Sessions []sessionJSON
		Error    string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 3 {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if res[0].Server != a.Addr() || len(res[0].Sessions) != 1 || res[0].Error != "" || len(res[1].Sessions) != 0 || res[2].Error == "" {
		t.Fatalf("JSON: %+v", res)
	}
	// Suspend across the servers: nothing running, nothing suspended.
	out, _, code = runIn(t, &env{}, "x2go", "suspend", "--hosts", a.Addr()+","+b.Addr(), "-u", "x2gotest", "--known-hosts", kh, "--password-file", pw, "ALL")
	if code != 0 || !strings.Contains(out, "no sessions") {
		t.Fatalf("suspend --hosts: %d\n%s", code, out)
	}
}
