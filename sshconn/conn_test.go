package sshconn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/crypto/ssh"
)

func TestRunResults(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("fails", fakesshd.Reply{Stdout: "partial\n", Stderr: "line1\n\nline2\nline3\nline4\n", Status: 3}).
		With("chatty", fakesshd.Reply{Noise: "Welcome!\nX2GO_BOGUS\n", Stdout: "real\n"}))
	c := dial(t, baseConfig(t, srv))
	ctx := testCtx(t)

	res, err := c.Run(ctx, "export HOSTNAME && x2golistsessions")
	if err != nil || res.Stdout != "" || res.Status != 0 {
		t.Errorf("Run = %+v, %v", res, err)
	}
	res, err = c.Run(ctx, "fails")
	if err != nil || res.Stdout != "partial\n" || res.Status != 3 || !strings.HasPrefix(res.Stderr, "line1") {
		t.Errorf("Run(fails) = %+v, %v", res, err)
	}
	out, err := c.Output(ctx, "fails")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Status != 3 || out != "partial\n" {
		t.Fatalf("Output(fails) = %q, %v", out, err)
	}
	if msg := ee.Error(); !strings.Contains(msg, "status 3: line1 | line2 | line3 | ...") {
		t.Errorf("ExitError = %q", msg)
	}
	if out, err := c.Output(ctx, "chatty"); err != nil || out != "real\n" {
		t.Errorf("login noise: %q, %v", out, err)
	}
	if got := srv.Commands(); len(got) != 4 || got[1] != "fails" {
		t.Errorf("server got %q", got)
	}
}

// TestRunBrokenAnswers: an answer without markers, or garbage, is a
// *protocol.ParseError; the connection stays usable.
func TestRunBrokenAnswers(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().
		With("nomarkers", fakesshd.Reply{Stdout: "Welcome\n", NoMarkers: true}).
		With("noend", fakesshd.Reply{Stdout: "half\n", NoEndMarker: true}).
		With("garbage", fakesshd.Reply{Raw: "\x00\xffX2GODATAEND:zz:0\nrandom bytes"}).
		With("foreign", fakesshd.Reply{Raw: "X2GODATABEGIN:0000\nx\nX2GODATAEND:0000:0\n"}))
	c := dial(t, baseConfig(t, srv))
	for _, cmd := range []string{"nomarkers", "noend", "garbage", "foreign"} {
		_, err := c.Run(testCtx(t), cmd)
		var pe *protocol.ParseError
		var ce *CommandError
		if !errors.As(err, &pe) || !errors.As(err, &ce) || ce.Cmd != cmd {
			t.Errorf("%s: %v, want a ParseError", cmd, err)
		}
		if errors.Is(err, ErrConnectionLost) {
			t.Errorf("%s: %v matches ErrConnectionLost", cmd, err)
		}
	}
	if _, err := c.Output(testCtx(t), "echo"); err != nil {
		t.Errorf("connection unusable: %v", err)
	}
}

func TestRunBigOutput(t *testing.T) {
	leakCheck(t)
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	srv := fakesshd.New(t, fakesshd.Standard().With("big", fakesshd.Output(big)))
	c := dial(t, baseConfig(t, srv))
	if out, err := c.Output(testCtx(t), "big"); err != nil || out != big {
		t.Fatalf("1 MiB: %d bytes, %v", len(out), err)
	}
	old := maxOutput
	maxOutput = 512 << 10
	t.Cleanup(func() { maxOutput = old })
	_, err := c.Run(testCtx(t), "big")
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := c.Output(testCtx(t), "echo"); err != nil {
		t.Errorf("connection unusable after a too large answer: %v", err)
	}
}

func TestRunContextAndSessions(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("hang", fakesshd.Reply{Hang: true}))
	cfg := baseConfig(t, srv)
	cfg.MaxSessions = 1
	c := dial(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Run(ctx, "hang")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("hanging command: %v after %v", err, time.Since(start))
	}

	// With one session slot taken, the next Run waits for it.
	hangCtx, stopHang := context.WithCancel(context.Background())
	hung := make(chan error, 1)
	go func() { _, err := c.Run(hangCtx, "hang"); hung <- err }()
	for len(srv.Commands()) < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := c.Run(ctx2, "echo"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run without a free session: %v", err)
	}
	stopHang()
	<-hung
	if _, err := c.Output(testCtx(t), "echo"); err != nil {
		t.Errorf("after the slot freed: %v", err)
	}
}

func TestRunConnectionLost(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("drop", fakesshd.Reply{Drop: true, Stdout: "half a li"}))
	c := dial(t, baseConfig(t, srv))
	_, err := c.Run(testCtx(t), "drop")
	if !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("dropped link: %v", err)
	}
	<-c.Done()
	if _, err := c.Run(testCtx(t), "echo"); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("Run on a dead connection: %v", err)
	}
	if !strings.Contains(c.Err().Error(), "closed by server") {
		t.Errorf("Err = %v", c.Err())
	}
}

// TestKeepAliveLoss: a server that stops answering is noticed within
// about three keepalive intervals.
func TestKeepAliveLoss(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	const interval = 200 * time.Millisecond
	cfg.KeepAlive = interval
	c := dial(t, cfg)
	// Answered keepalives keep it up.
	time.Sleep(3 * interval)
	if err := c.Err(); err != nil {
		t.Fatalf("connection died while the server answered: %v", err)
	}
	srv.Freeze()
	defer srv.Thaw()
	start := time.Now()
	select {
	case <-c.Done():
	case <-time.After(10 * interval):
		t.Fatal("frozen server not noticed")
	}
	if d := time.Since(start); d > 3*interval+600*time.Millisecond {
		t.Errorf("noticed after %v, want about %v", d, 3*interval)
	}
	if err := c.Err(); !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "keepalive") {
		t.Errorf("Err = %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	c, err := Dial(testCtx(t), baseConfig(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatalf("Err before Close = %v", c.Err())
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
	if err := c.Err(); !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "closed by client") {
		t.Errorf("Err = %v", err)
	}
	if _, err := c.ListenRemote(testCtx(t), "127.0.0.1:0"); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("ListenRemote after Close: %v", err)
	}
}

func TestConnAccessors(t *testing.T) {
	leakCheck(t)
	type target struct {
		host string
		port int
	}
	echoed := make(chan target, 1)
	srv := fakesshd.New(t, nil, fakesshd.WithDirectTCPIP(func(host string, port int, ch ssh.Channel) {
		echoed <- target{host, port}
		io.Copy(ch, ch)
	}))
	cfg := baseConfig(t, srv)
	cfg.Auth.Passphrase = "secret-pp"
	c := dial(t, cfg)
	got := c.Config()
	if got.Auth.Password != "" || got.Auth.Passphrase != "" || got.Host != "127.0.0.1" || got.Port != srv.Port() || got.Jump != nil {
		t.Errorf("Config() = %+v", got)
	}
	if c.RemoteAddr().String() != srv.Addr() || c.Client() == nil {
		t.Errorf("RemoteAddr = %v", c.RemoteAddr())
	}
	if (&Config{Host: "h"}).Addr() != "h:22" {
		t.Error("default port")
	}
	conn, err := c.DialContext(testCtx(t), "tcp", "127.0.0.1:4711")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo %q %v", buf, err)
	}
	if tg := <-echoed; tg != (target{"127.0.0.1", 4711}) {
		t.Errorf("server dialled %v", tg)
	}
}

// echoAccept accepts one connection on ln and echoes it.
func echoAccept(t *testing.T, ln net.Listener) <-chan error {
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(conn, conn)
		conn.Close()
		done <- err
	}()
	return done
}

func roundTrip(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "hello")
	conn.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(conn)
	if err != nil || string(b) != "hello" {
		t.Errorf("through the forward: %q, %v", b, err)
	}
}

func TestListenRemote(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithRemoteForward())
	c := dial(t, baseConfig(t, srv))
	ctx := testCtx(t)

	ln, err := c.ListenRemote(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if port == 0 {
		t.Fatal("no port assigned")
	}
	done := echoAccept(t, ln)
	roundTrip(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err := <-done; err != nil {
		t.Errorf("echo: %v", err)
	}

	// The same port again: the server refuses.
	_, err = c.ListenRemote(ctx, ln.Addr().String())
	var fe *ForwardError
	if !errors.Is(err, ErrForwardDenied) || !errors.As(err, &fe) || fe.Addr != ln.Addr().String() {
		t.Errorf("port in use: %v", err)
	}
	if err := ln.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := ln.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	// Closed on the server too: the port can be had again, fixed.
	ln2, err := c.ListenRemote(ctx, "localhost:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("fixed port after Close: %v", err)
	}
	done = echoAccept(t, ln2)
	roundTrip(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	<-done

	// A non-loopback address is refused by this server; bad addresses
	// are not sent at all.
	if _, err := c.ListenRemote(ctx, "0.0.0.0:0"); !errors.Is(err, ErrForwardDenied) {
		t.Errorf("0.0.0.0: %v", err)
	}
	for _, bad := range []string{"nonsense", "127.0.0.1:99999", ":0"} {
		if _, err := c.ListenRemote(ctx, bad); !errors.Is(err, ErrConfig) || errors.Is(err, ErrForwardDenied) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.ListenRemote(cancelled, "127.0.0.1:0"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	// The listener ends with the connection.
	c.Close()
	if _, err := ln2.Accept(); !errors.Is(err, net.ErrClosed) || !errors.Is(err, ErrConnectionLost) {
		t.Errorf("Accept after the connection closed: %v", err)
	}
	if err := ln2.Close(); err != nil {
		t.Errorf("listener Close after the connection closed: %v", err)
	}
}

func TestListenRemoteDenied(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil) // forwarding off
	c := dial(t, baseConfig(t, srv))
	_, err := c.ListenRemote(testCtx(t), "127.0.0.1:0")
	if !errors.Is(err, ErrForwardDenied) || errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "127.0.0.1:0") {
		t.Errorf("ListenRemote = %v", err)
	}
}

// TestListenRemoteServerGone: the connection dies while a listener
// waits in Accept.
func TestListenRemoteServerGone(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithRemoteForward())
	c := dial(t, baseConfig(t, srv))
	ln, err := c.ListenRemote(testCtx(t), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan error, 1)
	go func() { _, err := ln.Accept(); accepted <- err }()
	srv.DropAll()
	select {
	case err := <-accepted:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting after the connection died")
	}
	if _, err := c.ListenRemote(testCtx(t), "127.0.0.1:0"); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("ListenRemote on a dead connection: %v", err)
	}
}

// TestRunInput: the input reaches the command's standard input whole, and
// appears in no log line.
func TestRunInput(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, fakesshd.Standard().With("cat >", fakesshd.Reply{ReadInput: true, Stdout: "stored\n"}))
	cfg := baseConfig(t, srv)
	var logBuf strings.Builder
	var mu sync.Mutex
	cfg.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logBuf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := dial(t, cfg)
	secret := "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n" + strings.Repeat("k", 70000) + "\n"
	res, err := c.RunInput(testCtx(t), "umask 077 && cat > key", []byte(secret))
	if err != nil || res.Stdout != "stored\n" {
		t.Fatalf("RunInput = %+v, %v", res, err)
	}
	if in := srv.Inputs(); len(in) != 1 || in[0] != secret {
		t.Fatalf("the server read %d inputs (%d bytes), want the secret", len(in), len(strings.Join(in, "")))
	}
	if res, err := c.RunInput(testCtx(t), "cat > empty", nil); err != nil || res.Status != 0 {
		t.Errorf("RunInput with no input = %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logBuf.String(), "secret") {
		t.Errorf("the input was logged: %s", logBuf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
