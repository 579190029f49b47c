package x2go_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// recordingHooks records what the library reported.
type recordingHooks struct {
	mu       sync.Mutex
	changes  []x2go.StatusChange
	progress []int
	deaths   []error
	proxy    []error
	events   chan string
}

func newRecordingHooks() *recordingHooks { return &recordingHooks{events: make(chan string, 64)} }

// hooks returns the recorder as Session hooks.
func (h *recordingHooks) hooks() x2go.Hooks {
	return x2go.Hooks{
		StatusChanged:       h.StatusChanged,
		Progress:            h.Progress,
		ControlSessionDeath: h.ControlSessionDeath,
		ProxyExited:         h.ProxyExited,
	}
}

func (h *recordingHooks) note(ev string) {
	select {
	case h.events <- ev:
	default:
	}
}
func (h *recordingHooks) StatusChanged(_ *x2go.Session, c x2go.StatusChange) {
	h.mu.Lock()
	h.changes = append(h.changes, c)
	h.mu.Unlock()
	h.note("status:" + c.To.String())
}
func (h *recordingHooks) Progress(_ *x2go.Session, p int) {
	h.mu.Lock()
	h.progress = append(h.progress, p)
	h.mu.Unlock()
}
func (h *recordingHooks) ControlSessionDeath(_ *x2go.Session, err error) {
	h.mu.Lock()
	h.deaths = append(h.deaths, err)
	h.mu.Unlock()
	h.note("death")
}
func (h *recordingHooks) ProxyExited(_ *x2go.Session, err error) {
	h.mu.Lock()
	h.proxy = append(h.proxy, err)
	h.mu.Unlock()
	h.note("proxy-exited")
}

// waitEvent waits up to d for event ev from the hooks.
func (h *recordingHooks) waitEvent(t *testing.T, ev string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(d)
	for {
		select {
		case got := <-h.events:
			if got == ev {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no %q event within %v", ev, d)
		}
	}
}

// sessionOptions returns lab options for a session shown on the lab's
// client display, with its local files in a temporary directory.
func sessionOptions(t *testing.T, lab *testserver.Lab, p x2go.Params) x2go.Options {
	o := labOptions(lab)
	p.Env = lab.ClientEnv()
	p.SessionsRoot = filepath.Join(t.TempDir(), "x2go")
	o.Params = p
	return o
}

// xcmd runs an X client against the lab's display.
func xcmd(lab *testserver.Lab, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = lab.ClientEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// screenshot saves the lab display as a PNG test artifact.
func screenshot(t *testing.T, lab *testserver.Lab, name string) string {
	t.Helper()
	file := screenshotPath(name)
	if out, err := xcmd(lab, "import", "-window", "root", file); err != nil {
		t.Fatalf("screenshot: %v %s", err, out)
	}
	t.Logf("screenshot: %s", file)
	return file
}

// screenshotPath is where the test artifact name goes: a PNG in
// $X2GO_TEST_ARTIFACTS (default <tmp>/x2go-test-artifacts).
func screenshotPath(name string) string {
	dir := os.Getenv("X2GO_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "x2go-test-artifacts")
	}
	os.MkdirAll(dir, 0o755)
	return filepath.Join(dir, name+".png")
}

// serverStatus returns the status letter the server lists for name, "" if absent.
func serverStatus(t *testing.T, lab *testserver.Lab, name string) string {
	t.Helper()
	names, statuses := lab.SessionStatuses(t)
	if i := slices.Index(names, name); i >= 0 {
		return statuses[i]
	}
	return ""
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie is dead too.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func TestE2ERootlessLifecycle(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	hooks := newRecordingHooks()
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.Hooks = hooks.hooks()
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()

	start := time.Now()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	name := s.Name()
	t.Logf("started %s in %v", name, time.Since(start))
	if s.Status() != x2go.StatusRunning || s.Progress() != 100 || !s.GraphicsOK() {
		t.Fatalf("after Start: status %v progress %d graphicsOK %v", s.Status(), s.Progress(), s.GraphicsOK())
	}
	if st := serverStatus(t, lab, name); st != "R" {
		t.Fatalf("server lists %s as %q, want R", name, st)
	}
	lab.WaitWindow(t, `("xterm" "XTerm")`, true, 30*time.Second)
	t.Logf("xterm window mapped %v after Start was called", time.Since(start))
	screenshot(t, lab, "rootless-xterm")

	// Input round trip: type into the remote xterm, read the file on the server.
	token := fmt.Sprintf("token-%d", time.Now().UnixNano())
	win, err := xcmd(lab, "xdotool", "search", "--sync", "--class", "xterm")
	if err != nil {
		t.Fatalf("xdotool search: %v %s", err, win)
	}
	wid := strings.Fields(win)[0]
	if out, err := xcmd(lab, "xdotool", "windowactivate", "--sync", wid); err != nil {
		// Without a window manager activation may fail; focus is enough.
		xcmd(lab, "xdotool", "windowfocus", "--sync", wid)
		t.Logf("windowactivate: %v %s", err, out)
	}
	time.Sleep(500 * time.Millisecond) // let the shell in the xterm draw its prompt
	if out, err := xcmd(lab, "xdotool", "type", "--window", wid, "--delay", "30", "echo "+token+" > ~/e2e-typed.txt"); err != nil {
		t.Fatalf("xdotool type: %v %s", err, out)
	}
	xcmd(lab, "xdotool", "key", "--window", wid, "Return")
	var got string
	for i := 0; i < 100; i++ {
		got, _ = lab.ServerCommand(ctx, "cat ~/e2e-typed.txt 2>/dev/null")
		if strings.Contains(got, token) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(got, token) {
		screenshot(t, lab, "rootless-typing-failed")
		t.Fatalf("typed text did not reach the server: %q", got)
	}

	pid := s.NXProxyPID()
	if err := s.Suspend(ctx); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if st := serverStatus(t, lab, name); st != "S" {
		t.Fatalf("after Suspend the server lists %q, want S", st)
	}
	lab.WaitWindow(t, `("xterm" "XTerm")`, false, 15*time.Second)
	if processAlive(pid) {
		t.Fatalf("nxproxy %d still runs after Suspend", pid)
	}

	if err := s.Resume(ctx, name); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	lab.WaitWindow(t, `("xterm" "XTerm")`, true, 30*time.Second)
	if st := serverStatus(t, lab, name); st != "R" {
		t.Fatalf("after Resume the server lists %q, want R", st)
	}
	screenshot(t, lab, "rootless-resumed")

	pid = s.NXProxyPID()
	dir := s.LocalSessionDir()
	if err := s.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if st := serverStatus(t, lab, name); st != "" {
		t.Fatalf("after Terminate the server still lists %s as %q", name, st)
	}
	lab.WaitWindow(t, `("xterm" "XTerm")`, false, 15*time.Second)
	if processAlive(pid) {
		t.Fatalf("nxproxy %d still runs after Terminate", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("local session dir %s not removed: %v", dir, err)
	}
	if s.Status() != x2go.StatusTerminated {
		t.Errorf("Status = %v", s.Status())
	}
	hooks.mu.Lock()
	t.Logf("status changes: %+v", hooks.changes)
	t.Logf("progress: %v", hooks.progress)
	hooks.mu.Unlock()
	if err := s.Disconnect(); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
	_ = strconv.Itoa
}
