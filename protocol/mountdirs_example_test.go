package protocol_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/x2go-go/x2go/protocol"
)

// ExampleMountDirsCmd builds the command that mounts a client folder with
// an awkward name: the SFTP server offers it under MountablePath's name,
// and every value is quoted for the remote shell.
func ExampleMountDirsCmd() {
	remote, _ := protocol.MountablePath(`/home/alice/it's $HOME "x"`)
	keyFile, _ := protocol.KeyFilePath("/home/bob", 27096)
	cmd, err := protocol.MountDirsCmd(protocol.MountDirsParams{
		Session: "bob-51-1795627765_stRxterm_dp24",
		User:    "alice",
		KeyFile: keyFile,
		Path:    remote,
		Kind:    protocol.MountFolder,
		Port:    54429,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(remote)
	fmt.Println(cmd)
	fmt.Println(protocol.MountPoint(protocol.MountFolder, "bob-51-1795627765_stRxterm_dp24", remote))
	// Output:
	// /home/alice/it's _HOME _x_
	// export HOSTNAME && x2gomountdirs dir bob-51-1795627765_stRxterm_dp24 'alice' /home/bob/.x2go/ssh/key.z27096 '/home/alice/it'\''s _HOME _x___REVERSESSH_PORT__54429';  rm -f /home/bob/.x2go/ssh/key.z27096 /home/bob/.x2go/ssh/key.z27096.ident
	// media/disk/_home_alice_it's__HOME__x_
}

// ExampleParseMountDirs reads x2gomountdirs' answer to a mount.
func ExampleParseMountDirs() {
	stdout := "dirs:/run/x2go-lab/share__REVERSESSH_PORT__54429\n" +
		"ssh port:54429\nHost:127.0.0.1\nUser:root\n" +
		"inserted, timeout 30 sshfs  -o idmap=user,uid=`id -u`,gid=`id -g`,default_permissions,ServerAliveInterval=300,IdentityFile=/home/x2gotest/.x2go/ssh/key.z27096,UserKnownHostsFile=/home/x2gotest/.x2go/ssh/key.z27096.ident \"root\"@127.0.0.1:\"/run/x2go-lab/share\" \"/tmp/.x2go-x2gotest/media/disk/_run_x2go-lab_share\" -p 54429\n" +
		"mount /run/x2go-lab/share ok\n"
	res, err := protocol.ParseMountDirs(stdout, "")
	fmt.Println(res.Mounts[0].Dir, "->", res.Mounts[0].MountPoint, err)

	_, err = protocol.ParseMountDirs(stdout[:strings.Index(stdout, "inserted")], "insertion of /run/x2go-lab/share failed (already mounted?), not mounting\n")
	fmt.Println(errors.Is(err, protocol.ErrAlreadyMounted))
	// Output:
	// /run/x2go-lab/share -> /tmp/.x2go-x2gotest/media/disk/_run_x2go-lab_share <nil>
	// true
}
