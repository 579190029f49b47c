package main

// End-to-end tests of the front-end contract against the lab: a process
// attending a session treats SIGTERM and SIGHUP like Ctrl-C, and a
// password given on the command line shows in no command line (nor the
// environment of a child process) while the session runs.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/testserver"
)

// processTree returns pid and the ids of all its descendants, from /proc.
func processTree(t *testing.T, pid int) []int {
	t.Helper()
	parent := map[int]int{}
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold blanks, so cut at the last ')'.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		for p, pp := range parent {
			if pp == tree[i] {
				tree = append(tree, p)
			}
		}
	}
	return tree
}

// checkNoSecret fails if secret is in the command line of pid or of a
// process it started, or in such a child's environment.
func checkNoSecret(t *testing.T, pid int, secret string) (children int) {
	t.Helper()
	for _, p := range processTree(t, pid) {
		cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		if bytes.Contains(cmdline, []byte(secret)) {
			t.Errorf("process %d's command line holds the password: %q", p, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
		if p == pid {
			continue
		}
		children++
		if environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "environ")); err == nil && bytes.Contains(environ, []byte(secret)) {
			t.Errorf("child %d (%s) has the password in its environment", p, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
	return children
}

// TestE2EAttendedSessionSignalsAndPassword: pyhoca-cli's front end with
// --password (as Remmina runs it) starts a session; neither its command
// line nor nxproxy's shows the password; SIGTERM suspends the session.
// Resumed with --terminate-on-ctrl-c, SIGTERM terminates it. x2go start,
// given the password through X2GO_SSH_PASSWORD, hands it to no child
// either, and SIGHUP suspends its session.
func TestE2EAttendedSessionSignalsAndPassword(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)
	// No key: the password is the only way in.
	os.Remove(filepath.Join(c.home, ".ssh", "id_ed25519"))
	conn := []string{"--server", lab.Host, "-p", strconv.Itoa(lab.Port), "-u", lab.User,
		"--force-password", "--auth-attempts", "0", "--non-interactive"}

	a := c.startAttended(t, append(conn, "--password", lab.Password, "-c", "xterm")...)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "Press CTRL+C to suspend the running session...")
	if n := checkNoSecret(t, a.cmd.Process.Pid, lab.Password); n == 0 {
		t.Errorf("x2go started no child process (nxproxy)?")
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t)
	waitStatuses(t, lab, "S", 30*time.Second)

	a = c.startAttended(t, append(conn, "--password="+lab.Password, "-R", "NEWEST", "--terminate-on-ctrl-c")...)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "Press CTRL+C to terminate the running session...")
	checkNoSecret(t, a.cmd.Process.Pid, lab.Password)
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t)
	waitStatuses(t, lab, "", 30*time.Second)

	// The subcommands: the password from the environment.
	c.env = append(c.env, passwordEnv+"="+lab.Password)
	a = c.startX2Go(t, "start", "--non-interactive", "-c", "xterm", c.target)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, name+" is running")
	checkNoSecret(t, a.cmd.Process.Pid, lab.Password)
	if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t)
	waitStatuses(t, lab, "S", 30*time.Second)
	waitOutput(t, &a.out, "x2go: "+name+" suspended")

	// And --password on the subcommands' command line.
	c.env = c.env[:len(c.env)-1]
	a = c.startX2Go(t, "resume", "--password", lab.Password, "--terminate-on-interrupt", c.target, name)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, name+" is running")
	checkNoSecret(t, a.cmd.Process.Pid, lab.Password)
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t)
	waitStatuses(t, lab, "", 30*time.Second)
	if strings.Contains(a.out.String(), lab.Password) {
		t.Errorf("the password was printed:\n%s", a.out.String())
	}
}

// TestE2ECheckLab: x2go check finds everything in order on the lab.
func TestE2ECheckLab(t *testing.T) {
	lab := testserver.Start(t)
	c := newCLILab(t, lab)
	r := c.exec(t, c.bin, "check", "-p", strconv.Itoa(lab.Port), "-i", lab.Key,
		"--known-hosts", lab.KnownHosts, lab.User+"@"+lab.Host)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("x2go check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) < 17 {
		t.Errorf("only %d findings:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "ok  ") {
			t.Errorf("not ok: %q", l)
		}
	}
	t.Logf("x2go check:\n%s", r.stdout)
}

// TestE2ECheckNamesMissingPart: with sshfs made unusable for the lab user
// on the real server (its execute bit for others removed, put back when
// the test ends), x2go check fails on that line and says how to fix it;
// the rest stays ok.
func TestE2ECheckNamesMissingPart(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t) // no session test may need sshfs meanwhile
	sshfs, err := exec.LookPath("sshfs")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(sshfs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sshfs, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chmod(sshfs, st.Mode().Perm()); err != nil {
			t.Errorf("putting sshfs back: %v", err)
		}
	})
	c := newCLILab(t, lab)
	r := c.exec(t, c.bin, "check", "-p", strconv.Itoa(lab.Port), "-i", lab.Key,
		"--known-hosts", lab.KnownHosts, lab.User+"@"+lab.Host)
	t.Logf("x2go check without sshfs:\n%s%s", r.stdout, r.stderr)
	if r.code == 0 {
		t.Errorf("x2go check exited 0 with sshfs missing")
	}
	var sshfsLine string
	for _, l := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == "sshfs" {
			sshfsLine = l
		}
		if strings.HasPrefix(l, "fail") && !strings.Contains(l, "sshfs") {
			t.Errorf("another part fails too: %q", l)
		}
	}
	if !strings.HasPrefix(sshfsLine, "fail") || !strings.Contains(r.stdout, "install sshfs") {
		t.Errorf("no failing sshfs line with its fix:\n%s", r.stdout)
	}
}
