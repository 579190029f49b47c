package pyhoca_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/x2go-go/x2go/internal/pyhoca"
	"github.com/x2go-go/x2go/protocol"
)

// Example shows the pyhoca-cli front end's flow: parse the command line,
// report errors the way pyhoca-cli does, then print a session list.
func Example() {
	opt, err := pyhoca.Parse([]string{"--list-s", "-p2222", "x2gotest@127.0.0.1"})
	var ue *pyhoca.UsageError
	switch {
	case errors.Is(err, pyhoca.ErrHelp):
		fmt.Print(pyhoca.Help("pyhoca-cli", pyhoca.DefaultColumns))
		return
	case errors.As(err, &ue):
		fmt.Fprint(os.Stderr, pyhoca.Usage("pyhoca-cli", pyhoca.DefaultColumns))
		fmt.Fprintf(os.Stderr, "pyhoca-cli: error: %s\n", ue.Msg)
		os.Exit(ue.Code)
	}
	if err := pyhoca.Validate(opt, nil); err != nil {
		fmt.Println(err)
		return
	}

	log := pyhoca.NewLogger(os.Stdout, "pyhoca-cli", 16301, pyhoca.LevelNotice)
	log.Notice("PyHocaCLI", "authentication has been successful")

	sessions := []protocol.SessionInfo{{
		AgentPID: 17128, Name: "x2gotest-51-1795627586_stRxterm_dp24", Display: 51,
		Hostname: "vm", Status: "R", CreatedAt: "2026-11-25T17:26:27",
		Cookie: "f1847cec37ed2687bd03f475f4753b71", GraphicsPort: 48176, SoundPort: 48177,
		LastChangeAt: "2026-11-25T17:26:29", Username: "x2gotest", SSHFSPort: 48178,
	}}
	_ = pyhoca.WriteSessionList(os.Stdout, opt.Server, "127.0.0.1", opt.RemoteSSHPort, opt.Username, sessions)
	// Output:
	// pyhoca-cli[16301] (PyHocaCLI) NOTICE: authentication has been successful
	//
	// Available runing/suspended X2Go sessions
	// ========================================
	// Host: 127.0.0.1 - [127.0.0.1]:2222
	// Username: x2gotest
	//
	// Session Name: x2gotest-51-1795627586_stRxterm_dp24
	// -------------
	// cookie: f1847cec37ed2687bd03f475f4753b71
	// agent PID: 17128
	// display: 51
	// status: R
	// graphic port: 48176
	// snd port: 48177
	// sshfs port: 48178
	// username: x2gotest
	// hostname: vm
	// create date: 2026-11-25T17:26:27
	// suspended since: 2026-11-25T17:26:29
}
