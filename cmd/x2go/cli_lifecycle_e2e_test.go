package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/testserver"
)

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// attended is a CLI process that stays with its session (-N, -R, --try-resume).
type attended struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

// startAttended starts `x2go pyhoca-cli ARGS...` in the background; it is
// killed at cleanup if the test left it running.
func (c *cliLab) startAttended(t *testing.T, args ...string) *attended {
	t.Helper()
	return c.startX2Go(t, append([]string{"pyhoca-cli"}, args...)...)
}

// startX2Go starts `x2go ARGS...` in the background.
func (c *cliLab) startX2Go(t *testing.T, args ...string) *attended {
	t.Helper()
	a := &attended{done: make(chan struct{})}
	a.cmd = exec.Command(c.bin, args...)
	a.cmd.Env = c.env
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			t.Errorf("x2go %v still runs at the end of the test; killing it\n%s", args, a.out.String())
			a.cmd.Process.Kill()
			<-a.done
		}
	})
	return a
}

// interrupt sends Ctrl-C and waits for the process to exit with status 0.
func (a *attended) interrupt(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t)
}

func (a *attended) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(time.Minute):
		t.Fatalf("x2go did not exit within a minute:\n%s", a.out.String())
	}
	if a.err != nil {
		t.Fatalf("x2go: %v\n%s", a.err, a.out.String())
	}
}

// waitStatuses waits until the server's sessions and their status letters
// are want (e.g. "R", "S", "" for none), in listing order.
func waitStatuses(t *testing.T, lab *testserver.Lab, want string, d time.Duration) []string {
	t.Helper()
	var names, got []string
	for deadline := time.Now().Add(d); ; {
		names, got = lab.SessionStatuses(t)
		if strings.Join(got, " ") == want {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("server lists %v %v, want %q", names, got, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestE2EPyhocaCLILifecycle drives sessions through the pyhoca-cli front
// end as a script would: -N stays with its session until Ctrl-C suspends
// it; --try-resume takes the suspended session up again; -S ALL from a
// second invocation suspends it, and the attending process notices and
// exits; -R NEWEST --terminate-on-ctrl-c resumes it and Ctrl-C terminates
// it; -T ALL ends a session another process attends.
func TestE2EPyhocaCLILifecycle(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)
	conn := []string{"--server", lab.Host, "-p", strconv.Itoa(lab.Port), "-u", lab.User,
		"--ssh-privkey", lab.Key}

	a := c.startAttended(t, append(conn, "-N", "-c", "xterm")...)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "Press CTRL+C to suspend the running session...")
	// The session runs once nxproxy is connected; its window maps a
	// moment later (seconds on a loaded machine).
	lab.WaitWindow(t, `"X2GO-`+name+`"`, true, 30*time.Second)
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)
	waitOutput(t, &a.out, "X2Go session "+name+" has been suspended")

	a = c.startAttended(t, append(conn, "--try-resume", "-c", "xterm")...)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "Press CTRL+C to suspend the running session...")
	// Right after the resume: the agent may not have taken it up yet.
	if r := c.exec(t, c.bin, append([]string{"pyhoca-cli"}, append(conn, "-S", "ALL")...)...); r.code != 0 {
		t.Fatalf("-S ALL exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitStatuses(t, lab, "S", 30*time.Second)
	a.waitExit(t) // the attending process saw its session suspended elsewhere
	waitOutput(t, &a.out, "X2Go session "+name+" has been suspended")

	a = c.startAttended(t, append(conn, "-R", "NEWEST", "--terminate-on-ctrl-c")...)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "Press CTRL+C to terminate the running session...")
	a.interrupt(t)
	waitStatuses(t, lab, "", 30*time.Second)
	waitOutput(t, &a.out, "X2Go session "+name+" has been terminated")

	a = c.startAttended(t, append(conn, "-N", "-c", "xterm")...)
	name2 := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "Press CTRL+C to suspend the running session...")
	if r := c.exec(t, c.bin, append([]string{"pyhoca-cli"}, append(conn, "-T", "ALL")...)...); r.code != 0 {
		t.Fatalf("-T ALL exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitStatuses(t, lab, "", 30*time.Second)
	a.waitExit(t)
	// pyhoca-cli's words for a session that ended elsewhere.
	waitOutput(t, &a.out, "X2Go session "+name2+" has terminated")
	if strings.Contains(a.out.String(), "WARN") {
		t.Errorf("warnings that pyhoca-cli does not print:\n%s", a.out.String())
	}
}

// waitOutput waits up to 30 s for text in a process's output.
func waitOutput(t *testing.T, out *syncBuffer, text string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), text); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s", text, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestE2EModernStartSpeaksForItself: x2go start and resume attend their
// session like pyhoca-cli -N, but in their own short lines, with none of
// pyhoca-cli's log lines.
func TestE2EModernStartSpeaksForItself(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)

	a := c.startX2Go(t, "start", "-i", lab.Key, "-c", "xterm", c.target)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "x2go: "+name+" is running; Ctrl-C will suspend it")
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)
	waitOutput(t, &a.out, "x2go: "+name+" suspended")

	a = c.startX2Go(t, "resume", "--terminate-on-interrupt", "-i", lab.Key, c.target, name)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "x2go: "+name+" is running; Ctrl-C will terminate it")
	a.interrupt(t)
	waitStatuses(t, lab, "", 30*time.Second)
	waitOutput(t, &a.out, "x2go: "+name+" terminated")
	for _, foreign := range []string{"pylib", "PyHocaCLI", "Press CTRL+C", "NOTICE", "master session"} {
		if strings.Contains(a.out.String(), foreign) {
			t.Errorf("x2go start/resume printed pyhoca-cli's %q:\n%s", foreign, a.out.String())
		}
	}
	t.Logf("output:\n%s", a.out.String())
}

// TestE2ECLISharing: x2go start --share mounts a folder; x2go share and
// unshare change the folders of the running session from another process
// (through the attending process's control socket); x2go shared lists them
// as the server does; pyhoca-cli's -F shares folders too.
func TestE2ECLISharing(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	first, second := filepath.Join(dir, "first folder"), filepath.Join(dir, "zweiter Ordner ü")
	os.Mkdir(first, 0o755)
	os.Mkdir(second, 0o755)

	a := c.startX2Go(t, "start", "-i", lab.Key, "-c", "xterm", "--share", first, c.target)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "is running")
	shared := func() string {
		t.Helper()
		r := c.exec(t, c.bin, "shared", "--json", name)
		var folders []string
		if err := json.Unmarshal([]byte(r.stdout), &folders); r.code != 0 || err != nil {
			t.Fatalf("x2go shared: %d %v %s%s", r.code, err, r.stdout, r.stderr)
		}
		return strings.Join(folders, "|")
	}
	if got, want := shared(), first; got != want {
		t.Errorf("x2go shared = %s, want %s; x2go start's output:\n%s", got, want, a.out.String())
	}
	if r := c.exec(t, c.bin, "share", name, second); r.code != 0 {
		t.Fatalf("x2go share: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.exec(t, c.bin, "unshare", name, first); r.code != 0 {
		t.Fatalf("x2go unshare: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := shared(), second; got != want {
		t.Errorf("after share and unshare: %s, want %s; x2go start's output:\n%s", got, want, a.out.String())
	}
	if r := c.exec(t, c.bin, "share", "x2gotest-99-1795627586_stRxterm_dp24", second); r.code == 0 || !strings.Contains(r.stderr, "no x2go process") {
		t.Errorf("sharing into a session nobody shows: %d %s", r.code, r.stderr)
	}
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)

	// pyhoca-cli -F, resuming the session.
	conn := []string{"--server", lab.Host, "-p", strconv.Itoa(lab.Port), "-u", lab.User, "--ssh-privkey", lab.Key}
	a = c.startAttended(t, append(conn, "-R", name, "-F", first+","+second)...)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "Press CTRL+C")
	if got, want := shared(), first+"|"+second; got != want {
		t.Errorf("pyhoca-cli -F: %s, want %s; its output:\n%s", got, want, a.out.String())
	}
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)
}
