package sshconn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

func lookupName(srv *fakesshd.Server) string { return fmt.Sprintf("[127.0.0.1]:%d", srv.Port()) }

// neverAsk fails the test when it is asked.
func neverAsk(t *testing.T) func(context.Context, HostKeyInfo) (bool, error) {
	return func(context.Context, HostKeyInfo) (bool, error) {
		t.Error("Ask was called")
		return true, nil
	}
}

func TestHostKeyUnknown(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	// One file that does not exist, one that lists another host.
	other, otherKey := emptyKnownHosts(t), func() ssh.PublicKey { _, k := newKey(t); return k }()
	writeFile(t, other, xknownhosts.Line([]string{"otherhost"}, otherKey)+"\n")
	missing := emptyKnownHosts(t)
	cfg.HostKeys.KnownHostsFiles = []string{missing, other}
	_, err := Dial(testCtx(t), cfg)
	var hk *HostKeyError
	if !errors.Is(err, ErrHostKeyUnknown) || !errors.As(err, &hk) || errors.Is(err, ErrHostKeyChanged) {
		t.Fatalf("Dial = %v, want ErrHostKeyUnknown", err)
	}
	if hk.Host != lookupName(srv) || hk.KeyType != ssh.KeyAlgoED25519 || hk.Fingerprint != ssh.FingerprintSHA256(srv.HostKey()) || hk.Changed || hk.Revoked {
		t.Errorf("HostKeyError = %+v", hk)
	}
	if !strings.Contains(err.Error(), hk.Fingerprint) {
		t.Errorf("error lacks the fingerprint: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("refusing created the known_hosts file: %v", err)
	}
}

func TestHostKeyChanged(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	_, forged := newKey(t)
	kh := emptyKnownHosts(t)
	content := "# my hosts\n" + xknownhosts.Line([]string{srv.Addr()}, forged) + "\n"
	writeFile(t, kh, content)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, AddUnknown: true, Ask: neverAsk(t)}
	_, err := Dial(testCtx(t), cfg)
	var hk *HostKeyError
	if !errors.Is(err, ErrHostKeyChanged) || !errors.As(err, &hk) || errors.Is(err, ErrHostKeyUnknown) {
		t.Fatalf("Dial = %v, want ErrHostKeyChanged", err)
	}
	if !hk.Changed || len(hk.Known) != 1 || hk.Known[0] != kh+":2" {
		t.Errorf("HostKeyError = %+v", hk)
	}
	if !strings.Contains(err.Error(), "CHANGED") {
		t.Errorf("error = %v", err)
	}
	if b, _ := os.ReadFile(kh); string(b) != content {
		t.Errorf("known_hosts modified:\n%s", b)
	}
}

func TestHostKeyRevoked(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	kh := emptyKnownHosts(t)
	// The key is listed for the host and revoked: revoked wins.
	writeFile(t, kh, xknownhosts.Line([]string{srv.Addr()}, srv.HostKey())+"\n"+
		"@revoked * "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.HostKey())))+"\n")
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, AddUnknown: true, Ask: neverAsk(t)}
	_, err := Dial(testCtx(t), cfg)
	var hk *HostKeyError
	if !errors.Is(err, ErrHostKeyRevoked) || !errors.As(err, &hk) || errors.Is(err, ErrHostKeyUnknown) || errors.Is(err, ErrHostKeyChanged) {
		t.Fatalf("Dial = %v, want ErrHostKeyRevoked", err)
	}
	if !hk.Revoked || len(hk.Known) != 1 || hk.Known[0] != kh+":2" || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("HostKeyError = %+v (%v)", hk, err)
	}
}

func TestHostKeyHashed(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	hashed := xknownhosts.HashHostname(xknownhosts.Normalize(srv.Addr()))
	kh := emptyKnownHosts(t)
	writeFile(t, kh, xknownhosts.Line([]string{hashed}, srv.HostKey())+"\n")
	if !strings.HasPrefix(hashed, "|1|") {
		t.Fatalf("not an ssh-keygen -H entry: %s", hashed)
	}
	cfg := baseConfig(t, srv)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, Ask: neverAsk(t)}
	dial(t, cfg)

	// A hashed entry with another key is a changed key.
	_, forged := newKey(t)
	kh2 := emptyKnownHosts(t)
	writeFile(t, kh2, xknownhosts.Line([]string{hashed}, forged)+"\n")
	cfg.HostKeys.KnownHostsFiles = []string{kh2}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrHostKeyChanged) {
		t.Errorf("hashed, other key: %v", err)
	}
}

func TestHostKeyAlias(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	kh := emptyKnownHosts(t)
	writeFile(t, kh, xknownhosts.Line([]string{fmt.Sprintf("[myserver]:%d", srv.Port())}, srv.HostKey())+"\n")
	cfg := baseConfig(t, srv)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, Alias: "myserver", Ask: neverAsk(t)}
	dial(t, cfg)
	cfg.HostKeys.Alias, cfg.HostKeys.Ask = "", nil
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrHostKeyUnknown) {
		t.Errorf("without the alias: %v", err)
	}
}

func TestHostKeyAsk(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)

	t.Run("no", func(t *testing.T) {
		kh := emptyKnownHosts(t)
		cfg := baseConfig(t, srv)
		cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh},
			Ask: func(context.Context, HostKeyInfo) (bool, error) { return false, nil }}
		if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrHostKeyUnknown) {
			t.Errorf("Dial = %v", err)
		}
		if _, err := os.Stat(kh); !os.IsNotExist(err) {
			t.Errorf("known_hosts written after no: %v", err)
		}
	})
	t.Run("error", func(t *testing.T) {
		hookErr := errors.New("dialog closed")
		cfg := baseConfig(t, srv)
		cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{emptyKnownHosts(t)},
			Ask: func(context.Context, HostKeyInfo) (bool, error) { return true, hookErr }}
		_, err := Dial(testCtx(t), cfg)
		if !errors.Is(err, hookErr) || errors.Is(err, ErrConnect) {
			t.Errorf("Dial = %v, want the hook's error", err)
		}
	})
	t.Run("yes", func(t *testing.T) {
		// The file and its directory do not exist yet.
		kh := filepath.Join(t.TempDir(), "new", "known_hosts")
		var got HostKeyInfo
		cfg := baseConfig(t, srv)
		cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh},
			Ask: func(_ context.Context, info HostKeyInfo) (bool, error) { got = info; return true, nil }}
		dial(t, cfg)
		want := HostKeyInfo{Host: "127.0.0.1", Port: srv.Port(), LookupName: lookupName(srv), KeyType: ssh.KeyAlgoED25519,
			Fingerprint: ssh.FingerprintSHA256(srv.HostKey()), FingerprintMD5: ssh.FingerprintLegacyMD5(srv.HostKey())}
		gotKey := got.Key
		got.Key = nil
		if got != want || gotKey == nil || string(gotKey.Marshal()) != string(srv.HostKey().Marshal()) {
			t.Errorf("Ask got %+v\nwant %+v", got, want)
		}
		checkMode(t, kh, 0o600)
		checkMode(t, filepath.Dir(kh), 0o700|os.ModeDir)
		b, _ := os.ReadFile(kh)
		if string(b) != xknownhosts.Line([]string{srv.Addr()}, srv.HostKey())+"\n" {
			t.Errorf("known_hosts = %q", b)
		}
		// Known now: no question.
		cfg.HostKeys.Ask = neverAsk(t)
		dial(t, cfg)
	})
}

func checkMode(t *testing.T, file string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != want {
		t.Errorf("%s: mode %v, want %v", file, st.Mode(), want)
	}
}

// TestHostKeyAddUnknownAppends: the new key is appended; nothing that was
// in the file changes, and a missing final newline is supplied.
func TestHostKeyAddUnknownAppends(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	kh := emptyKnownHosts(t)
	_, otherKey := newKey(t)
	old := "# keep me\n@cert-authority *.example.org " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(otherKey))) +
		"\nfoo.example.org ssh-unknowntype AAAA"
	if err := os.WriteFile(kh, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, srv)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, AddUnknown: true, Ask: neverAsk(t)}
	dial(t, cfg)
	want := old + "\n" + xknownhosts.Line([]string{srv.Addr()}, srv.HostKey()) + "\n"
	if b, _ := os.ReadFile(kh); string(b) != want {
		t.Errorf("known_hosts =\n%s\nwant\n%s", b, want)
	}
	checkMode(t, kh, 0o644) // an existing file keeps its mode
	dial(t, cfg)
	if b, _ := os.ReadFile(kh); string(b) != want {
		t.Errorf("second connect changed known_hosts:\n%s", b)
	}
}

// TestHostKeyDefaultFiles: without KnownHostsFiles, ~/.ssh/known_hosts is
// read and written (created 0600 in a 0700 directory).
func TestHostKeyDefaultFiles(t *testing.T) {
	leakCheck(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	files := DefaultKnownHostsFiles()
	if len(files) != 2 || files[0] != filepath.Join(home, ".ssh", "known_hosts") || files[1] != "/etc/ssh/ssh_known_hosts" {
		t.Fatalf("DefaultKnownHostsFiles = %q", files)
	}
	srv := fakesshd.New(t, nil)
	cfg := baseConfig(t, srv)
	cfg.HostKeys = HostKeyConfig{}
	if _, err := Dial(testCtx(t), cfg); !errors.Is(err, ErrHostKeyUnknown) {
		t.Fatalf("zero HostKeyConfig: %v", err)
	}
	cfg.HostKeys.AddUnknown = true
	dial(t, cfg)
	checkMode(t, files[0], 0o600)
	checkMode(t, filepath.Dir(files[0]), 0o700|os.ModeDir)
}

// TestHostKeyRekey: the SSH library checks the host key again at every
// re-key during the session. An accepted key must not be asked about or
// written again, and the connection must survive.
func TestHostKeyRekey(t *testing.T) {
	leakCheck(t)
	big := strings.Repeat("x", 4000) + "\n"
	srv := fakesshd.New(t, fakesshd.Standard().With("big", fakesshd.Output(big)), fakesshd.WithRekeyEvery(1024))
	for _, add := range []bool{false, true} {
		kh := emptyKnownHosts(t)
		var asked atomic.Int32
		cfg := baseConfig(t, srv)
		cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{kh}, AddUnknown: add,
			Ask: func(context.Context, HostKeyInfo) (bool, error) { asked.Add(1); return true, nil }}
		c := dial(t, cfg)
		for i := 0; i < 5; i++ {
			if out, err := c.Output(testCtx(t), "big"); err != nil || out != big {
				t.Fatalf("AddUnknown %v: command %d: %v", add, i, err)
			}
		}
		if want := map[bool]int32{false: 1, true: 0}[add]; asked.Load() != want {
			t.Errorf("AddUnknown %v: asked %d times, want %d", add, asked.Load(), want)
		}
		if b, _ := os.ReadFile(kh); strings.Count(string(b), "\n") != 1 {
			t.Errorf("AddUnknown %v: known_hosts =\n%s", add, b)
		}
		c.Close()
	}
}

func TestHostKeyAddFails(t *testing.T) {
	leakCheck(t)
	srv := fakesshd.New(t, nil)
	// The directory of the file is a file: known_hosts cannot be written.
	blocker := filepath.Join(t.TempDir(), "file")
	writeFile(t, blocker, "")
	cfg := baseConfig(t, srv)
	cfg.HostKeys = HostKeyConfig{KnownHostsFiles: []string{filepath.Join(blocker, "known_hosts")}, AddUnknown: true}
	_, err := Dial(testCtx(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "adding host key") || errors.Is(err, ErrHostKeyUnknown) {
		t.Errorf("Dial = %v", err)
	}
}
