package broker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/sshconn"
)

// fakeBroker is an SSH server that answers the broker command lines with
// the real broker's captured answers, handing out the captured cookies in
// turn and accepting each once, as x2gobroker does.
type fakeBroker struct {
	mu      sync.Mutex
	valid   map[string]bool // cookies handed out and not yet used
	answers map[string]string
}

func newFakeBroker(t *testing.T) *fakeBroker {
	return &fakeBroker{valid: map[string]bool{}, answers: map[string]string{
		"listsessions":                        string(answer(t, "ssh-list")),
		"selectsession --sid lab":             string(answer(t, "ssh-select-lab-cookie")),
		"selectsession --sid pool":            string(answer(t, "ssh-select-pool")),
		"selectsession --sid desk":            string(answer(t, "ssh-select-desk")),
		"selectsession --sid no-such-profile": string(answer(t, "ssh-select-no-such-profile")),
	}}
}

func (f *fakeBroker) handle(cmd string) fakesshd.Reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	const prefix = "/usr/bin/x2gobroker-ssh --user x2gotest "
	rest, ok := strings.CutPrefix(cmd, prefix)
	if !ok {
		return fakesshd.Fail(127, "sh: command not found\n")
	}
	if c, r, ok := strings.Cut(rest, " "); ok && c == "--authid" {
		cookie, r2, _ := strings.Cut(r, " ")
		if !f.valid[cookie] {
			return fakesshd.Output("") // x2gobroker's refusal
		}
		delete(f.valid, cookie)
		rest = r2
	}
	task, ok := strings.CutPrefix(rest, "--task ")
	if !ok {
		return fakesshd.Fail(2, "usage\n")
	}
	out, ok := f.answers[task]
	if !ok {
		return fakesshd.Fail(2, "unknown task\n")
	}
	for _, l := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(l, "AUTHID:"); ok {
			f.valid[c] = true
		}
	}
	// x2gobroker's debug log goes to stderr and names cookies.
	return fakesshd.Reply{Stdout: out, Stderr: "DEBUG - Giving new cookie\n"}
}

func dialFake(t *testing.T, srv *fakesshd.Server, cfg broker.SSHConfig) *broker.SSH {
	t.Helper()
	cfg.SSH = sshconn.Config{
		Host: "127.0.0.1", Port: srv.Port(), User: "x2gotest",
		Auth:           sshconn.Auth{Password: srv.Password()},
		HostKeys:       sshconn.HostKeyConfig{KnownHostsFiles: []string{srv.KnownHostsFile(t)}},
		ConnectTimeout: 10 * time.Second,
	}
	b, err := broker.DialSSH(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)
	return b
}

// The command lines are X2Go Client's, with every value quoted, and the
// cookie of each answer goes with the next command.
func TestSSHCommandLines(t *testing.T) {
	fb := newFakeBroker(t)
	srv := fakesshd.New(t, fb.handle)
	b := dialFake(t, srv, broker.SSHConfig{})
	ctx := testCtx(t)

	profiles, err := b.ListProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles.Profiles()) != 4 {
		t.Errorf("%d profiles", len(profiles.Profiles()))
	}
	c1 := b.Cookie()
	sel, err := b.SelectSession(ctx, "lab")
	if err != nil || sel.Addr() != "127.0.0.1:2222" {
		t.Fatalf("lab: %v, %v", sel, err)
	}
	sel, err = b.SelectSession(ctx, "desk")
	if err != nil || sel.PrivateKey == nil {
		t.Fatalf("desk: %v, %v", sel, err)
	}
	if _, err := b.SelectSession(ctx, "no-such-profile"); !errors.Is(err, broker.ErrNoServer) {
		t.Errorf("unknown: %v", err)
	}
	cmds := srv.Commands()
	want := []string{
		"/usr/bin/x2gobroker-ssh --user x2gotest --task listsessions",
		"/usr/bin/x2gobroker-ssh --user x2gotest --authid " + c1 + " --task selectsession --sid lab",
	}
	if len(cmds) != 4 || cmds[0] != want[0] || cmds[1] != want[1] || !strings.HasPrefix(cmds[2], "/usr/bin/x2gobroker-ssh --user x2gotest --authid ") {
		t.Errorf("commands:\n%s\nwant first:\n%s", strings.Join(cmds, "\n"), strings.Join(want, "\n"))
	}

	// Values that need quoting reach the broker as one word each.
	srv2 := fakesshd.New(t, func(cmd string) fakesshd.Reply { return fakesshd.Output(string(answer(t, "ssh-select-pool"))) })
	b2 := dialFake(t, srv2, broker.SSHConfig{Command: "/opt/x2go broker/bin", User: "o'neil", AuthID: "pre shared"})
	if _, err := b2.SelectSession(ctx, "a b;rm -rf /"); err != nil {
		t.Fatal(err)
	}
	got := srv2.Commands()[0]
	if want := `'/opt/x2go broker/bin' --user 'o'\''neil' --authid 'pre shared' --task selectsession --sid 'a b;rm -rf /'`; got != want {
		t.Errorf("command\n%s\nwant\n%s", got, want)
	}
}

// A cookie the broker no longer accepts: the command is run again without
// it (the SSH login authenticates).
func TestSSHCookieRefused(t *testing.T) {
	fb := newFakeBroker(t)
	srv := fakesshd.New(t, fb.handle)
	b := dialFake(t, srv, broker.SSHConfig{})
	ctx := testCtx(t)
	if _, err := b.ListProfiles(ctx); err != nil {
		t.Fatal(err)
	}
	fb.mu.Lock()
	clear(fb.valid) // the broker forgot every cookie
	fb.mu.Unlock()
	if _, err := b.SelectSession(ctx, "pool"); err != nil {
		t.Fatal(err)
	}
	cmds := srv.Commands()
	if len(cmds) != 3 || !strings.Contains(cmds[1], "--authid") || strings.Contains(cmds[2], "--authid") {
		t.Errorf("commands:\n%s", strings.Join(cmds, "\n"))
	}
	// A pre-shared cookie the broker refuses is an error.
	srv2 := fakesshd.New(t, fb.handle)
	b2 := dialFake(t, srv2, broker.SSHConfig{AuthID: "not-known"})
	_, err := b2.ListProfiles(ctx)
	var ae *broker.AuthError
	if !errors.As(err, &ae) || !ae.Cookie {
		t.Errorf("refused pre-shared cookie: %v", err)
	}
}

// What goes wrong on the way: a failing command (its stderr kept out of
// the message), garbage, a dropped connection, a hang cut by the context.
func TestSSHFaults(t *testing.T) {
	ctx := testCtx(t)
	srv := fakesshd.New(t, func(cmd string) fakesshd.Reply {
		return fakesshd.Fail(254, "DEBUG - Giving cookie: 1234-secret-cookie\n")
	})
	b := dialFake(t, srv, broker.SSHConfig{})
	_, err := b.ListProfiles(ctx)
	var ce *broker.CommandError
	if !errors.As(err, &ce) || ce.Status != 254 || ce.Task != "listsessions" || !strings.Contains(ce.Stderr, "Giving") {
		t.Fatalf("failing command: %v", err)
	}
	if strings.Contains(err.Error(), "secret-cookie") {
		t.Errorf("stderr in the error text: %v", err)
	}

	srv.SetHandler(func(string) fakesshd.Reply { return fakesshd.Output("Access granted\nSERVER:host:notaport\n") })
	if _, err := b.SelectSession(ctx, "p"); !errors.Is(err, broker.ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}

	srv.SetHandler(func(string) fakesshd.Reply { return fakesshd.Reply{Stdout: "Access gr", Drop: true} })
	if _, err := b.SelectSession(ctx, "p"); !errors.Is(err, broker.ErrUnreachable) {
		t.Errorf("dropped connection: %v", err)
	}

	srv3 := fakesshd.New(t, func(string) fakesshd.Reply { return fakesshd.Reply{Hang: true} })
	b3 := dialFake(t, srv3, broker.SSHConfig{})
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := b3.ListProfiles(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v", err)
	}
}

func TestSSHDialErrors(t *testing.T) {
	ctx := testCtx(t)
	srv := fakesshd.New(t, nil)
	cfg := broker.SSHConfig{SSH: sshconn.Config{
		Host: "127.0.0.1", Port: srv.Port(), User: "x2gotest",
		Auth:           sshconn.Auth{Password: "wrong", ForcePassword: true},
		HostKeys:       sshconn.HostKeyConfig{KnownHostsFiles: []string{srv.KnownHostsFile(t)}},
		ConnectTimeout: 10 * time.Second,
	}}
	_, err := broker.DialSSH(ctx, cfg)
	if !errors.Is(err, broker.ErrAuthFailed) || !errors.Is(err, sshconn.ErrAuthFailed) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}
	cfg.SSH.HostKeys.KnownHostsFiles = []string{t.TempDir() + "/known_hosts"}
	if _, err := broker.DialSSH(ctx, cfg); !errors.Is(err, sshconn.ErrHostKeyUnknown) {
		t.Errorf("unknown host key: %v", err)
	}
	srv.Close()
	cfg.SSH.HostKeys.KnownHostsFiles = nil
	if _, err := broker.DialSSH(ctx, cfg); !errors.Is(err, broker.ErrUnreachable) {
		t.Errorf("closed port: %v", err)
	}
}

func TestSSHConfigFromURL(t *testing.T) {
	c, err := broker.SSHConfigFromURL("ssh://alice:s3cret@broker.example.org:2022/usr/bin/x2gobroker")
	if err != nil || c.SSH.Host != "broker.example.org" || c.SSH.Port != 2022 || c.SSH.User != "alice" ||
		c.SSH.Auth.Password != "s3cret" || c.Command != "/usr/bin/x2gobroker" {
		t.Errorf("%+v, %v", c, err)
	}
	c, err = broker.SSHConfigFromURL("SSH://[2001:db8::1]")
	if err != nil || c.SSH.Host != "2001:db8::1" || c.SSH.Port != 0 || c.Command != "" {
		t.Errorf("%+v, %v", c, err)
	}
	for _, bad := range []string{"https://h/", "ssh:///path", "ssh://h:0/", "ssh://u:pw@h:x/%zz"} {
		if _, err := broker.SSHConfigFromURL(bad); !errors.Is(err, broker.ErrConfig) || strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
