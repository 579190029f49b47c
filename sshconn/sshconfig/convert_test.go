package sshconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"github.com/x2go-go/x2go/sshconn"
)

// TestSSHConfigDial: an ssh config with a ProxyJump chain of two real
// (in-process) jump servers is resolved and dialled with sshconn; the
// command reaches the target through both.
func TestSSHConfigDial(t *testing.T) {
	jump1 := fakesshd.New(t, nil, fakesshd.WithForwarding())
	jump2 := fakesshd.New(t, nil, fakesshd.WithForwarding())
	target := fakesshd.New(t, nil)
	dir := t.TempDir()
	var known []string
	for _, s := range []*fakesshd.Server{jump1, jump2, target} {
		data, err := os.ReadFile(s.KnownHostsFile(t))
		if err != nil {
			t.Fatal(err)
		}
		known = append(known, string(data))
	}
	knownFile := filepath.Join(dir, "known_hosts")
	os.WriteFile(knownFile, []byte(strings.Join(known, "")), 0o600)
	config := fmt.Sprintf(`
Host office
  HostName 127.0.0.1
  Port %d
  ProxyJump j1,x2gotest@127.0.0.1:%d
  ServerAliveInterval 7
  ConnectTimeout 9
Host j1
  HostName 127.0.0.1
  Port %d
Host *
  User x2gotest
  UserKnownHostsFile %s
  StrictHostKeyChecking yes
`, target.Port(), jump2.Port(), jump1.Port(), knownFile)
	cfgFile := filepath.Join(dir, "config")
	os.WriteFile(cfgFile, []byte(config), 0o644)

	s, err := Resolve(context.Background(), "office", Options{Mode: Native, ConfigFile: cfgFile})
	if err != nil {
		t.Fatal(err)
	}
	base := sshconn.Config{Auth: sshconn.Auth{Password: fakesshd.DefaultPassword}}
	cfg, err := s.SSHConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KeepAlive != 7*time.Second || cfg.ConnectTimeout != 9*time.Second || cfg.HostKeys.KnownHostsFiles[0] != knownFile {
		t.Errorf("config %+v", cfg)
	}
	if cfg.Jump == nil || cfg.Jump.Port != jump2.Port() || cfg.Jump.Jump == nil || cfg.Jump.Jump.Port != jump1.Port() || cfg.Jump.Jump.Jump != nil {
		t.Fatalf("jump chain wrong: %+v", cfg.Jump)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := sshconn.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if _, err := c.Run(ctx, "x2golistsessions"); err != nil {
		t.Fatal(err)
	}
	if got := target.Commands(); len(got) != 1 || got[0] != "x2golistsessions" {
		t.Errorf("target ran %q", got)
	}
	for _, j := range []*fakesshd.Server{jump1, jump2} {
		if n := len(j.Commands()); n != 0 {
			t.Errorf("a jump host ran %d commands", n)
		}
	}
}

func TestSSHConfigMapping(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_here")
	os.WriteFile(key, []byte("not read here"), 0o600)
	s := Settings{
		Host: "a", HostName: "a.example", User: "u", Port: 2200,
		IdentityFiles:  []string{key, filepath.Join(dir, "id_missing")},
		IdentitiesOnly: true, IdentityAgent: "/agent.sock",
		UserKnownHostsFiles: []string{"/k1"}, GlobalKnownHostsFiles: []string{"/k2"},
		StrictHostKeyChecking: StrictAcceptNew, HostKeyAlias: "alias",
		ForwardAgent: true, ForwardAgentSocket: "/fwd.sock",
	}
	cfg, err := s.SSHConfig(sshconn.Config{Auth: sshconn.Auth{AllowAgent: true, LookForKeys: true}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "a.example" || cfg.Port != 2200 || cfg.User != "u" {
		t.Errorf("target %s@%s:%d", cfg.User, cfg.Host, cfg.Port)
	}
	if len(cfg.Auth.KeyFiles) != 1 || cfg.Auth.KeyFiles[0] != key {
		t.Errorf("key files %q: want only the one that exists", cfg.Auth.KeyFiles)
	}
	if cfg.Auth.AllowAgent || cfg.Auth.LookForKeys {
		t.Error("IdentitiesOnly left the agent or key discovery on")
	}
	if strings.Join(cfg.HostKeys.KnownHostsFiles, " ") != "/k1 /k2" || cfg.HostKeys.Alias != "alias" || !cfg.HostKeys.AddUnknown {
		t.Errorf("host keys %+v", cfg.HostKeys)
	}
	if !cfg.ForwardAgent || cfg.AgentForwardSocket != "/fwd.sock" {
		t.Errorf("forwarding %v %q", cfg.ForwardAgent, cfg.AgentForwardSocket)
	}
	// The caller's known hosts win over the configuration's.
	cfg, _ = s.SSHConfig(sshconn.Config{HostKeys: sshconn.HostKeyConfig{KnownHostsFiles: []string{"/mine"}}})
	if strings.Join(cfg.HostKeys.KnownHostsFiles, " ") != "/mine" {
		t.Errorf("caller's known hosts replaced: %q", cfg.HostKeys.KnownHostsFiles)
	}
	s.ProxyCommand = "nc %h %p"
	if _, err := s.SSHConfig(sshconn.Config{}); !errors.Is(err, ErrProxyCommand) {
		t.Errorf("ProxyCommand: %v", err)
	}
}
