//go:build linux

package main

// End-to-end tests of the questions x2go asks on a terminal, against the
// lab: x2go runs on a pseudo-terminal of its own (its controlling
// terminal), the test answers like a person.

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/testserver"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rc, _ := m.SyscallConn()
	var n int
	var ioErr error
	rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr == nil {
			n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if ioErr != nil {
		t.Fatal(ioErr)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// onTerminal is x2go running with a terminal as its controlling terminal
// and standard streams.
type onTerminal struct {
	cmd    *exec.Cmd
	master *os.File
	out    syncBuffer
	done   chan error
}

func (c *cliLab) runOnTerminal(t *testing.T, env []string, args ...string) *onTerminal {
	t.Helper()
	master, slave := openPTY(t)
	r := &onTerminal{master: master, done: make(chan error, 1)}
	r.cmd = exec.Command(c.bin, args...)
	r.cmd.Env = env
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = slave, slave, slave
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	copied := make(chan struct{})
	go func() { io.Copy(&r.out, master); close(copied) }()
	go func() { err := r.cmd.Wait(); <-copied; r.done <- err }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		master.Close()
	})
	return r
}

// answer waits for prompt on the terminal and types line.
func (r *onTerminal) answer(t *testing.T, prompt, line string) {
	t.Helper()
	waitOutput(t, &r.out, prompt)
	if _, err := io.WriteString(r.master, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// exit waits for the program's exit status.
func (r *onTerminal) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-r.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("x2go did not end:\n%s", r.out.String())
		return -1
	}
}

func TestE2ETerminalQuestions(t *testing.T) {
	lab := testserver.Start(t)
	c := newCLILab(t, lab)
	port := strconv.Itoa(lab.Port)
	target := lab.User + "@" + lab.Host
	fingerprint := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// The fingerprints of the lab's host keys, to see ours is one.
		out, err := exec.CommandContext(ctx, "ssh-keygen", "-lf", lab.KnownHosts).Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}()

	t.Run("unknown host key", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		r := c.runOnTerminal(t, c.env, "list", "-p", port, "-i", lab.Key, "--known-hosts", kh, target)
		r.answer(t, "Trust this key and remember it? (yes/no): ", "yes")
		if code := r.exit(t); code != 0 {
			t.Fatalf("exit %d:\n%s", code, r.out.String())
		}
		out := r.out.String()
		i := strings.Index(out, "fingerprint SHA256:")
		if i < 0 || !strings.Contains(fingerprint, strings.Fields(out[i+len("fingerprint "):])[0]) {
			t.Errorf("no lab host key fingerprint shown:\n%s\nlab keys:\n%s", out, fingerprint)
		}
		if b, err := os.ReadFile(kh); err != nil || !strings.HasPrefix(string(b), "[127.0.0.1]:"+port+" ") {
			t.Errorf("known_hosts after yes: %q, %v", b, err)
		}
		// Refused: exit 3, nothing stored.
		kh2 := filepath.Join(t.TempDir(), "known_hosts")
		r = c.runOnTerminal(t, c.env, "list", "-p", port, "-i", lab.Key, "--known-hosts", kh2, target)
		r.answer(t, "(yes/no): ", "no")
		if code := r.exit(t); code != exitHostKey {
			t.Errorf("answered no: exit %d\n%s", code, r.out.String())
		}
		if _, err := os.Stat(kh2); err == nil {
			t.Errorf("known_hosts written after no")
		}
	})

	t.Run("password", func(t *testing.T) {
		os.Remove(filepath.Join(c.home, ".ssh", "id_ed25519"))
		kh := filepath.Join(c.home, ".ssh", "known_hosts")
		r := c.runOnTerminal(t, c.env, "list", "-p", port, "--known-hosts", kh, target)
		r.answer(t, lab.User+"@"+lab.Host+"'s password: ", lab.Password)
		if code := r.exit(t); code != 0 {
			t.Fatalf("exit %d:\n%s", code, r.out.String())
		}
		if strings.Contains(r.out.String(), lab.Password) {
			t.Errorf("the password was echoed:\n%s", r.out.String())
		}
		// --non-interactive: no question, a refused login.
		r = c.runOnTerminal(t, c.env, "list", "--non-interactive", "-p", port, "--known-hosts", kh, target)
		if code := r.exit(t); code != exitAuth || strings.Contains(r.out.String(), "password: ") {
			t.Errorf("--non-interactive: exit %d\n%s", code, r.out.String())
		}
	})
}
