package x2go_test

// End-to-end tests of the Client against the lab: a session started from
// X2Go Client's sessions file, sessions placed by the real x2gobroker on
// the lab's two sshds, a session through a jump host, and twenty sessions
// held by one Client.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/brokertest"
	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/profile"
)

// labDefaults are the Client defaults for the lab: its host keys, and
// sessions shown on its display with their local files in a temporary
// directory.
func labDefaults(t *testing.T, lab *testserver.Lab) x2go.Options {
	return x2go.Options{
		KnownHostsFiles: []string{lab.KnownHosts},
		ConnectTimeout:  20 * time.Second,
		Params:          x2go.Params{Env: lab.ClientEnv(), SessionsRoot: filepath.Join(t.TempDir(), "x2go")},
	}
}

// lineDiff returns the lines of a and b that differ, position by
// position ("-old" and "+new"); files of different lengths differ in
// every line after the shorter one.
func lineDiff(a, b []byte) []string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y || i >= len(la) || i >= len(lb) {
			out = append(out, "-"+x, "+"+y)
		}
	}
	return out
}

// TestE2EProfileFile: a sessions file in X2Go Client's format (comments,
// quoting, escapes, a second profile with keys nobody here knows) is
// read, its profile starts a session on the lab whose window appears with
// the profile's geometry, and changing one key and saving the file
// changes that line only.
func TestE2EProfileFile(t *testing.T) {
	lab := interopSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	orig, err := os.ReadFile(filepath.Join("testdata", "client", "sessions"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sessions")
	if err := os.WriteFile(file, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	ss, err := profile.LoadSessions(file)
	if err != nil {
		t.Fatal(err)
	}
	const name = `lab, xterm "e2e"`
	p, err := ss.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	if sp, _ := p.Params(); sp.Server != lab.Host || sp.Port != lab.Port || sp.User != lab.User {
		t.Fatalf("the fixture's profile is for %s@%s:%d, the lab is %s@%s:%d", sp.User, sp.Server, sp.Port, lab.User, lab.Host, lab.Port)
	}

	c := newClient(t, x2go.ClientOptions{Profiles: ss, Defaults: labDefaults(t, lab), RefreshInterval: -1})
	s, err := c.RegisterProfile(ctx, name, func(o *x2go.Options) {
		o.KeyFiles = []string{lab.Key} // as pyhoca-cli -P NAME -i KEY
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	lab.WaitWindow(t, agentWindow(s.Name()), true, 30*time.Second)
	lab.WaitWindow(t, xtermWindow, true, 30*time.Second)
	screenshot(t, lab, "client-profile-file")
	if st := serverStatus(t, lab, s.Name()); st != "R" {
		t.Fatalf("server lists %s as %q", s.Name(), st)
	}
	sn, err := x2go.ParseSessionName(s.Name())
	if err != nil || sn.Type != "R" || sn.Command != "xterm" || s.ProfileName() != name {
		t.Fatalf("session %s (%+v, %v) of profile %q", s.Name(), sn, err, s.ProfileName())
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}

	p.SetInt("width", 800)
	if err := ss.Save(); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if d := lineDiff(orig, saved); len(d) != 2 || d[0] != "-width=640" || d[1] != "+width=800" {
		t.Fatalf("saving one changed key changed the file:\n%s", strings.Join(d, "\n"))
	}
}

// startBroker starts the real x2gobroker with profiles on the lab: "lab"
// on the main sshd, "pool" on both sshds.
func startBroker(t *testing.T, lab *testserver.Lab) (*brokertest.Broker, *broker.HTTP) {
	t.Helper()
	srv := brokertest.Start(t, brokertest.Options{
		Host: lab.Host, Port: lab.Port, SecondHost: lab.Host, SecondPort: lab.KbdIntPort, ServerUser: lab.User,
	})
	b, err := broker.NewHTTP(broker.HTTPConfig{URL: srv.JSONURL(), User: brokertest.User, Password: brokertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return srv, b
}

// TestE2EBroker: through the real x2gobroker the Client lists the
// broker's profiles, selects one and starts a session on the server the
// broker chose; the pool profile's sessions go to both of the lab's
// sshds, as the broker decides, and each comes up there.
func TestE2EBroker(t *testing.T) {
	lab := interopSetup(t)
	_, b := startBroker(t, lab)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := newClient(t, x2go.ClientOptions{Broker: b, Defaults: labDefaults(t, lab), RefreshInterval: -1})
	profiles, err := c.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range profiles.Profiles() {
		ids = append(ids, p.ID())
	}
	if got := strings.Join(ids, ","); !strings.Contains(got, brokertest.ProfileLab) || !strings.Contains(got, brokertest.ProfilePool) || strings.Contains(got, brokertest.ProfileStaff) {
		t.Fatalf("broker profiles %s", got)
	}
	// The broker's profiles name the broker user; the lab's is another.
	login := func(o *x2go.Options) {
		o.Username, o.KeyFiles, o.Password = lab.User, []string{lab.Key}, lab.Password
	}

	s, err := c.RegisterProfile(ctx, "Lab server", login)
	if err != nil {
		t.Fatal(err)
	}
	sel := c.BrokerSelection(s)
	if sel == nil || sel.Server != lab.Host || sel.Port != lab.Port || s.ServerPort() != lab.Port {
		t.Fatalf("selection %v, session on port %d", sel, s.ServerPort())
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	lab.WaitWindow(t, agentWindow(s.Name()), true, 30*time.Second)
	if st := serverStatus(t, lab, s.Name()); st != "R" {
		t.Fatalf("server lists %s as %q", s.Name(), st)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}

	// The pool: ask until the broker has chosen each backend; start a
	// session on the first choice of each.
	used := map[int]*x2go.Session{}
	var picks []int
	for try := 0; try < 24 && len(used) < 2; try++ {
		s, err := c.RegisterProfile(ctx, brokertest.ProfilePool, login)
		if err != nil {
			t.Fatal(err)
		}
		port := c.BrokerSelection(s).Port
		picks = append(picks, port)
		if port != lab.Port && port != lab.KbdIntPort {
			t.Fatalf("the broker chose port %d, not one of the pool's", port)
		}
		if used[port] != nil {
			c.Unregister(s)
			continue
		}
		used[port] = s
		if err := s.Connect(ctx); err != nil {
			t.Fatalf("backend %d: %v", port, err)
		}
		if _, peer, err := s.ServerPeerName(); err != nil || peer != port {
			t.Fatalf("backend %d: connected to port %d (%v)", port, peer, err)
		}
		if err := c.StartSession(ctx, s); err != nil {
			t.Fatalf("backend %d: %v", port, err)
		}
		lab.WaitWindow(t, agentWindow(s.Name()), true, 30*time.Second)
	}
	t.Logf("the broker chose the ports %v", picks)
	if len(used) != 2 {
		t.Fatalf("in %d selections the broker chose only %v", len(picks), picks)
	}
	waitXterms(t, lab, 2)
	screenshot(t, lab, "client-broker-pool")
	for port, s := range used {
		if st := serverStatus(t, lab, s.Name()); st != "R" {
			t.Fatalf("backend %d: server lists %s as %q", port, s.Name(), st)
		}
	}
	if n := sshConnsTo(t, lab.KbdIntPort); n != 1 {
		t.Errorf("%d connections to the second backend, want 1", n)
	}
	match, _ := x2go.MatchName("ALL")
	for _, r := range c.TerminateMatching(ctx, match) {
		if r.Err != nil {
			t.Errorf("terminate on %s:%d: %v", r.Server, r.Port, r.Err)
		}
	}
	if left := lab.Sessions(t); len(left) != 0 {
		t.Fatalf("sessions left: %q", left)
	}
}

// TestE2EJumpHost: a session through a jump host (the lab's main sshd, key
// login) to the second sshd (password only) comes up, with both host keys
// checked against known_hosts; the connection to the server runs inside
// the jump connection. A jump host whose key is unknown is refused, and
// so is a server whose key is unknown behind a known jump host. A profile
// with an SSH proxy and an OpenSSH configuration with ProxyJump get there
// the same way.
func TestE2EJumpHost(t *testing.T) {
	lab := interopSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.Port, o.KeyFiles, o.Password = lab.KbdIntPort, nil, lab.Password
	o.Jump = &x2go.JumpHost{Host: lab.Host, Port: lab.Port, Username: lab.User, KeyFiles: []string{lab.Key}}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := sshConnsTo(t, lab.Port), sshConnsTo(t, lab.KbdIntPort); a != 1 || b != 0 {
		t.Fatalf("%d connections to the jump host and %d to the server, want 1 and 0 (through the jump host)", a, b)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	lab.WaitWindow(t, agentWindow(s.Name()), true, 30*time.Second)
	lab.WaitWindow(t, xtermWindow, true, 30*time.Second)
	screenshot(t, lab, "client-jump-host")
	if st := serverStatus(t, lab, s.Name()); st != "R" {
		t.Fatalf("server lists %s as %q", s.Name(), st)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Disconnect()

	// Known hosts that lack one of the two hops.
	lines, err := os.ReadFile(lab.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	only := func(port int) string {
		var b bytes.Buffer
		for _, l := range strings.SplitAfter(string(lines), "\n") {
			if strings.HasPrefix(l, fmt.Sprintf("[%s]:%d ", lab.Host, port)) {
				b.WriteString(l)
			}
		}
		f := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		name     string
		known    string
		unknownP int
	}{
		{"unknown jump host", only(lab.KbdIntPort), lab.Port},
		{"unknown server behind the jump host", only(lab.Port), lab.KbdIntPort},
	} {
		o := o
		j := *o.Jump
		o.Jump, o.KnownHostsFiles = &j, []string{tc.known}
		before, _ := os.ReadFile(tc.known)
		s, err := x2go.NewSession(o)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Connect(ctx)
		s.Disconnect()
		var hke *x2go.HostKeyError
		if !errors.Is(err, x2go.ErrHostKeyUnknown) || !errors.As(err, &hke) || !strings.Contains(hke.Error(), fmt.Sprintf(":%d", tc.unknownP)) {
			t.Fatalf("%s: %v, want the host key of port %d refused", tc.name, err, tc.unknownP)
		}
		if after, _ := os.ReadFile(tc.known); !bytes.Equal(before, after) {
			t.Fatalf("%s: known_hosts was changed", tc.name)
		}
	}

	// A profile with an SSH proxy: sshproxysamepass reuses the server's
	// credentials (the password) for the proxy, which takes it too.
	ss := profile.NewSessions()
	p, err := ss.Add("through the jump host")
	if err != nil {
		t.Fatal(err)
	}
	p.SetString("host", lab.Host)
	p.SetInt("sshport", lab.KbdIntPort)
	p.SetString("user", lab.User)
	p.SetBool("autologin", false)
	p.SetBool("usesshproxy", true)
	p.SetString("sshproxyhost", fmt.Sprintf("%s:%d", lab.Host, lab.Port))
	p.SetBool("sshproxysameuser", true)
	p.SetBool("sshproxysamepass", true)
	p.SetBool("sshproxyautologin", false)
	c := newClient(t, x2go.ClientOptions{Profiles: ss, Defaults: labDefaults(t, lab), RefreshInterval: -1})
	ps, err := c.RegisterProfile(ctx, "through the jump host", func(o *x2go.Options) { o.Password = lab.Password })
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.Connect(ctx); err != nil {
		t.Fatalf("profile with SSH proxy: %v", err)
	}
	if _, err := ps.ListSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := sshConnsTo(t, lab.Port), sshConnsTo(t, lab.KbdIntPort); a != 1 || b != 0 {
		t.Fatalf("profile: %d connections to the jump host and %d to the server, want 1 and 0", a, b)
	}
	c.Close()

	// ~/.ssh/config with ProxyJump.
	cfg := filepath.Join(t.TempDir(), "config")
	writeFile(t, cfg, fmt.Sprintf(`Host labjump
	HostName %[1]s
	Port %[2]d
	User %[4]s
	ProxyJump %[4]s@%[1]s:%[3]d

Host *
	UserKnownHostsFile %[5]s
	GlobalKnownHostsFile none
	IdentityFile %[6]s
	IdentitiesOnly yes
`, lab.Host, lab.KbdIntPort, lab.Port, lab.User, lab.KnownHosts, lab.Key))
	cs, err := x2go.NewSession(x2go.Options{Server: "labjump", UseSSHConfig: true, SSHConfigFile: cfg, Password: lab.Password,
		Params: x2go.Params{SessionsRoot: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Disconnect()
	if err := cs.Connect(ctx); err != nil {
		t.Fatalf("ssh_config ProxyJump: %v", err)
	}
	if _, err := cs.ListSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := sshConnsTo(t, lab.Port), sshConnsTo(t, lab.KbdIntPort); a != 1 || b != 0 {
		t.Fatalf("ssh_config: %d connections to the jump host and %d to the server, want 1 and 0", a, b)
	}
}

// TestE2ETwentySessions: one Client holds twenty sessions on the lab at
// once, over one SSH connection: all are started (a few at a time), their
// windows appear, the server lists them running; all are suspended,
// resumed and terminated, the registry reporting each change once; no
// nxproxy, goroutine or connection is left.
func TestE2ETwentySessions(t *testing.T) {
	const n, limit = 20, 4
	lab := interopSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if k := sshConnsTo(t, lab.Port); k != 0 {
		t.Fatalf("%d connections to the lab before the test", k)
	}
	ev := &events{}
	c, err := x2go.NewClient(x2go.ClientOptions{RefreshInterval: 2 * time.Second, Hooks: ev.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sessions []*x2go.Session
	for range n {
		s, err := c.Register(sessionOptions(t, lab, x2go.Params{Command: "xterm", Geometry: "200x150"}))
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	if k := len(c.ControlSessions()); k != 1 {
		t.Fatalf("%d control sessions for one server, want 1", k)
	}
	each := func(what string, f func(s *x2go.Session) error) time.Duration {
		t.Helper()
		t0 := time.Now()
		sem := make(chan struct{}, limit)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, s := range sessions {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				errs[i] = f(s)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		d := time.Since(t0)
		t.Logf("%s %d sessions: %v", what, n, d.Round(time.Millisecond))
		return d
	}
	each("connect", func(s *x2go.Session) error { return s.Connect(ctx) })
	each("start", func(s *x2go.Session) error { return s.Start(ctx) })
	waitXterms(t, lab, n)
	tileXterms(t, lab)
	screenshot(t, lab, "client-twenty-sessions")
	if k := sshConnsTo(t, lab.Port); k != 1 {
		t.Fatalf("%d SSH connections for %d sessions, want 1", k, n)
	}
	names := map[string]bool{}
	for _, s := range sessions {
		names[s.Name()] = true
	}
	for _, line := range lab.Sessions(t) { // the server's own list, without SSH
		if f := strings.Split(line, "|"); len(f) < 5 || !names[f[1]] || f[4] != "R" {
			t.Fatalf("the server lists %q", line)
		}
	}
	if len(names) != n || len(lab.Sessions(t)) != n {
		t.Fatalf("%d distinct session names, the server lists %d sessions, want %d", len(names), len(lab.Sessions(t)), n)
	}
	res := c.ListServers(ctx)
	if len(res) != 1 || res[0].Err != nil || len(res[0].Sessions) != n {
		t.Fatalf("ListServers: %+v", res)
	}
	for _, si := range res[0].Sessions {
		if !names[si.Name] || si.Status != "R" {
			t.Fatalf("listed %s %s, not one of ours running", si.Name, si.Status)
		}
	}

	each("suspend", func(s *x2go.Session) error { return s.Suspend(ctx) })
	waitXterms(t, lab, 0)
	for name := range names {
		if st := serverStatus(t, lab, name); st != "S" {
			t.Fatalf("after suspend the server lists %s as %q", name, st)
		}
	}
	each("resume", func(s *x2go.Session) error { return s.Resume(ctx, s.Name()) })
	waitXterms(t, lab, n)
	if k := sshConnsTo(t, lab.Port); k != 1 {
		t.Fatalf("%d SSH connections after resuming, want 1", k)
	}
	match, _ := x2go.MatchName("ALL")
	t0 := time.Now()
	for _, r := range c.TerminateMatching(ctx, match) {
		if r.Err != nil || len(r.Sessions) != n {
			t.Fatalf("TerminateMatching: %d terminated, %v", len(r.Sessions), r.Err)
		}
	}
	t.Logf("terminate %d sessions: %v", n, time.Since(t0).Round(time.Millisecond))
	if left := lab.Sessions(t); len(left) != 0 {
		t.Fatalf("sessions left: %q", left)
	}
	for _, s := range sessions {
		if s.Status() != x2go.StatusTerminated {
			t.Fatalf("%s: %v after terminating all", s.Name(), s.Status())
		}
	}
	counts := map[string]int{}
	for _, e := range ev.take() {
		kind, rest, _ := strings.Cut(e, " ")
		if !strings.HasSuffix(rest, " me") {
			t.Errorf("event not by me: %s", e)
		}
		counts[kind]++
	}
	if counts["started"] != n || counts["suspended"] != n || counts["resumed"] != n || counts["terminated"] != n || len(counts) != 4 {
		t.Errorf("registry events %v, want %d of each of started, suspended, resumed, terminated", counts, n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if k := sshConnsTo(t, lab.Port); k != 0 {
		t.Errorf("%d connections after Close", k)
	}
	if pids := nxproxyChildren(); len(pids) != 0 {
		t.Errorf("nxproxy processes left: %v", pids)
	}
}

// tileXterms moves the xterm windows on the lab display into a grid, so
// that a screenshot shows every one of them (rootless windows all open at
// the top left corner).
func tileXterms(t *testing.T, lab *testserver.Lab) {
	t.Helper()
	out, err := xcmd(lab, "xdotool", "search", "--onlyvisible", "--class", "xterm")
	if err != nil {
		t.Logf("xdotool search: %v %s", err, out)
		return
	}
	for i, id := range strings.Fields(out) {
		x, y := (i%5)*250, (i/5)*250
		if out, err := xcmd(lab, "xdotool", "windowmove", id, fmt.Sprint(x), fmt.Sprint(y)); err != nil {
			t.Logf("xdotool windowmove %s: %v %s", id, err, out)
		}
	}
	time.Sleep(time.Second) // let the agents redraw
}
