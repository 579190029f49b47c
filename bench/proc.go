//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// labEnv is the part of the lab's environment (scripts/lab env --print)
// the benchmark uses.
type labEnv struct {
	dir, host, port, user string
	key, knownHosts       string
	clientHome            string
	display, xauthority   string
	vars                  map[string]string
}

// loadLab reads the lab's environment from scripts/lab env --print.
func loadLab(ctx context.Context) (*labEnv, error) {
	out, err := runCmd(ctx, time.Minute, nil, filepath.Join("scripts", "lab"), "env", "--print")
	if err != nil {
		return nil, fmt.Errorf("%w (is the lab up? run scripts/lab up)", err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, "'")
		}
		vars[k] = v
	}
	l := &labEnv{vars: vars}
	for _, f := range []struct {
		dst *string
		key string
	}{
		{&l.dir, "X2GO_LAB_DIR"}, {&l.host, "X2GO_LAB_HOST"}, {&l.port, "X2GO_LAB_PORT"},
		{&l.user, "X2GO_LAB_USER"}, {&l.key, "X2GO_LAB_KEY"},
		{&l.knownHosts, "X2GO_LAB_KNOWN_HOSTS"}, {&l.clientHome, "X2GO_LAB_CLIENT_HOME"},
		{&l.display, "X2GO_LAB_DISPLAY"}, {&l.xauthority, "X2GO_LAB_XAUTHORITY"},
	} {
		*f.dst = vars[f.key]
		if *f.dst == "" {
			return nil, fmt.Errorf("scripts/lab env --print does not set %s", f.key)
		}
	}
	return l, nil
}

// clientEnv is the environment of every client process: ours without an
// SSH agent, with the lab's X display and the given HOME.
func (l *labEnv) clientEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "DISPLAY", "XAUTHORITY", "SSH_AUTH_SOCK", "SSH_AGENT_PID":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "DISPLAY="+l.display, "XAUTHORITY="+l.xauthority)
}

// makeGoHome makes the HOME of the Go client: an empty one whose
// .ssh/known_hosts already holds the lab's host keys (so
// --add-to-known-hosts never has to add or prompt), and no keys (the key
// is given with --ssh-privkey, which the Go client honours).
func makeGoHome(tmp string, l *labEnv) (string, error) {
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		return "", err
	}
	kh, err := os.ReadFile(l.knownHosts)
	if err != nil {
		return "", err
	}
	return home, os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), kh, 0o600)
}

// runCmd runs a short helper command with a timeout and returns its
// stdout; the error carries its stderr.
func runCmd(ctx context.Context, timeout time.Duration, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return stdout.String(), fmt.Errorf("%s %s: %w\n--- stderr ---\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// resetLab terminates every session of the lab user (scripts/lab reset).
func resetLab(ctx context.Context) error {
	_, err := runCmd(ctx, 3*time.Minute, nil, filepath.Join("scripts", "lab"), "reset")
	return err
}

// lockLab takes the exclusive flock on <lab>/e2e.lock, the lock the e2e
// tests take (internal/testserver), waiting for it up to wait. The
// returned function releases it.
func lockLab(ctx context.Context, dir string, wait time.Duration) (func(), error) {
	path := filepath.Join(dir, "e2e.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the e2e lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	said := false
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !said {
			progress("waiting for %s (tests are using the lab)", path)
			said = true
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s still locked after %v", path, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	progress("holding %s", path)
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// becomeSubreaper makes this process the child subreaper (Linux
// PR_SET_CHILD_SUBREAPER): whatever a client leaves running after it
// exits (an nxproxy, an ssh) is re-parented to us instead of init, so
// leftovers can be found (and reaped: this sandbox's init does not reap).
func becomeSubreaper() error {
	const prSetChildSubreaper = 36
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", e)
	}
	return nil
}

// proc is a process found in /proc.
type proc struct {
	pid   int
	state string
	comm  string
}

// children lists the processes whose parent is this process.
func children() []proc {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and parens.
		s := string(b)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i {
			continue
		}
		f := strings.Fields(s[j+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me {
			out = append(out, proc{pid: pid, state: f[0], comm: s[i+1 : j]})
		}
	}
	return out
}

// cleanLeftovers is called when no command of ours is running: every
// child left is an orphan of a client that has exited. Zombies are
// reaped; live ones get grace to exit by themselves, then are killed (by
// pid) and reaped. It returns a description of the ones that had to be
// killed.
func cleanLeftovers(grace time.Duration) []string {
	deadline := time.Now().Add(grace)
	for {
		live := reapZombies()
		if len(live) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var killed []string
			for _, p := range live {
				if err := syscall.Kill(p.pid, syscall.SIGKILL); err == nil {
					killed = append(killed, fmt.Sprintf("%s[%d]", p.comm, p.pid))
				}
			}
			time.Sleep(200 * time.Millisecond)
			reapZombies()
			return killed
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reapZombies reaps exited orphans and returns the live ones.
func reapZombies() []proc {
	var live []proc
	for _, p := range children() {
		var ws syscall.WaitStatus
		if pid, _ := syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil); pid == p.pid {
			continue
		}
		live = append(live, p)
	}
	return live
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
