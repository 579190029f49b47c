package x2go_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
)

// sshConnsTo counts this process's established TCP connections to port
// on the loopback: read from /proc, matching the socket inodes this
// process holds, so other processes' connections do not count.
func sshConnsTo(t *testing.T, port int) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	wantPort := fmt.Sprintf(":%04X", port)
	n := 0
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" { // 01: ESTABLISHED
				continue
			}
			if strings.HasSuffix(fields[2], wantPort) && mine[fields[9]] {
				n++
			}
		}
		f.Close()
	}
	return n
}

// TestE2ETwoSessionsOneConnection: two X2Go sessions started through one
// control session run over one SSH connection; both windows appear, and
// each is suspended and resumed on its own without touching the other.
func TestE2ETwoSessionsOneConnection(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	if n := sshConnsTo(t, lab.Port); n != 0 {
		t.Fatalf("%d connections to the lab before the test", n)
	}
	first, err := x2go.NewSession(sessionOptions(t, lab, x2go.Params{Command: "xterm"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer first.Disconnect()
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.ControlSession = first.ControlSession()
	second, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Disconnect()
	if err := second.Connect(ctx); err != nil {
		t.Fatal(err)
	}

	sessions := []*x2go.Session{first, second}
	for i, s := range sessions {
		if err := s.Start(ctx); err != nil {
			t.Fatalf("Start %d: %v", i, err)
		}
	}
	names := []string{first.Name(), second.Name()}
	if names[0] == names[1] {
		t.Fatalf("both Sessions drive %s", names[0])
	}
	window := func(i int) string { return `"X2GO-` + names[i] + `"` }
	for i := range sessions {
		lab.WaitWindow(t, window(i), true, 30*time.Second)
	}
	waitXterms(t, lab, 2)
	screenshot(t, lab, "two-sessions-one-connection")
	if n := sshConnsTo(t, lab.Port); n != 1 {
		t.Fatalf("%d SSH connections to the lab for two sessions, want 1", n)
	}
	t.Logf("two sessions %v over one SSH connection", names)

	for i, s := range sessions {
		other := 1 - i
		if err := s.Suspend(ctx); err != nil {
			t.Fatalf("Suspend %s: %v", names[i], err)
		}
		if st, ost := serverStatus(t, lab, names[i]), serverStatus(t, lab, names[other]); st != "S" || ost != "R" {
			t.Fatalf("after suspending %s the server lists it %q and the other %q", names[i], st, ost)
		}
		lab.WaitWindow(t, window(i), false, 15*time.Second)
		lab.WaitWindow(t, window(other), true, time.Second)
		if sessions[other].Status() != x2go.StatusRunning || !sessions[other].GraphicsOK() {
			t.Fatalf("the other session: %v", sessions[other].Status())
		}

		if err := s.Resume(ctx, names[i]); err != nil {
			t.Fatalf("Resume %s: %v", names[i], err)
		}
		lab.WaitWindow(t, window(i), true, 30*time.Second)
		if st, ost := serverStatus(t, lab, names[i]), serverStatus(t, lab, names[other]); st != "R" || ost != "R" {
			t.Fatalf("after resuming %s the server lists it %q and the other %q", names[i], st, ost)
		}
	}
	if n := sshConnsTo(t, lab.Port); n != 1 {
		t.Errorf("%d SSH connections after suspends and resumes, want 1", n)
	}

	// Terminating one through the shared control session's by-name call
	// goes through the Session that drives it.
	if err := first.ControlSession().TerminateSession(ctx, names[1]); err != nil {
		t.Fatal(err)
	}
	if second.Status() != x2go.StatusTerminated || serverStatus(t, lab, names[1]) != "" {
		t.Errorf("second after TerminateSession: %v, server %q", second.Status(), serverStatus(t, lab, names[1]))
	}
	// The second Session leaves the shared connection; the first still
	// uses it.
	if err := second.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if !first.IsConnected() || first.Status() != x2go.StatusRunning {
		t.Fatalf("first after the second left: connected %v, %v", first.IsConnected(), first.Status())
	}
	// Disconnecting the owner suspends its session, as python-x2go does.
	if err := first.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if st := serverStatus(t, lab, names[0]); st != "S" {
		t.Errorf("after Disconnect the server lists %s as %q, want S", names[0], st)
	}
	if n := sshConnsTo(t, lab.Port); n != 0 {
		t.Errorf("%d SSH connections left after Disconnect", n)
	}
}

// waitXterms waits until n rootless xterm windows are mapped on the lab
// display.
func waitXterms(t *testing.T, lab *testserver.Lab, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tree, err := xcmd(lab, "xwininfo", "-root", "-tree")
		if err != nil {
			t.Fatalf("xwininfo: %v", err)
		}
		got := strings.Count(tree, `("xterm" "XTerm")`)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d xterm windows, want %d:\n%s", got, n, tree)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
