// Package testserver gives end-to-end tests access to the project's real X2Go
// test server ("the lab"): Debian's x2goserver behind a dedicated OpenSSH
// server on 127.0.0.1, a test user, client keys of several types and formats,
// and a client-side X display (Xvfb). The lab is set up and started by the
// repository's scripts/lab script, which needs root.
//
// Typical use in a test:
//
//	lab := testserver.Start(t) // skips only with -short
//	lab.Lock(t)                // one session-touching test at a time, across packages
//	defer lab.TerminateAll(t)
//
// StartLocked does the same with the last step as a t.Cleanup (and a
// TerminateAll before the test).
package testserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Lab describes the running lab. All paths are absolute.
type Lab struct {
	Dir        string // lab directory (X2GO_LAB_DIR)
	Host       string // server address, 127.0.0.1
	Port       int    // main sshd: public key and password authentication
	KbdIntPort int    // second sshd: keyboard-interactive (PAM) only
	User       string // the X2Go test user on the server
	Password   string // the test user's password
	Passphrase string // passphrase of EncKey and RSAPEMEncKey

	Key          string // ed25519 private key, OpenSSH format
	RSAKey       string // RSA 3072 private key, OpenSSH format
	ECDSAKey     string // ECDSA nistp256 private key, OpenSSH format
	EncKey       string // ed25519 private key, OpenSSH format, encrypted with Passphrase
	RSAPEMKey    string // RSA 2048 private key, PEM (PKCS#1), unencrypted
	RSAPEMEncKey string // RSA 2048 private key, PEM (PKCS#1), encrypted with Passphrase

	// User2 is a second X2Go user on the server, with its own password
	// and key (Key2, ed25519, OpenSSH format; User's keys do not log it
	// in). Both users are in x2goserver-desktopsharing's group, so User2
	// may ask to share User's desktop.
	User2     string
	Password2 string
	Key2      string

	KnownHosts       string // the lab's host keys as "[127.0.0.1]:port" entries
	KnownHostsHashed string // the same, hashed (ssh-keygen -H)

	ClientHome string // a HOME for client programs (pyhoca-cli) with .ssh/id_ed25519 and known_hosts
	Display    string // client-side X display, e.g. ":50"
	XAuthority string // cookie file for Display

	// CUPSServer is the lab's CUPS server (host:port on 127.0.0.1) and
	// Printer its cups-x2go queue: a job the lab user prints there reaches
	// the print spool of the user's running X2Go session.
	CUPSServer string
	Printer    string

	script string // path of scripts/lab
}

// startTimeout bounds `scripts/lab up`; a cold start on a fresh machine installs packages.
const startTimeout = 20 * time.Minute

var (
	startOnce sync.Once
	started   *Lab
	startErr  error
)

// Start makes sure the lab is up (once per test process) and returns its
// description. With -short it skips the test; any failure to bring the lab up
// fails the test (end-to-end tests must not silently pass without a server).
func Start(t testing.TB) *Lab {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs the real X2Go lab; run without -short")
	}
	startOnce.Do(func() { started, startErr = start() })
	if startErr != nil {
		t.Fatalf("x2go lab: %v", startErr)
	}
	return started
}

func start() (*Lab, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "scripts", "lab")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, script, "up").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s up failed: %v\n%s", script, err, out)
	}
	out, err = exec.CommandContext(ctx, script, "env").Output()
	if err != nil {
		return nil, fmt.Errorf("%s env failed: %v", script, err)
	}
	envFile := strings.TrimSpace(string(out))
	lab, vars, err := parseEnvFile(envFile)
	if err != nil {
		return nil, err
	}
	lab.script = script
	if lab.Password, err = readSecret(vars["X2GO_LAB_PASSWORD_FILE"]); err != nil {
		return nil, err
	}
	if lab.Passphrase, err = readSecret(vars["X2GO_LAB_PASSPHRASE_FILE"]); err != nil {
		return nil, err
	}
	if lab.Password2, err = readSecret(vars["X2GO_LAB_PASSWORD2_FILE"]); err != nil {
		return nil, err
	}
	return lab, nil
}

// readSecret reads a one-line secret file of the lab (without the line end).
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading a lab secret: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("lab secret file %s is empty", path)
	}
	return s, nil
}

// parseEnvFile reads lab.env ("export KEY=value" lines) and also returns the raw variables.
func parseEnvFile(path string) (*Lab, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("opening lab.env: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, nil, fmt.Errorf("%s: malformed line %q", path, sc.Text())
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}

	var missing []string
	get := func(k string) string {
		v := vars[k]
		if v == "" {
			missing = append(missing, k)
		}
		return v
	}
	num := func(k string) int {
		s := get(k)
		n, err := strconv.Atoi(s)
		if s != "" && err != nil {
			missing = append(missing, k+" (not a number: "+s+")")
		}
		return n
	}
	l := &Lab{
		Dir:              get("X2GO_LAB_DIR"),
		Host:             get("X2GO_LAB_HOST"),
		Port:             num("X2GO_LAB_PORT"),
		KbdIntPort:       num("X2GO_LAB_KBDINT_PORT"),
		User:             get("X2GO_LAB_USER"),
		User2:            get("X2GO_LAB_USER2"),
		Key2:             get("X2GO_LAB_KEY2"),
		Key:              get("X2GO_LAB_KEY"),
		RSAKey:           get("X2GO_LAB_RSA_KEY"),
		ECDSAKey:         get("X2GO_LAB_ECDSA_KEY"),
		EncKey:           get("X2GO_LAB_ENC_KEY"),
		RSAPEMKey:        get("X2GO_LAB_RSA_PEM_KEY"),
		RSAPEMEncKey:     get("X2GO_LAB_RSA_PEM_ENC_KEY"),
		KnownHosts:       get("X2GO_LAB_KNOWN_HOSTS"),
		KnownHostsHashed: get("X2GO_LAB_KNOWN_HOSTS_HASHED"),
		ClientHome:       get("X2GO_LAB_CLIENT_HOME"),
		Display:          get("X2GO_LAB_DISPLAY"),
		XAuthority:       get("X2GO_LAB_XAUTHORITY"),
		CUPSServer:       get("X2GO_LAB_CUPS_SERVER"),
		Printer:          get("X2GO_LAB_PRINTER"),
	}
	get("X2GO_LAB_PASSWORD_FILE")
	get("X2GO_LAB_PASSPHRASE_FILE")
	get("X2GO_LAB_PASSWORD2_FILE")
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%s: missing or invalid: %s", path, strings.Join(missing, ", "))
	}
	return l, vars, nil
}

// repoRoot finds the module root (the directory holding go.mod), starting from
// this source file and, failing that, from the working directory.
func repoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if _, err := os.Stat(filepath.Join(dir, "scripts", "lab")); err == nil {
					return dir, nil
				}
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("cannot find the repository root (go.mod next to scripts/lab)")
}

// Lock takes an exclusive lock on <lab>/e2e.lock until the test ends, so that
// tests creating or touching X2Go sessions (in any package: go test runs
// packages in parallel) run one at a time. Do not call it twice in one test.
func (l *Lab) Lock(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(l.Dir, "e2e.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("x2go lab: opening the e2e lock: %v", err)
	}
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatalf("x2go lab: locking %s: %v", f.Name(), err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	})
}

// StartLocked is Start and Lock for a test that works with sessions: it
// also terminates every session of the lab users before the test and
// again when it ends (a cleanup that runs before Lock's, so still under
// the lock). Tests that need that final TerminateAll at another point
// among their cleanups or defers call the four steps themselves.
func StartLocked(t testing.TB) *Lab {
	t.Helper()
	l := Start(t)
	l.Lock(t)
	l.TerminateAll(t)
	t.Cleanup(func() { l.TerminateAll(t) })
	return l
}

// ServerCommand runs cmd (a shell command line) as the lab user on the server
// side, without SSH (su - <user> -c <cmd>), and returns its standard output.
// It needs root. The error includes the command's standard error.
func (l *Lab) ServerCommand(ctx context.Context, cmd string) (string, error) {
	return l.ServerCommandAs(ctx, l.User, cmd)
}

// ServerCommandAs is ServerCommand as user (l.User or l.User2).
func (l *Lab) ServerCommandAs(ctx context.Context, user, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "su", "-", user, "-c", cmd)
	var stdout, stderr bytes.Buffer
	c.Stdout = &stdout
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return stdout.String(), fmt.Errorf("su - %s -c %q: %w (stderr: %s)",
			user, cmd, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Sessions returns the raw, non-empty lines of x2golistsessions followed by
// those of x2golistshadowsessions for the lab user.
func (l *Lab) Sessions(t testing.TB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var lines []string
	for _, cmd := range []string{"x2golistsessions", "x2golistshadowsessions"} {
		out, err := l.ServerCommand(ctx, cmd)
		if err != nil {
			t.Fatalf("x2go lab: %v", err)
		}
		for _, line := range strings.Split(out, "\n") {
			if line = strings.TrimRight(line, "\r"); strings.TrimSpace(line) != "" {
				lines = append(lines, line)
			}
		}
	}
	return lines
}

// SessionStatuses returns the names and status letters ("R", "S", ...)
// of the sessions Sessions lists, in its order. A line with fewer than
// five fields is left out.
func (l *Lab) SessionStatuses(t testing.TB) (names, statuses []string) {
	t.Helper()
	for _, line := range l.Sessions(t) {
		if f := strings.Split(line, "|"); len(f) > 4 {
			names = append(names, f[1])
			statuses = append(statuses, f[4])
		}
	}
	return names, statuses
}

// TerminateAll terminates every X2Go session of the lab users (User and
// User2), stops the desktop sharing applets of User's sessions and removes
// stale mount records (scripts/lab reset).
func (l *Lab) TerminateAll(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, l.script, "reset").CombinedOutput()
	if err != nil {
		t.Fatalf("x2go lab: %s reset failed: %v\n%s", l.script, err, out)
	}
}

// ClientEnv returns os.Environ() with DISPLAY and XAUTHORITY pointing at the
// lab's client display (for nxproxy, xwininfo, xdotool, import).
func (l *Lab) ClientEnv() []string {
	env := os.Environ()
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "XAUTHORITY=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "DISPLAY="+l.Display, "XAUTHORITY="+l.XAuthority)
}

// WaitWindow polls the lab's client display (xwininfo -root -tree) until a
// window whose tree line contains want is there (present) or is gone
// (!present), and returns how long that took. It fails the test if that
// is not so within d. An xwininfo that exits with an error counts as not
// reached yet; one that cannot be run at all fails the test at once.
func (l *Lab) WaitWindow(t testing.TB, want string, present bool, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		cmd := exec.Command("xwininfo", "-root", "-tree")
		cmd.Env = l.ClientEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("xwininfo: %v", err)
		}
		if err == nil && strings.Contains(stdout.String(), want) == present {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("window %q present=%v not reached within %v (xwininfo: %v); tree:\n%s%s",
				want, present, d, err, stdout.String(), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
