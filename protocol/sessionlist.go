package protocol

import (
	"strconv"
	"strings"
)

// ParseSessionList parses the output of x2golistsessions and
// x2golistshadowsessions (server-protocol.md §5): one line per session of
// 16 '|'-separated fields, or 14 for shadow sessions (Telekinesis ports
// then -1). Blank lines are skipped; empty output means no sessions.
// Numeric fields must be numbers, the status R, S or F and the name a
// valid session name.
//
// A line that does not have that shape is skipped and reported in skipped
// (a *ParseError naming the line, cookie redacted); the other sessions are
// still returned. One broken line must not hide the user's other sessions,
// nor stop a client from suspending or tracking them.
//
// A session caught while x2gostartagent sets it up is listed before it has
// an agent: its PID, cookie, client address and ports are still empty
// (seen on the lab while another client started a session). Such a line
// is a session in creation (SessionInfo.Creating), not an error: one
// client starting a session must not break every other client's listing.
func ParseSessionList(out string) (list []SessionInfo, skipped []*ParseError) {
	for i, line := range splitLines(out) {
		if isBlank(line) {
			continue
		}
		s, err := parseSessionLine(line, i+1)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		list = append(list, s)
	}
	return list, skipped
}

// parseSessionLine parses one non-blank line of a session list.
func parseSessionLine(line string, n int) (SessionInfo, *ParseError) {
	const what = "x2golistsessions"
	f := strings.Split(line, "|")
	if len(f) != 16 && len(f) != 14 {
		return SessionInfo{}, newParseError(what, n, line, "%d fields, want 16 (or 14 for a shadow session)", len(f))
	}
	bad := func(field int, want string) *ParseError {
		return newParseError(what, n, line, "field %d (%q) is not %s", field, f[field], want)
	}
	s := SessionInfo{
		Name:         f[1],
		Hostname:     f[3],
		Status:       f[4],
		CreatedAt:    f[5],
		Cookie:       f[6],
		ClientIP:     f[7],
		LastChangeAt: f[10],
		Username:     f[11],
		TekiCtrlPort: -1,
		TekiDataPort: -1,
	}
	var ok bool
	creating := f[0] == ""
	if creating {
		// Nothing but name, display, host, status, times and user yet.
		for _, i := range []int{6, 7, 8, 9, 13, 14, 15} {
			if i < len(f) && f[i] != "" {
				return SessionInfo{}, bad(i, "empty in a session without an agent PID")
			}
		}
	} else if s.AgentPID, ok = parseUint(f[0], 1, 1<<31-1); !ok {
		return SessionInfo{}, bad(0, "a PID")
	}
	if !ValidSessionName(s.Name) {
		return SessionInfo{}, bad(1, "a session name")
	}
	if s.Display, ok = parseUint(f[2], 0, 1<<31-1); !ok {
		return SessionInfo{}, bad(2, "a display number")
	}
	switch s.Status {
	case StatusRunning, StatusSuspended, StatusFinished:
	default:
		return SessionInfo{}, bad(4, "R, S or F")
	}
	if s.AgeSeconds, ok = parseUint(f[12], 0, 1<<31-1); !ok {
		return SessionInfo{}, bad(12, "a number of seconds")
	}
	if creating {
		return s, nil
	}
	if s.GraphicsPort, ok = parsePort(f[8]); !ok {
		return SessionInfo{}, bad(8, "a port")
	}
	if s.SoundPort, ok = parsePort(f[9]); !ok {
		return SessionInfo{}, bad(9, "a port")
	}
	if s.SSHFSPort, ok = parsePort(f[13]); !ok {
		return SessionInfo{}, bad(13, "a port")
	}
	if len(f) == 16 {
		if s.TekiCtrlPort, ok = parseOptPort(f[14]); !ok {
			return SessionInfo{}, bad(14, "a port or -1")
		}
		if s.TekiDataPort, ok = parseOptPort(f[15]); !ok {
			return SessionInfo{}, bad(15, "a port or -1")
		}
	}
	return s, nil
}

// Line formats s as one 16-field x2golistsessions line without the
// trailing newline, the inverse of ParseSessionList; fake servers in tests
// use it to produce listings.
func (s SessionInfo) Line() string {
	num := strconv.Itoa
	if s.Creating() { // the server leaves these empty until the agent runs
		num = func(int) string { return "" }
	}
	return strings.Join([]string{
		num(s.AgentPID), s.Name, strconv.Itoa(s.Display), s.Hostname, s.Status,
		s.CreatedAt, s.Cookie, s.ClientIP, num(s.GraphicsPort), num(s.SoundPort),
		s.LastChangeAt, s.Username, strconv.Itoa(s.AgeSeconds), num(s.SSHFSPort),
		num(s.TekiCtrlPort), num(s.TekiDataPort),
	}, "|")
}

// Creating reports a session the server lists while x2gostartagent is
// still setting it up: it has no agent PID, cookie or ports yet, so it
// cannot be resumed until it runs.
func (s SessionInfo) Creating() bool { return s.AgentPID == 0 }
