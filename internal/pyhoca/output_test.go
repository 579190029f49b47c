package pyhoca

import (
	"errors"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/protocol"
)

// The expected outputs are pyhoca-cli's real stdout (cli-pyhoca.md §8 and
// trace-pyhoca.md; the trace drops trailing empty lines, python prints them).
func TestWriteSessionList(t *testing.T) {
	running := protocol.SessionInfo{
		AgentPID:     17128,
		Name:         "x2gotest-51-1795627586_stRxterm_dp24",
		Display:      51,
		Hostname:     "vm",
		Status:       "R",
		CreatedAt:    "2026-11-25T17:26:27",
		Cookie:       "f1847cec37ed2687bd03f475f4753b71",
		ClientIP:     "127.0.0.1",
		GraphicsPort: 48176,
		SoundPort:    48177,
		LastChangeAt: "2026-11-25T17:26:29",
		Username:     "x2gotest",
		SSHFSPort:    48178,
		TekiCtrlPort: -1,
		TekiDataPort: -1,
	}
	suspended := running
	suspended.Name = "x2gotest-50-1795627500_stDxterm_dp24"
	suspended.Display = 50
	suspended.Status = "S"
	tests := []struct {
		name     string
		sessions []protocol.SessionInfo
		want     string
	}{
		{"none", nil, `
Available runing/suspended X2Go sessions
========================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

No running/suspended sessions found on X2Go server.

`},
		{"one running", []protocol.SessionInfo{running}, `
Available runing/suspended X2Go sessions
========================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

Session Name: x2gotest-51-1795627586_stRxterm_dp24
-------------
cookie: f1847cec37ed2687bd03f475f4753b71
agent PID: 17128
display: 51
status: R
graphic port: 48176
snd port: 48177
sshfs port: 48178
username: x2gotest
hostname: vm
create date: 2026-11-25T17:26:27
suspended since: 2026-11-25T17:26:29

`},
		{"server order kept", []protocol.SessionInfo{suspended, running}, `
Available runing/suspended X2Go sessions
========================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

Session Name: x2gotest-50-1795627500_stDxterm_dp24
-------------
cookie: f1847cec37ed2687bd03f475f4753b71
agent PID: 17128
display: 50
status: S
graphic port: 48176
snd port: 48177
sshfs port: 48178
username: x2gotest
hostname: vm
create date: 2026-11-25T17:26:27
suspended since: 2026-11-25T17:26:29

Session Name: x2gotest-51-1795627586_stRxterm_dp24
-------------
cookie: f1847cec37ed2687bd03f475f4753b71
agent PID: 17128
display: 51
status: R
graphic port: 48176
snd port: 48177
sshfs port: 48178
username: x2gotest
hostname: vm
create date: 2026-11-25T17:26:27
suspended since: 2026-11-25T17:26:29

`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteSessionList(&b, "127.0.0.1", "127.0.0.1", 2222, "x2gotest", tt.sessions); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestWriteDesktopList(t *testing.T) {
	tests := []struct {
		name     string
		desktops []string
		want     string
	}{
		{"one", []string{"x2gotest@:51"}, `
X2Go desktops available for sharing
===================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

x2gotest@:51

`},
		{"two", []string{"x2gotest@:51", "alice@:52"}, `
X2Go desktops available for sharing
===================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

x2gotest@:51
alice@:52

`},
		{"none", nil, `
X2Go desktops available for sharing
===================================
Host: 127.0.0.1 - [127.0.0.1]:2222
Username: x2gotest

No X2Go desktop sessions found that are available for desktop sharing.

`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteDesktopList(&b, "127.0.0.1", "127.0.0.1", 2222, "x2gotest", tt.desktops); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", b.String(), tt.want)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrors(t *testing.T) {
	if err := WriteSessionList(failWriter{}, "h", "::1", 22, "u", nil); err == nil {
		t.Error("WriteSessionList: write error lost")
	}
	if err := WriteDesktopList(failWriter{}, "h", "::1", 22, "u", nil); err == nil {
		t.Error("WriteDesktopList: write error lost")
	}
}

func TestVersionText(t *testing.T) {
	got := VersionText("pyhoca-cli", 42, "0.1.0")
	for _, want := range []string{"\npyhoca-cli[42] - an X2Go command line client", "\nVERSION: 0.1.0\n\n\n", "\n" + strings.Repeat("-", 70) + "\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("VersionText lacks %q:\n%s", want, got)
		}
	}
}
