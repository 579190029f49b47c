package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// ParseStartAgent parses the stdout of x2gostartagent (server-protocol.md
// §6.10): seven lines display, cookie, agent PID, session name, graphics,
// sound and sshfs port, then — only when Telekinesis is enabled on the
// server — the Telekinesis control and data ports (-1 when absent). The
// cookie must be hex (it ends up in nxproxy's option string, where a ','
// or ':' would inject options) and the name a valid session name. Any
// other shape gives a *ParseError.
func ParseStartAgent(stdout string) (AgentInfo, error) {
	const what = "x2gostartagent"
	lines := splitLines(strings.TrimRight(stdout, "\n"))
	if len(lines) < 7 || len(lines) > 9 {
		return AgentInfo{}, newParseError(what, 0, stdout, "%d lines, want 7 to 9", len(lines))
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	bad := func(i int, want string) error {
		return newParseError(what, i+1, lines[i], "not %s", want)
	}
	a := AgentInfo{Cookie: lines[1], Name: lines[3], TekiCtrlPort: -1, TekiDataPort: -1}
	var ok bool
	if a.Display, ok = parseUint(lines[0], 0, 1<<31-1); !ok {
		return AgentInfo{}, bad(0, "a display number")
	}
	if !validCookie(a.Cookie) {
		return AgentInfo{}, bad(1, "a hex cookie")
	}
	if a.AgentPID, ok = parseUint(lines[2], 1, 1<<31-1); !ok {
		return AgentInfo{}, bad(2, "a PID")
	}
	if !ValidSessionName(a.Name) {
		return AgentInfo{}, bad(3, "a session name")
	}
	for i, p := range []*int{&a.GraphicsPort, &a.SoundPort, &a.SSHFSPort} {
		if *p, ok = parsePort(lines[4+i]); !ok {
			return AgentInfo{}, bad(4+i, "a port")
		}
	}
	for i, p := range []*int{&a.TekiCtrlPort, &a.TekiDataPort} {
		if 7+i >= len(lines) {
			break
		}
		if *p, ok = parseOptPort(lines[7+i]); !ok {
			return AgentInfo{}, bad(7+i, "a port or -1")
		}
	}
	return a, nil
}

// validCookie accepts the hex string mcookie prints (32 hex digits),
// allowing other lengths up to 64.
func validCookie(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; {
		case ch >= '0' && ch <= '9', ch >= 'a' && ch <= 'f', ch >= 'A' && ch <= 'F':
		default:
			return false
		}
	}
	return true
}

// ParseResume parses the stdout of x2goresume-session (server-protocol.md
// §6.12): gr_port=, sound_port=, fs_port= lines, and with Telekinesis
// enabled tekictrl_port= and tekidata_port=. The ports may have changed
// since the start (the server re-allocates busy ones), so the client must
// use these. gr_port is required; sound_port and fs_port are -1 when
// missing (the server always prints them), as are the Telekinesis ports.
// Unknown keys are ignored for forward compatibility; blank lines are
// skipped; lines that are not key=value, repeated keys and bad numbers
// give a *ParseError.
func ParseResume(stdout string) (ResumePorts, error) {
	const what = "x2goresume-session"
	r := ResumePorts{GraphicsPort: -1, SoundPort: -1, SSHFSPort: -1, TekiCtrlPort: -1, TekiDataPort: -1}
	seen := map[string]bool{}
	for i, line := range splitLines(stdout) {
		if isBlank(line) {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			return ResumePorts{}, newParseError(what, i+1, line, "not key=value")
		}
		var p *int
		optional := false
		switch k {
		case "gr_port":
			p = &r.GraphicsPort
		case "sound_port":
			p = &r.SoundPort
		case "fs_port":
			p = &r.SSHFSPort
		case "tekictrl_port":
			p, optional = &r.TekiCtrlPort, true
		case "tekidata_port":
			p, optional = &r.TekiDataPort, true
		default:
			continue
		}
		if seen[k] {
			return ResumePorts{}, newParseError(what, i+1, line, "%s given twice", k)
		}
		seen[k] = true
		switch n, ok := parsePort(v); {
		case ok:
			*p = n
		case optional && (v == "" || v == "-1"):
			*p = -1
		default:
			return ResumePorts{}, newParseError(what, i+1, line, "%s is not a port", k)
		}
	}
	if !seen["gr_port"] {
		return ResumePorts{}, newParseError(what, 0, stdout, "no gr_port line")
	}
	return r, nil
}

// ServerError reports an x2goserver script that failed: its exit status
// and stderr. Err is a sentinel (ErrAccessDenied, ErrSessionLimit) when
// the failure was recognised, so errors.Is works on the *ServerError; all
// ServerErrors also match ErrServerCommand.
type ServerError struct {
	Command string // the server script, e.g. "x2gostartagent"
	Status  int    // its exit status
	Stderr  string // its stderr
	Err     error  // recognised cause, or nil
}

// Error names the script, its status and the recognised cause or the
// first line of its stderr.
func (e *ServerError) Error() string {
	msg := RedactCookies(firstLine(e.Stderr))
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if msg == "" {
		msg = "no error text"
	}
	return fmt.Sprintf("x2go: %s failed with status %d: %s", e.Command, e.Status, msg)
}

// Unwrap returns the recognised cause.
func (e *ServerError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrServerCommand) true for every *ServerError.
func (e *ServerError) Is(target error) bool { return target == ErrServerCommand }

// firstLine returns the first non-blank line of s, trimmed and cut to 200
// bytes, for error messages.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 200 {
				l = l[:200] + "..."
			}
			return l
		}
	}
	return ""
}

// StartError classifies the outcome of x2gostartagent from its stderr and
// its real exit status (server-protocol.md §6.10): "ACCESS DENIED" (the
// desktop owner refused sharing, exit 8) gives ErrAccessDenied, a line
// "LIMIT" or exit 9 gives ErrSessionLimit, any other non-zero status a
// plain *ServerError; all are *ServerError. It returns nil for status 0
// without such text. python-x2go recognises neither case.
func StartError(stderr string, exitStatus int) error {
	e := &ServerError{Command: "x2gostartagent", Status: exitStatus, Stderr: stderr}
	switch {
	case strings.Contains(stderr, "ACCESS DENIED"):
		e.Err = ErrAccessDenied
	case exitStatus == 9 || hasLine(stderr, "LIMIT"):
		e.Err = ErrSessionLimit
	case exitStatus == 0:
		return nil
	}
	return e
}

// AgentDiedAtStart reports whether err is x2gostartagent's exit status 12:
// the agent it had just launched was gone when the script looked again.
// On a busy server the usual cause is the agent's graphics port, found
// free moments before, taken by another socket in between (x2goserver
// picks it at random in 30000-62767, which overlaps Linux's ephemeral
// ports): the agent logs "Call to bind failed for NX … Address already in
// use". A new x2gostartagent picks new ports.
func AgentDiedAtStart(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Command == "x2gostartagent" && se.Status == 12 && se.Err == nil
}

// ResumeError classifies the outcome of x2goresume-session
// (server-protocol.md §6.12): a non-zero status or an "ERROR:" line on
// stderr is a *ServerError. Other stderr text is not an error: the server
// prints "Died at …x2gormport…" noise on every resume.
func ResumeError(stderr string, exitStatus int) error {
	if exitStatus == 0 && !hasLinePrefix(stderr, "ERROR:") {
		return nil
	}
	return &ServerError{Command: "x2goresume-session", Status: exitStatus, Stderr: stderr}
}

// hasLine reports whether s has a line that is exactly want (blanks
// around it ignored).
func hasLine(s, want string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// hasLinePrefix reports whether s has a line starting with prefix.
func hasLinePrefix(s, prefix string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return true
		}
	}
	return false
}
