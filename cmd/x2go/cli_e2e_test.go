package main

// End-to-end tests of the CLI against the real lab server: the pyhoca-cli
// front end must print what pyhoca-cli (python-x2go) prints for the same
// server state, whether called as `x2go pyhoca-cli`, through a symlink
// named pyhoca-cli, or in process; `x2go list --json` must describe the
// same sessions.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// cliResult is what one command run printed.
type cliResult struct {
	stdout, stderr string
	code           int
}

// cliLab holds what the tests need to run both clients against the lab.
type cliLab struct {
	lab    *testserver.Lab
	bin    string   // the built x2go binary
	link   string   // symlink named pyhoca-cli to bin
	home   string   // HOME with .ssh/id_ed25519 and .ssh/known_hosts of the lab
	env    []string // environment of both clients
	target string   // user@host:port of the lab's main sshd, as x2go takes it
}

// built is the x2go binary built for this test process, and the
// pyhoca-cli symlink next to it; TestMain removes them.
var built struct {
	once      sync.Once
	dir       string
	bin, link string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildCLI builds this command once per test process into a temporary
// directory and adds the pyhoca-cli symlink next to it.
func buildCLI(t *testing.T) (bin, link string) {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "x2go-cli-test-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "x2go")
		goTool, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
		if err != nil {
			built.err = fmt.Errorf("finding the go tool: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, goTool, "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.link = filepath.Join(built.dir, "pyhoca-cli")
		built.err = os.Symlink("x2go", built.link)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin, built.link
}

// newCLILab builds the binary and prepares a client HOME: a copy of the
// lab's key as ~/.ssh/id_ed25519 (pyhoca-cli ignores --ssh-privkey and only
// finds ~/.ssh/id_*) and the lab's host keys as ~/.ssh/known_hosts, so that
// neither client writes into the shared lab client home.
func newCLILab(t *testing.T, lab *testserver.Lab) *cliLab {
	t.Helper()
	bin, link := buildCLI(t)
	home := t.TempDir()
	sshDir := filepath.Join(home, ".ssh")
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{lab.Key: "id_ed25519", lab.KnownHosts: "known_hosts"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sshDir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Session profiles for --list-profiles (pyhoca-cli reads them too).
	if err := os.Mkdir(filepath.Join(home, ".x2goclient"), 0o700); err != nil {
		t.Fatal(err)
	}
	profiles, err := os.ReadFile("../../internal/pyhoca/testdata/profiles-sessions")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".x2goclient", "sessions"), profiles, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range lab.ClientEnv() {
		// Only the key in HOME authenticates: no agent of whoever runs the tests.
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home)
	return &cliLab{lab: lab, bin: bin, link: link, home: home, env: env,
		target: lab.User + "@" + lab.Host + ":" + strconv.Itoa(lab.Port)}
}

// pyhocaListArgs are the -L arguments given to every pyhoca-cli variant.
func (c *cliLab) pyhocaListArgs() []string {
	return []string{"--server", c.lab.Host, "-p", strconv.Itoa(c.lab.Port), "-u", c.lab.User,
		"--ssh-privkey", c.lab.Key, "--add-to-known-hosts", "-L"}
}

// exec runs name with args in the client environment.
func (c *cliLab) exec(t *testing.T, name string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	return r
}

// runInProcess calls run() as main would, with the client environment.
func (c *cliLab) runInProcess(t *testing.T, args ...string) cliResult {
	t.Helper()
	for _, kv := range c.env {
		if k, v, _ := strings.Cut(kv, "="); k == "HOME" || k == "DISPLAY" || k == "XAUTHORITY" {
			t.Setenv(k, v)
		}
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// logPID is the process id in pyhoca-cli's log line prefix "pyhoca-cli[PID] ".
var logPID = regexp.MustCompile(`(?m)^pyhoca-cli\[\d+\]`)

// compareListings runs pyhoca-cli -L and the three forms of this CLI's
// pyhoca-cli front end, and checks they print the same. It returns
// pyhoca-cli's standard output.
func (c *cliLab) compareListings(t *testing.T) string {
	t.Helper()
	args := c.pyhocaListArgs()
	start := time.Now()
	ref := c.exec(t, "pyhoca-cli", args...)
	t.Logf("pyhoca-cli -L: %v", time.Since(start))
	if ref.code != 0 {
		t.Fatalf("pyhoca-cli -L exited %d:\n%s%s", ref.code, ref.stdout, ref.stderr)
	}
	variants := []struct {
		name string
		run  func() cliResult
	}{
		{"x2go pyhoca-cli", func() cliResult { return c.exec(t, c.bin, append([]string{"pyhoca-cli"}, args...)...) }},
		{"symlink pyhoca-cli", func() cliResult { return c.exec(t, c.link, args...) }},
		{"run() in process", func() cliResult { return c.runInProcess(t, append([]string{"x2go", "pyhoca-cli"}, args...)...) }},
	}
	for _, v := range variants {
		start := time.Now()
		got := v.run()
		t.Logf("%s -L: %v", v.name, time.Since(start))
		if got.code != 0 {
			t.Errorf("%s -L exited %d:\n%s%s", v.name, got.code, got.stdout, got.stderr)
			continue
		}
		// Standard output must be byte for byte pyhoca-cli's: both read the
		// same server state under the lab lock, and nothing in the listing
		// depends on the client (the Host: line shows the server as given
		// and the SSH peer, the same for both).
		if got.stdout != ref.stdout {
			t.Errorf("%s -L printed on stdout:\n%s\npyhoca-cli printed:\n%s", v.name, got.stdout, ref.stdout)
		}
		// The log lines on stderr differ only in the process id in the
		// "pyhoca-cli[PID]" prefix, which is normalised.
		gotErr, refErr := logPID.ReplaceAllString(got.stderr, "pyhoca-cli[PID]"), logPID.ReplaceAllString(ref.stderr, "pyhoca-cli[PID]")
		if gotErr != refErr {
			t.Errorf("%s -L logged on stderr (PIDs normalised):\n%s\npyhoca-cli logged:\n%s", v.name, gotErr, refErr)
		}
	}
	return ref.stdout
}

// sessionJSONList runs `x2go list --json` and decodes it.
func (c *cliLab) sessionJSONList(t *testing.T) []sessionJSON {
	t.Helper()
	r := c.exec(t, c.bin, "list", "-p", strconv.Itoa(c.lab.Port), "-u", c.lab.User, "-i", c.lab.Key,
		"--known-hosts", filepath.Join(c.home, ".ssh", "known_hosts"), c.lab.Host, "--json")
	if r.code != 0 {
		t.Fatalf("x2go list --json exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	var list []sessionJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatalf("x2go list --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	if list == nil {
		t.Fatalf("x2go list --json printed %q, want an array", strings.TrimSpace(r.stdout))
	}
	return list
}

// serverSessions returns name → status of the lab user's sessions, in the
// server's order.
func serverSessions(t *testing.T, lab *testserver.Lab) (names []string, status map[string]string) {
	t.Helper()
	names, statuses := lab.SessionStatuses(t)
	status = map[string]string{}
	for i, name := range names {
		status[name] = statuses[i]
	}
	return names, status
}

var sessionNameLine = regexp.MustCompile(`(?m)^Session Name: (\S+)$`)

const noSessionsLine = "No running/suspended sessions found on X2Go server."

// startLabSession starts a rootless xterm session with the library and
// shows it on the lab display; it is disconnected at cleanup.
func startLabSession(t *testing.T, lab *testserver.Lab) *x2go.Session {
	t.Helper()
	s, err := x2go.NewSession(x2go.Options{
		Server: lab.Host, Port: lab.Port, Username: lab.User,
		KeyFiles:        []string{lab.Key},
		KnownHostsFiles: []string{lab.KnownHosts},
		ConnectTimeout:  20 * time.Second,
		Params: x2go.Params{Command: "xterm", Env: lab.ClientEnv(),
			SessionsRoot: filepath.Join(t.TempDir(), "x2go")},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect() })
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

func TestE2EPyhocaCLIListMatchesPyhoca(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	t.Cleanup(func() { lab.TerminateAll(t) })
	c := newCLILab(t, lab)

	t.Run("no sessions", func(t *testing.T) {
		out := c.compareListings(t)
		if !strings.Contains(out, "\n"+noSessionsLine+"\n") {
			t.Errorf("pyhoca-cli -L did not print %q:\n%s", noSessionsLine, out)
		}
		if list := c.sessionJSONList(t); len(list) != 0 {
			t.Errorf("x2go list --json lists %+v with no sessions on the server", list)
		}
	})
	if t.Failed() {
		return
	}

	// One suspended and one running session: the listing has a block per
	// session, in the server's order.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	suspended := startLabSession(t, lab)
	if err := suspended.Suspend(ctx); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	running := startLabSession(t, lab)
	names, status := serverSessions(t, lab)
	want := map[string]string{suspended.Name(): "S", running.Name(): "R"}
	if len(names) != 2 || status[suspended.Name()] != "S" || status[running.Name()] != "R" {
		t.Fatalf("server lists %v, want %v", status, want)
	}

	t.Run("sessions", func(t *testing.T) {
		out := c.compareListings(t)
		var listed []string
		for _, m := range sessionNameLine.FindAllStringSubmatch(out, -1) {
			listed = append(listed, m[1])
		}
		if !slices.Equal(listed, names) {
			t.Errorf("pyhoca-cli -L lists %v, the server %v", listed, names)
		}
		for _, name := range names {
			if !strings.Contains(out, "Session Name: "+name+"\n-------------\n") ||
				!strings.Contains(out, "status: "+status[name]+"\n") {
				t.Errorf("pyhoca-cli -L has no block for %s (%s):\n%s", name, status[name], out)
			}
		}
		if strings.Contains(out, noSessionsLine) {
			t.Errorf("pyhoca-cli -L says %q with sessions on the server", noSessionsLine)
		}

		list := c.sessionJSONList(t)
		got := map[string]string{}
		for _, s := range list {
			got[s.Name] = s.Status
			if s.Username != lab.User || s.Display <= 0 || s.AgentPID <= 0 || s.Type != "R" || s.Command != "xterm" {
				t.Errorf("x2go list --json: implausible entry %+v", s)
			}
		}
		if len(list) != len(want) || got[suspended.Name()] != "S" || got[running.Name()] != "R" {
			t.Errorf("x2go list --json lists %v, want %v", got, want)
		}
	})

	t.Run("table", func(t *testing.T) { c.compareTable(t) })

	for _, s := range []*x2go.Session{running, suspended} {
		if err := s.Terminate(ctx); err != nil {
			t.Errorf("Terminate %s: %v", s.Name(), err)
		}
		s.Disconnect()
	}
	if names, _ := serverSessions(t, lab); len(names) != 0 {
		t.Errorf("sessions left after Terminate: %v", names)
	}
}

// masks replace what differs between two listings by nature (times,
// cookies, ports, process ids), should the server's state move between
// the two runs.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`), "<time>"},
	{regexp.MustCompile(`(?m)^cookie: [0-9a-f]+$`), "cookie: <cookie>"},
	{regexp.MustCompile(`(?m)^(graphic|snd|sshfs) port: \d+$`), "$1 port: <port>"},
	{regexp.MustCompile(`(?m)^agent PID: \d+$`), "agent PID: <pid>"},
}

func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// compareTable runs the same command lines through Debian's pyhoca-cli
// and x2go pyhoca-cli and compares their standard output, masked: the
// list modes in pyhoca-cli's spellings, abbreviations, --opt=value forms
// and the positional user@host.
func (c *cliLab) compareTable(t *testing.T) {
	h, p, u := c.lab.Host, strconv.Itoa(c.lab.Port), c.lab.User
	for _, args := range [][]string{
		{"--server", h, "-p", p, "-u", u, "-L"},
		{"-L", "--server=" + h, "--port=" + p, "--username=" + u},
		{u + "@" + h, "-p" + p, "--list-s"},
		{"--list-sessions", "--server", h, "--remote-ssh-port", p, "-l", u, "--quiet"},
		{"--server", h, "-p", p, "-u", u, "--list-desktops"},
		{h, "--remote-ssh", p, "-u", u, "--list-d", "--add-to-known-hosts"},
		{"--server", h, "-p", p, "-u", u, "--list-profiles"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ref := c.exec(t, "pyhoca-cli", args...)
			got := c.exec(t, c.bin, append([]string{"pyhoca-cli"}, args...)...)
			if ref.code != 0 || got.code != 0 {
				t.Fatalf("exit %d (pyhoca-cli %d)\n%s%s\npyhoca-cli:\n%s%s", got.code, ref.code, got.stdout, got.stderr, ref.stdout, ref.stderr)
			}
			if ref.stdout == "" || mask(got.stdout) != mask(ref.stdout) {
				t.Errorf("x2go pyhoca-cli printed:\n%s\npyhoca-cli printed:\n%s", got.stdout, ref.stdout)
			}
			if slices.Contains(args, "--quiet") && (got.stderr != "" || ref.stderr != "") {
				t.Errorf("--quiet: x2go pyhoca-cli logged %q, pyhoca-cli %q", got.stderr, ref.stderr)
			}
		})
	}
}
