package fakesshd_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/protocol"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func leakCheck(t *testing.T) { t.Cleanup(func() { goleak.VerifyNone(t) }) }

// dial logs in to srv with its password, checking the host key against
// the server's known_hosts file.
func dial(t *testing.T, srv *fakesshd.Server, password string) (*ssh.Client, error) {
	t.Helper()
	hk, err := knownhosts.New(srv.KnownHostsFile(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", srv.Addr(), &ssh.ClientConfig{
		User:            "x2gotest",
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: hk,
		Timeout:         5 * time.Second,
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// run sends cmd in the real wrapper and returns raw stdout and stderr.
func run(t *testing.T, c *ssh.Client, id, cmd string) (stdout, stderr string, err error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		return "", "", err
	}
	defer sess.Close()
	var o, e bytes.Buffer
	sess.Stdout, sess.Stderr = &o, &e
	err = sess.Run(protocol.Wrap(id, cmd))
	return o.String(), e.String(), err
}

func TestFakeParseWrapped(t *testing.T) {
	for _, cmd := range []string{
		"echo",
		"export HOSTNAME && x2golistsessions",
		`echo "$HOME" && test -d "$HOME" && echo X2GO_HOME_OK`,
		"it's a 'quoted' \"thing\" with $VAR and `cmd`;\nnewline\\backslash",
		"x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 R xterm both",
		"",
	} {
		id := "534334c2-e8f5-11f1-b1fc-02fc00000001"
		gotID, inner, ok := fakesshd.ParseWrapped(protocol.Wrap(id, cmd))
		if !ok || gotID != id || inner != cmd {
			t.Errorf("ParseWrapped(Wrap(%q)) = %q, %q, %v", cmd, gotID, inner, ok)
		}
	}
	for _, bad := range []string{
		"x2golistsessions",
		"echo X2GODATABEGIN:a; sh -c 'unterminated; echo X2GODATAEND:a:$?",
		"echo X2GODATABEGIN:a; PATH=/bin sh -c ls; echo X2GODATAEND:b:$?",
		"echo X2GODATABEGIN:a; PATH=/bin sh -c ls; echo X2GODATAEND:a:$?; rm -rf /",
	} {
		if _, _, ok := fakesshd.ParseWrapped(bad); ok {
			t.Errorf("ParseWrapped(%q) accepted", bad)
		}
	}
}

func TestFakeRepliesAsTheWrapperWould(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("x2golistsessions", fakesshd.Reply{Stdout: "no newline", Stderr: "warn\n", Status: 3, Noise: "motd\n"}).
		With("nomarkers", fakesshd.Reply{Stdout: "junk\n", NoMarkers: true}).
		With("noend", fakesshd.Reply{Stdout: "half\n", NoEndMarker: true}).
		With("raw", fakesshd.Reply{Raw: "verbatim"}))
	c, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}
	const id = "0e0e0e0e-e8f5-11f1-b1fc-02fc00000001"
	for _, tc := range []struct{ cmd, stdout, stderr string }{
		{protocol.HomeCheckCmd(), "X2GODATABEGIN:" + id + "\n/home/x2gotest\nX2GO_HOME_OK\nX2GODATAEND:" + id + ":0\n", ""},
		{"export HOSTNAME && x2golistsessions", "motd\nX2GODATABEGIN:" + id + "\nno newlineX2GODATAEND:" + id + ":3\n", "warn\n"},
		{"nomarkers", "junk\n", ""},
		{"noend", "X2GODATABEGIN:" + id + "\nhalf\n", ""},
		{"raw", "verbatim", ""},
		{"frobnicate --now", "X2GODATABEGIN:" + id + "\nX2GODATAEND:" + id + ":127\n", "sh: 1: frobnicate: not found\n"},
	} {
		stdout, stderr, err := run(t, c, id, tc.cmd)
		if err != nil {
			t.Errorf("%q: channel exit: %v (want status 0 always)", tc.cmd, err)
		}
		if stdout != tc.stdout || stderr != tc.stderr {
			t.Errorf("%q:\nstdout %q\nwant   %q\nstderr %q, want %q", tc.cmd, stdout, tc.stdout, stderr, tc.stderr)
		}
	}
	// The real Unwrap reads the standard answers.
	stdout, _, _ := run(t, c, id, protocol.FeatureListCmd())
	if out, status, err := protocol.Unwrap(id, []byte(stdout)); err != nil || status != 0 || out != fakesshd.FeatureList {
		t.Errorf("feature list: %q %d %v", out, status, err)
	}
	got := srv.Commands()
	if len(got) != 7 || got[0] != protocol.HomeCheckCmd() || got[5] != "frobnicate --now" {
		t.Errorf("Commands() = %q", got)
	}
}

func TestFakeAuthAndEarlyClose(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	if _, err := dial(t, srv, "wrong"); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("wrong password: %v", err)
	}
	early := fakesshd.New(t, nil, fakesshd.CloseBeforeHandshake())
	if _, err := dial(t, early, early.Password()); err == nil {
		t.Error("CloseBeforeHandshake: login succeeded")
	}
}

func TestFakeHangDropAndClose(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("hang", fakesshd.Reply{Hang: true}).
		With("drop", fakesshd.Reply{Drop: true}))
	c, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}

	// A hanging command ends when the client closes its channel.
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Run(protocol.Wrap("h", "hang")) }()
	select {
	case err := <-done:
		t.Fatalf("hanging command returned: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	sess.Close()
	<-done
	if _, _, err := run(t, c, "x", "echo"); err != nil {
		t.Fatalf("connection unusable after a hang: %v", err)
	}

	// Drop kills the whole connection.
	if _, _, err := run(t, c, "d", "drop"); err == nil {
		t.Fatal("dropped command succeeded")
	}
	c.Wait() // returns once the connection is gone

	// DropAll kills idle connections; the server still accepts new ones.
	c2, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	waitErr := make(chan error, 1)
	go func() { waitErr <- c2.Wait() }()
	select {
	case <-waitErr:
	case <-time.After(5 * time.Second):
		t.Fatal("DropAll left the connection up")
	}
	c3, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}
	// Close ends a command that hangs forever, and the connection.
	go func() { done <- func() error { _, _, err := run(t, c3, "h2", "hang"); return err }() }()
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a hanging command")
	}
}

func TestFakeDirectTCPIP(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	c, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}
	var open *ssh.OpenChannelError
	if _, err := c.Dial("tcp", "127.0.0.1:48176"); !errors.As(err, &open) || open.Reason != ssh.Prohibited {
		t.Errorf("direct-tcpip without handler: %v, want prohibited", err)
	}

	type target struct {
		host string
		port int
	}
	got := make(chan target, 1)
	echo := fakesshd.New(t, nil, fakesshd.WithDirectTCPIP(func(host string, port int, ch ssh.Channel) {
		got <- target{host, port}
		io.Copy(ch, ch)
	}))
	c2, err := dial(t, echo, echo.Password())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c2.Dial("tcp", net.JoinHostPort("127.0.0.1", "48176"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo: %q %v", buf, err)
	}
	if tg := <-got; tg != (target{"127.0.0.1", 48176}) {
		t.Errorf("handler got %v", tg)
	}
}

func TestFakeOverrideLongestKeyWins(t *testing.T) {
	h := fakesshd.Override(nil, map[string]fakesshd.Reply{
		"x2golist":         fakesshd.Output("short"),
		"x2golistsessions": fakesshd.Output("long"),
	})
	if r := h("export HOSTNAME && x2golistsessions"); r.Stdout != "long" {
		t.Errorf("got %q", r.Stdout)
	}
	if r := h("export HOSTNAME && x2golistdesktops"); r.Stdout != "short" {
		t.Errorf("got %q", r.Stdout)
	}
	if r := h("which x2goversion >/dev/null && x2goversion"); r.Stdout != fakesshd.Versions {
		t.Errorf("fall-through got %q", r.Stdout)
	}
	if r := h("which xterm && echo OK"); r.Stdout != "/usr/bin/xterm\nOK\n" {
		t.Errorf("probe got %q", r.Stdout)
	}
}

// dialWith logs in to srv with the given methods.
func dialWith(t *testing.T, srv *fakesshd.Server, methods ...ssh.AuthMethod) (*ssh.Client, error) {
	t.Helper()
	hk, err := knownhosts.New(srv.KnownHostsFile(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", srv.Addr(), &ssh.ClientConfig{
		User: "x2gotest", Auth: methods, HostKeyCallback: hk, Timeout: 5 * time.Second,
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestFakeAuthOptions(t *testing.T) {
	leakCheck(t)
	answers := func(a ...string) ssh.AuthMethod {
		return ssh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
			if len(q) != len(a) {
				return nil, errors.New("unexpected questions")
			}
			return a, nil
		})
	}
	srv := fakesshd.New(t, nil, fakesshd.NoPassword(), fakesshd.WithKeyboardInteractive(
		fakesshd.Challenge{Prompt: "Password: ", Answer: "pw"},
		fakesshd.Challenge{Prompt: "Code: ", Echo: true, Answer: "42"}))
	if _, err := dialWith(t, srv, ssh.Password(srv.Password())); err == nil {
		t.Error("password accepted with NoPassword")
	}
	if _, err := dialWith(t, srv, answers("pw", "41")); err == nil {
		t.Error("wrong code accepted")
	}
	if _, err := dialWith(t, srv, answers("pw", "42")); err != nil {
		t.Errorf("right answers: %v", err)
	}
	// Without challenges: one hidden "Password: " wanting the password,
	// after the configured delay.
	slow := fakesshd.New(t, nil, fakesshd.WithKeyboardInteractive(), fakesshd.WithAuthDelay(200*time.Millisecond))
	start := time.Now()
	if _, err := dialWith(t, slow, answers(slow.Password())); err != nil {
		t.Errorf("password prompt: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("login took %v despite WithAuthDelay", d)
	}
}

func TestFakeFreeze(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	c, err := dial(t, srv, srv.Password())
	if err != nil {
		t.Fatal(err)
	}
	srv.Freeze()
	reply := make(chan error, 1)
	go func() { _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); reply <- err }()
	select {
	case err := <-reply:
		t.Fatalf("frozen server answered: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	srv.Thaw()
	select {
	case err := <-reply:
		if err != nil {
			t.Errorf("after Thaw: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer after Thaw")
	}
}

func TestFakeForwarding(t *testing.T) {
	leakCheck(t)
	target := fakesshd.New(t, nil)
	jump := fakesshd.New(t, nil, fakesshd.WithForwarding(), fakesshd.WithRemoteForward())
	jc, err := dial(t, jump, jump.Password())
	if err != nil {
		t.Fatal(err)
	}
	// Jump host: SSH to the target through a direct-tcpip channel.
	nc, err := jc.Dial("tcp", target.Addr())
	if err != nil {
		t.Fatal(err)
	}
	hk, _ := knownhosts.New(target.KnownHostsFile(t))
	cc, chans, reqs, err := ssh.NewClientConn(nc, target.Addr(), &ssh.ClientConfig{
		User: "x2gotest", Auth: []ssh.AuthMethod{ssh.Password(target.Password())}, HostKeyCallback: hk})
	if err != nil {
		t.Fatal(err)
	}
	tc := ssh.NewClient(cc, chans, reqs)
	if out, _, err := run(t, tc, "i", "echo"); err != nil || !strings.Contains(out, "X2GODATAEND:i:0") {
		t.Errorf("through the jump: %q %v", out, err)
	}
	tc.Close()
	if _, err := jc.Dial("tcp", "192.0.2.1:22"); err == nil {
		t.Error("forwarded to a non-loopback address")
	}

	// Remote forward with a half-close in the middle.
	ln, err := jc.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(conn)
		conn.Write(append([]byte("got "), b...))
		conn.Close()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("data"))
	conn.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(conn)
	conn.Close()
	if err != nil || string(b) != "got data" {
		t.Errorf("remote forward: %q %v", b, err)
	}
	if _, err := jc.Listen("tcp", "192.0.2.1:0"); err == nil {
		t.Error("listened on a non-loopback address")
	}
	if err := ln.Close(); err != nil {
		t.Errorf("cancel-tcpip-forward: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("still listening after cancel")
	}
}
