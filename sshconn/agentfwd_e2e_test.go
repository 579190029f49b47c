package sshconn

import (
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/internal/testserver"
	"golang.org/x/crypto/ssh"
)

// TestLabForwardAgent: against the lab's real sshd, programs on the
// server see our local test agent: ssh-add -L there prints its key, also
// in a later session of the same connection.
func TestLabForwardAgent(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	leakCheck(t)
	priv, pub := newKey(t)
	cfg := Config{
		Host: lab.Host, Port: lab.Port, User: lab.User,
		Auth:               Auth{KeyFiles: []string{lab.Key}},
		HostKeys:           HostKeyConfig{KnownHostsFiles: []string{lab.KnownHosts}},
		ConnectTimeout:     20 * time.Second,
		ForwardAgent:       true,
		AgentForwardSocket: fakesshd.ServeAgent(t, priv),
	}
	c := dial(t, cfg)
	want := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	for i := range 2 {
		res, err := c.Run(testCtx(t), "ssh-add -L")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if res.Status != 0 || !strings.Contains(res.Stdout, want) {
			t.Fatalf("run %d: ssh-add -L exit %d, stdout %q, stderr %q; want our key %q", i, res.Status, res.Stdout, res.Stderr, want)
		}
	}
	// ssh-add -l shows the fingerprint, as a person would check it.
	res, err := c.Run(testCtx(t), "ssh-add -l")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Stdout, ssh.FingerprintSHA256(pub)) {
		t.Fatalf("ssh-add -l: %q, want fingerprint %s", res.Stdout, ssh.FingerprintSHA256(pub))
	}

	// Without forwarding the server has no agent.
	cfg.ForwardAgent = false
	plain := dial(t, cfg)
	res, err = plain.Run(testCtx(t), "ssh-add -l")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == 0 {
		t.Fatalf("ssh-add -l without forwarding succeeded: %q", res.Stdout)
	}
}
