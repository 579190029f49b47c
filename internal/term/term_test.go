package term

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/remote"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
	"go.uber.org/goleak"
)

// rig is a terminal session over a fake server with a required graphics
// service and an optional "sharing" service.
type rig struct {
	srv     *fakeServer
	j       *journal
	gfx     *fakeService
	sharing *fakeService
	rec     *recorder
	s       *Session

	terminated []string // AfterTerminate calls
}

func newRig(t *testing.T) *rig {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
	r := &rig{srv: newFakeServer(), j: &journal{}, rec: newRecorder()}
	r.gfx = &fakeService{name: "graphics", j: r.j}
	r.sharing = &fakeService{name: "sharing", j: r.j}
	r.s = New(Config{
		Conn:            func() (service.Conn, error) { return r.srv, nil },
		Services:        []service.Service{r.gfx, r.sharing},
		Hooks:           r.rec.hooks(),
		AfterTerminate:  func(name string, _ int) { r.terminated = append(r.terminated, name) },
		RecheckInterval: 10 * time.Millisecond,
	})
	t.Cleanup(func() { r.s.Detach(context.Background()) })
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var xterm = StartParams{Agent: protocol.StartParams{SessionType: protocol.TypeRootless, Command: "xterm"}}

func (r *rig) start(t *testing.T) string {
	t.Helper()
	if err := r.s.Start(ctxT(t), xterm); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r.s.Name()
}

func TestLifecycle(t *testing.T) {
	r := newRig(t)
	if r.s.Status() != StatusVirgin || r.s.GraphicsOK() {
		t.Fatalf("new session: %v", r.s.Status())
	}
	name := r.start(t)
	if r.s.Status() != StatusRunning || !r.s.GraphicsOK() || r.s.Progress() != 100 {
		t.Fatalf("after Start: %v, graphics %v, progress %d", r.s.Status(), r.s.GraphicsOK(), r.s.Progress())
	}
	if got := r.srv.status(name); got != protocol.StatusRunning {
		t.Fatalf("server lists %s as %q", name, got)
	}
	// The command was checked, the agent started, the command run.
	if got := r.srv.sent("which", "x2gostartagent", "x2goruncommand"); len(got) != 3 ||
		!strings.HasPrefix(got[0], "which") || !strings.Contains(got[1], "x2gostartagent") || !strings.Contains(got[2], "x2goruncommand") {
		t.Errorf("commands: %q", got)
	}

	if err := r.s.Suspend(ctxT(t)); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	if r.s.Status() != StatusSuspended || r.srv.status(name) != protocol.StatusSuspended || r.s.GraphicsOK() {
		t.Fatalf("after Suspend: %v, server %q", r.s.Status(), r.srv.status(name))
	}
	if st, err := r.s.Wait(ctxT(t)); err != nil || st != StatusSuspended {
		t.Errorf("Wait after Suspend = %v, %v", st, err)
	}

	if err := r.s.Resume(ctxT(t), name, protocol.ResumeParams{}); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if r.s.Status() != StatusRunning || r.srv.status(name) != protocol.StatusRunning {
		t.Fatalf("after Resume: %v", r.s.Status())
	}
	if err := r.s.Terminate(ctxT(t)); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if r.s.Status() != StatusTerminated || r.srv.status(name) != "" {
		t.Fatalf("after Terminate: %v, server %q", r.s.Status(), r.srv.status(name))
	}
	if !slices.Equal(r.terminated, []string{name}) {
		t.Errorf("AfterTerminate calls: %q", r.terminated)
	}

	// Parts start in order and stop in reverse order, on every run.
	gfxPort := "48510"
	want := []string{
		"start graphics " + name + " " + gfxPort, "start sharing " + name + " " + gfxPort, "stop sharing", "stop graphics",
		"start graphics " + name + " " + gfxPort, "start sharing " + name + " " + gfxPort, "stop sharing", "stop graphics",
	}
	if got := r.j.list(); !slices.Equal(got, want) {
		t.Errorf("parts:\n got %q\nwant %q", got, want)
	}
	wantSt := []Status{StatusStarting, StatusRunning, StatusSuspended, StatusStarting, StatusRunning, StatusTerminated}
	if got := r.rec.statuses(); !slices.Equal(got, wantSt) {
		t.Errorf("status changes %v, want %v", got, wantSt)
	}
	for _, c := range r.rec.changes {
		if !c.ByMe || c.Name != name {
			t.Errorf("change %+v: want ByMe for %s", c, name)
		}
	}
}

// TestRunCommandFails: when x2goruncommand fails the session must not
// stay "starting" with its agent running: it becomes faulty, the hook
// fires, its parts stop, and the half-started server session goes.
func TestRunCommandFails(t *testing.T) {
	r := newRig(t)
	r.srv.override["x2goruncommand"] = sshconn.Result{Status: 1, Stderr: "x2goruncommand: cannot run xterm\n"}
	err := r.s.Start(ctxT(t), xterm)
	var se *protocol.ServerError
	if !errors.As(err, &se) || se.Command != "x2goruncommand" {
		t.Fatalf("Start = %v, want the x2goruncommand *ServerError", err)
	}
	name := r.s.Name()
	if r.s.Status() != StatusFaulty || r.s.Progress() != -1 || r.s.GraphicsOK() {
		t.Errorf("after the failed start: %v, progress %d, graphics %v", r.s.Status(), r.s.Progress(), r.s.GraphicsOK())
	}
	if len(r.rec.failed) != 1 || !errors.Is(r.rec.failed[0], protocol.ErrServerCommand) {
		t.Errorf("StartupFailed hook: %v", r.rec.failed)
	}
	if got := r.srv.sent("x2goterminate-session"); len(got) != 1 || !strings.Contains(got[0], name) {
		t.Errorf("terminate commands: %q", got)
	}
	if r.srv.status(name) != "" {
		t.Errorf("the half-started session is still listed: %q", r.srv.status(name))
	}
	if !r.gfx.last().isStopped() || !r.sharing.last().isStopped() {
		t.Error("parts left running after the failed start")
	}
}

// TestStartFailsEarly: failures before or at x2gostartagent leave nothing
// on the server and report typed errors.
func TestStartFailsEarly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		override string
		res      sshconn.Result
		want     error
	}{
		{"no such command", "which", sshconn.Result{Status: 1}, ErrNoSuchCommand},
		{"session limit", "x2gostartagent", sshconn.Result{Status: 9, Stderr: "LIMIT\n"}, protocol.ErrSessionLimit},
		{"malformed answer", "x2gostartagent", sshconn.Result{Stdout: "51\n" + fakeCookie + "\n"}, protocol.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.srv.override[tc.override] = tc.res
			err := r.s.Start(ctxT(t), xterm)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Start = %v, want %v", err, tc.want)
			}
			if r.s.Status() != StatusVirgin || r.s.Progress() != -1 || r.s.Name() != "" {
				t.Errorf("after the failure: %v, progress %d, name %q", r.s.Status(), r.s.Progress(), r.s.Name())
			}
			if len(r.j.list()) != 0 {
				t.Errorf("parts were started: %q", r.j.list())
			}
			if tc.want == ErrNoSuchCommand && (len(r.rec.noCmd) != 1 || len(r.srv.sent("x2gostartagent")) != 0) {
				t.Errorf("NoSuchCommand hook %q; startagent sent: %q", r.rec.noCmd, r.srv.sent("x2gostartagent"))
			}
		})
	}
}

// agentDied is x2gostartagent's answer when the agent it launched ended at
// once (captured from the lab: the agent's bind to its port failed).
var agentDied = sshconn.Result{Status: 12, Stderr: "Failed to start X2Go Agent session with ID x2gotest-51-1795713852_stRxterm_dp24. X2Go Agent terminated unexpectedly. Aborting session startup.\n"}

// TestStartRetriesAgentDiedOnce: an agent that ended as it started is
// started once more, and the session comes up; a second such failure in a
// row is final and typed.
func TestStartRetriesAgentDiedOnce(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		r := newRig(t)
		r.srv.once["x2gostartagent"] = []sshconn.Result{agentDied}
		if err := r.s.Start(ctxT(t), xterm); err != nil {
			t.Fatalf("Start after one agent death: %v", err)
		}
		if n := len(r.srv.sent("x2gostartagent")); n != 2 {
			t.Errorf("x2gostartagent sent %d times, want 2", n)
		}
		if r.s.Status() != StatusRunning || r.s.Name() == "" {
			t.Errorf("after the retry: %v %q", r.s.Status(), r.s.Name())
		}
	})
	t.Run("twice", func(t *testing.T) {
		r := newRig(t)
		r.srv.once["x2gostartagent"] = []sshconn.Result{agentDied, agentDied}
		err := r.s.Start(ctxT(t), xterm)
		var se *protocol.ServerError
		if !errors.As(err, &se) || se.Status != 12 || !protocol.AgentDiedAtStart(err) {
			t.Fatalf("Start after two agent deaths = %v, want x2gostartagent's status 12", err)
		}
		if n := len(r.srv.sent("x2gostartagent")); n != 2 {
			t.Errorf("x2gostartagent sent %d times, want 2", n)
		}
		if r.s.Status() != StatusVirgin || r.s.Progress() != -1 {
			t.Errorf("after the failure: %v, progress %d", r.s.Status(), r.s.Progress())
		}
	})
}

// TestStartDoesNotRetryOtherFailures: only status 12 is tried again, and
// not for a shadow session.
func TestStartDoesNotRetryOtherFailures(t *testing.T) {
	t.Run("shadow", func(t *testing.T) {
		r := newRig(t)
		r.srv.override["x2gostartagent"] = agentDied
		cmd, err := protocol.ShadowCommand(false, "alice", ":51")
		if err != nil {
			t.Fatal(err)
		}
		shadow := StartParams{Agent: protocol.StartParams{SessionType: protocol.TypeShadow, Command: cmd}}
		if err := r.s.Start(ctxT(t), shadow); !protocol.AgentDiedAtStart(err) {
			t.Fatalf("shadow Start = %v, want status 12", err)
		}
		if n := len(r.srv.sent("x2gostartagent")); n != 1 {
			t.Errorf("shadow: x2gostartagent sent %d times, want 1", n)
		}
	})
	for _, res := range []sshconn.Result{
		{Status: 9, Stderr: "LIMIT\n"},
		{Status: 1, Stderr: "something else\n"},
		{Status: 12, Stderr: "ACCESS DENIED\n"},
	} {
		r := newRig(t)
		r.srv.override["x2gostartagent"] = res
		if err := r.s.Start(ctxT(t), xterm); err == nil {
			t.Fatalf("Start with %+v succeeded", res)
		}
		if n := len(r.srv.sent("x2gostartagent")); n != 1 {
			t.Errorf("%+v: x2gostartagent sent %d times, want 1", res, n)
		}
	}
}

// TestGraphicsFailToStart: the required part not coming up fails the
// start, stops nothing that did not start, and terminates the new server
// session.
func TestGraphicsFailToStart(t *testing.T) {
	r := newRig(t)
	r.gfx.failStart = errors.New("nxproxy would not connect")
	err := r.s.Start(ctxT(t), xterm)
	if err == nil || !strings.Contains(err.Error(), "nxproxy would not connect") {
		t.Fatalf("Start = %v", err)
	}
	if r.s.Status() != StatusFaulty {
		t.Errorf("status %v, want faulty", r.s.Status())
	}
	if got := r.j.list(); !slices.Equal(got, []string{"fail graphics"}) {
		t.Errorf("parts: %q", got)
	}
	if r.srv.status(r.s.Name()) != "" {
		t.Error("the server session whose graphics failed is still there")
	}
	if len(r.srv.sent("x2goruncommand")) != 0 {
		t.Error("x2goruncommand sent without graphics")
	}
}

// TestOptionalPartFails: an optional part that cannot start, or that ends
// later, is reported and the session goes on.
func TestOptionalPartFails(t *testing.T) {
	r := newRig(t)
	r.sharing.failStart = errors.New("reverse forward denied")
	r.start(t)
	if r.s.Status() != StatusRunning {
		t.Fatalf("status %v", r.s.Status())
	}
	if err := r.rec.waitFor("service-failed:sharing"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Suspend(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	r.sharing.mu.Lock()
	r.sharing.failStart = nil
	r.sharing.mu.Unlock()
	if err := r.s.Resume(ctxT(t), r.s.Name(), protocol.ResumeParams{}); err != nil {
		t.Fatal(err)
	}
	r.sharing.last().die(errors.New("sftp server gone"))
	if err := r.rec.waitFor("service-failed:sharing"); err != nil {
		t.Fatal(err)
	}
	if r.s.Status() != StatusRunning || !r.s.GraphicsOK() {
		t.Errorf("after an optional part ended: %v", r.s.Status())
	}
}

// TestStartStopsLeftoverRun: a Start or Resume while an earlier run's
// graphics still run is refused when the session runs, and otherwise
// stops the earlier parts first: no part of an earlier run may outlive it.
func TestStartStopsLeftoverRun(t *testing.T) {
	r := newRig(t)
	r.start(t)
	first := r.gfx.last()
	if err := r.s.Start(ctxT(t), xterm); !errors.Is(err, ErrSessionActive) {
		t.Fatalf("second Start while running = %v, want ErrSessionActive", err)
	}
	// The status becomes unknown (the connection hiccuped), but the
	// earlier graphics still run.
	r.s.ConnectionLost()
	if r.s.Status() != StatusUnknown || first.isStopped() {
		t.Fatalf("status %v, first graphics stopped %v", r.s.Status(), first.isStopped())
	}
	r.start(t)
	if !first.isStopped() {
		t.Fatal("the earlier run's graphics were replaced without being stopped")
	}
	if r.gfx.last() == first || r.s.Status() != StatusRunning {
		t.Errorf("no new run: status %v", r.s.Status())
	}
}

// TestGraphicsLost: the graphics ending on their own make the session
// faulty at once; the server's answer then decides (here: suspended
// elsewhere), and Wait returns.
func TestGraphicsLost(t *testing.T) {
	r := newRig(t)
	name := r.start(t)
	r.srv.setStatus(name, protocol.StatusSuspended) // another client took it over and let go
	r.gfx.last().die(errors.New("nxproxy exited with code 1"))
	if err := r.rec.waitFor("graphics-lost"); err != nil {
		t.Fatal(err)
	}
	st, err := r.s.Wait(ctxT(t))
	if err != nil || st != StatusSuspended {
		t.Fatalf("Wait = %v, %v; want suspended", st, err)
	}
	if got := r.rec.statuses(); !slices.Equal(got[len(got)-2:], []Status{StatusFaulty, StatusSuspended}) {
		t.Errorf("status changes %v", got)
	}
	if last := r.rec.changes[len(r.rec.changes)-1]; last.ByMe {
		t.Errorf("a change made elsewhere is reported as ByMe: %+v", last)
	}
	// Suspended elsewhere: the optional parts stop too, without being
	// reported as failures.
	if !r.sharing.last().isStopped() {
		t.Error("sharing still runs after the session was suspended elsewhere")
	}
	if len(r.rec.svcFail) != 0 {
		t.Errorf("stopping the parts was reported as failures: %v", r.rec.svcFail)
	}
}

// TestGraphicsLostStillRunning: the server still runs the session, so it
// stays faulty; Suspend then works from that state.
func TestGraphicsLostStillRunning(t *testing.T) {
	r := newRig(t)
	name := r.start(t)
	r.gfx.last().die(errors.New("killed"))
	if st, _ := r.s.Wait(ctxT(t)); st != StatusFaulty {
		t.Fatalf("status %v, want faulty", st)
	}
	if err := r.s.Suspend(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if r.s.Status() != StatusSuspended || r.srv.status(name) != protocol.StatusSuspended {
		t.Errorf("after Suspend: %v, server %q", r.s.Status(), r.srv.status(name))
	}
}

// TestConnectionLost: the connection dying takes the graphics with it;
// the status becomes unknown, not faulty.
func TestConnectionLost(t *testing.T) {
	r := newRig(t)
	r.start(t)
	r.srv.die()
	r.gfx.last().die(errors.New("forward closed"))
	if st, _ := r.s.Wait(ctxT(t)); st != StatusUnknown {
		t.Fatalf("status %v, want unknown", st)
	}
	if len(r.rec.lost) != 0 {
		t.Errorf("GraphicsLost reported for a dead connection: %v", r.rec.lost)
	}
	if _, err := r.s.UpdateStatus(ctxT(t)); !errors.Is(err, sshconn.ErrConnectionLost) {
		t.Errorf("UpdateStatus on a dead link = %v", err)
	}
	if err := r.s.Suspend(ctxT(t)); !errors.Is(err, sshconn.ErrConnectionLost) {
		t.Errorf("Suspend on a dead link = %v", err)
	}
	if !r.gfx.last().isStopped() && r.s.GraphicsOK() {
		t.Error("graphics still considered running")
	}
}

// TestUpdateStatus follows changes made by others.
func TestUpdateStatus(t *testing.T) {
	r := newRig(t)
	if st, err := r.s.UpdateStatus(ctxT(t)); err != nil || st != StatusVirgin {
		t.Fatalf("virgin UpdateStatus = %v, %v", st, err)
	}
	name := r.start(t)
	r.srv.setStatus(name, protocol.StatusSuspended)
	if st, err := r.s.UpdateStatus(ctxT(t)); err != nil || st != StatusSuspended {
		t.Fatalf("UpdateStatus = %v, %v; want suspended", st, err)
	}
	r.srv.setStatus(name, "")
	if st, err := r.s.UpdateStatus(ctxT(t)); err != nil || st != StatusTerminated {
		t.Fatalf("UpdateStatus = %v, %v; want terminated", st, err)
	}
	if err := r.s.Suspend(ctxT(t)); !errors.Is(err, remote.ErrNoSuchSession) {
		t.Errorf("Suspend of a vanished session = %v, want ErrNoSuchSession", err)
	}
}

// TestApplyServerStatus: a status from a list taken elsewhere is applied
// like UpdateStatus's, unless an operation of the Session finished since
// the list was asked for (it may be older than that operation).
func TestApplyServerStatus(t *testing.T) {
	r := newRig(t)
	if st := r.s.ApplyServerStatus("", r.s.OpSeq()); st != StatusVirgin {
		t.Fatalf("virgin: %v", st)
	}
	name := r.start(t)
	seq := r.s.OpSeq()
	if st := r.s.ApplyServerStatus(protocol.StatusRunning, seq); st != StatusRunning {
		t.Fatalf("running: %v", st)
	}
	if st := r.s.ApplyServerStatus(protocol.StatusSuspended, seq); st != StatusSuspended {
		t.Fatalf("suspended elsewhere: %v", st)
	}
	r.srv.setStatus(name, protocol.StatusSuspended)
	if err := r.s.Resume(ctxT(t), name, protocol.ResumeParams{}); err != nil {
		t.Fatal(err)
	}
	// A list from before the resume says suspended: not applied.
	if st := r.s.ApplyServerStatus(protocol.StatusSuspended, seq); st != StatusRunning {
		t.Fatalf("a list older than the resume was applied: %v", st)
	}
	if st := r.s.ApplyServerStatus("", r.s.OpSeq()); st != StatusTerminated {
		t.Fatalf("gone: %v", st)
	}
}

// TestResumeErrors: a session that is not listed, or still being set up
// by its starter, cannot be resumed.
func TestResumeErrors(t *testing.T) {
	r := newRig(t)
	if err := r.s.Resume(ctxT(t), "x2gotest-60-1795627586_stRxterm_dp24", protocol.ResumeParams{}); !errors.Is(err, remote.ErrNoSuchSession) {
		t.Errorf("Resume of an unknown session = %v", err)
	}
	creating := protocol.SessionInfo{Name: "x2gotest-61-1795627586_stRxterm_dp24", Display: 61, Hostname: "vm",
		Status: "R", Username: "x2gotest", TekiCtrlPort: -1, TekiDataPort: -1}
	r.srv.mu.Lock()
	r.srv.sessions = append(r.srv.sessions, creating)
	r.srv.mu.Unlock()
	if err := r.s.Resume(ctxT(t), creating.Name, protocol.ResumeParams{}); !errors.Is(err, ErrSessionNotReady) {
		t.Errorf("Resume of a session in creation = %v", err)
	}
	r.srv.override["x2goresume-session"] = sshconn.Result{Status: 1, Stderr: "ERROR: resume failed\n"}
	r.srv.setStatus(creating.Name, "")
	name := r.start(t)
	if err := r.s.Suspend(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Resume(ctxT(t), name, protocol.ResumeParams{}); !errors.Is(err, protocol.ErrServerCommand) {
		t.Errorf("Resume refused by the server = %v", err)
	}
	if r.s.Progress() != -1 || r.s.GraphicsOK() {
		t.Errorf("after the refused resume: progress %d", r.s.Progress())
	}
}

// TestSuspendRepeats: x2gosuspend-session that does nothing (the agent's
// state file lags after a resume) is repeated until the server lists the
// session suspended.
func TestSuspendRepeats(t *testing.T) {
	r := newRig(t)
	name := r.start(t)
	r.srv.ignoreSuspends = 2
	if err := r.s.Suspend(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(r.srv.sent("x2gosuspend-session")); n != 3 {
		t.Errorf("%d suspend requests, want 3", n)
	}
	if r.srv.status(name) != protocol.StatusSuspended {
		t.Error("not suspended")
	}
}

// TestStartCanceled: a start whose context ends while the server starts
// the agent returns the context's error and leaves no parts.
func TestStartCanceled(t *testing.T) {
	r := newRig(t)
	r.srv.hang["x2gostartagent"] = true
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.s.Start(ctx, xterm); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v", err)
	}
	if len(r.j.list()) != 0 || r.s.Progress() != -1 {
		t.Errorf("parts %q, progress %d", r.j.list(), r.s.Progress())
	}
}

// TestHooksMayCallAccessors: hooks run without the Session's locks.
func TestHooksMayCallAccessors(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := newFakeServer()
	j := &journal{}
	var s *Session
	seen := make(chan Status, 20)
	s = New(Config{
		Conn:     func() (service.Conn, error) { return srv, nil },
		Services: []service.Service{&fakeService{name: "graphics", j: j}},
		Hooks: Hooks{
			StatusChanged: func(StatusChange) { seen <- s.Status(); _ = s.Name(); _ = s.GraphicsOK(); _ = s.Progress() },
			Progress:      func(int) { _ = s.Status() },
		},
	})
	defer s.Detach(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background(), xterm) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start deadlocked with hooks calling accessors")
	}
	if len(seen) != 2 {
		t.Errorf("%d status hooks", len(seen))
	}
}

// TestAttachAndDetach: Attach binds to an existing session without
// resuming it; Detach stops the parts without telling the server.
func TestAttachAndDetach(t *testing.T) {
	r := newRig(t)
	if err := r.s.Suspend(ctxT(t)); !errors.Is(err, ErrNoActiveSession) {
		t.Errorf("Suspend without a session = %v", err)
	}
	if err := r.s.Attach("not a name"); !errors.Is(err, protocol.ErrMalformed) {
		t.Errorf("Attach of a bad name = %v", err)
	}
	name := r.start(t)
	other := newRig(t)
	other.srv = r.srv
	other.s.cfg.Conn = func() (service.Conn, error) { return r.srv, nil }
	if err := other.s.Attach(name); err != nil {
		t.Fatal(err)
	}
	if err := other.s.Suspend(ctxT(t)); err != nil {
		t.Fatalf("Suspend through Attach: %v", err)
	}
	if r.srv.status(name) != protocol.StatusSuspended {
		t.Error("not suspended")
	}
	before := len(r.srv.sent("x2go"))
	r.s.Detach(ctxT(t))
	if !r.gfx.last().isStopped() || r.s.GraphicsOK() {
		t.Error("Detach left the graphics running")
	}
	if after := len(r.srv.sent("x2go")); after != before {
		t.Errorf("Detach sent %d server commands", after-before)
	}
	if err := r.s.Attach("x2gotest-70-1795627586_stRxterm_dp24"); err != nil {
		t.Errorf("Attach after Detach: %v", err)
	}
}

// TestConnUnavailable: without a connection nothing starts.
func TestConnUnavailable(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	noConn := errors.New("not connected")
	s := New(Config{Conn: func() (service.Conn, error) { return nil, noConn }})
	if err := s.Start(ctxT(t), xterm); !errors.Is(err, noConn) {
		t.Errorf("Start = %v", err)
	}
	if err := s.Resume(ctxT(t), "x2gotest-70-1795627586_stRxterm_dp24", protocol.ResumeParams{}); !errors.Is(err, noConn) {
		t.Errorf("Resume = %v", err)
	}
	if err := s.Attach("x2gotest-70-1795627586_stRxterm_dp24"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateStatus(ctxT(t)); !errors.Is(err, noConn) || s.Status() != StatusUnknown {
		t.Errorf("UpdateStatus = %v, status %v", err, s.Status())
	}
	if err := s.Terminate(ctxT(t)); !errors.Is(err, noConn) {
		t.Errorf("Terminate = %v", err)
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{StatusVirgin: "virgin", StatusStarting: "starting", StatusRunning: "running",
		StatusSuspended: "suspended", StatusTerminated: "terminated", StatusFaulty: "faulty", StatusUnknown: "unknown", Status(99): "unknown"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q", st, st.String())
		}
	}
}

// TestPartsSetCommandEnv: the variables a part wants the session's command
// to see reach x2goruncommand, quoted.
func TestPartsSetCommandEnv(t *testing.T) {
	r := newRig(t)
	r.sharing.env = map[string]string{"X2GO_SPOOLDIR": "/home/x2gotest/.x2go/C-x/spool", "X2GO_MIMEBOX": "/home/it's here"}
	r.start(t)
	got := r.srv.sent("x2goruncommand")
	if len(got) != 1 || !strings.Contains(got[0], "X2GO_SPOOLDIR=") || !strings.Contains(got[0], "X2GO_MIMEBOX=") {
		t.Fatalf("x2goruncommand: %q", got)
	}
	if !strings.Contains(got[0], protocol.Quote("/home/it's here")) {
		t.Errorf("value not quoted: %q", got[0])
	}
}
