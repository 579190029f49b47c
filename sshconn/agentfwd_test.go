package sshconn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
)

// TestForwardAgent: with ForwardAgent, every command after the server
// granted forwarding can use the local agent: the server lists its key
// and has it sign a challenge over an auth-agent@openssh.com channel.
func TestForwardAgent(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	sock := fakesshd.ServeAgent(t, priv)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	cfg := baseConfig(t, srv)
	cfg.ForwardAgent = true
	cfg.AgentForwardSocket = sock
	c := dial(t, cfg)
	for range 3 {
		if _, err := c.Run(testCtx(t), "x2golistsessions"); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	uses := srv.AgentUses()
	if len(uses) != 3 {
		t.Fatalf("the server used the agent %d times, want 3 (one per command)", len(uses))
	}
	for i, u := range uses {
		if u.Err != nil {
			t.Errorf("use %d: %v", i, u.Err)
			continue
		}
		if len(u.Keys) != 1 || !bytes.Equal(u.Keys[0].Blob, pub.Marshal()) {
			t.Errorf("use %d: agent listed %v, want our key", i, u.Keys)
		}
		if u.Verified != 1 {
			t.Errorf("use %d: %d keys signed correctly, want 1", i, u.Verified)
		}
	}
}

// TestForwardAgentFromEnvironment: without AgentForwardSocket the agent
// at $SSH_AUTH_SOCK is forwarded.
func TestForwardAgentFromEnvironment(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	t.Setenv("SSH_AUTH_SOCK", fakesshd.ServeAgent(t, priv))
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	cfg := baseConfig(t, srv)
	cfg.ForwardAgent = true
	c := dial(t, cfg)
	if _, err := c.Run(testCtx(t), "x2golistsessions"); err != nil {
		t.Fatal(err)
	}
	uses := srv.AgentUses()
	if len(uses) != 1 || uses[0].Err != nil || len(uses[0].Keys) != 1 || !bytes.Equal(uses[0].Keys[0].Blob, pub.Marshal()) {
		t.Fatalf("agent uses %+v, want one listing our key", uses)
	}
}

// TestForwardAgentNoAgent: Dial refuses agent forwarding without an
// agent that answers, with a typed error.
func TestForwardAgentNoAgent(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())

	// A socket where something listens but does not speak the protocol.
	dir, err := os.MkdirTemp("", "notagent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	notAgent := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", notAgent)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })

	for _, tc := range []struct {
		name, env, sock string
	}{
		{"unset", "", ""},
		{"missing socket", "", filepath.Join(t.TempDir(), "gone.sock")},
		{"not an agent", "", notAgent},
		{"environment points nowhere", "/nonexistent/agent.sock", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", tc.env)
			cfg := baseConfig(t, srv)
			cfg.ForwardAgent = true
			cfg.AgentForwardSocket = tc.sock
			c, err := Dial(testCtx(t), cfg)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded without an agent")
			}
			var ae *AgentError
			if !errors.Is(err, ErrNoAgent) || !errors.As(err, &ae) {
				t.Fatalf("err = %v, want ErrNoAgent (*AgentError)", err)
			}
			if ae.Socket != tc.sock && ae.Socket != tc.env {
				t.Errorf("AgentError.Socket = %q", ae.Socket)
			}
		})
	}
	if n := len(srv.Commands()); n != 0 {
		t.Errorf("%d commands reached the server", n)
	}
}

// TestForwardAgentRefusedByServer: a server that does not allow agent
// forwarding still runs the commands.
func TestForwardAgentRefusedByServer(t *testing.T) {
	leakCheck(t)
	priv, _ := newKey(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.ForwardAgent = true
	cfg.AgentForwardSocket = fakesshd.ServeAgent(t, priv)
	c := dial(t, cfg)
	for range 2 {
		if _, err := c.Run(testCtx(t), "x2golistsessions"); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	if c.agentAccepted.Load() {
		t.Error("forwarding counted as accepted")
	}
}

// TestForwardAgentOff: without ForwardAgent nothing is asked for.
func TestForwardAgentOff(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	c := dial(t, baseConfig(t, srv))
	if _, err := c.Run(testCtx(t), "x2golistsessions"); err != nil {
		t.Fatal(err)
	}
	if uses := srv.AgentUses(); len(uses) != 0 {
		t.Fatalf("agent used without forwarding: %+v", uses)
	}
}

// TestForwardAgentGoneLater: when the local agent disappears after Dial,
// the server's agent channel is refused and the command still runs.
func TestForwardAgentGoneLater(t *testing.T) {
	leakCheck(t)
	priv, _ := newKey(t)
	sock := fakesshd.ServeAgent(t, priv)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	cfg := baseConfig(t, srv)
	cfg.ForwardAgent = true
	cfg.AgentForwardSocket = sock
	c := dial(t, cfg)
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(testCtx(t), "x2golistsessions"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	uses := srv.AgentUses()
	if len(uses) != 1 || uses[0].Err == nil {
		t.Fatalf("agent uses %+v, want one refused channel", uses)
	}
}

// TestForwardAgentHungAgentClose: an agent that accepts but never answers
// holds a command; cancelling it and closing the connection ends every
// goroutine.
func TestForwardAgentHungAgentClose(t *testing.T) {
	leakCheck(t)
	priv, _ := newKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAgentForwarding())
	cfg := baseConfig(t, srv)
	cfg.ForwardAgent = true
	// An agent that accepts connections and never answers.
	dir, err := os.MkdirTemp("", "hung")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hung := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", hung)
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			held <- conn
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-acceptDone
		close(held)
		for conn := range held {
			conn.Close()
		}
	})
	cfg.AgentForwardSocket = fakesshd.ServeAgent(t, priv) // answers Dial's check
	c, err := Dial(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Then the socket leads to the hung agent.
	if err := os.Remove(cfg.AgentForwardSocket); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hung, cfg.AgentForwardSocket); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 500*time.Millisecond)
	defer cancel()
	if _, err := c.Run(ctx, "x2golistsessions"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run with a hung agent: %v, want the deadline", err)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a hung agent")
	}
}
