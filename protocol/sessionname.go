package protocol

import (
	"regexp"
	"strconv"
	"strings"
)

// sessionNameRE is the parser of server-protocol.md §2. The greedy command
// group makes the last "_dp<digits>" the depth, so user names and commands
// with '_' or '-' parse correctly (python-x2go's split on '_' does not).
var sessionNameRE = regexp.MustCompile(
	`^(.+)-(\d{2,4})-(\d{9,12})_st([DRSKP])(.*)_dp(\d{1,2})(?:_(.*))?$`)

// x2gosidRE is the server's "x2gosid" sanitizer pattern (§2): every
// x2goserver script that takes a session name rejects anything else.
var x2gosidRE = regexp.MustCompile(
	`^[A-Za-z0-9._][A-Za-z0-9._@-]*-\d{2,4}-\d{9,12}_[A-Za-z0-9._-]*_dp\d{1,2}[A-Za-z0-9._-]*$`)

// ValidSessionName reports whether name matches the server's x2gosid
// pattern. Builders use it before a name goes on a command line, and the
// session list parser uses it to reject garbage rows.
func ValidSessionName(name string) bool {
	return len(name) <= maxNameLen && x2gosidRE.MatchString(name)
}

// maxNameLen bounds names so a hostile server cannot make regexp work
// on megabytes; real names are well under 100 bytes.
const maxNameLen = 512

// ParseSessionName splits an X2Go session name
// <user>-<display>-<unixtime>_st<T><command>_dp<depth>[_<xdmcp>] into its
// parts. A rootless name with command PUBLISHED is reported as type P (the
// server names published-applications sessions R). For shadow sessions
// (type S) the command <mode>XSHAD<owner>XSHAD<display with PP for :> is
// split into ShareMode, ShadowUser and ShadowDisplay. Names that do not
// have this shape give a *ParseError.
func ParseSessionName(name string) (SessionName, error) {
	const what = "session name"
	if len(name) > maxNameLen {
		return SessionName{}, newParseError(what, 0, name, "name longer than %d bytes", maxNameLen)
	}
	m := sessionNameRE.FindStringSubmatch(name)
	if m == nil {
		return SessionName{}, newParseError(what, 0, name, "not <user>-<display>-<time>_st<T><cmd>_dp<depth>")
	}
	// The regexp guarantees short digit strings, so these cannot fail.
	display, _ := strconv.Atoi(m[2])
	ts, _ := strconv.ParseInt(m[3], 10, 64)
	depth, _ := strconv.Atoi(m[6])
	sn := SessionName{
		User:      m[1],
		Display:   display,
		Timestamp: ts,
		Type:      m[4],
		Command:   m[5],
		Depth:     depth,
		XDMCP:     m[7],
	}
	if sn.Type == TypeRootless && sn.Command == "PUBLISHED" {
		sn.Type = TypePublished
	}
	if sn.Type == TypeShadow {
		mode, owner, disp, ok := splitShadowCommand(sn.Command)
		if !ok {
			return SessionName{}, newParseError(what, 0, name, "shadow command is not <mode>XSHAD<owner>XSHAD<display>")
		}
		sn.ShareMode, sn.ShadowUser, sn.ShadowDisplay = mode, owner, disp
	}
	return sn, nil
}

// splitShadowCommand parses <mode>XSHAD<owner>XSHAD<display>, where the
// display may be written with PP for ':' (as in session names) or with ':'
// (as sent to x2gostartagent). The owner is cut at the last XSHAD since a
// display never contains it.
func splitShadowCommand(cmd string) (mode int, owner, display string, ok bool) {
	if len(cmd) < 1 || (cmd[0] != '0' && cmd[0] != '1') {
		return 0, "", "", false
	}
	mode = int(cmd[0] - '0')
	rest, found := strings.CutPrefix(cmd[1:], "XSHAD")
	if !found {
		return 0, "", "", false
	}
	i := strings.LastIndex(rest, "XSHAD")
	if i <= 0 {
		return 0, "", "", false
	}
	owner, display = rest[:i], strings.ReplaceAll(rest[i+len("XSHAD"):], "PP", ":")
	if display == "" {
		return 0, "", "", false
	}
	return mode, owner, display, true
}
