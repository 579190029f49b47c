package tunnel

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// leakCheck verifies, after every other cleanup of t has run, that no
// goroutine was left behind.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// netDialer is a Dialer over plain TCP, standing in for *ssh.Client.
type netDialer struct {
	d     net.Dialer
	calls atomic.Int32
}

func (d *netDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.calls.Add(1)
	return d.d.DialContext(ctx, network, addr)
}

// failDialer always fails.
type failDialer struct{ calls atomic.Int32 }

var errRefused = errors.New("channel open refused")

func (d *failDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.calls.Add(1)
	return nil, errRefused
}

// hangDialer blocks until its context ends.
type hangDialer struct{ started chan struct{} }

func (d *hangDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	close(d.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

// server is an in-process TCP server standing in for the agent's graphics
// port. It runs handler on every connection and waits for all of them on
// cleanup.
type server struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startServer(t *testing.T, handler func(net.Conn)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handler(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *server) addr() string { return s.ln.Addr().String() }

func echo(c net.Conn) { _, _ = io.Copy(c, c) }

func listen(t *testing.T, cfg Config) *Forward {
	t.Helper()
	f, err := Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPreferredPortFor(t *testing.T) {
	for _, tc := range []struct {
		port  int
		local bool
		want  int
	}{
		{48176, false, 48176},
		{48176, true, 58176},
		{55535, true, 65535},
		{55536, true, 0},
		{65535, false, 65535},
		{0, true, 0},
		{-1, false, 0},
	} {
		if got := PreferredPortFor(tc.port, tc.local); got != tc.want {
			t.Errorf("PreferredPortFor(%d, %v) = %d, want %d", tc.port, tc.local, got, tc.want)
		}
	}
	for host, want := range map[string]bool{
		"::1": true, "127.0.0.1": true, "localhost": true, "localhost.localdomain": true,
		"example.org": false, "127.0.0.2": false, "": false,
	} {
		if IsLocalHost(host) != want {
			t.Errorf("IsLocalHost(%q) = %v", host, !want)
		}
	}
}

func TestListenConfigErrors(t *testing.T) {
	leakCheck(t)
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"no dialer":    {RemoteAddr: "127.0.0.1:1"},
		"bad addr":     {Dialer: &netDialer{}, RemoteAddr: "nope"},
		"bad port":     {Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1", PreferredPort: 70000},
		"neg attempts": {Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1", DialAttempts: -1},
		"neg interval": {Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1", DialInterval: -time.Second},
	} {
		if f, err := Listen(ctx, cfg); err == nil {
			f.Close()
			t.Errorf("%s: Listen succeeded", name)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Listen(cctx, Config{Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Listen with cancelled ctx: %v", err)
	}
}

func TestForwardEcho(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, echo)
	closed := make(chan struct{}, 4)
	d := &netDialer{}
	f := listen(t, Config{
		Dialer:       d,
		RemoteAddr:   srv.addr(),
		OnConnClosed: func() { closed <- struct{}{} },
	})
	if host, _, _ := net.SplitHostPort(f.Addr()); host != "127.0.0.1" {
		t.Fatalf("Addr = %q, want 127.0.0.1", f.Addr())
	}
	if f.Active() {
		t.Fatal("Active before any connection")
	}

	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("x2go graphics "), 10000)
	go func() { _, _ = c.Write(msg) }()
	got := make([]byte, len(msg))
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echoed data differs")
	}
	if err := f.WaitActive(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatalf("WaitActive: %v", err)
	}
	if !f.Active() {
		t.Fatal("not Active after a forwarded connection")
	}
	if f.ConnsClosed() != 0 {
		t.Fatalf("ConnsClosed = %d while open", f.ConnsClosed())
	}

	c.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnConnClosed not called after the client closed")
	}
	if n := f.ConnsClosed(); n != 1 {
		t.Fatalf("ConnsClosed = %d, want 1", n)
	}
	if !f.Active() {
		t.Fatal("Active should stay true")
	}
	if n := d.calls.Load(); n != 1 {
		t.Fatalf("dial calls = %d, want 1", n)
	}
}

// TestForwardHalfClose checks that EOF from the local side reaches the remote
// as a half-close while the remote's answer still flows back.
func TestForwardHalfClose(t *testing.T) {
	leakCheck(t)
	// The remote reads until EOF, then answers with how much it read.
	srv := startServer(t, func(c net.Conn) {
		data, err := io.ReadAll(c)
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("got " + strconv.Itoa(len(data))))
	})
	closed := make(chan struct{}, 1)
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: srv.addr(),
		OnConnClosed: func() { closed <- struct{}{} }})

	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(make([]byte, 12345)); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(answer) != "got 12345" {
		t.Fatalf("answer = %q", answer)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnConnClosed not called")
	}
}

// TestForwardHalfCloseLinger: the remote never closes after the local side
// half-closed; the forward must still end the connection.
func TestForwardHalfCloseLinger(t *testing.T) {
	leakCheck(t)
	old := halfCloseLinger
	halfCloseLinger = 100 * time.Millisecond
	t.Cleanup(func() { halfCloseLinger = old })

	srv := startServer(t, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c)
		// keep the connection open until the forward closes it
		_, _ = c.Read(make([]byte, 1))
	})
	closed := make(chan struct{}, 1)
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: srv.addr(),
		OnConnClosed: func() { closed <- struct{}{} }})
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("connection not ended after the half-close linger")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("local side still open")
	}
}

// TestForwardRemoteCloses: the remote ends the connection (the agent went
// away, e.g. session suspended elsewhere); the local client must see EOF and
// OnConnClosed must fire.
func TestForwardRemoteCloses(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, func(c net.Conn) {
		_, _ = c.Write([]byte("bye"))
	})
	closed := make(chan struct{}, 1)
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: srv.addr(),
		OnConnClosed: func() { closed <- struct{}{} }})
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "bye" {
		t.Fatalf("read %q, %v", b, err)
	}
	c.Close() // our side ends too, so the forward's other direction ends
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnConnClosed not called")
	}
	if f.ConnsClosed() != 1 {
		t.Fatalf("ConnsClosed = %d", f.ConnsClosed())
	}
}

func TestForwardDialFails(t *testing.T) {
	leakCheck(t)
	d := &failDialer{}
	var failed atomic.Int32
	failedErr := make(chan error, 4)
	f := listen(t, Config{
		Dialer:       d,
		RemoteAddr:   "127.0.0.1:48176",
		DialAttempts: 3,
		DialInterval: 10 * time.Millisecond,
		OnDialFailed: func(err error) { failed.Add(1); failedErr <- err },
		OnConnClosed: func() { t.Error("OnConnClosed for a connection never forwarded") },
	})
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	err = f.WaitActive(ctxTimeout(t, 10*time.Second))
	if !errors.Is(err, ErrDialFailed) || !errors.Is(err, errRefused) {
		t.Fatalf("WaitActive = %v, want ErrDialFailed wrapping the cause", err)
	}
	select {
	case err := <-failedErr:
		if !errors.Is(err, errRefused) {
			t.Fatalf("OnDialFailed(%v)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnDialFailed not called")
	}
	if n := d.calls.Load(); n != 3 {
		t.Fatalf("dial attempts = %d, want 3", n)
	}
	// The local connection is closed after the failure.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("local read after failed setup: %v, want EOF", err)
	}
	if f.Active() {
		t.Fatal("Active after failure")
	}
	if failed.Load() != 1 {
		t.Fatalf("OnDialFailed called %d times", failed.Load())
	}
}

func TestForwardDefaults(t *testing.T) {
	leakCheck(t)
	f := listen(t, Config{Dialer: &failDialer{}, RemoteAddr: "127.0.0.1:1"})
	if f.cfg.DialAttempts != 20 || f.cfg.DialInterval != 400*time.Millisecond {
		t.Fatalf("defaults: %d attempts, %v interval", f.cfg.DialAttempts, f.cfg.DialInterval)
	}
}

// TestCloseDuringRetries: Close must interrupt the retry pause and not report
// a dial failure.
func TestCloseDuringRetries(t *testing.T) {
	leakCheck(t)
	d := &failDialer{}
	f, err := Listen(context.Background(), Config{
		Dialer: d, RemoteAddr: "127.0.0.1:1", DialInterval: time.Hour,
		OnDialFailed: func(error) { t.Error("OnDialFailed after Close") },
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for d.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- f.WaitActive(context.Background()) }()
	start := time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Close took too long")
	}
	if err := <-waitErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitActive after Close = %v", err)
	}
}

// TestCloseDuringDial: a dial blocked in the Dialer is cancelled by Close.
func TestCloseDuringDial(t *testing.T) {
	leakCheck(t)
	d := &hangDialer{started: make(chan struct{})}
	f, err := Listen(context.Background(), Config{Dialer: d, RemoteAddr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-d.started
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseDuringCopy: Close tears down a connection that is busy moving
// data in both directions and waits for all goroutines.
func TestCloseDuringCopy(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, func(c net.Conn) {
		// Never reads: the forward's writes towards it block once the
		// socket buffers are full, which Close must also interrupt.
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
	f, err := Listen(context.Background(), Config{Dialer: &netDialer{}, RemoteAddr: srv.addr(),
		OnConnClosed: func() { t.Error("OnConnClosed for a connection ended by Close") }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Read(buf); err != nil {
				readDone <- err
				return
			}
		}
	}()
	writeDone := make(chan struct{})
	go func() {
		defer close(writeDone)
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	if err := f.WaitActive(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let data flow

	done := make(chan error, 1)
	go func() { done <- f.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung during copy")
	}
	select {
	case <-readDone:
	case <-time.After(10 * time.Second):
		t.Fatal("local client not disconnected by Close")
	}
	c.Close()
	<-writeDone
	if f.ConnsClosed() != 0 {
		t.Fatalf("ConnsClosed = %d, want 0 (closed by Close)", f.ConnsClosed())
	}
	if _, err := net.DialTimeout("tcp", f.Addr(), time.Second); err == nil {
		t.Fatal("listener still accepting after Close")
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPreferredPort(t *testing.T) {
	leakCheck(t)
	// A port that is free right now.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1", PreferredPort: free})
	if f.Port() != free {
		t.Fatalf("Port = %d, want preferred %d", f.Port(), free)
	}
}

func TestPreferredPortTaken(t *testing.T) {
	leakCheck(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	srv := startServer(t, echo)
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: srv.addr(), PreferredPort: port})
	if f.Port() == port || f.Port() == 0 {
		t.Fatalf("Port = %d, want a fallback port other than %d", f.Port(), port)
	}
	if host, _, _ := net.SplitHostPort(f.Addr()); host != "127.0.0.1" {
		t.Fatalf("fallback bound %q, want 127.0.0.1 only", f.Addr())
	}
	// The fallback listener works.
	c, err := net.Dial("tcp", f.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
		t.Fatalf("echo %q, %v", b, err)
	}
}

func TestWaitActiveContext(t *testing.T) {
	leakCheck(t)
	f := listen(t, Config{Dialer: &netDialer{}, RemoteAddr: "127.0.0.1:1"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := f.WaitActive(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitActive = %v, want deadline exceeded", err)
	}
}
