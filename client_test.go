package x2go_test

// Unit tests of the Client (the session registry) against in-process
// fake SSH servers (internal/fakesshd): sharing of control sessions, the
// status refresh and its hooks, listing across servers with one down,
// closing without leaks.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/sshconn"
	"go.uber.org/goleak"
)

// listServer is a fake X2Go server whose session list the test sets;
// x2gosuspend-session and x2goterminate-session change it as the real
// server would.
type listServer struct {
	*fakesshd.Server
	mu       sync.Mutex
	names    []string
	statuses map[string]string
	delay    time.Duration
}

func newListServer(t *testing.T, opts ...fakesshd.Option) *listServer {
	ls := &listServer{statuses: map[string]string{}}
	h := fakesshd.Standard().WithFunc("x2golistsessions", func(string) fakesshd.Reply {
		ls.mu.Lock()
		var out strings.Builder
		for i, n := range ls.names {
			out.WriteString(sessionLine(n, ls.statuses[n], 50+i))
		}
		d := ls.delay
		ls.mu.Unlock()
		time.Sleep(d)
		return fakesshd.Output(out.String())
	})
	end := func(terminate bool) fakesshd.Handler {
		return func(cmd string) fakesshd.Reply {
			ls.mu.Lock()
			defer ls.mu.Unlock()
			for i, n := range ls.names {
				if !strings.Contains(cmd, n) {
					continue
				}
				if terminate {
					ls.names = append(ls.names[:i], ls.names[i+1:]...)
				} else {
					ls.statuses[n] = "S"
				}
				break
			}
			return fakesshd.Output("")
		}
	}
	h = h.WithFunc("x2gosuspend-session", end(false)).WithFunc("x2goterminate-session", end(true))
	ls.Server = fakesshd.New(t, h, opts...)
	return ls
}

// set replaces the session list: name=status pairs.
func (ls *listServer) set(sessions ...string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.names = nil
	for _, s := range sessions {
		name, st, _ := strings.Cut(s, "=")
		ls.names = append(ls.names, name)
		ls.statuses[name] = st
	}
}

// sessionLine is an x2golistsessions line of the shape the real server
// prints (see realSessionLine).
func sessionLine(name, status string, display int) string {
	return fmt.Sprintf("%d|%s|%d|vm|%s|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n",
		32000+display, name, display, status)
}

func sessName(display int) string {
	return fmt.Sprintf("x2gotest-%d-17956278%02d_stRxterm_dp24", display, display)
}

// fakeOptions are Options for a fake server, as faultOptions.
func fakeOptions(t *testing.T, srv *fakesshd.Server) x2go.Options {
	o := faultOptions(t, srv, nil)
	o.ProfileName = "fake"
	return o
}

// events records the registry's hooks.
type events struct {
	mu   sync.Mutex
	list []string
	lost []string
}

func (ev *events) add(kind string) func(x2go.SessionEvent) {
	return func(e x2go.SessionEvent) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		by := "other"
		if e.ByMe {
			by = "me"
		}
		if e.UUID == "" || e.Session == nil {
			kind += "(no uuid)"
		}
		ev.list = append(ev.list, kind+" "+e.Name+" "+by)
	}
}

func (ev *events) hooks() x2go.ClientHooks {
	return x2go.ClientHooks{
		SessionStarted:           ev.add("started"),
		SessionResumed:           ev.add("resumed"),
		SessionSuspended:         ev.add("suspended"),
		SessionTerminated:        ev.add("terminated"),
		FoundRunningAfterConnect: ev.add("found"),
		ControlSessionLost: func(c *x2go.ControlSession, err error) {
			ev.mu.Lock()
			defer ev.mu.Unlock()
			ev.lost = append(ev.lost, c.Server())
		},
	}
}

func (ev *events) take() []string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	out := ev.list
	ev.list = nil
	return out
}

func newClient(t *testing.T, o x2go.ClientOptions) *x2go.Client {
	t.Helper()
	c, err := x2go.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClientSharesControlSessions: Sessions of the same server and user
// share one control session and one SSH connection; another server or
// user gets its own; each Session has its own UUID.
func TestClientSharesControlSessions(t *testing.T) {
	faultLeakCheck(t)
	a, b := newListServer(t), newListServer(t)
	c := newClient(t, x2go.ClientOptions{RefreshInterval: -1})
	var sessions []*x2go.Session
	for i := range 5 {
		o := fakeOptions(t, a.Server)
		o.ProfileName = fmt.Sprintf("p%d", i%2)
		s, err := c.Register(o)
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	sb, err := c.Register(fakeOptions(t, b.Server))
	if err != nil {
		t.Fatal(err)
	}
	other := fakeOptions(t, a.Server)
	other.Username = "someone-else"
	so, err := c.Register(other)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.ControlSessions()); n != 3 {
		t.Fatalf("%d control sessions, want 3 (server a, server b, other user)", n)
	}
	uuids := map[string]bool{}
	for _, s := range append(sessions, sb, so) {
		u := c.UUID(s)
		if u == "" || uuids[u] || c.Session(u) != s {
			t.Fatalf("UUID %q of %p: not unique or not found", u, s)
		}
		uuids[u] = true
		if s != sb && s != so && s.ControlSession() != sessions[0].ControlSession() {
			t.Fatal("two Sessions of server a run over different control sessions")
		}
	}
	if got := c.ProfileSessions("p1"); len(got) != 2 {
		t.Fatalf("profile p1 has %d Sessions, want 2", len(got))
	}
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Connect(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := sshConnsTo(t, a.Port()); n != 1 {
		t.Fatalf("%d connections to server a for 5 Sessions, want 1", n)
	}
	if err := c.Unregister(sessions[0]); err != nil {
		t.Fatal(err)
	}
	if c.UUID(sessions[0]) != "" || !sessions[1].IsConnected() {
		t.Fatal("after Unregister the Session is still known, or the others lost the connection")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if sessions[1].IsConnected() {
		t.Fatal("connected after Close")
	}
	if _, err := c.Register(fakeOptions(t, a.Server)); !errors.Is(err, x2go.ErrClientClosed) {
		t.Fatalf("Register after Close: %v", err)
	}
}

// TestClientRefreshHooks: the refresh reports what other clients do to
// the user's sessions: found running after connect, started, suspended,
// resumed and terminated by another client, each once, with a UUID.
func TestClientRefreshHooks(t *testing.T) {
	faultLeakCheck(t)
	srv := newListServer(t)
	ev := &events{}
	c := newClient(t, x2go.ClientOptions{RefreshInterval: -1, AutoRegister: true, Hooks: ev.hooks()})
	s, err := c.Register(fakeOptions(t, srv.Server))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	n1, n2 := sessName(51), sessName(52)
	steps := []struct {
		list []string
		want []string
	}{
		{[]string{n1 + "=R"}, []string{"found " + n1 + " other"}},
		{[]string{n1 + "=R"}, nil},
		{[]string{n1 + "=R", n2 + "=R"}, []string{"started " + n2 + " other"}},
		{[]string{n1 + "=S", n2 + "=R"}, []string{"suspended " + n1 + " other"}},
		{[]string{n1 + "=R", n2 + "=R"}, []string{"resumed " + n1 + " other"}},
		{[]string{n1 + "=R"}, []string{"terminated " + n2 + " other"}},
		{nil, []string{"terminated " + n1 + " other"}},
		{nil, nil},
	}
	for i, st := range steps {
		srv.set(st.list...)
		if err := c.Refresh(ctx); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := ev.take(); strings.Join(got, ";") != strings.Join(st.want, ";") {
			t.Fatalf("step %d (%v): hooks %q, want %q", i, st.list, got, st.want)
		}
	}
	// The ended ones are forgotten; the registered Session stays.
	if got := c.Sessions(); len(got) != 1 || got[0] != s {
		t.Fatalf("%d Sessions registered after all ended, want only the first", len(got))
	}
}

// TestClientAutoRegisteredSessionsCanBeEnded: a session found by the
// refresh is registered and can be suspended through the Client.
func TestClientAutoRegisteredSessionsCanBeEnded(t *testing.T) {
	faultLeakCheck(t)
	srv := newListServer(t)
	c := newClient(t, x2go.ClientOptions{RefreshInterval: -1, AutoRegister: true})
	s, err := c.Register(fakeOptions(t, srv.Server))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	srv.set(sessName(51) + "=R")
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	found := c.SessionByName("", sessName(51))
	if found == nil || found.Status() != x2go.StatusRunning || c.UUID(found) == "" {
		t.Fatalf("found session not registered as running: %v", found)
	}
	match, err := x2go.MatchName("*_stRxterm_*")
	if err != nil {
		t.Fatal(err)
	}
	res := c.SuspendMatching(ctx, match)
	if len(res) != 1 || res[0].Err != nil || len(res[0].Sessions) != 1 || res[0].Sessions[0].Name != sessName(51) {
		t.Fatalf("SuspendMatching: %+v", res)
	}
	if found.Status() != x2go.StatusSuspended {
		t.Fatalf("the registered Session is %v after suspending it, want suspended", found.Status())
	}
	if !slicesContainsPrefix(srv.Commands(), "x2gosuspend-session "+sessName(51)) {
		t.Fatalf("no x2gosuspend-session in %q", srv.Commands())
	}
}

func slicesContainsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.Contains(s, prefix) {
			return true
		}
	}
	return false
}

// TestClientControlSessionLostOnce: a dropped connection is reported once
// per control session, however many Sessions use it; the background
// refresh runs meanwhile without a race.
func TestClientControlSessionLostOnce(t *testing.T) {
	faultLeakCheck(t)
	srv := newListServer(t)
	ev := &events{}
	c := newClient(t, x2go.ClientOptions{RefreshInterval: 20 * time.Millisecond, AutoRegister: true, Hooks: ev.hooks()})
	ctx := testCtx(t)
	var ss []*x2go.Session
	for range 3 {
		s, err := c.Register(fakeOptions(t, srv.Server))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	srv.set(sessName(51)+"=R", sessName(52)+"=S")
	waitFor(t, "the refresh to register the found sessions", func() bool { return len(c.Sessions()) == 5 })
	srv.DropAll()
	waitFor(t, "ControlSessionLost", func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		return len(ev.lost) > 0
	})
	time.Sleep(100 * time.Millisecond)
	ev.mu.Lock()
	lost := len(ev.lost)
	ev.mu.Unlock()
	if lost != 1 {
		t.Fatalf("ControlSessionLost called %d times for one connection, want 1", lost)
	}
	// Connecting again: the refresh goes on, no session is reported
	// as found twice.
	if err := ss[0].Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientListServers: servers are listed in parallel (the time is
// that of the slowest, not the sum), one that is down is reported in its
// own result within its connect timeout, and the others are listed.
func TestClientListServers(t *testing.T) {
	faultLeakCheck(t)
	const n, delay = 6, 300 * time.Millisecond
	c := newClient(t, x2go.ClientOptions{RefreshInterval: -1})
	for i := range n {
		srv := newListServer(t)
		srv.set(sessName(51+i) + "=S")
		srv.delay = delay
		o := fakeOptions(t, srv.Server)
		o.ProfileName = fmt.Sprintf("server%d", i)
		if _, err := c.Register(o); err != nil {
			t.Fatal(err)
		}
	}
	down := fakeOptions(t, newListServer(t).Server)
	down.Port = freePort(t)
	down.ProfileName = "down"
	down.ConnectTimeout = 2 * time.Second
	if _, err := c.Register(down); err != nil {
		t.Fatal(err)
	}
	// A server that accepts the connection and never says a word.
	silent := down
	silent.Port, silent.ProfileName, silent.ConnectTimeout = fakesshd.Silent(t), "silent", time.Second
	if _, err := c.Register(silent); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res := c.ListServers(testCtx(t))
	took := time.Since(t0)
	if len(res) != n+2 {
		t.Fatalf("%d results, want %d", len(res), n+2)
	}
	if r := res[n+1]; !errors.Is(r.Err, context.DeadlineExceeded) || r.Elapsed > 3*time.Second {
		t.Errorf("the silent server: err %v after %v, want a timeout after its 1 s connect timeout", r.Err, r.Elapsed)
	}
	for i, r := range res[:n] {
		if r.Err != nil || len(r.Sessions) != 1 || r.Sessions[0].Name != sessName(51+i) || r.ProfileName != fmt.Sprintf("server%d", i) {
			t.Errorf("server %d: %+v", i, r)
		}
	}
	if r := res[n]; !errors.Is(r.Err, x2go.ErrConnect) || r.ProfileName != "down" {
		t.Errorf("the server that is down: err %v", r.Err)
	}
	// Each list takes 300 ms (1.8 s in sequence); the silent server 1 s.
	if took > time.Second+n*delay/2 {
		t.Errorf("listing %d servers took %v, as long as listing them one after the other", n, took)
	}
	t.Logf("listed %d servers (each answering after %v), one that is down and one that is silent in %v", n, delay, took)
}

// TestClientCloseNoLeaks: a Client with connected Sessions on several
// servers and a running background refresh closes completely.
func TestClientCloseNoLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)
	var servers []*listServer
	for range 3 {
		servers = append(servers, newListServer(t))
	}
	c, err := x2go.NewClient(x2go.ClientOptions{RefreshInterval: 10 * time.Millisecond, AutoRegister: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for _, srv := range servers {
		srv.set(sessName(51)+"=R", sessName(52)+"=S")
		for range 2 {
			s, err := c.Register(fakeOptions(t, srv.Server))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Connect(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 { // concurrent callers while the refresh runs
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c.ListServers(ctx)
				c.Sessions()
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, srv := range servers {
		srv.Close()
	}
}

// TestClientUseSSHConfig: with UseSSHConfig the server is an alias of the
// OpenSSH configuration, which says where it is, who logs in and where
// its host key is; a ProxyJump there takes the connection through a jump
// host (host keys checked on both hops), and Options.Jump wins over it.
func TestClientUseSSHConfig(t *testing.T) {
	faultLeakCheck(t)
	target := newListServer(t)
	jump := fakesshd.New(t, nil, fakesshd.WithForwarding())
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	writeFile(t, kh, knownLine(t, target.Server)+knownLine(t, jump))
	cfg := filepath.Join(dir, "config")
	writeFile(t, cfg, fmt.Sprintf(`Host 127.0.0.1
	UserKnownHostsFile %[2]s
	GlobalKnownHostsFile none

Host lab
	HostName 127.0.0.1
	Port %[1]d
	User x2gotest
	UserKnownHostsFile %[2]s
	GlobalKnownHostsFile none

Host viajump
	HostName 127.0.0.1
	Port %[1]d
	User x2gotest
	ProxyJump x2gotest@127.0.0.1:%[3]d
	UserKnownHostsFile %[2]s
	GlobalKnownHostsFile none
`, target.Port(), kh, jump.Port()))

	connect := func(host string, edit func(*x2go.Options)) (*x2go.Session, error) {
		o := x2go.Options{Server: host, UseSSHConfig: true, SSHConfigFile: cfg, Password: target.Password(),
			ConnectTimeout: 5 * time.Second, Params: x2go.Params{SessionsRoot: t.TempDir()}}
		if edit != nil {
			edit(&o)
		}
		s, err := x2go.NewSession(o)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Disconnect() })
		return s, s.Connect(testCtx(t))
	}
	s, err := connect("lab", nil)
	if err != nil {
		t.Fatalf("alias lab: %v", err)
	}
	if s.ControlSession().Username() != "x2gotest" {
		t.Errorf("user %q, want the configuration's", s.ControlSession().Username())
	}
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Fatal(err)
	}

	s, err = connect("viajump", nil)
	if err != nil {
		t.Fatalf("alias viajump: %v", err)
	}
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := sshConnsTo(t, jump.Port()); n != 1 {
		t.Errorf("%d connections to the jump host, want 1", n)
	}
	s.Disconnect()

	// An explicit jump host wins: here one that is down.
	_, err = connect("viajump", func(o *x2go.Options) {
		o.Jump = &x2go.JumpHost{Host: "127.0.0.1", Port: freePort(t), Username: "x2gotest", ReuseAuth: true}
	})
	if !errors.Is(err, x2go.ErrConnect) {
		t.Fatalf("through an explicit jump host that is down: %v, want ErrConnect", err)
	}

	// A jump host whose key is unknown is refused.
	writeFile(t, kh, knownLine(t, target.Server))
	_, err = connect("viajump", nil)
	var hke *x2go.HostKeyError
	if !errors.Is(err, x2go.ErrHostKeyUnknown) || !errors.As(err, &hke) || !strings.Contains(hke.Error(), fmt.Sprint(jump.Port())) {
		t.Fatalf("unknown jump host key: %v, want a HostKeyError for the jump host", err)
	}

	// A bad configuration is an ErrConfig.
	writeFile(t, cfg, "Host lab\n\tNoSuchKeyword yes\n")
	if _, err := connect("lab", nil); !errors.Is(err, x2go.ErrConfig) {
		t.Fatalf("bad configuration: %v, want ErrConfig", err)
	}
}

// TestClientForwardAgent: Options.ForwardAgent forwards the agent of
// $SSH_AUTH_SOCK: the server's commands can list its key and have it
// sign. Without an agent that answers, the connect fails with a typed
// error rather than going on without it.
func TestClientForwardAgent(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", fakesshd.ServeAgent(t, priv))
	o := faultOptions(t, srv, nil)
	o.ForwardAgent = true
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListSessions(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Disconnect()
	uses := srv.AgentUses()
	if len(uses) == 0 || uses[len(uses)-1].Err != nil || len(uses[len(uses)-1].Keys) != 1 || uses[len(uses)-1].Verified != 1 {
		t.Fatalf("the server's use of the forwarded agent: %+v", uses)
	}

	t.Setenv("SSH_AUTH_SOCK", filepath.Join(t.TempDir(), "no-agent"))
	s, err = x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(testCtx(t)); !errors.Is(err, sshconn.ErrNoAgent) {
		t.Fatalf("ForwardAgent without an agent: %v, want ErrNoAgent", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// knownLine is a known_hosts line for a fake server.
func knownLine(t *testing.T, srv *fakesshd.Server) string {
	b, err := os.ReadFile(srv.KnownHostsFile(t))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
