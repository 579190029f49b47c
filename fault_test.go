package x2go_test

// Fault tests: the public Session API against an in-process fake SSH
// server (internal/fakesshd) that misbehaves on purpose — garbage
// answers, missing markers, commands that hang, links that drop, servers
// without x2goserver or without a feature, failing session starts. Each
// failure must come back as a typed error (errors.Is/As), fire the right
// hook, leave the Session usable where the link survived, and leak no
// goroutine.

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// faultHooks records the hooks the fault tests look at.
type faultHooks struct {
	death chan error // ControlSessionDeath, buffered

	mu          sync.Mutex
	startFailed []error
	noSuchCmd   []string
	progress    []int
}

func newFaultHooks() *faultHooks { return &faultHooks{death: make(chan error, 1)} }

// hooks returns the recorder as Session hooks; a nil recorder sets none.
func (h *faultHooks) hooks() x2go.Hooks {
	if h == nil {
		return x2go.Hooks{}
	}
	return x2go.Hooks{
		ControlSessionDeath:  h.ControlSessionDeath,
		SessionStartupFailed: h.SessionStartupFailed,
		NoSuchCommand:        h.NoSuchCommand,
		Progress:             h.Progress,
	}
}

func (h *faultHooks) ControlSessionDeath(_ *x2go.Session, err error) {
	select {
	case h.death <- err:
	default:
	}
}

func (h *faultHooks) SessionStartupFailed(_ *x2go.Session, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.startFailed = append(h.startFailed, err)
}

func (h *faultHooks) NoSuchCommand(_ *x2go.Session, command string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.noSuchCmd = append(h.noSuchCmd, command)
}

func (h *faultHooks) Progress(_ *x2go.Session, p int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.progress = append(h.progress, p)
}

// waitDeath waits up to 5 s for ControlSessionDeath.
func (h *faultHooks) waitDeath(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.death:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("ControlSessionDeath was not called within 5 s")
		return nil
	}
}

// faultLeakCheck must be the first call of a test: its cleanup runs after
// the server's and the session's.
func faultLeakCheck(t *testing.T) { t.Cleanup(func() { goleak.VerifyNone(t) }) }

// faultOptions are options that log in to srv with its password, check its
// host key, and could not start anything real on the client side.
func faultOptions(t *testing.T, srv *fakesshd.Server, hooks *faultHooks) x2go.Options {
	return x2go.Options{
		Server: "127.0.0.1", Port: srv.Port(), Username: "x2gotest",
		Password:        srv.Password(),
		KnownHostsFiles: []string{srv.KnownHostsFile(t)},
		ConnectTimeout:  5 * time.Second,
		Hooks:           hooks.hooks(),
		Params: x2go.Params{
			Command:      "xterm",
			Env:          []string{"DISPLAY=:99"},
			SessionsRoot: t.TempDir(),
			NXProxy:      "/nonexistent/nxproxy",
		},
	}
}

// connectFault returns a Session connected to srv; it is disconnected
// when the test ends.
func connectFault(t *testing.T, srv *fakesshd.Server, hooks *faultHooks) *x2go.Session {
	t.Helper()
	s, err := x2go.NewSession(faultOptions(t, srv, hooks))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { s.Disconnect() })
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const realSessionLine = "32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n"

// TestFaultListSessionsGarbage: lines of the session list that cannot be
// read are skipped and logged without their cookie; the sessions on the
// good lines are still listed, and the connection goes on.
func TestFaultListSessionsGarbage(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	var logBuf lockedBuffer
	opts := faultOptions(t, srv, nil)
	opts.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	s, err := x2go.NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect() })
	const cookie = "39ed8a3200a10b011df468acc8dc54dc"
	for _, tc := range []struct {
		name string
		out  string
		good int
	}{
		{"wrong field count", "32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|" + cookie + "\n", 0},
		{"non-numeric port", strings.Replace(realSessionLine, "|48202|", "|gfx|", 1), 0},
		{"port out of range", strings.Replace(realSessionLine, "|48202|", "|70000|", 1), 0},
		{"good line then junk", realSessionLine + "Perl warning: DBI connect failed\n", 1},
		{"junk between good lines", realSessionLine + strings.Replace(realSessionLine, "|48202|", "|gfx|", 1) + strings.Replace(realSessionLine, "-51-", "-52-", 1), 2},
		{"binary junk", "\x00\xff\xfe\x1b[31m|\x80\x81|\xc3\x28\n\x00\x00", 0},
		{"10 MB line", strings.Repeat("x2go|", 2<<20) + "\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logBuf.Reset()
			srv.SetHandler(fakesshd.Standard().With("x2golistsessions", fakesshd.Output(tc.out)))
			list, err := s.ListSessions(testCtx(t))
			if err != nil || len(list) != tc.good {
				t.Fatalf("ListSessions = %d sessions, %v; want the %d good ones", len(list), err, tc.good)
			}
			logged := logBuf.String()
			if !strings.Contains(logged, "skipping a session list line") {
				t.Errorf("the bad line was not logged: %q", logged)
			}
			if strings.Contains(logged, cookie) {
				t.Errorf("the log shows a session cookie: %s", logged)
			}
			if n := len(logged); n > 4000 {
				t.Errorf("log message is %d bytes long", n)
			}
			if !s.IsConnected() {
				t.Error("IsConnected false after garbage")
			}
		})
	}
}

func TestFaultMissingMarkers(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	s := connectFault(t, srv, nil)
	for _, tc := range []struct {
		name  string
		reply fakesshd.Reply
	}{
		{"no markers", fakesshd.Reply{Stdout: "Welcome to vm!\n" + fakesshd.FeatureList, NoMarkers: true}},
		{"no END marker", fakesshd.Reply{Stdout: fakesshd.FeatureList, NoEndMarker: true}},
		{"foreign marker id", fakesshd.Reply{Raw: "X2GODATABEGIN:0000\n" + fakesshd.FeatureList + "X2GODATAEND:0000:0\n"}},
		{"nothing at all", fakesshd.Reply{NoMarkers: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.SetHandler(fakesshd.Standard().With("x2gofeaturelist", tc.reply))
			f, err := s.ServerFeatures(testCtx(t))
			if !errors.Is(err, x2go.ErrMalformed) {
				t.Fatalf("ServerFeatures = %v, %v; want ErrMalformed", f, err)
			}
			if ok, err := s.UserIsX2GoUser(testCtx(t)); !ok || err != nil {
				t.Fatalf("next command = %v, %v", ok, err)
			}
		})
	}

	// Login-script noise before the BEGIN marker is what the markers are
	// for: it is dropped.
	srv.SetHandler(fakesshd.Standard().With("x2gofeaturelist", fakesshd.Reply{Noise: "Welcome!\nX2GO_BOGUS\n", Stdout: fakesshd.FeatureList}))
	if ok, err := s.HasServerFeature(testCtx(t), "X2GO_BOGUS"); ok || err != nil {
		t.Errorf("noise read as a feature: %v, %v", ok, err)
	}

	// The same breakage during Connect.
	srv.SetHandler(fakesshd.Standard().With("X2GO_HOME_OK", fakesshd.Reply{Stdout: fakesshd.Home + "\nX2GO_HOME_OK\n", NoMarkers: true}))
	s2, err := x2go.NewSession(faultOptions(t, srv, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Connect(testCtx(t)); !errors.Is(err, x2go.ErrMalformed) {
		t.Errorf("Connect = %v, want ErrMalformed", err)
	}
	if s2.IsConnected() {
		t.Error("Connect failed but IsConnected")
	}
}

func TestFaultCommandHangs(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2golistsessions", fakesshd.Reply{Hang: true}))
	s := connectFault(t, srv, nil)

	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	list, err := s.ListSessions(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ListSessions = %v, %v; want context.DeadlineExceeded", list, err)
	}
	if took > deadline+time.Second {
		t.Errorf("ListSessions returned %v after the deadline", took-deadline)
	}

	// The hanging channel is gone; the connection still serves commands.
	if !s.IsConnected() {
		t.Fatal("IsConnected false after a timed-out command")
	}
	if v, err := s.ServerVersion(testCtx(t), ""); err != nil || v != "4.1.0.3" {
		t.Fatalf("ServerVersion after the hang = %q, %v", v, err)
	}
	srv.SetHandler(fakesshd.Standard())
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Fatalf("ListSessions after the hang: %v", err)
	}
}

func TestFaultLinkDropsDuringCommand(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2golistsessions", fakesshd.Reply{Drop: true, Stdout: "half a li"}))
	hooks := newFaultHooks()
	s := connectFault(t, srv, hooks)

	_, err := s.ListSessions(testCtx(t))
	if !errors.Is(err, x2go.ErrConnectionLost) {
		t.Fatalf("ListSessions = %v, want ErrConnectionLost", err)
	}
	if err := hooks.waitDeath(t); !errors.Is(err, x2go.ErrConnectionLost) {
		t.Errorf("ControlSessionDeath got %v, want ErrConnectionLost", err)
	}
	if s.IsConnected() {
		t.Error("IsConnected true after the link dropped")
	}
	if _, err := s.ServerFeatures(testCtx(t)); !errors.Is(err, x2go.ErrConnectionLost) {
		t.Errorf("next command = %v, want ErrConnectionLost", err)
	}
}

func TestFaultLinkDropsWhileIdle(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	hooks := newFaultHooks()
	s := connectFault(t, srv, hooks)

	srv.DropAll()
	if err := hooks.waitDeath(t); !errors.Is(err, x2go.ErrConnectionLost) {
		t.Errorf("ControlSessionDeath got %v, want ErrConnectionLost", err)
	}
	if s.IsConnected() {
		t.Error("IsConnected true after the link dropped")
	}
	// Connect again: a new link to the same server.
	if err := s.Connect(testCtx(t)); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if !s.IsConnected() {
		t.Error("IsConnected false after reconnect")
	}
}

func TestFaultNotAnX2GoServer(t *testing.T) {
	faultLeakCheck(t)
	// `which x2goversion` finds nothing: status 1, no output.
	srv := fakesshd.New(t, fakesshd.Standard().With("x2goversion", fakesshd.Fail(1, "")))
	s := connectFault(t, srv, nil)

	ok, err := s.IsX2GoServer(testCtx(t))
	if ok || err != nil {
		t.Errorf("IsX2GoServer = %v, %v; want false, nil", ok, err)
	}
	if v, err := s.ServerVersion(testCtx(t), ""); !errors.Is(err, x2go.ErrNotX2GoServer) {
		t.Errorf("ServerVersion = %q, %v; want ErrNotX2GoServer", v, err)
	}
	// x2goversion runs but x2goserver is not among the components.
	srv2 := fakesshd.New(t, fakesshd.Standard().With("x2goversion", fakesshd.Output("x2goserver-common: 4.1.0.3\n")))
	s2 := connectFault(t, srv2, nil)
	if ok, err := s2.IsX2GoServer(testCtx(t)); ok || err != nil {
		t.Errorf("IsX2GoServer without x2goserver = %v, %v", ok, err)
	}
	if _, err := s2.ServerVersion(testCtx(t), "x2goserver"); !errors.Is(err, x2go.ErrNotX2GoServer) {
		t.Errorf("ServerVersion = %v, want ErrNotX2GoServer", err)
	}
}

func TestFaultFeatureMissing(t *testing.T) {
	faultLeakCheck(t)
	features := strings.Replace(fakesshd.FeatureList, "X2GO_LIST_DESKTOPS\n", "", 1)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2gofeaturelist", fakesshd.Output(features)))
	s := connectFault(t, srv, nil)

	desktops, err := s.ListDesktops(testCtx(t))
	var fe *x2go.FeatureError
	if !errors.As(err, &fe) || fe.Feature != "X2GO_LIST_DESKTOPS" || !errors.Is(err, x2go.ErrFeatureMissing) {
		t.Fatalf("ListDesktops = %v, %v; want *FeatureError for X2GO_LIST_DESKTOPS", desktops, err)
	}
	for _, c := range srv.Commands() {
		if strings.Contains(c, "x2golistdesktops") {
			t.Errorf("x2golistdesktops was sent although the feature is missing: %q", c)
		}
	}
}

func TestFaultRemoteHomeMissing(t *testing.T) {
	faultLeakCheck(t)
	// $HOME is printed, but test -d fails: no confirmation line.
	srv := fakesshd.New(t, fakesshd.Standard().With("X2GO_HOME_OK", fakesshd.Reply{Stdout: fakesshd.Home + "\n", Status: 1}))
	s, err := x2go.NewSession(faultOptions(t, srv, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(testCtx(t)); !errors.Is(err, x2go.ErrRemoteHome) {
		t.Fatalf("Connect = %v, want ErrRemoteHome", err)
	}
	if s.IsConnected() {
		t.Error("IsConnected after a failed Connect")
	}
}

func TestFaultAuthAndConnect(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)

	const wrong = "Wr0ng-Pa55word-zz9"
	opts := faultOptions(t, srv, nil)
	opts.Password = wrong
	s, err := x2go.NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Connect(testCtx(t))
	var ae *x2go.AuthError
	if !errors.Is(err, x2go.ErrAuthFailed) || !errors.As(err, &ae) {
		t.Fatalf("Connect with a wrong password = %v, want ErrAuthFailed", err)
	}
	if errors.Is(err, x2go.ErrConnect) {
		t.Errorf("auth failure also matches ErrConnect: %v", err)
	}
	for _, secret := range []string{wrong, srv.Password()} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error contains a password: %v", err)
		}
	}

	// Something that accepts TCP but closes before the SSH handshake.
	early := fakesshd.New(t, nil, fakesshd.CloseBeforeHandshake())
	s2, err := x2go.NewSession(faultOptions(t, early, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Connect(testCtx(t))
	if !errors.Is(err, x2go.ErrConnect) || errors.Is(err, x2go.ErrAuthFailed) {
		t.Fatalf("Connect to a closing port = %v, want ErrConnect only", err)
	}
	if strings.Contains(err.Error(), early.Password()) {
		t.Errorf("error contains the password: %v", err)
	}
}

func TestFaultStartFails(t *testing.T) {
	threeLines := "51\nf1847cec37ed2687bd03f475f4753b71\n17128\n"
	for _, tc := range []struct {
		name     string
		override string // command substring
		reply    fakesshd.Reply
		want     []error
		noCmd    bool // NoSuchCommand hook expected
	}{
		{"session limit", "x2gostartagent", fakesshd.Fail(9, "LIMIT\n"), []error{x2go.ErrSessionLimit, x2go.ErrServerCommand}, false},
		{"access denied", "x2gostartagent", fakesshd.Fail(8, "ACCESS DENIED\n"), []error{x2go.ErrAccessDenied, x2go.ErrServerCommand}, false},
		{"other failure", "x2gostartagent", fakesshd.Fail(10, "Unable to find free display port or insert new session into database; parameters: ...\n"), []error{x2go.ErrServerCommand}, false},
		{"no such command", "&& echo OK", fakesshd.Fail(1, ""), []error{x2go.ErrNoSuchCommand}, true},
		{"malformed answer", "x2gostartagent", fakesshd.Output(threeLines), []error{x2go.ErrMalformed}, false},
		{"link drops", "x2gostartagent", fakesshd.Reply{Drop: true}, []error{x2go.ErrConnectionLost}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faultLeakCheck(t)
			srv := fakesshd.New(t, fakesshd.Standard().With(tc.override, tc.reply))
			hooks := newFaultHooks()
			s := connectFault(t, srv, hooks)

			err := s.Start(testCtx(t))
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("Start = %v; does not match %v", err, want)
				}
			}
			if slices.Contains(tc.want, x2go.ErrServerCommand) {
				var se *x2go.ServerError
				if !errors.As(err, &se) || se.Status != tc.reply.Status {
					t.Errorf("Start = %v; want *ServerError with status %d", err, tc.reply.Status)
				}
			}
			if p := s.Progress(); p != -1 {
				t.Errorf("Progress() = %d, want -1", p)
			}
			if st := s.Status(); st != x2go.StatusVirgin && st != x2go.StatusUnknown {
				t.Errorf("Status() = %v after a failed start", st)
			}
			if s.Name() != "" || s.NXProxyPID() != 0 {
				t.Errorf("failed start left name %q, nxproxy %d", s.Name(), s.NXProxyPID())
			}

			hooks.mu.Lock()
			defer hooks.mu.Unlock()
			if len(hooks.startFailed) != 1 || !errors.Is(hooks.startFailed[0], tc.want[0]) {
				t.Errorf("SessionStartupFailed calls: %v", hooks.startFailed)
			}
			if n := len(hooks.progress); n == 0 || hooks.progress[n-1] != -1 {
				t.Errorf("Progress hook calls %v, want the last to be -1", hooks.progress)
			}
			if tc.noCmd {
				if len(hooks.noSuchCmd) != 1 || hooks.noSuchCmd[0] != "xterm" {
					t.Errorf("NoSuchCommand calls: %q", hooks.noSuchCmd)
				}
				for _, c := range srv.Commands() {
					if strings.Contains(c, "x2gostartagent") {
						t.Errorf("x2gostartagent sent although the probe failed: %q", c)
					}
				}
			} else if len(hooks.noSuchCmd) != 0 {
				t.Errorf("NoSuchCommand called: %q", hooks.noSuchCmd)
			}
		})
	}
}

func TestFaultStartHangs(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("x2gostartagent", fakesshd.Reply{Hang: true}))
	hooks := newFaultHooks()
	s := connectFault(t, srv, hooks)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Start(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v, want context.DeadlineExceeded", err)
	}
	if p := s.Progress(); p != -1 {
		t.Errorf("Progress() = %d, want -1", p)
	}
	if !s.IsConnected() {
		t.Error("connection lost after a timed-out start")
	}
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Errorf("ListSessions after a timed-out start: %v", err)
	}
}

// TestFaultSessionInCreation: a session another client is just starting
// is listed without agent, cookie or ports (captured on the lab). The
// listing still works and shows it; resuming it is refused with a typed
// error instead of a broken nxproxy start.
func TestFaultSessionInCreation(t *testing.T) {
	faultLeakCheck(t)
	const creating = "|x2gotest-51-1795658434_stRxterm_dp24|51|vm|R|2026-11-26T02:00:34|||||2026-11-26T02:00:34|x2gotest|1|||\n"
	srv := fakesshd.New(t, nil)
	srv.SetHandler(fakesshd.Standard().With("x2golistsessions", fakesshd.Output(realSessionLine+creating)))
	s := connectFault(t, srv, nil)
	list, err := s.ListSessions(testCtx(t))
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(list) != 2 || list[0].Creating() || !list[1].Creating() {
		t.Fatalf("ListSessions = %+v", list)
	}
	err = s.Resume(testCtx(t), list[1].Name)
	if !errors.Is(err, x2go.ErrSessionNotReady) {
		t.Fatalf("Resume of a session in creation: %v, want ErrSessionNotReady", err)
	}
	if s.Status() == x2go.StatusRunning || s.NXProxyPID() != 0 {
		t.Errorf("after the refused resume: status %v, nxproxy %d", s.Status(), s.NXProxyPID())
	}
}

// TestFaultSuspendIgnored: x2gosuspend-session exits 0 without suspending
// when the agent's state file lags behind (right after a resume). The
// suspend is repeated until the server lists the session suspended, and a
// server that never does gives ErrNotSuspended, not a false success.
func TestFaultSuspendIgnored(t *testing.T) {
	faultLeakCheck(t)
	suspended := realSessionLine
	running := strings.Replace(realSessionLine, "|vm|S|", "|vm|R|", 1)
	name := strings.Split(realSessionLine, "|")[1]

	var mu sync.Mutex
	calls, effectiveFrom := 0, 3 // the third request takes effect
	list := func(string) fakesshd.Reply {
		mu.Lock()
		defer mu.Unlock()
		if effectiveFrom > 0 && calls >= effectiveFrom {
			return fakesshd.Output(suspended)
		}
		return fakesshd.Output(running)
	}
	suspend := func(string) fakesshd.Reply {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return fakesshd.Output("")
	}
	srv := fakesshd.New(t, nil)
	srv.SetHandler(fakesshd.Standard().WithFunc("x2golistsessions", list).WithFunc("x2gosuspend-session", suspend))
	s := connectFault(t, srv, nil)

	if err := s.SuspendSession(testCtx(t), name); err != nil {
		t.Fatalf("SuspendSession: %v", err)
	}
	mu.Lock()
	if calls != 3 {
		t.Errorf("x2gosuspend-session ran %d times, want 3", calls)
	}
	calls, effectiveFrom = 0, 0 // never takes effect
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.SuspendSession(ctx, name); !errors.Is(err, x2go.ErrNotSuspended) {
		t.Fatalf("SuspendSession on a server that keeps it running: %v, want ErrNotSuspended", err)
	}
}
