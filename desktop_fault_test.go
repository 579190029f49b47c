package x2go_test

// Desktop sharing and published applications against the in-process fake
// server: desktops that are not there, owners who refuse, desktops that
// vanish, and listing, menu and start commands that hang.

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/fakesshd"
)

// shareHooks records the desktop sharing hooks.
type shareHooks struct {
	mu                        sync.Mutex
	noSuch, denied, startFail []string
	listTimeouts              int
	progress                  []int
}

func (h *shareHooks) hooks() x2go.Hooks {
	return x2go.Hooks{
		NoSuchDesktop: func(_ *x2go.Session, d string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.noSuch = append(h.noSuch, d)
		},
		DesktopSharingDenied: func(_ *x2go.Session, d string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.denied = append(h.denied, d)
		},
		ListDesktopsTimeout: func(*x2go.Session) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.listTimeouts++
		},
		SessionStartupFailed: func(_ *x2go.Session, err error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.startFail = append(h.startFail, err.Error())
		},
		Progress: func(_ *x2go.Session, p int) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.progress = append(h.progress, p)
		},
	}
}

// connectShare connects to srv with hooks h and options changed by edit.
func connectShare(t *testing.T, srv *fakesshd.Server, h *shareHooks, edit func(*x2go.Options)) *x2go.Session {
	t.Helper()
	o := faultOptions(t, srv, nil)
	o.Hooks = h.hooks()
	if edit != nil {
		edit(&o)
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(testCtx(t)); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { s.Disconnect() })
	return s
}

// started returns the x2gostartagent commands srv received.
func started(srv *fakesshd.Server) []string {
	var out []string
	for _, c := range srv.Commands() {
		if strings.Contains(c, "x2gostartagent") {
			out = append(out, c)
		}
	}
	return out
}

func mustDesktop(t *testing.T, s string) x2go.Desktop {
	t.Helper()
	d, err := x2go.ParseDesktop(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFaultShareNoSuchDesktop(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2golistdesktops", fakesshd.Output("x2gotest@:51\n")))
	h := &shareHooks{}
	s := connectShare(t, srv, h, nil)

	err := s.ShareDesktop(testCtx(t), x2go.Desktop{User: "x2gotest", Display: "52"}, x2go.FullAccess)
	if !errors.Is(err, x2go.ErrNoSuchDesktop) {
		t.Fatalf("ShareDesktop(x2gotest@:52) = %v, want ErrNoSuchDesktop", err)
	}
	if got := started(srv); got != nil {
		t.Errorf("x2gostartagent was sent for a desktop that is not there: %q", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.noSuch) != 1 || h.noSuch[0] != "x2gotest@:52" || len(h.denied) != 0 {
		t.Errorf("hooks: no such desktop %q, denied %q", h.noSuch, h.denied)
	}
	if n := len(h.progress); n == 0 || h.progress[n-1] != -1 {
		t.Errorf("progress %v, want it to end at -1", h.progress)
	}
	if p := s.Progress(); p != -1 {
		t.Errorf("Progress() = %d after the refusal, want -1 as the hook said", p)
	}
	if len(h.startFail) != 0 {
		t.Errorf("SessionStartupFailed called for a desktop that is not there: %q", h.startFail)
	}
	if s.Status() != x2go.StatusVirgin || s.Name() != "" {
		t.Errorf("after the refusal: status %v, name %q", s.Status(), s.Name())
	}
}

// A start given up before the terminal session began it (here: a
// malformed desktop) leaves Progress at -1, as the Progress hook said.
func TestFaultShareMalformedDesktopProgress(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard())
	h := &shareHooks{}
	s := connectShare(t, srv, h, nil)

	if err := s.ShareDesktop(testCtx(t), x2go.Desktop{User: "x2gotest", Display: "x"}, x2go.ViewOnly); err == nil {
		t.Fatal("ShareDesktop(x2gotest@:x) succeeded")
	}
	if got := started(srv); got != nil {
		t.Errorf("x2gostartagent was sent for a malformed desktop: %q", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.progress) != 1 || h.progress[0] != -1 || len(h.startFail) != 1 {
		t.Errorf("hooks: progress %v, startup failed %q; want [-1] and one failure", h.progress, h.startFail)
	}
	if p := s.Progress(); p != -1 {
		t.Errorf("Progress() = %d after the failed start, want -1", p)
	}
}

func TestFaultListDesktopsTimeout(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2golistdesktops", fakesshd.Reply{Hang: true}))
	h := &shareHooks{}
	const limit = 300 * time.Millisecond
	s := connectShare(t, srv, h, func(o *x2go.Options) { o.Timeouts.ListDesktops = limit })

	start := time.Now()
	_, err := s.ListDesktops(testCtx(t))
	took := time.Since(start)
	var te *x2go.TimeoutError
	if !errors.Is(err, x2go.ErrListDesktopsTimeout) || !errors.Is(err, x2go.ErrTimeout) ||
		!errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.Limit != limit {
		t.Fatalf("ListDesktops = %v, want a *TimeoutError (ErrListDesktopsTimeout, limit %v)", err, limit)
	}
	if took > limit+2*time.Second {
		t.Errorf("ListDesktops returned after %v", took)
	}
	// ShareDesktop lists first: the same error, nothing started.
	err = s.ShareDesktop(testCtx(t), mustDesktop(t, "x2gotest@:51"), x2go.ViewOnly)
	if !errors.Is(err, x2go.ErrListDesktopsTimeout) {
		t.Errorf("ShareDesktop = %v, want ErrListDesktopsTimeout", err)
	}
	if got := started(srv); got != nil {
		t.Errorf("x2gostartagent sent: %q", got)
	}
	h.mu.Lock()
	if h.listTimeouts != 2 {
		t.Errorf("ListDesktopsTimeout hook called %d times, want 2", h.listTimeouts)
	}
	h.mu.Unlock()
	// The caller's own deadline is not a timeout of the query.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.ListDesktops(ctx); errors.Is(err, x2go.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListDesktops with a shorter caller deadline = %v, want a plain context.DeadlineExceeded", err)
	}
	// The connection survived.
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Errorf("ListSessions after the timeout: %v", err)
	}
}

func TestFaultShareDenied(t *testing.T) {
	faultLeakCheck(t)
	denied, err := os.ReadFile("protocol/testdata/x2gostartagent-shadow-denied.stderr")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesshd.New(t, fakesshd.Standard().
		With("x2golistdesktops", fakesshd.Output("x2gotest@:51\nalice@:60\n")).
		With("x2gostartagent", fakesshd.Fail(8, string(denied))))
	h := &shareHooks{}
	s := connectShare(t, srv, h, nil)

	err = s.ShareDesktop(testCtx(t), mustDesktop(t, "alice@:60"), x2go.FullAccess)
	var se *x2go.ServerError
	if !errors.Is(err, x2go.ErrAccessDenied) || !errors.As(err, &se) || se.Status != 8 || errors.Is(err, x2go.ErrDesktopGone) {
		t.Fatalf("ShareDesktop = %v, want ErrAccessDenied (status 8)", err)
	}
	got := started(srv)
	if len(got) != 1 || !strings.HasSuffix(got[0], " S 1XSHADaliceXSHAD:60") {
		t.Errorf("start commands %q, want one ending in S 1XSHADaliceXSHAD:60", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.denied) != 1 || h.denied[0] != "alice@:60" || len(h.noSuch) != 0 || len(h.startFail) != 1 {
		t.Errorf("hooks: denied %q, no such %q, startup failed %q", h.denied, h.noSuch, h.startFail)
	}
}

// TestFaultShareScreenForm: a desktop listed as user@:N.0 is found when
// asked for as user@:N, and shared as listed (python-x2go does the same).
func TestFaultShareScreenForm(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("x2golistdesktops", fakesshd.Output("x2gotest@:51.0\n")).
		With("x2gostartagent", fakesshd.Fail(12, "Failed to start X2Go Agent session with ID x. X2Go Agent terminated unexpectedly.\n")))
	s := connectShare(t, srv, &shareHooks{}, nil)
	err := s.ShareDesktop(testCtx(t), mustDesktop(t, "x2gotest@:51"), x2go.ViewOnly)
	if !errors.Is(err, x2go.ErrServerCommand) || errors.Is(err, x2go.ErrDesktopGone) || errors.Is(err, x2go.ErrNoSuchDesktop) {
		t.Fatalf("ShareDesktop = %v, want the start's *ServerError only (the desktop is still listed)", err)
	}
	if got := started(srv); len(got) != 1 || !strings.HasSuffix(got[0], " S 0XSHADx2gotestXSHAD:51.0") {
		t.Errorf("start commands %q, want one ending in S 0XSHADx2gotestXSHAD:51.0", got)
	}
}

// TestFaultShareDesktopGone: the desktop is listed, but its session ends
// before the shadow agent is up: the failed start says the desktop is gone.
func TestFaultShareDesktopGone(t *testing.T) {
	faultLeakCheck(t)
	var lists atomic.Int32
	srv := fakesshd.New(t, fakesshd.Standard().
		WithFunc("x2golistdesktops", func(string) fakesshd.Reply {
			if lists.Add(1) == 1 {
				return fakesshd.Output("x2gotest@:51\n")
			}
			return fakesshd.Output("")
		}).
		With("x2gostartagent", fakesshd.Fail(12, "Failed to start X2Go Agent session with ID x. X2Go Agent terminated unexpectedly.\n")))
	s := connectShare(t, srv, &shareHooks{}, nil)
	err := s.ShareDesktop(testCtx(t), mustDesktop(t, "x2gotest@:51"), x2go.ViewOnly)
	if !errors.Is(err, x2go.ErrDesktopGone) || !errors.Is(err, x2go.ErrServerCommand) {
		t.Fatalf("ShareDesktop = %v, want ErrDesktopGone wrapping the start's *ServerError", err)
	}
}

func TestParseDesktop(t *testing.T) {
	d, err := x2go.ParseDesktop("alice@:51.0")
	if err != nil || d != (x2go.Desktop{User: "alice", Display: ":51.0"}) || d.String() != "alice@:51.0" {
		t.Errorf("ParseDesktop = %+v, %v", d, err)
	}
	if s := (x2go.Desktop{User: "bob", Display: "7"}).String(); s != "bob@:7" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"alice", "alice@51", "@:51", "alice@:x"} {
		if _, err := x2go.ParseDesktop(bad); err == nil {
			t.Errorf("ParseDesktop(%q) accepted", bad)
		}
	}
}

const runningPublishedLine = "32283|x2gotest-51-1795627846_stRPUBLISHED_dp24|51|vm|R|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n"

func TestFaultPublishedApplications(t *testing.T) {
	faultLeakCheck(t)
	apps, err := os.ReadFile("protocol/testdata/x2gogetapps.txt")
	if err != nil {
		t.Fatal(err)
	}
	var queries atomic.Int32
	srv := fakesshd.New(t, fakesshd.Standard().WithFunc("x2gogetapps", func(string) fakesshd.Reply {
		queries.Add(1)
		return fakesshd.Output(string(apps))
	}))
	s := connectShare(t, srv, &shareHooks{}, nil)
	ctx := testCtx(t)

	text, err := s.PublishedApplicationsText(ctx)
	if err != nil || text != string(apps) {
		t.Fatalf("PublishedApplicationsText: %d bytes, %v; want the server's %d bytes", len(text), err, len(apps))
	}
	raw, err := s.PublishedApplicationsRaw(ctx)
	if err != nil || len(raw) != 4 {
		t.Fatalf("PublishedApplicationsRaw: %d, %v", len(raw), err)
	}
	menu, err := s.PublishedApplications(ctx, "de_DE", 0)
	if err != nil || len(menu[x2go.MenuTop]) != 4 {
		t.Fatalf("PublishedApplications: %+v, %v", menu, err)
	}
	if n := queries.Load(); n != 1 {
		t.Errorf("x2gogetapps ran %d times for three reads, want 1 (cached)", n)
	}
	if err := s.RefreshPublishedApplications(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishedApplications(ctx, "", 0); err != nil {
		t.Fatal(err)
	}
	if n := queries.Load(); n != 2 {
		t.Errorf("x2gogetapps ran %d times after a refresh, want 2", n)
	}
}

func TestFaultMenuTimeout(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2gogetapps", fakesshd.Reply{Hang: true}))
	s := connectShare(t, srv, &shareHooks{}, func(o *x2go.Options) { o.Timeouts.Menu = 300 * time.Millisecond })
	for name, get := range map[string]func() error{
		"menu": func() error { _, err := s.PublishedApplications(testCtx(t), "", 0); return err },
		"raw":  func() error { _, err := s.PublishedApplicationsRaw(testCtx(t)); return err },
		"text": func() error { _, err := s.PublishedApplicationsText(testCtx(t)); return err },
	} {
		if err := get(); !errors.Is(err, x2go.ErrMenuTimeout) || !errors.Is(err, x2go.ErrTimeout) {
			t.Errorf("%s: %v, want ErrMenuTimeout", name, err)
		}
	}
	// Nothing was cached: once the server answers, the menu comes.
	srv.SetHandler(fakesshd.Standard().With("x2gogetapps", fakesshd.Output("<desktop>\nName=XTerm\nExec=xterm\n</desktop>\n")))
	menu, err := s.PublishedApplications(testCtx(t), "", 0)
	if err != nil || len(menu[x2go.MenuTop]) != 1 {
		t.Errorf("after the server recovered: %+v, %v", menu, err)
	}
}

func TestFaultExecPublishedApplication(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("x2golistsessions", fakesshd.Output(runningPublishedLine+realSessionLine)).
		With("setsid sh -c", fakesshd.Reply{Hang: true}))
	s := connectShare(t, srv, &shareHooks{}, func(o *x2go.Options) { o.Timeouts.Exec = 300 * time.Millisecond })
	ctrl := s.ControlSession()
	ctx := testCtx(t)

	err := ctrl.ExecPublishedApplication(ctx, "x2gotest-51-1795627846_stRPUBLISHED_dp24", "xterm")
	if !errors.Is(err, x2go.ErrExecTimeout) || !errors.Is(err, x2go.ErrTimeout) {
		t.Fatalf("exec that hangs: %v, want ErrExecTimeout", err)
	}
	var sent string
	for _, c := range srv.Commands() {
		if strings.Contains(c, "setsid") {
			sent = c
		}
	}
	if !strings.Contains(sent, "export DISPLAY=:51 && export X2GO_SESSION=x2gotest-51-1795627846_stRPUBLISHED_dp24 && setsid sh -c xterm") {
		t.Errorf("exec command %q", sent)
	}
	// A suspended session and one that is not there.
	if err := ctrl.ExecPublishedApplication(ctx, "x2gotest-51-1795627896_stRxterm_dp24", "xterm"); !errors.Is(err, x2go.ErrNoActiveSession) {
		t.Errorf("exec in a suspended session: %v, want ErrNoActiveSession", err)
	}
	if err := ctrl.ExecPublishedApplication(ctx, "x2gotest-59-1795627896_stRxterm_dp24", "xterm"); !errors.Is(err, x2go.ErrNoSuchSession) {
		t.Errorf("exec in a session that is not there: %v, want ErrNoSuchSession", err)
	}
	// The Session's own: it drives no session.
	if err := s.ExecPublishedApplication(ctx, "xterm"); !errors.Is(err, x2go.ErrNoActiveSession) {
		t.Errorf("Session.ExecPublishedApplication without a session: %v", err)
	}
}
