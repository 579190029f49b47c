package protocol

import "strings"

// homeOK is printed after the home directory when it exists.
const homeOK = "X2GO_HOME_OK"

// HomeCheckCmd prints the login user's $HOME and, if that directory exists,
// a confirmation line: python-x2go's `echo $HOME` and `stat -tL <home>` in
// one round trip.
func HomeCheckCmd() string {
	return `echo "$HOME" && test -d "$HOME" && echo ` + homeOK
}

// ParseHomeCheck reads HomeCheckCmd's output: the home directory and
// whether it exists.
func ParseHomeCheck(out string) (home string, ok bool) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2 || lines[1] != homeOK || !strings.HasPrefix(lines[0], "/") {
		return "", false
	}
	return lines[0], true
}

// ListShadowSessionsCmd lists the user's desktop-sharing sessions; it
// prints nothing on servers without x2golistshadowsessions.
func ListShadowSessionsCmd() string {
	return "export HOSTNAME && if which x2golistshadowsessions >/dev/null; then x2golistshadowsessions; fi"
}

// CanListSessionsCmd succeeds when the user can run x2golistsessions.
func CanListSessionsCmd() string {
	return "export HOSTNAME && x2golistsessions >/dev/null"
}

// CommandToken returns how command appears in the names of the sessions
// it starts (the part after _st<T>): the basename of its first word with
// the characters the server removes from session names removed. Meta and
// generic names (KDE, TERMINAL, PUBLISHED) stay as they are.
func CommandToken(command string) string {
	f := strings.Fields(command)
	if len(f) == 0 {
		return ""
	}
	w := f[0]
	if i := strings.LastIndex(w, "/"); i >= 0 {
		w = w[i+1:]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '@':
			return r
		}
		return -1
	}, w)
}
