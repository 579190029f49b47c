//go:build linux

package sharing_test

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sharing"
)

// Example shares a folder and serves it on a listener. In a session the
// listener is the reverse port forward of the session's sshfs port on
// the X2Go server (ssh.Client.Listen("tcp", "127.0.0.1:<fs_port>")), the
// key bundle is uploaded to protocol.KeyFilePath(home, agentPID) with mode
// 0600, and protocol.MountDirsCmd runs x2gomountdirs.
func Example() {
	srv, err := sharing.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	local, _ := os.MkdirTemp("", "shared-")
	defer os.RemoveAll(local)
	remote, _ := protocol.MountablePath(local)
	if err := srv.AddShare(remote, local); err != nil {
		fmt.Println(err)
		return
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()

	bundle, _ := srv.KeyBundle()
	cmd, _ := protocol.MountDirsCmd(protocol.MountDirsParams{
		Session: "alice-51-1795627765_stRxterm_dp24",
		User:    srv.User(),
		KeyFile: "/home/alice/.x2go/ssh/key.z27096",
		Path:    remote,
		Kind:    protocol.MountFolder,
		Port:    l.Addr().(*net.TCPAddr).Port,
	})
	fmt.Println(len(bundle) > 0, cmd != "", srv.HostKey().Type())

	cancel()
	fmt.Println(<-done)
	// Output:
	// true true ssh-ed25519
	// context canceled
}
