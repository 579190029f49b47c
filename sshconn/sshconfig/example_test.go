package sshconfig_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/x2go-go/x2go/sshconn"
	"github.com/x2go-go/x2go/sshconn/sshconfig"
)

// Resolve a host alias the way `ssh office` would, then connect with
// sshconn through the jump hosts the configuration names.
func ExampleResolve() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "config")
	os.WriteFile(config, []byte(`
Host office
    HostName x2go.office.example.org
    ProxyJump admin@bastion.example.org:2222
# Match host sees HostName; Host patterns see the name asked for.
Match host *.example.org
    User alice
`), 0o600)

	// Mode Native never runs a command; the zero Options read
	// ~/.ssh/config and /etc/ssh/ssh_config and fall back to ssh -G.
	s, err := sshconfig.Resolve(context.Background(), "office", sshconfig.Options{Mode: sshconfig.Native, ConfigFile: config})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s@%s:%d\n", s.User, s.HostName, s.Port)
	for _, hop := range s.Jumps {
		fmt.Printf("via %s@%s:%d\n", hop.Settings.User, hop.Settings.HostName, hop.Settings.Port)
	}

	cfg, err := s.SSHConfig(sshconn.Config{Auth: sshconn.Auth{AllowAgent: true}})
	if err != nil {
		log.Fatal(err) // e.g. a ProxyCommand, which is not run
	}
	fmt.Println("jump host for sshconn.Dial:", cfg.Jump.Host)
	// Output:
	// alice@x2go.office.example.org:22
	// via admin@bastion.example.org:2222
	// jump host for sshconn.Dial: bastion.example.org
}
