package x2go_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// startLabSession connects and starts a session with p, failing the test
// on error; the session is terminated at cleanup if still there.
func startLabSession(t *testing.T, lab *testserver.Lab, p x2go.Params, hooks x2go.Hooks) *x2go.Session {
	t.Helper()
	o := sessionOptions(t, lab, p)
	o.Hooks = hooks
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Disconnect()
		lab.TerminateAll(t)
	})
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

// waitAgentState polls the agent's state file on the server
// (~/.x2go/C-<name>/state) until it says state.
func waitAgentState(t *testing.T, lab *testserver.Lab, name, state string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got string
	for ctx.Err() == nil {
		got, _ = lab.ServerCommand(ctx, "cat ~/.x2go/C-"+name+"/state 2>/dev/null")
		if strings.TrimSpace(got) == state {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("agent of %s: state %q, want %s within %v", name, got, state, d)
}

var geometryRE = regexp.MustCompile(`(\d+)x(\d+)\+`)

// windowSize is the WxH of the first window in xwininfo -tree output whose
// line contains title.
func windowSize(t *testing.T, tree, title string) string {
	t.Helper()
	for _, l := range strings.Split(tree, "\n") {
		if strings.Contains(l, title) {
			if m := geometryRE.FindStringSubmatch(l); m != nil {
				return m[1] + "x" + m[2]
			}
		}
	}
	t.Fatalf("no window %s in:\n%s", title, tree)
	return ""
}

// TestE2EDesktopGeometry starts a desktop session asking for 1024x768.
//
// The request must reach the agent intact: its options file on the server
// carries geometry=1024x768. What the agent then shows is the server's
// choice: x2gostartagent hard-codes resize=1, and x2goagent 3.5.99.26
// adopts 3/4 of the client screen (960x768 on the lab's 1280x1024 Xvfb) for
// every requested size; pyhoca-cli gets the same window from this server.
// So the test checks that the client window shows the agent's screen one
// to one, whatever size the agent chose.
func TestE2EDesktopGeometry(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	s := startLabSession(t, lab, x2go.Params{Command: "xterm", SessionType: "desktop", Geometry: "1024x768"}, x2go.Hooks{})
	name := s.Name()
	if n, err := x2go.ParseSessionName(name); err != nil || n.Type != "D" {
		t.Fatalf("session %s is not a desktop session: %+v %v", name, n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The options file holds the session cookie: match in the shell, print only the verdict.
	out, err := lab.ServerCommand(ctx, "grep -q ',geometry=1024x768,' ~/.x2go/C-"+name+"/options && echo geometry-ok")
	if err != nil || strings.TrimSpace(out) != "geometry-ok" {
		t.Fatalf("the agent's options do not carry geometry=1024x768: %q %v", out, err)
	}

	title := `"` + s.Title() + `"`
	lab.WaitWindow(t, title, true, 30*time.Second)
	si, err := s.SessionInfoByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// The agent settles its screen size right after the window maps.
	var client, agent string
	for deadline := time.Now().Add(10 * time.Second); ; {
		tree, _ := xcmd(lab, "xwininfo", "-root", "-tree")
		client = windowSize(t, tree, title)
		root, err := lab.ServerCommand(ctx, "DISPLAY=:"+strconv.Itoa(si.Display)+" xwininfo -root")
		if err != nil {
			t.Fatalf("xwininfo on the agent's display: %v", err)
		}
		agent = windowSize(t, root, "-geometry ")
		if client == agent || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if client != agent {
		t.Fatalf("desktop window is %s, the agent's screen %s", client, agent)
	}
	t.Logf("asked for 1024x768; the agent chose %s and the client window shows it", agent)
	screenshot(t, lab, "desktop-geometry")
}

func TestE2EKilledNXProxyIsNoticed(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	// Registered before startLabSession's cleanup, so it runs after it.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	hooks := newRecordingHooks()
	s := startLabSession(t, lab, x2go.Params{Command: "xterm"}, hooks.hooks())
	// Kill nxproxy only once the session is really up (window mapped): an
	// agent that loses its proxy while still starting exits instead of
	// suspending, and the server marks the session failed.
	lab.WaitWindow(t, `"`+s.Title()+`"`, true, 30*time.Second)
	// The window can map before the agent calls itself RUNNING (seen on a
	// loaded machine: the agent then failed instead of suspending).
	waitAgentState(t, lab, s.Name(), "RUNNING", 30*time.Second)
	pid := s.NXProxyPID()
	if pid == 0 {
		t.Fatal("no nxproxy")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := hooks.waitEvent(t, "proxy-exited", 5*time.Second)
	t.Logf("ProxyExited hook %v after nxproxy was killed", took)
	hooks.mu.Lock()
	sawFaulty := false
	for _, c := range hooks.changes {
		if c.To == x2go.StatusFaulty && !c.ByMe {
			sawFaulty = true
		}
	}
	hooks.mu.Unlock()
	if !sawFaulty {
		t.Errorf("no change to faulty reported; changes: %+v", hooks.changes)
	}
	if s.GraphicsOK() {
		t.Error("GraphicsOK after nxproxy died")
	}
	// The session itself still runs on the server and can be taken up again.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Suspend(ctx); err != nil {
		t.Fatalf("Suspend after nxproxy died: %v", err)
	}
	if err := s.Resume(ctx, s.Name()); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if !s.GraphicsOK() {
		t.Error("graphics not up after resume")
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Disconnect()
}

// sshdChildOf returns the pid of the server-side sshd process that serves
// this test process's SSH connection to port.
func sshdChildOf(t *testing.T, port int) int {
	t.Helper()
	out, err := runCmd("ss", "-tnpH", "state", "established")
	if err != nil {
		t.Fatalf("ss: %v %s", err, out)
	}
	me := fmt.Sprintf("pid=%d,", os.Getpid())
	var localPorts []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 && strings.HasSuffix(f[3], ":"+strconv.Itoa(port)) && strings.Contains(l, me) {
			localPorts = append(localPorts, f[2][strings.LastIndex(f[2], ":")+1:])
		}
	}
	if len(localPorts) != 1 {
		t.Fatalf("want exactly one connection of this process to port %d, have %v", port, localPorts)
	}
	pidRE := regexp.MustCompile(`"sshd",pid=(\d+)`)
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 && strings.HasSuffix(f[2], ":"+strconv.Itoa(port)) && strings.HasSuffix(f[3], ":"+localPorts[0]) {
			if m := pidRE.FindStringSubmatch(l); m != nil {
				pid, _ := strconv.Atoi(m[1])
				return pid
			}
		}
	}
	t.Fatalf("no sshd found for local port %s in:\n%s", localPorts[0], out)
	return 0
}

func TestE2EKilledSSHDIsNoticed(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hooks := newRecordingHooks()
	s := startLabSession(t, lab, x2go.Params{Command: "xterm"}, hooks.hooks())
	proxyPID := s.NXProxyPID()
	sshd := sshdChildOf(t, lab.Port)
	if err := syscall.Kill(sshd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := hooks.waitEvent(t, "death", 5*time.Second)
	t.Logf("ControlSessionDeath hook %v after the sshd child %d was killed", took, sshd)
	if s.IsConnected() {
		t.Error("IsConnected after the connection died")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, _ := s.Wait(ctx); st != x2go.StatusUnknown {
		t.Errorf("status after the control connection died = %v, want unknown", st)
	}
	if _, err := s.ListSessions(ctx); err == nil {
		t.Error("ListSessions works on a dead connection")
	}
	s.Disconnect()
	// nxproxy lost its link with the connection and must be gone.
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(proxyPID) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if processAlive(proxyPID) {
		t.Errorf("nxproxy %d still runs after the connection died and Disconnect", proxyPID)
	}
}
