package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Agent forwarding (ssh -A, python-x2go's forward_sshagent): the command
// sessions ask the server for agent forwarding, and each
// "auth-agent@openssh.com" channel the server opens back (a program on
// the server using $SSH_AUTH_SOCK) is connected to the local agent, with
// a fresh agent connection per channel.

// ErrNoAgent: agent forwarding was asked for, but there is no local agent
// to forward ($SSH_AUTH_SOCK unset, or nothing answers on the socket).
var ErrNoAgent = errors.New("no SSH agent to forward")

// AgentError says which agent socket could not be used.
type AgentError struct {
	Socket string // "" when $SSH_AUTH_SOCK was not set
	Err    error
}

func (e *AgentError) Error() string {
	if e.Socket == "" {
		return "agent forwarding: SSH_AUTH_SOCK is not set"
	}
	return fmt.Sprintf("agent forwarding: agent socket %s: %v", e.Socket, e.Err)
}

func (e *AgentError) Unwrap() error        { return e.Err }
func (e *AgentError) Is(target error) bool { return target == ErrNoAgent }

// agentChannelType is the channel OpenSSH's sshd opens to reach the
// client's agent.
const agentChannelType = "auth-agent@openssh.com"

// agentDialTimeout bounds connecting to the local agent socket.
const agentDialTimeout = 5 * time.Second

// agentSocket is the agent socket to use: the configured one, else
// $SSH_AUTH_SOCK.
func agentSocket(configured string) string {
	if configured != "" {
		return configured
	}
	return os.Getenv("SSH_AUTH_SOCK")
}

// checkAgent makes sure the agent to forward answers, so that a missing
// agent is reported by Dial (ErrNoAgent) rather than noticed by the
// first program on the server that tries to use it.
func checkAgent(ctx context.Context, sock string) error {
	if sock == "" {
		return &AgentError{Err: errors.New("SSH_AUTH_SOCK is not set")}
	}
	ctx, cancel := context.WithTimeout(ctx, agentDialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return &AgentError{Socket: sock, Err: err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := agent.NewClient(conn).List(); err != nil {
		return &AgentError{Socket: sock, Err: fmt.Errorf("not answering as an agent: %w", err)}
	}
	return nil
}

// serveAgentChannels accepts the server's agent channels for the
// connection's lifetime. It runs on a goroutine Close waits for.
func (c *Conn) serveAgentChannels(chans <-chan ssh.NewChannel, sock string) {
	for nch := range chans {
		c.forwardAgentChannel(nch, sock)
	}
}

// forwardAgentChannel connects one agent channel to a new connection to
// the local agent.
func (c *Conn) forwardAgentChannel(nch ssh.NewChannel, sock string) {
	d := net.Dialer{Timeout: agentDialTimeout}
	uc, err := d.Dial("unix", sock)
	if err != nil {
		c.log.Warn("agent forwarding: cannot reach the local agent", "socket", sock, "err", err)
		nch.Reject(ssh.ConnectionFailed, "client cannot reach its agent")
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		uc.Close()
		return
	}
	started := c.goBackground(func() {
		var wg sync.WaitGroup
		finished := make(chan struct{})
		wg.Add(3)
		go func() {
			// The requests end when the channel is closed, by either side.
			defer wg.Done()
			defer close(finished)
			ssh.DiscardRequests(reqs)
		}()
		go func() {
			// Server to agent; the agent sees the end of the requests
			// when the server closes its side.
			defer wg.Done()
			io.Copy(uc, ch)
			if w, ok := uc.(interface{ CloseWrite() error }); ok {
				w.CloseWrite()
			}
		}()
		go func() {
			// Agent to server, until the agent hangs up.
			defer wg.Done()
			io.Copy(ch, uc)
			ch.CloseWrite()
			ch.Close()
		}()
		// The end of the channel or of the connection ends both copies,
		// even if the agent never hangs up.
		select {
		case <-finished:
		case <-c.stop:
		case <-c.done:
		}
		uc.Close()
		ch.Close()
		wg.Wait()
	})
	if !started {
		ch.Close()
		uc.Close()
	}
}

// requestAgent asks for agent forwarding on a new command session until
// the server has once accepted it: OpenSSH's sshd keeps one agent socket
// per connection and refuses later requests, while every later session
// still gets $SSH_AUTH_SOCK.
func (c *Conn) requestAgent(sess *ssh.Session) {
	if !c.cfg.ForwardAgent || c.agentAccepted.Load() {
		return
	}
	if err := agent.RequestAgentForwarding(sess); err != nil {
		if !c.agentRefusalLogged.Swap(true) {
			c.log.Warn("agent forwarding: the server refused the request", "addr", c.cfg.Addr(), "err", err)
		}
		return
	}
	c.agentAccepted.Store(true)
}
