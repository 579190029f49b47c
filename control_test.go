package x2go_test

// Tests of the control session against the in-process fake sshd: connect
// never holds a lock across the network or a hook, Disconnect gives up a
// connect in progress, reconnecting through a jump host leaks nothing,
// and two Sessions share one SSH connection.

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/fakesshd"
	"golang.org/x/crypto/ssh"
)

// unknownHostOptions are options for srv with an empty known_hosts file,
// so that the host key question is asked.
func unknownHostOptions(t *testing.T, srv *fakesshd.Server) x2go.Options {
	o := faultOptions(t, srv, nil)
	o.KnownHostsFiles = []string{filepath.Join(t.TempDir(), "known_hosts")}
	return o
}

// TestConnectHookMayCallBack: the host key hook runs without any lock of
// the Session or ControlSession held, so it may ask about them.
func TestConnectHookMayCallBack(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	o := unknownHostOptions(t, srv)
	var s *x2go.Session
	o.Hooks.CheckHostKey = func(_ context.Context, c *x2go.ControlSession, _ x2go.HostKeyInfo) bool {
		_ = c.IsConnected()
		_ = s.IsConnected()
		_ = s.Status()
		_ = s.RemoteHome()
		return true
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	done := make(chan error, 1)
	go func() { done <- s.Connect(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Connect deadlocked: the host key hook called IsConnected")
	}
	if !s.IsConnected() {
		t.Error("not connected")
	}
}

// TestQueriesDoNotWaitForConnect: while a connect waits for a person to
// answer the host key question, status queries answer at once.
func TestQueriesDoNotWaitForConnect(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	o := unknownHostOptions(t, srv)
	asked, answer := make(chan struct{}), make(chan bool)
	o.Hooks.CheckHostKey = func(context.Context, *x2go.ControlSession, x2go.HostKeyInfo) bool {
		close(asked)
		return <-answer
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	done := make(chan error, 1)
	go func() { done <- s.Connect(context.Background()) }()
	<-asked
	start := time.Now()
	if s.IsConnected() || s.Status() != x2go.StatusVirgin {
		t.Error("connected before the host key was accepted")
	}
	if _, err := s.ListSessions(testCtx(t)); !errors.Is(err, x2go.ErrNotConnected) {
		t.Errorf("ListSessions during connect = %v, want ErrNotConnected", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("status queries took %v during a connect", took)
	}
	answer <- true
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDisconnectAbortsConnect: Disconnect gives up a connect that waits
// for a person; the hook's context ends and Connect says why.
func TestDisconnectAbortsConnect(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	o := unknownHostOptions(t, srv)
	asked, hookEnded := make(chan struct{}), make(chan error, 1)
	o.Hooks.CheckHostKey = func(ctx context.Context, _ *x2go.ControlSession, _ x2go.HostKeyInfo) bool {
		close(asked)
		<-ctx.Done() // a person who never answers
		hookEnded <- ctx.Err()
		return true
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Connect(context.Background()) }()
	<-asked
	start := time.Now()
	if err := s.Disconnect(); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, x2go.ErrConnectAborted) {
			t.Errorf("Connect = %v, want ErrConnectAborted", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Connect still running 5 s after Disconnect")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Disconnect took %v to stop the connect", took)
	}
	if err := <-hookEnded; !errors.Is(err, context.Canceled) {
		t.Errorf("hook context ended with %v", err)
	}
	if s.IsConnected() {
		t.Error("connected after Disconnect")
	}
	// A later Connect works.
	o2 := faultOptions(t, srv, nil)
	o2.KnownHostsFiles = []string{srv.KnownHostsFile(t)}
	s2, err := x2go.NewSession(o2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Connect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	s2.Disconnect()
}

// jumpTo makes jump forward direct-tcpip channels to the real loopback
// port asked for (an SSH jump host).
func jumpTo() fakesshd.Option {
	return fakesshd.WithDirectTCPIP(func(host string, port int, ch ssh.Channel) {
		c, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return
		}
		defer c.Close()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(c, ch)
			c.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(ch, c)
		ch.CloseWrite()
		wg.Wait()
	})
}

// TestReconnectThroughJumpHostLeaksNothing: the server drops the link of a
// Session connected through a jump host; connecting again closes the
// dead connection and its jump connection, so nothing is left behind.
func TestReconnectThroughJumpHostLeaksNothing(t *testing.T) {
	faultLeakCheck(t)
	target := fakesshd.New(t, nil)
	jump := fakesshd.New(t, nil, jumpTo())
	known := filepath.Join(t.TempDir(), "known_hosts")
	var lines []byte
	for _, srv := range []*fakesshd.Server{target, jump} {
		b, err := os.ReadFile(srv.KnownHostsFile(t))
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b...)
	}
	if err := os.WriteFile(known, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	hooks := newFaultHooks()
	o := faultOptions(t, target, hooks)
	o.KnownHostsFiles = []string{known}
	o.Jump = &x2go.JumpHost{Host: "127.0.0.1", Port: jump.Port(), Username: "jumper", Password: jump.Password()}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	for round := 0; round < 3; round++ {
		if err := s.Connect(testCtx(t)); err != nil {
			t.Fatalf("round %d: Connect through the jump host: %v", round, err)
		}
		if _, err := s.ListSessions(testCtx(t)); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		target.DropAll()
		if err := hooks.waitDeath(t); !errors.Is(err, x2go.ErrConnectionLost) {
			t.Fatalf("round %d: death hook got %v", round, err)
		}
	}
	// Disconnect and goleak (faultLeakCheck) must find nothing left of
	// the three dead connections nor of their jump connections.
}

// TestHostKeyQuestionDoesNotCountAgainstTimeout: a person who takes
// longer than ConnectTimeout to answer the host key question still
// connects; only network time counts.
func TestHostKeyQuestionDoesNotCountAgainstTimeout(t *testing.T) {
	faultLeakCheck(t)
	srv := fakesshd.New(t, nil)
	o := unknownHostOptions(t, srv)
	o.ConnectTimeout = 300 * time.Millisecond
	o.Hooks.CheckHostKey = func(context.Context, *x2go.ControlSession, x2go.HostKeyInfo) bool {
		time.Sleep(time.Second) // reading the fingerprint
		return true
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(testCtx(t)); err != nil {
		t.Fatalf("Connect after a slow answer: %v", err)
	}
}
