package nxproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const testSession = "x2gotest-51-1700000000_stDXTERM_dp24"

func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSessionDir(t *testing.T) {
	if got := SessionDir("/home/u/.x2go", testSession); got != "/home/u/.x2go/S-"+testSession {
		t.Fatalf("SessionDir = %q", got)
	}
}

func TestOptionString(t *testing.T) {
	cfg := Config{
		SessionName:  "x2gotest-51-1700000000_stDXTERM_dp24",
		Cookie:       "0123456789abcdef0123456789abcdef",
		Display:      51,
		LocalPort:    58176,
		SessionsRoot: "/home/x2gotest/.x2go",
	}
	const want = "nx/nx,retry=5,composite=1,connect=127.0.0.1,clipboard=1," +
		"cookie=0123456789abcdef0123456789abcdef,port=58176," +
		"errors=/home/x2gotest/.x2go/S-x2gotest-51-1700000000_stDXTERM_dp24/session.err:51"
	if got := OptionString(cfg); got != want {
		t.Fatalf("OptionString =\n%s\nwant\n%s", got, want)
	}
	wantArgs := []string{"-S", "nx/nx,options=/home/x2gotest/.x2go/S-x2gotest-51-1700000000_stDXTERM_dp24/options:51"}
	if got := args(cfg); fmt.Sprint(got) != fmt.Sprint(wantArgs) {
		t.Fatalf("args = %q, want %q", got, wantArgs)
	}
	for _, a := range args(cfg) {
		if strings.Contains(a, cfg.Cookie) {
			t.Fatal("cookie in argv")
		}
	}
}

func validConfig(t *testing.T) Config {
	return Config{
		Binary:       "/bin/true",
		SessionName:  testSession,
		Cookie:       randomHex(t, 32),
		Display:      51,
		LocalPort:    58176,
		SessionsRoot: t.TempDir(),
		Env:          []string{"DISPLAY=:99"},
	}
}

func TestStartInvalidConfig(t *testing.T) {
	leakCheck(t)
	for name, mod := range map[string]func(*Config){
		"short cookie":   func(c *Config) { c.Cookie = "abc" },
		"non-hex cookie": func(c *Config) { c.Cookie = strings.Repeat("g", 32) },
		"comma cookie":   func(c *Config) { c.Cookie = strings.Repeat("a", 31) + "," },
		"zero display":   func(c *Config) { c.Display = 0 },
		"neg display":    func(c *Config) { c.Display = -3 },
		"zero port":      func(c *Config) { c.LocalPort = 0 },
		"big port":       func(c *Config) { c.LocalPort = 65536 },
		"empty name":     func(c *Config) { c.SessionName = "" },
		"slash name":     func(c *Config) { c.SessionName = "../x" },
		"comma name":     func(c *Config) { c.SessionName = "a,cookie=1" },
		"dotdot name":    func(c *Config) { c.SessionName = ".." },
		"comma root":     func(c *Config) { c.SessionsRoot = filepath.Join(c.SessionsRoot, "a,b") },
		"no display env": func(c *Config) { c.Env = []string{"PATH=/bin"} },
		"empty display":  func(c *Config) { c.Env = []string{"DISPLAY="} },
	} {
		cfg := validConfig(t)
		mod(&cfg)
		p, err := Start(context.Background(), cfg)
		if err == nil {
			p.Stop(context.Background())
			t.Errorf("%s: Start succeeded", name)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: error %v does not match ErrInvalidConfig", name, err)
		}
		if len(cfg.Cookie) > 8 && strings.Contains(err.Error(), cfg.Cookie) {
			t.Errorf("%s: cookie in error text", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, validConfig(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with cancelled ctx: %v", err)
	}
}

func TestStartMissingBinary(t *testing.T) {
	leakCheck(t)
	cfg := validConfig(t)
	cfg.Binary = filepath.Join(t.TempDir(), "no-such-nxproxy")
	if p, err := Start(context.Background(), cfg); err == nil {
		p.Stop(context.Background())
		t.Fatal("Start succeeded")
	}
}

// writeScript creates an executable shell script standing in for nxproxy.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "fake-nxproxy")
	if err := os.WriteFile(name, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return name
}

func start(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(ctxTimeout(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return p
}

func waitDone(t *testing.T, p *Proxy, d time.Duration) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(d):
		t.Fatalf("process %d did not exit within %v", p.PID(), d)
	}
}

func TestExitByItself(t *testing.T) {
	leakCheck(t)
	cfg := validConfig(t)
	cfg.Binary = "/bin/false"
	p := start(t, cfg)
	waitDone(t, p, 10*time.Second)
	var ee *ExitError
	if err := p.Err(); !errors.As(err, &ee) || !errors.Is(err, ErrExited) {
		t.Fatalf("Err = %v, want *ExitError", err)
	}
	if ee.Code != 1 || ee.Signal != "" {
		t.Fatalf("ExitError = %+v", ee)
	}
	// Stop after the exit is a no-op and keeps the error.
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(p.Err(), ErrExited) {
		t.Fatalf("Err after Stop = %v", p.Err())
	}
}

// TestExitLogTail: the fake proxy reads the options file named in its argv,
// prints it (cookie and all) and an error, and fails. The ExitError carries
// the log tail with the cookie redacted.
func TestExitLogTail(t *testing.T) {
	leakCheck(t)
	cfg := validConfig(t)
	cfg.Binary = writeScript(t, `
opt=${2#nx/nx,options=}
opt=${opt%:*}
echo "Info: options are $(cat "$opt")"
echo "Error: simulated failure" >&2
echo "Info: after the error"
echo "NX error file line" >> "$NX_ROOT/S-`+testSession+`/session.err"
exit 3
`)
	p := start(t, cfg)
	waitDone(t, p, 10*time.Second)
	var ee *ExitError
	if !errors.As(p.Err(), &ee) {
		t.Fatalf("Err = %v", p.Err())
	}
	if ee.Code != 3 {
		t.Fatalf("Code = %d", ee.Code)
	}
	if !strings.Contains(ee.LogTail, "Error: simulated failure") ||
		!strings.Contains(ee.LogTail, "NX error file line") ||
		!strings.Contains(ee.LogTail, "cookie=<cookie>,port=58176") {
		t.Fatalf("LogTail = %q", ee.LogTail)
	}
	if strings.Contains(ee.LogTail, cfg.Cookie) || strings.Contains(ee.Error(), cfg.Cookie) {
		t.Fatal("cookie not redacted")
	}
	if got := ee.Error(); got != "nxproxy exited with status 3: Error: simulated failure" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestKilledBySignal(t *testing.T) {
	leakCheck(t)
	cfg := validConfig(t)
	cfg.Binary = writeScript(t, "kill -KILL $$\n")
	p := start(t, cfg)
	waitDone(t, p, 10*time.Second)
	var ee *ExitError
	if !errors.As(p.Err(), &ee) {
		t.Fatalf("Err = %v", p.Err())
	}
	if ee.Code != -1 || ee.Signal != syscall.SIGKILL.String() {
		t.Fatalf("ExitError = %+v", ee)
	}
}

// TestEnvironment: NX_CLIENT and NX_ROOT are set (replacing inherited
// values), the rest of Env is passed on, and the working directory is the
// session directory.
func TestEnvironment(t *testing.T) {
	leakCheck(t)
	cfg := validConfig(t)
	out := filepath.Join(t.TempDir(), "env")
	cfg.Binary = writeScript(t, "env > "+out+"\npwd >> "+out+"\n")
	cfg.Env = []string{"DISPLAY=:77", "XAUTHORITY=/tmp/xa", "NX_ROOT=/wrong", "NX_CLIENT=/usr/bin/nxdialog", "FOO=bar"}
	p := start(t, cfg)
	waitDone(t, p, 10*time.Second)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"DISPLAY=:77\n", "XAUTHORITY=/tmp/xa\n", "FOO=bar\n",
		"NX_CLIENT=/bin/true\n", "NX_ROOT=" + cfg.SessionsRoot + "\n", p.Dir() + "\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("environment lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/wrong") || strings.Contains(got, "nxdialog") {
		t.Errorf("inherited NX_ROOT/NX_CLIENT not replaced:\n%s", got)
	}
}

// TestStopEscalates: a proxy that ignores SIGTERM is killed once Stop's ctx
// ends (before the 2 s grace period).
func TestStopEscalates(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	ready := filepath.Join(dir, "ready")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := validConfig(t)
	cfg.Binary = writeScript(t, "trap '' TERM\n: > "+ready+"\nread x < "+fifo+"\n")
	p := start(t, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("fake proxy not ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > stopGrace {
		t.Fatalf("Stop took %v; ctx should have cut the grace period", d)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if p.Err() != nil {
		t.Fatalf("Err after Stop = %v, want nil", p.Err())
	}
}

// startXvfb starts an Xvfb on a free display from :90 upwards with a fresh
// MIT cookie, and returns the environment a client of it needs. It fails
// the test if Xvfb or xauth is missing.
func startXvfb(t *testing.T) []string {
	t.Helper()
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb is required: %v", err)
	}
	xauth, err := exec.LookPath("xauth")
	if err != nil {
		t.Fatalf("xauth is required: %v", err)
	}
	dir := t.TempDir()
	auth := filepath.Join(dir, "Xauthority")
	for n := 90; n < 140; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		disp := ":" + strconv.Itoa(n)
		if out, err := exec.Command(xauth, "-f", auth, "add", disp, "MIT-MAGIC-COOKIE-1", randomHex(t, 32)).CombinedOutput(); err != nil {
			t.Fatalf("xauth: %v: %s", err, out)
		}
		logf, err := os.Create(filepath.Join(dir, "xvfb"+disp[1:]+".log"))
		if err != nil {
			t.Fatal(err)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(xvfb, disp, "-displayfd", "3", "-nolisten", "tcp",
			"-auth", auth, "-screen", "0", "640x480x24")
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.ExtraFiles = []*os.File{w}
		err = cmd.Start()
		w.Close()
		logf.Close()
		if err != nil {
			r.Close()
			t.Fatal(err)
		}
		// Xvfb writes the display number to fd 3 once it accepts clients,
		// or exits (closing the pipe) when the display is taken.
		_ = r.SetReadDeadline(time.Now().Add(15 * time.Second))
		b, _ := io.ReadAll(r)
		r.Close()
		if strings.TrimSpace(string(b)) == disp[1:] {
			pid := cmd.Process.Pid
			t.Cleanup(func() {
				_ = syscall.Kill(pid, syscall.SIGTERM)
				_ = cmd.Wait()
			})
			return []string{"DISPLAY=" + disp, "XAUTHORITY=" + auth, "PATH=/usr/bin:/bin", "HOME=" + dir}
		}
		_ = cmd.Process.Kill() // by PID: the Xvfb this loop started
		_ = cmd.Wait()
	}
	t.Fatal("no free X display for Xvfb in :90-:139")
	return nil
}

// acceptNX accepts nxproxy's connection on ln and reads its NX handshake
// line ("NXPROXY-<version> cookie=<cookie>,...").
func acceptNX(t *testing.T, ln *net.TCPListener) (net.Conn, string) {
	t.Helper()
	_ = ln.SetDeadline(time.Now().Add(20 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("nxproxy did not connect to the local port: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello []byte
	buf := make([]byte, 256)
	for !bytes.Contains(hello, []byte(" ")) || len(hello) < 40 {
		n, err := c.Read(buf)
		hello = append(hello, buf[:n]...)
		if err != nil {
			t.Fatalf("reading NX handshake: %v (got %q)", err, hello)
		}
	}
	return c, string(hello)
}

func realConfig(t *testing.T, env []string) (Config, *net.TCPListener) {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if _, err := os.Stat(DefaultBinary); err != nil {
		t.Fatalf("nxproxy is required: %v", err)
	}
	return Config{
		SessionName:  testSession,
		Cookie:       randomHex(t, 32),
		Display:      51,
		LocalPort:    ln.Addr().(*net.TCPAddr).Port,
		SessionsRoot: filepath.Join(t.TempDir(), ".x2go"),
		Env:          env,
	}, ln
}

// TestRealNxproxy runs Debian's nxproxy with the options-file invocation and
// checks that it read the file (it connects to the port and sends the cookie
// named only there), that the cookie is not in its argv, and that Stop ends it.
func TestRealNxproxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and nxproxy")
	}
	leakCheck(t)
	env := startXvfb(t)
	cfg, ln := realConfig(t, env)
	p := start(t, cfg)
	if p.PID() <= 0 {
		t.Fatalf("PID = %d", p.PID())
	}

	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cmdline, []byte(cfg.Cookie)) {
		t.Fatalf("cookie visible in /proc/%d/cmdline: %q", p.PID(), cmdline)
	}
	wantCmd := DefaultBinary + "\x00-S\x00nx/nx,options=" + p.Dir() + "/options:51\x00"
	if string(cmdline) != wantCmd {
		t.Fatalf("cmdline = %q, want %q", cmdline, wantCmd)
	}

	_, hello := acceptNX(t, ln)
	if !strings.HasPrefix(hello, "NXPROXY-") || !strings.Contains(hello, "cookie="+cfg.Cookie) {
		t.Fatalf("unexpected NX handshake %q", hello)
	}

	// Files and modes.
	if p.Dir() != SessionDir(cfg.SessionsRoot, cfg.SessionName) {
		t.Fatalf("Dir = %q", p.Dir())
	}
	for path, want := range map[string]os.FileMode{
		cfg.SessionsRoot:                  0o700 | os.ModeDir,
		p.Dir():                           0o700 | os.ModeDir,
		filepath.Join(p.Dir(), "options"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode(), want)
		}
	}
	opts, err := os.ReadFile(filepath.Join(p.Dir(), "options"))
	if err != nil {
		t.Fatal(err)
	}
	if string(opts) != OptionString(cfg) {
		t.Fatalf("options file = %q, want %q", opts, OptionString(cfg))
	}

	select {
	case <-p.Done():
		t.Fatalf("nxproxy exited early: %v", p.Err())
	default:
	}
	if p.Err() != nil {
		t.Fatalf("Err while running = %v", p.Err())
	}

	if err := p.Stop(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if p.Err() != nil {
		t.Fatalf("Err after Stop = %v", p.Err())
	}
	log, err := os.ReadFile(filepath.Join(p.Dir(), "session.log"))
	if err != nil {
		t.Fatal(err)
	}
	wantLog := fmt.Sprintf("Connecting to remote host '127.0.0.1:%d'", cfg.LocalPort)
	if !bytes.Contains(log, []byte(wantLog)) {
		t.Errorf("session.log lacks %q:\n%s", wantLog, log)
	}
	if bytes.Contains(log, []byte(cfg.Cookie)) {
		t.Errorf("cookie in session.log")
	}

	if err := p.RemoveDir(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("session dir still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.SessionsRoot, "S-51")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("per-display dir still there: %v", err)
	}
}

// TestRealNxproxyPeerCloses: when the far side drops the connection (as when
// the agent rejects it or the link dies) nxproxy exits by itself; Done closes
// and Err explains why with nxproxy's own words.
func TestRealNxproxyPeerCloses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and nxproxy")
	}
	leakCheck(t)
	env := startXvfb(t)
	cfg, ln := realConfig(t, env)
	p := start(t, cfg)
	c, _ := acceptNX(t, ln)
	ln.Close() // no reconnect target
	c.Close()
	waitDone(t, p, 30*time.Second)
	var ee *ExitError
	if !errors.As(p.Err(), &ee) {
		t.Fatalf("Err = %v, want *ExitError", p.Err())
	}
	t.Logf("nxproxy ended: %v", ee)
	if !strings.Contains(ee.LogTail, "Error:") {
		t.Errorf("LogTail without nxproxy's error: %q", ee.LogTail)
	}
	if strings.Contains(ee.LogTail, cfg.Cookie) {
		t.Error("cookie in LogTail")
	}
}
