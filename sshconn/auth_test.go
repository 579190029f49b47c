package sshconn

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"golang.org/x/crypto/ssh"
)

// authFails dials and checks for an *AuthError that tried methods, and
// that no secret leaked into its text.
func authFails(t *testing.T, cfg Config, methods []string, secrets ...string) *AuthError {
	t.Helper()
	_, err := Dial(testCtx(t), cfg)
	var ae *AuthError
	if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &ae) || errors.Is(err, ErrConnect) {
		t.Fatalf("Dial = %v, want ErrAuthFailed only", err)
	}
	if !slices.Equal(ae.Methods, methods) {
		t.Errorf("tried %q, want %q (%v)", ae.Methods, methods, err)
	}
	if ae.User != cfg.User || ae.Addr != cfg.Addr() {
		t.Errorf("AuthError = %+v", ae)
	}
	for _, s := range append(secrets, cfg.Auth.Password, cfg.Auth.Passphrase, fakesshd.DefaultPassword) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error contains a secret %q: %v", s, err)
		}
	}
	return ae
}

func TestAuthPassword(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	c := dial(t, baseConfig(t, srv))
	if c.User() != "x2gotest" {
		t.Errorf("User = %q", c.User())
	}
	cfg := baseConfig(t, srv)
	cfg.Auth.Password = "Wr0ng-pw-x1"
	ae := authFails(t, cfg, []string{"password"})
	if !slices.Equal(ae.Offered, []string{"password", "keyboard-interactive"}) || !slices.Contains(ae.Allowed, "password") {
		t.Errorf("AuthError = %+v", ae)
	}
	if !strings.Contains(ae.Error(), "refused [password]") {
		t.Errorf("Error() = %v", ae)
	}
}

func TestAuthPublicKey(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	cfg := baseConfig(t, srv)
	cfg.Auth = Auth{KeyFiles: []string{writeKey(t, "", "id", priv, "")}}
	dial(t, cfg)

	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth = Auth{Signers: []ssh.Signer{signer}}
	dial(t, cfg)

	other, _ := newKey(t)
	cfg.Auth = Auth{KeyFiles: []string{writeKey(t, "", "id", other, "")}}
	authFails(t, cfg, []string{"publickey"})
}

func TestAuthKeyboardInteractive(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil, fakesshd.NoPassword(), fakesshd.WithKeyboardInteractive())
	cfg := baseConfig(t, srv)
	dial(t, cfg) // the single hidden "Password:" is answered with Password
	cfg.Auth.Password = "Wr0ng-kbd-7"
	ae := authFails(t, cfg, []string{"keyboard-interactive"})
	if !slices.Equal(ae.Allowed, []string{"keyboard-interactive"}) {
		t.Errorf("Allowed = %q", ae.Allowed)
	}

	// A two-step challenge needs a callback.
	twoStep := fakesshd.New(t, nil, fakesshd.NoPassword(), fakesshd.WithKeyboardInteractive(
		fakesshd.Challenge{Prompt: "Password: ", Answer: "pw-1"},
		fakesshd.Challenge{Prompt: "Verification code: ", Echo: true, Answer: "123456"}))
	cfg = baseConfig(t, twoStep)
	cfg.Auth = Auth{Password: "pw-1"}
	authFails(t, cfg, []string{"keyboard-interactive"})
	cfg.Auth.KeyboardInteractive = func(_, _ string, questions []string, echos []bool) ([]string, error) {
		if !slices.Equal(echos, []bool{false, true}) {
			t.Errorf("echos %v", echos)
		}
		return []string{"pw-1", "123456"}, nil
	}
	dial(t, cfg)
	cfg.Auth.ForcePassword = true // the callback counts as a password method
	cfg.Auth.Password = ""
	dial(t, cfg)
}

func TestAuthAgent(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	other, _ := newKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	cfg := baseConfig(t, srv)
	cfg.Auth = Auth{AllowAgent: true, AgentSocket: fakesshd.ServeAgent(t, other, priv)}
	dial(t, cfg)

	// $SSH_AUTH_SOCK when no socket is given.
	t.Setenv("SSH_AUTH_SOCK", fakesshd.ServeAgent(t, priv))
	cfg.Auth = Auth{AllowAgent: true}
	dial(t, cfg)

	cfg.Auth = Auth{AllowAgent: true, AgentSocket: fakesshd.ServeAgent(t, other)}
	authFails(t, cfg, []string{"publickey"})

	// An agent that is not there is no method.
	cfg.Auth = Auth{AllowAgent: true, AgentSocket: "/nonexistent/agent.sock"}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrNoAuthMethods) {
		t.Errorf("no agent: %v", err)
	}
}

// TestAuthNothingAcceptable: the server accepts none of the methods the
// client has: nothing is tried, and the error says what the server wants.
func TestAuthNothingAcceptable(t *testing.T) {
	leakCheck(t)
	_, pub := newKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	cfg := baseConfig(t, srv)
	cfg.Auth = Auth{Password: "pw-abc", ForcePassword: true}
	ae := authFails(t, cfg, nil)
	if !slices.Equal(ae.Allowed, []string{"publickey"}) || !strings.Contains(ae.Error(), "accepts only [publickey]") {
		t.Errorf("AuthError = %+v: %v", ae, ae)
	}
}

func TestAuthNoMethods(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.Auth = Auth{}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrNoAuthMethods) {
		t.Errorf("empty Auth: %v", err)
	}
	cfg.Auth = Auth{ForcePassword: true, KeyFiles: []string{"/nonexistent"}}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrNoAuthMethods) {
		t.Errorf("ForcePassword without password: %v", err)
	}
	// ForcePassword ignores the keys entirely.
	cfg.Auth.Password = srv.Password()
	dial(t, cfg)
}

func TestAuthKeyFileErrors(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.Auth.KeyFiles = []string{"/nonexistent/id_ed25519"}
	_, err := Dial(testCtx(t), cfg)
	var kf *KeyFileError
	if !errors.As(err, &kf) || !errors.Is(err, fs.ErrNotExist) || kf.File != "/nonexistent/id_ed25519" {
		t.Errorf("missing key: %v", err)
	}
	garbage := emptyKnownHosts(t)
	writeFile(t, garbage, "not a key\n")
	cfg.Auth.KeyFiles = []string{garbage}
	if _, err := Dial(testCtx(t), cfg); !errors.As(err, &kf) || kf.File != garbage {
		t.Errorf("garbage key: %v", err)
	}
}

func TestAuthPassphrase(t *testing.T) {
	leakCheck(t)
	priv, pub := newECKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	const pp = "Pp-right-42"
	file := writePEMKey(t, priv, pp)
	cfg := baseConfig(t, srv)

	cfg.Auth = Auth{KeyFiles: []string{file}}
	_, err := Dial(testCtx(t), cfg)
	var kf *KeyFileError
	if !errors.Is(err, ErrPassphraseRequired) || !errors.As(err, &kf) || kf.File != file {
		t.Errorf("no passphrase: %v", err)
	}

	cfg.Auth = Auth{KeyFiles: []string{file}, Passphrase: "Pp-wrong-17"}
	if _, err = Dial(testCtx(t), cfg); !errors.Is(err, ErrBadPassphrase) || strings.Contains(err.Error(), "Pp-wrong-17") {
		t.Errorf("bad passphrase: %v", err)
	}

	cfg.Auth = Auth{KeyFiles: []string{file}, Passphrase: pp}
	dial(t, cfg)

	// The prompt: wrong first, then right; the wrong Passphrase is
	// followed by the prompt too.
	var asked []string
	cfg.Auth = Auth{KeyFiles: []string{file}, Passphrase: "Pp-wrong-17", PassphrasePrompt: func(ctx context.Context, f string) (string, error) {
		if ctx == nil {
			t.Error("prompt got no context")
		}
		asked = append(asked, f)
		if len(asked) == 1 {
			return "Pp-wrong-18", nil
		}
		return pp, nil
	}}
	dial(t, cfg)
	if !slices.Equal(asked, []string{file, file}) {
		t.Errorf("prompted for %q", asked)
	}

	// Three wrong answers.
	cfg.Auth.Passphrase = ""
	cfg.Auth.PassphrasePrompt = func(context.Context, string) (string, error) { return "Pp-wrong-19", nil }
	if _, err = Dial(testCtx(t), cfg); !errors.Is(err, ErrBadPassphrase) {
		t.Errorf("three wrong answers: %v", err)
	}
	// The prompt gives up.
	gaveUp := errors.New("cancelled by user")
	cfg.Auth.PassphrasePrompt = func(context.Context, string) (string, error) { return "", gaveUp }
	if _, err = Dial(testCtx(t), cfg); !errors.Is(err, gaveUp) || !errors.As(err, &kf) {
		t.Errorf("prompt error: %v", err)
	}
}

// TestAuthPassphraseOpenSSHFormat: ssh-keygen's default format (bcrypt
// KDF) with the right and a wrong passphrase.
func TestAuthPassphraseOpenSSHFormat(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	cfg := baseConfig(t, srv)
	file := writeKey(t, "", "id_ed25519", priv, "ossh-pp")
	cfg.Auth = Auth{KeyFiles: []string{file}, Passphrase: "ossh-pp"}
	dial(t, cfg)
	cfg.Auth.Passphrase = "ossh-wrong"
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrBadPassphrase) {
		t.Errorf("bad passphrase: %v", err)
	}
}

// TestAuthJumpPromptsOnce: a key used on both hops (python-x2go's
// reuse of the login for the jump host) is asked for once.
func TestAuthJumpPromptsOnce(t *testing.T) {
	leakCheck(t)
	priv, pub := newECKey(t)
	cfg, _, _ := jumpPair(t, fakesshd.WithAuthorizedKey(pub), fakesshd.NoPassword())
	var mu sync.Mutex
	prompts := 0
	auth := Auth{KeyFiles: []string{writePEMKey(t, priv, "both-pp")}, Password: cfg.Jump.Auth.Password,
		PassphrasePrompt: func(context.Context, string) (string, error) {
			mu.Lock()
			prompts++
			mu.Unlock()
			return "both-pp", nil
		}}
	cfg.Auth, cfg.Jump.Auth = auth, auth
	dial(t, cfg)
	if prompts != 1 {
		t.Errorf("prompted %d times", prompts)
	}
}

func TestAuthLookForKeys(t *testing.T) {
	leakCheck(t)
	priv, pub := newKey(t)
	encPriv, encPub := newECKey(t)
	srv := fakesshd.New(t, nil, fakesshd.WithAuthorizedKey(pub), fakesshd.WithAuthorizedKey(encPub), fakesshd.NoPassword())
	dir := t.TempDir()
	writeKey(t, dir, "id_ed25519", priv, "")
	cfg := baseConfig(t, srv)
	cfg.Auth = Auth{LookForKeys: true, SSHDir: dir}
	dial(t, cfg)

	// An encrypted discovered key without passphrase is passed over, not
	// an error; with the passphrase it is used. The prompt is not asked
	// for discovered keys.
	dir2 := t.TempDir()
	enc := writePEMKey(t, encPriv, "disc-pp")
	b, err := readFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir2+"/id_ecdsa", b)
	var prompted atomic.Int32
	cfg.Auth = Auth{LookForKeys: true, SSHDir: dir2, Password: "pw-q8",
		PassphrasePrompt: func(context.Context, string) (string, error) { prompted.Add(1); return "disc-pp", nil }}
	authFails(t, cfg, nil)
	cfg.Auth.Passphrase = "disc-pp"
	dial(t, cfg)
	if prompted.Load() != 0 {
		t.Errorf("prompted for a discovered key")
	}

	// ~/.ssh by default.
	t.Setenv("HOME", t.TempDir())
	cfg.Auth = Auth{LookForKeys: true, Password: "pw-q8"}
	authFails(t, cfg, nil)
}
