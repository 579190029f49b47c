package sshconfig

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzResolveNative feeds arbitrary configurations to the native reader:
// it must not panic, must answer with a typed error or sane settings, and
// never runs anything. Include lines are left out (they would glob the
// real file system).
func FuzzResolveNative(f *testing.F) {
	for _, name := range []string{"testdata/home/.ssh/config", "testdata/home/.ssh/conf.d/10-team.conf", "testdata/sshg-input.conf"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "office")
	}
	f.Add([]byte("Host a\n  ProxyJump b,c@d:23\nHost b\n  ProxyJump a\n"), "a")
	f.Add([]byte("Match final host x\n  User \"q u\"\nMatch exec true\n"), "x")
	f.Add([]byte("HostName %h.%%\nIdentityFile ${HOME}/%C\nUserKnownHostsFile none\n"), "h")
	dir := f.TempDir()
	cfg := filepath.Join(dir, "config")
	f.Fuzz(func(t *testing.T, config []byte, host string) {
		if bytes.Contains(bytes.ToLower(config), []byte("include")) || host == "" {
			t.Skip()
		}
		if err := os.WriteFile(cfg, config, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := Options{Mode: Native, ConfigFile: cfg, HomeDir: dir, LocalUser: "fuzz", Env: []string{"HOME=" + dir}}
		s, err := Resolve(context.Background(), host, opts)
		if err != nil {
			if !errors.Is(err, ErrBadConfig) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if s.Port <= 0 || s.Port > 65535 || s.User == "" || len(s.Jumps) > maxHops {
			t.Fatalf("implausible settings %+v", s)
		}
	})
}

// FuzzParseG: whatever ssh -G might print, parsing it does not panic.
func FuzzParseG(f *testing.F) {
	for _, name := range []string{"testdata/ssh-G-office.txt", "testdata/ssh-G-gateway.txt"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		raw, jump, err := rawFromG(ParseG(out))
		if err == nil && raw.hostName == "" {
			t.Fatal("no error without a hostname")
		}
		if jump != "" {
			if specs, err := splitJump(jump); err == nil {
				for _, s := range specs {
					parseHop(s)
				}
			}
		}
	})
}
