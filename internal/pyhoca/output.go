package pyhoca

import (
	"bytes"
	"fmt"
	"io"

	"github.com/x2go-go/x2go/protocol"
)

// writeHeader writes the block that starts both list outputs: an empty
// line, the title, its underline, the server as the user named it with
// the SSH peer address, and the login name.
func writeHeader(b *bytes.Buffer, title, host, peerHost string, peerPort int, user string) {
	b.WriteString("\n")
	b.WriteString(title)
	b.WriteString("\n")
	for range title {
		b.WriteByte('=')
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "Host: %s - [%s]:%d\n", host, peerHost, peerPort)
	fmt.Fprintf(b, "Username: %s\n", user)
	b.WriteString("\n")
}

// WriteSessionList writes pyhoca-cli's --list-sessions output
// (cli-pyhoca.md §8) byte for byte: host is the server as the user gave
// it, peerHost and peerPort the SSH peer address, user the login name;
// one block per session in the given (server) order. "runing" is
// pyhoca-cli's spelling, kept because scripts match on it. "suspended
// since" is the last-state-change field, printed for running sessions too.
func WriteSessionList(w io.Writer, host, peerHost string, peerPort int, user string, sessions []protocol.SessionInfo) error {
	var b bytes.Buffer
	writeHeader(&b, "Available runing/suspended X2Go sessions", host, peerHost, peerPort, user)
	if len(sessions) == 0 {
		b.WriteString("No running/suspended sessions found on X2Go server.\n\n")
	}
	for _, s := range sessions {
		fmt.Fprintf(&b, "Session Name: %s\n", s.Name)
		b.WriteString("-------------\n")
		fmt.Fprintf(&b, "cookie: %s\n", s.Cookie)
		fmt.Fprintf(&b, "agent PID: %d\n", s.AgentPID)
		fmt.Fprintf(&b, "display: %d\n", s.Display)
		fmt.Fprintf(&b, "status: %s\n", s.Status)
		fmt.Fprintf(&b, "graphic port: %d\n", s.GraphicsPort)
		fmt.Fprintf(&b, "snd port: %d\n", s.SoundPort)
		fmt.Fprintf(&b, "sshfs port: %d\n", s.SSHFSPort)
		fmt.Fprintf(&b, "username: %s\n", s.Username)
		fmt.Fprintf(&b, "hostname: %s\n", s.Hostname)
		fmt.Fprintf(&b, "create date: %s\n", s.CreatedAt)
		fmt.Fprintf(&b, "suspended since: %s\n", s.LastChangeAt)
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteDesktopList writes pyhoca-cli's --list-desktops output
// (cli-pyhoca.md §8) byte for byte: one "<user>@:<display>" line per
// desktop, then the empty line pyhoca-cli prints for the trailing empty
// element python-x2go keeps from the server output; or the "none" message
// and an empty line.
func WriteDesktopList(w io.Writer, host, peerHost string, peerPort int, user string, desktops []string) error {
	var b bytes.Buffer
	writeHeader(&b, "X2Go desktops available for sharing", host, peerHost, peerPort, user)
	if len(desktops) == 0 {
		b.WriteString("No X2Go desktop sessions found that are available for desktop sharing.\n\n")
	} else {
		for _, d := range desktops {
			b.WriteString(d)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// VersionText returns the banner -V/--version prints to stderr before
// exiting 0, in pyhoca-cli's layout ("<prog>[<pid>] - ...", a rule,
// "VERSION: <version>"), naming this client instead of the Python one.
func VersionText(prog string, pid int, version string) string {
	return fmt.Sprintf("\n%s[%d] - an X2Go command line client written in Go (pyhoca-cli compatible)\n"+
		"----------------------------------------------------------------------\n"+
		"part of x2go-go, github.com/x2go-go/x2go\n\n"+
		"VERSION: %s\n\n\n", prog, pid, version)
}
