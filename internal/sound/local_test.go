package sound

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/sound/pulsetest"
)

// pactlModules is what `pactl list modules short` printed for a
// PulseAudio 16.1 started with a null sink and the unix socket, after a
// TCP listener was loaded.
const pactlModules = "0\tmodule-null-sink\tsink_name=x2gotest\t\n" +
	"1\tmodule-native-protocol-unix\t\t\n" +
	"2\tmodule-native-protocol-tcp\tlisten=127.0.0.1 port=45714\t\n"

func TestFindTCPModule(t *testing.T) {
	m, ok := findTCPModule(pactlModules)
	if !ok || m.index != 2 || m.addr() != "127.0.0.1:45714" || m.bypassesCookie() {
		t.Fatalf("got %+v %v addr %s", m, ok, m.addr())
	}
	if _, ok := findTCPModule(strings.Replace(pactlModules, "2\tmodule-native-protocol-tcp", "2\tmodule-x", 1)); ok {
		t.Fatal("found a TCP module where there is none")
	}
	for _, c := range []struct {
		args, addr string
		open       bool
	}{
		{"", "127.0.0.1:4713", false},
		{"port=4714", "127.0.0.1:4714", false},
		{"listen=0.0.0.0 port=4715", "127.0.0.1:4715", false},
		{"auth-ip-acl=127.0.0.1", "127.0.0.1:4713", true},
		{"auth-ip-acl=10.0.0.0/8;127.0.0.0/8 port=1", "127.0.0.1:1", true},
		{"auth-anonymous=1", "127.0.0.1:4713", true},
		{"auth-ip-acl='192.168.1.0/24' listen=::1", "[::1]:4713", false},
		{`listen="127.0.0.2" port=abc`, "127.0.0.2:4713", false},
	} {
		m, ok := findTCPModule("7\tmodule-native-protocol-tcp\t" + c.args + "\t\n")
		if !ok || m.index != 7 || m.addr() != c.addr || m.bypassesCookie() != c.open {
			t.Errorf("%q: got %+v addr %s open %v, want %s %v", c.args, m, m.addr(), m.bypassesCookie(), c.addr, c.open)
		}
	}
}

func TestParseServerVar(t *testing.T) {
	for _, c := range []struct {
		v    string
		tcp  string
		unix bool
	}{
		{"", "", false},
		{"unix:/run/user/1000/pulse/native", "", true},
		{"/tmp/pulse/native", "", true},
		{"tcp:127.0.0.1:4714", "127.0.0.1:4714", false},
		{"localhost", "localhost:4713", false},
		{"tcp6:[::1]:4800", "[::1]:4800", false},
		{"[::1]", "[::1]:4713", false},
		{"{0123abcd}unix:/s tcp4:host.example:5000 tcp:other:1", "host.example:5000", true},
		{"tcp:h:notaport", "", false},
	} {
		tcp, unix := parseServerVar(c.v)
		if tcp != c.tcp || unix != c.unix {
			t.Errorf("%q: got %q %v, want %q %v", c.v, tcp, unix, c.tcp, c.unix)
		}
	}
}

func TestReadCookieOrder(t *testing.T) {
	home := t.TempDir()
	write := func(rel, content string) string {
		f := filepath.Join(home, rel)
		os.MkdirAll(filepath.Dir(f), 0o700)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cfg := &LocalConfig{Env: []string{"HOME=" + home}}
	if _, _, err := readCookie(cfg); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("no cookie: %v", err)
	}
	legacy := write(".pulse-cookie", "legacy")
	if f, b, err := readCookie(cfg); err != nil || f != legacy || string(b) != "legacy" {
		t.Fatalf("legacy: %s %q %v", f, b, err)
	}
	modern := write(".config/pulse/cookie", "modern")
	if f, b, err := readCookie(cfg); err != nil || f != modern || string(b) != "modern" {
		t.Fatalf("~/.config: %s %q %v", f, b, err)
	}
	xdg := write("xdg/pulse/cookie", "xdg")
	cfg.Env = append(cfg.Env, "XDG_CONFIG_HOME="+filepath.Join(home, "xdg"))
	if f, _, err := readCookie(cfg); err != nil || f != xdg {
		t.Fatalf("XDG_CONFIG_HOME: %s %v", f, err)
	}
	env := write("env-cookie", "env")
	cfg.Env = append(cfg.Env, "PULSE_COOKIE="+env)
	if f, _, err := readCookie(cfg); err != nil || f != env {
		t.Fatalf("PULSE_COOKIE: %s %v", f, err)
	}
	cfg.CookieFile = write("empty", "")
	if _, _, err := readCookie(cfg); !errors.Is(err, ErrNoCookie) || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty configured cookie: %v", err)
	}
	if _, _, err := readCookie(&LocalConfig{Env: []string{}}); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("no HOME: %v", err)
	}
}

func TestRunning(t *testing.T) {
	dir := t.TempDir()
	if Running([]string{"XDG_RUNTIME_DIR=" + dir}) {
		t.Fatal("no socket, yet running")
	}
	if !Running([]string{"PULSE_SERVER=tcp:127.0.0.1:4713"}) || !Running([]string{"PULSE_SERVER=unix:/x"}) {
		t.Fatal("PULSE_SERVER not honoured")
	}
	os.Mkdir(filepath.Join(dir, "pulse"), 0o700)
	ln, err := net.Listen("unix", filepath.Join(dir, "pulse", "native"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !Running([]string{"XDG_RUNTIME_DIR=" + dir}) || !Running([]string{"PULSE_RUNTIME_PATH=" + filepath.Join(dir, "pulse")}) {
		t.Fatal("socket not found")
	}
}

// TestFindConfigured: a configured server that does not listen is
// ErrNoPulseAudio; one that listens, with a cookie, is used as it is.
func TestFindConfigured(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	cookie := filepath.Join(home, ".pulse-cookie")
	os.WriteFile(cookie, []byte("c00k1e"), 0o600)
	env := []string{"HOME=" + home}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	l, err := Find(ctx, LocalConfig{Server: addr, Env: env})
	if err != nil || l.Addr != addr || l.CookieFile != cookie || string(l.Cookie) != "c00k1e" || l.Loaded {
		t.Fatalf("got %+v, %v", l, err)
	}
	ln.Close()
	if _, err := Find(ctx, LocalConfig{Server: addr, Env: env}); !errors.Is(err, ErrNoPulseAudio) {
		t.Fatalf("closed port: %v", err)
	}
	// Nothing configured, no PulseAudio: python-x2go's default port.
	if _, err := Find(ctx, LocalConfig{Env: []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + home}}); err != nil &&
		(!errors.Is(err, ErrNoPulseAudio) || !strings.Contains(err.Error(), "127.0.0.1:4713")) {
		t.Fatalf("default: %v", err)
	}
}

// needPulse starts a real PulseAudio, except with -short.
func needPulse(t *testing.T) *pulsetest.Daemon {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real PulseAudio; run without -short")
	}
	return pulsetest.Start(t)
}

// TestFindRealPulseAudio: against a real PulseAudio found through its
// socket, an existing TCP listener is used; without one, a loopback
// listener is loaded for the session and Release unloads it again; a
// missing cookie leaves nothing loaded.
func TestFindRealPulseAudio(t *testing.T) {
	pa := needPulse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The daemon is found through its socket in XDG_RUNTIME_DIR (not
	// PULSE_SERVER).
	var env []string
	for _, kv := range pa.Env {
		if !strings.HasPrefix(kv, "PULSE_SERVER=") {
			env = append(env, kv)
		}
	}
	l, err := Find(ctx, LocalConfig{Env: env})
	if err != nil {
		t.Fatalf("Find: %v\n%s", err, pa.Log())
	}
	mods := pa.TCPModules(t)
	if !l.Loaded || len(mods) != 1 || !strings.Contains(mods[0], "listen=127.0.0.1 port="+l.Addr[strings.LastIndex(l.Addr, ":")+1:]) {
		t.Fatalf("loaded %v at %s; modules %q", l.Loaded, l.Addr, mods)
	}
	want, _ := os.ReadFile(pa.CookieFile)
	if l.CookieFile != pa.CookieFile || string(l.Cookie) != string(want) {
		t.Fatalf("cookie %s, want %s", l.CookieFile, pa.CookieFile)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("after Release: %q", mods)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}

	// A listener of the user's own is used as it is, and left alone.
	port := freeTestPort(t)
	pa.LoadTCP(t, port)
	l, err = Find(ctx, LocalConfig{Env: pa.Env})
	if err != nil || l.Loaded || l.Addr != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("existing listener: %+v %v", l, err)
	}
	l.Release(ctx)
	if mods := pa.TCPModules(t); len(mods) != 1 {
		t.Fatalf("the user's listener was touched: %q", mods)
	}
	pa.Pactl(t, "unload-module", "module-native-protocol-tcp")

	// No cookie: nothing stays loaded.
	_, err = Find(ctx, LocalConfig{Env: pa.Env, CookieFile: filepath.Join(t.TempDir(), "none")})
	if !errors.Is(err, ErrNoCookie) {
		t.Fatalf("no cookie: %v", err)
	}
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("left loaded after a failed Find: %q", mods)
	}
}

func freeTestPort(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
