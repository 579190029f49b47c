package sshconfig

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/sshconn"
)

// TestLabProxyJump: an ssh config that reaches the lab's keyboard-
// interactive sshd through its main sshd as a ProxyJump host, resolved
// both ways and dialled with sshconn.
func TestLabProxyJump(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	dir := t.TempDir()
	config := fmt.Sprintf(`
Host labjump
  HostName %[1]s
  Port %[2]d
  User %[3]s
  IdentityFile %[4]s
Host labtarget
  HostName %[1]s
  Port %[5]d
  User %[3]s
  ProxyJump labjump
Host *
  UserKnownHostsFile %[6]s
  StrictHostKeyChecking yes
  ConnectTimeout 20
`, lab.Host, lab.Port, lab.User, lab.Key, lab.KbdIntPort, lab.KnownHosts)
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var settings []Settings
	for _, mode := range []Mode{Native, UseSSHG} {
		s, err := Resolve(ctx, "labtarget", Options{Mode: mode, ConfigFile: cfgFile})
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		clearSource(&s)
		settings = append(settings, s)
	}
	if d := diffSettings("", settings[0], settings[1]); d != "" {
		t.Fatalf("native and ssh -G differ:\n%s", d)
	}
	s := settings[0]
	cfg, err := s.SSHConfig(sshconn.Config{Auth: sshconn.Auth{Password: lab.Password}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != lab.KbdIntPort || cfg.Jump == nil || cfg.Jump.Port != lab.Port || len(cfg.Jump.Auth.KeyFiles) != 1 {
		t.Fatalf("config: %+v, jump %+v", cfg, cfg.Jump)
	}
	c, err := sshconn.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial through the jump host: %v", err)
	}
	defer c.Close()
	// The target sees the connection coming from the jump host's side.
	out, err := c.Output(ctx, `echo "$SSH_CONNECTION"`)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) != 4 || fields[3] != fmt.Sprint(lab.KbdIntPort) {
		t.Fatalf("SSH_CONNECTION %q: want a connection to port %d", out, lab.KbdIntPort)
	}
}
