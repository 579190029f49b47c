package fakesshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// WithAgentForwarding grants agent forwarding as OpenSSH's sshd does: the
// first "auth-agent-req@openssh.com" request of a connection is accepted,
// later ones are refused, and from then on every command of that
// connection first uses the client's agent: the server opens an
// "auth-agent@openssh.com" channel to the client, lists the keys and has
// each one sign a challenge, which it verifies. AgentUses reports what it
// found. Without this option the requests are refused (AllowAgentForwarding
// no).
func WithAgentForwarding() Option { return func(c *config) { c.agentForwarding = true } }

// AgentUse is what the server found when a command used the forwarded agent.
type AgentUse struct {
	Cmd      string       // the command (unwrapped) that used the agent
	Keys     []*agent.Key // the keys the agent listed
	Verified int          // how many of them signed a challenge correctly
	Err      error        // the channel was refused or the agent failed
}

// connState is what the server remembers per connection.
type connState struct {
	agentGranted atomic.Bool
}

// AgentUses returns what the forwarded agent answered, one entry per
// command run after forwarding was granted, oldest first.
func (s *Server) AgentUses() []AgentUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AgentUse(nil), s.agentUses...)
}

// useAgent lists and tries the keys of the client's agent over a new
// auth-agent@openssh.com channel.
func (s *Server) useAgent(sc *ssh.ServerConn, cmd string) {
	use := AgentUse{Cmd: cmd}
	defer func() {
		s.mu.Lock()
		s.agentUses = append(s.agentUses, use)
		s.mu.Unlock()
	}()
	ch, reqs, err := sc.OpenChannel("auth-agent@openssh.com", nil)
	if err != nil {
		use.Err = err
		return
	}
	defer ch.Close()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	client := agent.NewClient(ch)
	keys, err := client.List()
	if err != nil {
		use.Err = fmt.Errorf("listing keys: %w", err)
		return
	}
	use.Keys = keys
	challenge := make([]byte, 32)
	rand.Read(challenge)
	var errs []error
	for _, k := range keys {
		sig, err := client.Sign(k, challenge)
		if err == nil {
			err = k.Verify(challenge, sig)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %w", k.Comment, err))
			continue
		}
		use.Verified++
	}
	use.Err = errors.Join(errs...)
}

// ServeAgent serves an in-process SSH agent holding keys on a unix socket
// and returns the socket's path, for SSH_AUTH_SOCK or a config that names
// the agent. It stops, and its connections are closed, when the test
// ends.
func ServeAgent(t testing.TB, keys ...ed25519.PrivateKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	// A short directory: unix socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent.ServeAgent(keyring, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		os.RemoveAll(dir)
	})
	return sock
}
