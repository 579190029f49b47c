package sound

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/internal/sound/pulsetest"
	"github.com/x2go-go/x2go/sshconn"
	"go.uber.org/goleak"
)

const testSession = "x2gotest-51-1795627586_stRxterm_dp24"

// leakCheck fails the test if a goroutine is left when it ends. Call it
// first: cleanups run in reverse order.
func leakCheck(t *testing.T) { t.Cleanup(func() { goleak.VerifyNone(t) }) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// setupReply answers the setup command, reading the cookie from its
// standard input as cat does.
var setupReply = fakesshd.Reply{ReadInput: true}

// dialFake starts an in-process SSH server answering commands with h and
// connects to it.
func dialFake(t *testing.T, h fakesshd.Handler, opts ...fakesshd.Option) (*fakesshd.Server, *sshconn.Conn) {
	t.Helper()
	srv := fakesshd.New(t, h, opts...)
	c, err := sshconn.Dial(testCtx(t), sshconn.Config{
		Host: "127.0.0.1", Port: srv.Port(), User: "x2gotest",
		Auth:           sshconn.Auth{Password: srv.Password()},
		HostKeys:       sshconn.HostKeyConfig{KnownHostsFiles: []string{srv.KnownHostsFile(t)}},
		ConnectTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

// echoServer is a TCP peer standing in for the local PulseAudio: it
// sends back what it reads. It is closed when the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func cookieFile(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cookie")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func home() string { return fakesshd.Home }

func testRun(c *sshconn.Conn, soundPort int) service.Run {
	return service.Run{Name: testSession, Display: 51, AgentPID: 17128, SoundPort: soundPort, Conn: c}
}

// TestSetupCmd runs the setup command in a real shell: the cookie comes
// from standard input into a file only the user can read, and the client
// configuration names the port and the cookie.
func TestSetupCmd(t *testing.T) {
	rc := filepath.Join(t.TempDir(), "C-it's a session")
	if err := os.Mkdir(rc, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(rc, ".pulse-cookie")
	os.WriteFile(old, []byte("an older, longer, world-readable cookie"), 0o644)
	cmd := exec.Command("sh", "-c", SetupCmd(rc, 48177))
	cmd.Stdin = strings.NewReader("s3cret-cookie")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(old)
	fi, _ := os.Stat(old)
	if err != nil || string(b) != "s3cret-cookie" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cookie %q mode %v err %v", b, fi.Mode(), err)
	}
	conf, err := os.ReadFile(filepath.Join(rc, ".pulse-client.conf"))
	want := "default-server=127.0.0.1:48177\ncookie-file=" + old + "\n"
	if err != nil || string(conf) != want {
		t.Fatalf("client.conf %q, want %q (%v)", conf, want, err)
	}
	if strings.Contains(SetupCmd(rc, 48177), "s3cret") {
		t.Fatal("the cookie is in the command line")
	}
	// No session directory: the command fails.
	cmd = exec.Command("sh", "-c", SetupCmd(filepath.Join(rc, "missing"), 1))
	cmd.Stdin = strings.NewReader("x")
	if err := cmd.Run(); err == nil {
		t.Fatal("setup into a missing directory succeeded")
	}
}

// TestServiceForwards: Start writes the cookie over standard input, asks
// for the reverse forward of the sound port, and the server's connections
// to that port reach the local listener both ways; Stop ends the forward.
func TestServiceForwards(t *testing.T) {
	leakCheck(t)
	ctx := testCtx(t)
	srv, c := dialFake(t, fakesshd.Standard().With("umask 077", setupReply), fakesshd.WithRemoteForward())
	local := echoServer(t)
	port := freeTestPort(t)
	svc := New(Config{
		System: "pulse", Home: home,
		Local: LocalConfig{Server: local, CookieFile: cookieFile(t, "the-cookie"), Env: []string{}},
	})
	if svc.Name() != "sound" {
		t.Fatal(svc.Name())
	}
	inst, err := svc.Start(ctx, testRun(c, port))
	if err != nil {
		t.Fatal(err)
	}
	rc := fakesshd.Home + "/.x2go/C-" + testSession
	if cmds := srv.Commands(); len(cmds) != 1 || cmds[0] != SetupCmd(rc, port) {
		t.Fatalf("commands %q", cmds)
	}
	if in := srv.Inputs(); len(in) != 1 || in[0] != "the-cookie" {
		t.Fatalf("inputs %q", in)
	}
	env := inst.(service.Environ).SessionEnv()
	if len(env) != 1 || env["PULSE_CLIENTCONFIG"] != rc+"/.pulse-client.conf" {
		t.Fatalf("env %v", env)
	}
	f := inst.(*Forward)
	if svc.Current() != f {
		t.Fatal("Current is not the running forward")
	}
	if f.ServerPort() != port || f.LocalAddr() != local {
		t.Fatalf("port %d local %s", f.ServerPort(), f.LocalAddr())
	}

	// Two connections at once, as two players in the session.
	for i := range 2 {
		sc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		msg := "sound " + strconv.Itoa(i)
		sc.Write([]byte(msg))
		buf := make([]byte, len(msg))
		sc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo %q: %q %v", msg, buf, err)
		}
	}
	if f.Served() != 2 {
		t.Fatalf("served %d", f.Served())
	}
	select {
	case <-inst.Done():
		t.Fatal("done while running")
	default:
	}
	if err := inst.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-inst.Done()
	if inst.Err() != nil {
		t.Fatalf("Err after Stop: %v", inst.Err())
	}
	if svc.Current() != nil {
		t.Fatal("Current after Stop")
	}
	if err := inst.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// The server no longer listens (cancel-tcpip-forward).
	deadline := time.Now().Add(5 * time.Second)
	for {
		sc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			break
		}
		sc.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still listens after Stop")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServiceFailures: each reason sound cannot start is its own error,
// and a refused forward is reported through the hook.
func TestServiceFailures(t *testing.T) {
	leakCheck(t)
	ctx := testCtx(t)
	local := echoServer(t)
	cookie := cookieFile(t, "c")
	localCfg := LocalConfig{Server: local, CookieFile: cookie, Env: []string{}}

	_, c := dialFake(t, fakesshd.Standard().With("umask 077", setupReply)) // no remote forwards
	var denied []int
	svc := New(Config{System: "pulse", Home: home, Local: localCfg,
		Hooks: Hooks{ForwardDenied: func(port int, err error) { denied = append(denied, port) }}})
	port := freeTestPort(t)
	if _, err := svc.Start(ctx, testRun(c, port)); !errors.Is(err, sshconn.ErrForwardDenied) || len(denied) != 1 || denied[0] != port {
		t.Fatalf("denied forward: %v, hook %v", err, denied)
	}

	for _, sys := range []string{"esd", "arts", ""} {
		if _, err := New(Config{System: sys, Home: home, Local: localCfg}).Start(ctx, testRun(c, port)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%q: %v", sys, err)
		}
	}
	if _, err := New(Config{System: "pulse", Local: localCfg}).Start(ctx, testRun(c, port)); !errors.Is(err, ErrSetup) {
		t.Errorf("no home: %v", err)
	}
	if _, err := svc.Start(ctx, testRun(c, 0)); err == nil {
		t.Error("no sound port: no error")
	}
	noCookie := localCfg
	noCookie.CookieFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(Config{System: "pulse", Home: home, Local: noCookie}).Start(ctx, testRun(c, port)); !errors.Is(err, ErrNoCookie) {
		t.Errorf("no cookie: %v", err)
	}
	noPulse := localCfg
	noPulse.Server = "127.0.0.1:" + strconv.Itoa(freeTestPort(t))
	if _, err := New(Config{System: "pulse", Home: home, Local: noPulse}).Start(ctx, testRun(c, port)); !errors.Is(err, ErrNoPulseAudio) {
		t.Errorf("no PulseAudio: %v", err)
	}

	_, c2 := dialFake(t, fakesshd.Standard().With("umask 077", fakesshd.Reply{ReadInput: true, Status: 1, Stderr: "sh: 1: cannot create x: Directory nonexistent\n"}),
		fakesshd.WithRemoteForward())
	_, err := svc.Start(ctx, testRun(c2, port))
	if !errors.Is(err, ErrSetup) || !strings.Contains(err.Error(), "Directory nonexistent") || strings.Contains(err.Error(), "c00k") {
		t.Errorf("setup failed: %v", err)
	}
}

// TestForwardEndsWithConnection: when the SSH connection dies, the forward
// ends on its own with an error, and Stop still cleans up.
func TestForwardEndsWithConnection(t *testing.T) {
	leakCheck(t)
	ctx := testCtx(t)
	srv, c := dialFake(t, fakesshd.Standard().With("umask 077", setupReply), fakesshd.WithRemoteForward())
	svc := New(Config{System: "pulse", Home: home,
		Local: LocalConfig{Server: echoServer(t), CookieFile: cookieFile(t, "c"), Env: []string{}}})
	inst, err := svc.Start(ctx, testRun(c, freeTestPort(t)))
	if err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	select {
	case <-inst.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the forward did not notice the dead connection")
	}
	if inst.Err() == nil {
		t.Fatal("no error after the connection died")
	}
	if err := inst.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServiceRealPulseAudio: sound a PulseAudio client plays into the
// server side of the forward, with the cookie the service uploaded,
// comes out of the real local PulseAudio; the TCP listener the service
// loaded is gone after Stop.
func TestServiceRealPulseAudio(t *testing.T) {
	leakCheck(t)
	pa := needPulse(t)
	ctx := testCtx(t)
	srv, c := dialFake(t, fakesshd.Standard().With("umask 077", setupReply), fakesshd.WithRemoteForward())
	port := freeTestPort(t)
	// The daemon is found through its socket; the TCP listener is loaded.
	began := time.Now()
	inst, err := New(Config{System: "pulse", Home: home, Local: LocalConfig{Env: pa.Env}}).Start(ctx, testRun(c, port))
	if err != nil {
		t.Fatalf("%v\n%s", err, pa.Log())
	}
	t.Logf("Start (pactl list + load-module, setup command, reverse forward) took %v", time.Since(began).Round(time.Millisecond))
	defer inst.Stop(ctx)
	if mods := pa.TCPModules(t); len(mods) != 1 {
		t.Fatalf("modules %q", mods)
	}
	// What the server got on standard input is the cookie the session's
	// clients present.
	uploaded := filepath.Join(t.TempDir(), "uploaded-cookie")
	os.WriteFile(uploaded, []byte(srv.Inputs()[0]), 0o600)
	wav := filepath.Join(t.TempDir(), "tone.wav")
	os.WriteFile(wav, pulsetest.ToneWAV(440, time.Second), 0o644)

	rec := pa.Record(t)
	time.Sleep(200 * time.Millisecond)
	play := exec.CommandContext(ctx, "paplay", wav)
	play.Env = []string{"HOME=" + t.TempDir(), "PULSE_SERVER=tcp:127.0.0.1:" + strconv.Itoa(port), "PULSE_COOKIE=" + uploaded}
	if out, err := play.CombinedOutput(); err != nil {
		t.Fatalf("paplay through the forward: %v %s", err, out)
	}
	time.Sleep(200 * time.Millisecond)
	samples, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	a := pulsetest.Analyse(samples, 0.05)
	t.Logf("recorded %d samples: peak RMS %.3f, %d loud 50 ms stretches at %.0f Hz", a.Samples, a.Peak, a.Loud, a.Pitch)
	if a.Loud < 10 || a.Pitch < 430 || a.Pitch > 450 {
		t.Fatalf("the tone did not arrive: %+v", a)
	}

	// Without the cookie the local PulseAudio refuses the session's client.
	play = exec.CommandContext(ctx, "paplay", wav)
	play.Env = []string{"HOME=" + t.TempDir(), "PULSE_SERVER=tcp:127.0.0.1:" + strconv.Itoa(port), "PULSE_COOKIE=" + cookieFile(t, strings.Repeat("x", 256))}
	if out, err := play.CombinedOutput(); err == nil || !strings.Contains(string(out), "denied") {
		t.Fatalf("paplay with a wrong cookie: %v %s", err, out)
	}

	if err := inst.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("left loaded after Stop: %q", mods)
	}
}
