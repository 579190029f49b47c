package sshconn

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// slowYes answers a host key question after d, like a person reading the
// fingerprint, unless ctx ends first.
func slowYes(d time.Duration, calls *atomic.Int32) func(context.Context, HostKeyInfo) (bool, error) {
	return func(ctx context.Context, _ HostKeyInfo) (bool, error) {
		calls.Add(1)
		select {
		case <-time.After(d):
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

func TestDialAskDoesNotCountAgainstTimeout(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.HostKeys.KnownHostsFiles = []string{emptyKnownHosts(t)}
	cfg.ConnectTimeout = 300 * time.Millisecond
	var calls atomic.Int32
	cfg.HostKeys.Ask = slowYes(time.Second, &calls)
	c := dial(t, cfg)
	if calls.Load() != 1 {
		t.Errorf("Ask called %d times", calls.Load())
	}
	if _, err := c.Output(testCtx(t), "echo"); err != nil {
		t.Fatal(err)
	}
}

func TestDialPassphrasePromptDoesNotCountAgainstTimeout(t *testing.T) {
	leakCheck(t)
	priv, pub := newECKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	cfg := baseConfig(t, srv)
	cfg.ConnectTimeout = 300 * time.Millisecond
	cfg.Auth = Auth{
		KeyFiles: []string{writePEMKey(t, priv, "pass-9z")},
		PassphrasePrompt: func(ctx context.Context, _ string) (string, error) {
			select {
			case <-time.After(time.Second):
				return "pass-9z", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	}
	dial(t, cfg)
}

// TestDialJumpPeopleDoNotCountAgainstTimeout: on a jump connection the
// questions of both hops (passphrase of the jump's key, both host keys)
// take far longer than either timeout, and the connect still succeeds.
func TestDialJumpPeopleDoNotCountAgainstTimeout(t *testing.T) {
	leakCheck(t)
	priv, pub := newECKey(t)
	jump := fakesshd.New(t, nil, fakesshd.WithForwarding(), fakesshd.WithAuthorizedKey(pub))
	target := fakesshd.New(t, nil)
	var jumpAsked, targetAsked atomic.Int32
	jc := baseConfig(t, jump)
	jc.HostKeys = HostKeyConfig{KnownHostsFiles: []string{emptyKnownHosts(t)}, Ask: slowYes(700*time.Millisecond, &jumpAsked)}
	jc.ConnectTimeout = 300 * time.Millisecond
	jc.Auth = Auth{
		KeyFiles: []string{writePEMKey(t, priv, "jump-pp")},
		PassphrasePrompt: func(ctx context.Context, _ string) (string, error) {
			time.Sleep(700 * time.Millisecond)
			return "jump-pp", nil
		},
	}
	cfg := baseConfig(t, target)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{emptyKnownHosts(t)}, Ask: slowYes(700*time.Millisecond, &targetAsked)}
	cfg.ConnectTimeout = 300 * time.Millisecond
	cfg.Jump = &jc
	c := dial(t, cfg)
	if jumpAsked.Load() != 1 || targetAsked.Load() != 1 {
		t.Errorf("asked jump %d, target %d times", jumpAsked.Load(), targetAsked.Load())
	}
	if _, err := c.Output(testCtx(t), "echo"); err != nil {
		t.Fatal(err)
	}
}

func TestDialCancelDuringAsk(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.HostKeys.KnownHostsFiles = []string{emptyKnownHosts(t)}
	asking := make(chan struct{})
	cfg.HostKeys.Ask = func(ctx context.Context, _ HostKeyInfo) (bool, error) {
		close(asking)
		<-ctx.Done()
		return false, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-asking
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := Dial(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial took %v after cancel", d)
	}
}

// TestDialCancelDuringAskIgnoringAnswer: an Ask that says yes after the
// caller gave up does not connect.
func TestDialCancelDuringAskIgnoringAnswer(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	kh := emptyKnownHosts(t)
	cfg.HostKeys.KnownHostsFiles = []string{kh}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.HostKeys.Ask = func(context.Context, HostKeyInfo) (bool, error) {
		cancel()
		return true, nil
	}
	if _, err := Dial(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want context.Canceled", err)
	}
}

func TestDialCancelDuringPrompt(t *testing.T) {
	leakCheck(t)
	priv, _ := newECKey(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Auth.KeyFiles = []string{writePEMKey(t, priv, "pp")}
	cfg.Auth.PassphrasePrompt = func(ctx context.Context, _ string) (string, error) {
		cancel()
		<-ctx.Done()
		return "", ctx.Err()
	}
	_, err := Dial(ctx, cfg)
	var kf *KeyFileError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &kf) {
		t.Fatalf("Dial = %v, want context.Canceled in a KeyFileError", err)
	}
}

func TestDialNetworkTimeout(t *testing.T) {
	leakCheck(t)
	port := fakesshd.Silent(t)
	cfg := Config{Host: "127.0.0.1", Port: port, User: "u", Auth: Auth{Password: "x"},
		HostKeys: HostKeyConfig{KnownHostsFiles: []string{emptyKnownHosts(t)}}, ConnectTimeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := Dial(testCtx(t), cfg)
	var te *TimeoutError
	if !errors.Is(err, ErrConnect) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) {
		t.Fatalf("Dial = %v, want a connect timeout", err)
	}
	if te.Limit != 300*time.Millisecond || !te.Timeout() {
		t.Errorf("TimeoutError = %+v", te)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

// TestDialBudgetResumesAfterAsk: after the host key question the clock
// runs again with what was left: a server that then hangs in
// authentication still times out.
func TestDialBudgetResumesAfterAsk(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthDelay(5*time.Second))
	cfg := baseConfig(t, srv)
	cfg.HostKeys.KnownHostsFiles = []string{emptyKnownHosts(t)}
	cfg.ConnectTimeout = 500 * time.Millisecond
	var calls atomic.Int32
	cfg.HostKeys.Ask = slowYes(700*time.Millisecond, &calls)
	start := time.Now()
	_, err := Dial(testCtx(t), cfg)
	d := time.Since(start)
	if !errors.Is(err, ErrConnect) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial = %v, want a connect timeout", err)
	}
	if d < 1100*time.Millisecond || d > 3*time.Second {
		t.Errorf("timed out after %v, want ~1.2s (0.7s asking + 0.5s network)", d)
	}
}

func TestDialConnectErrors(t *testing.T) {
	leakCheck(t)
	cfg := Config{Host: "127.0.0.1", Port: freePort(t), User: "u", Auth: Auth{Password: "x"}}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrConnect) || errors.Is(err, ErrAuthFailed) {
		t.Errorf("closed port: %v", err)
	}
	early := fakesshd.New(t, nil, fakesshd.CloseBeforeHandshake())
	cfg = baseConfig(t, early)
	_, err := Dial(testCtx(t), cfg)
	var ce *ConnectError
	if !errors.Is(err, ErrConnect) || !errors.As(err, &ce) || ce.Addr != early.Addr() {
		t.Errorf("early close: %v", err)
	}
	if !strings.Contains(err.Error(), early.Addr()) {
		t.Errorf("error does not name the address: %v", err)
	}

	for name, cfg := range map[string]Config{
		"no host": {User: "u"},
		"no user": {Host: "h"},
	} {
		if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	loop := Config{Host: "h", User: "u"}
	loop.Jump = &loop
	if _, err := Dial(testCtx(t), loop); !errors.Is(err, ErrConfig) {
		t.Errorf("jump loop: %v", err)
	}
	// A known_hosts file that cannot be parsed.
	srv := fakesshd.New(t, nil)
	cfg = baseConfig(t, srv)
	bad := emptyKnownHosts(t)
	writeFile(t, bad, "[127.0.0.1]:1 ssh-ed25519 !!!notbase64\n")
	cfg.HostKeys.KnownHostsFiles = []string{bad}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("broken known_hosts: %v", err)
	}
	// A caller's context that is already done.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dial(ctx, baseConfig(t, srv)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestDialThroughJump(t *testing.T) {
	leakCheck(t)
	cfg, _, target := jumpPair(t)
	c := dial(t, cfg)
	out, err := c.Output(testCtx(t), "echo")
	if err != nil || out != "\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	if got := target.Commands(); len(got) != 1 {
		t.Errorf("target got %q", got)
	}
	if c.jump == nil {
		t.Fatal("no jump connection kept")
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if c.jump.Err() == nil {
		t.Error("jump connection still up after Close")
	}
}

func TestDialJumpErrorsNameTheHop(t *testing.T) {
	leakCheck(t)
	cfg, jump, _ := jumpPair(t)
	cfg.Jump.Auth.Password = "wrong-jump-pw-55"
	_, err := Dial(testCtx(t), cfg)
	if !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "jump host "+jump.Addr()) {
		t.Errorf("jump auth: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-jump-pw-55") {
		t.Errorf("password in error: %v", err)
	}

	// The target's host key is unknown: the error is the target's, the
	// jump connection is closed (leakCheck).
	cfg, _, _ = jumpPair(t)
	cfg.HostKeys.KnownHostsFiles = []string{emptyKnownHosts(t)}
	_, err = Dial(testCtx(t), cfg)
	if !errors.Is(err, ErrHostKeyUnknown) || strings.Contains(err.Error(), "jump host") {
		t.Errorf("target host key: %v", err)
	}

	// The jump host cannot reach the target.
	cfg, _, target := jumpPair(t)
	target.Close()
	if _, err = Dial(testCtx(t), cfg); !errors.Is(err, ErrConnect) {
		t.Errorf("unreachable target: %v", err)
	}
}

// TestJumpEndsWithMainConnection: when the connection through a jump host
// dies by itself, the jump connection and all its goroutines go too,
// without anybody calling Close.
func TestJumpEndsWithMainConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(target *fakesshd.Server)
	}{
		{"server drops", func(s *fakesshd.Server) { s.DropAll() }},
		{"keepalive lost", func(s *fakesshd.Server) { s.Freeze() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			cfg, _, target := jumpPair(t)
			ignore := goleak.IgnoreCurrent() // the servers' own goroutines
			cfg.KeepAlive = 100 * time.Millisecond
			c, err := Dial(testCtx(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			tc.kill(target)
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("connection still up")
			}
			select {
			case <-c.jump.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("jump connection still up after the main one died")
			}
			if !errors.Is(c.Err(), ErrConnectionLost) {
				t.Errorf("Err = %v", c.Err())
			}
			target.Thaw()
			goleak.VerifyNone(t, ignore)
			if err := c.Close(); err != nil {
				t.Errorf("Close after death: %v", err)
			}
		})
	}
}
