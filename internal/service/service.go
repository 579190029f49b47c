// Package service is the vocabulary shared by a terminal session and the
// parts of a running X2Go session it owns: the graphics (local forward and
// nxproxy), and later the SFTP server for sharing, the print and MIME box
// spools and the sound forward.
//
// Each part is a Service. The terminal session starts its services in
// order once the server has started or resumed the session, and stops
// them in reverse order when it is suspended or terminated. A started
// service is an Instance with a Done channel, so the terminal session
// learns when a part ends on its own: losing the graphics makes the
// session faulty, losing an optional part is only reported.
package service

import (
	"context"
	"net"

	"github.com/x2go-go/x2go/sshconn"
)

// Conn is what the parts of a running session need of the SSH connection
// to the server. *sshconn.Conn implements it; tests use fakes.
type Conn interface {
	// Run runs a shell command line on the server (values already quoted).
	Run(ctx context.Context, cmd string) (*sshconn.Result, error)
	// DialContext opens a channel to addr on the server's side.
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	// Done is closed when the connection has ended.
	Done() <-chan struct{}
	// Err says why the connection ended, nil while it is up.
	Err() error
}

// Run describes the X2Go session a service is started for: the values the
// server gave when it started or resumed the session.
type Run struct {
	Name         string // session name
	Display      int    // the agent's display on the server
	Cookie       string // the NX cookie; never log it
	AgentPID     int    // 0 when not known (resumed sessions)
	GraphicsPort int    // server-side ports of the session
	SoundPort    int
	SSHFSPort    int
	Conn         Conn // the connection the session runs over
}

// Service is one part of a running session. Start is called once per
// start or resume of the session; the Service may keep state across runs
// (the folders to share again after a resume, say), each run is an
// Instance.
type Service interface {
	// Name names the part in logs and hooks, e.g. "graphics".
	Name() string
	// Start brings the part up for run and returns once it works, or with
	// the reason it cannot.
	Start(ctx context.Context, run Run) (Instance, error)
}

// Instance is a started Service.
type Instance interface {
	// Done is closed when the part has ended, on its own or by Stop.
	Done() <-chan struct{}
	// Err says why the part ended on its own; nil while it runs and after
	// Stop.
	Err() error
	// Stop ends the part and waits for everything it started. Calling it
	// more than once, or after the part ended on its own, is harmless.
	Stop(ctx context.Context) error
}

// Environ is implemented by an Instance that the session's command must
// know about: the print spool and the MIME box tell it where they are
// mounted (X2GO_SPOOLDIR, X2GO_MIMEBOX). The terminal session passes the
// variables of every started part to x2goruncommand.
type Environ interface {
	SessionEnv() map[string]string
}
