package protocol

import (
	"slices"
	"strings"
)

// ParseDesktops parses the output of x2golistdesktops (server-protocol.md
// §6.6): one sharable desktop per line, <user>@:<display> or
// <user>@:<display>.<screen>, returned verbatim. Blank lines (the server's
// output ends in one) are skipped. Other lines give a *ParseError.
func ParseDesktops(out string) ([]string, error) {
	var list []string
	for i, line := range splitLines(out) {
		if isBlank(line) {
			continue
		}
		if !validDesktop(line) {
			return nil, newParseError("x2golistdesktops", i+1, line, "not <user>@:<display>[.<screen>]")
		}
		list = append(list, line)
	}
	return list, nil
}

// validDesktop checks <user>@:<display>[.<screen>]; the user part may
// itself contain '@' (directory user names) but no blanks or controls.
func validDesktop(d string) bool {
	i := strings.LastIndex(d, "@:")
	if i <= 0 {
		return false
	}
	user, disp := d[:i], d[i+2:]
	if hasControl(user) || strings.ContainsAny(user, " |") {
		return false
	}
	disp, screen, hasScreen := strings.Cut(disp, ".")
	if _, ok := parseUint(disp, 0, 1<<31-1); !ok {
		return false
	}
	if hasScreen {
		if _, ok := parseUint(screen, 0, 1<<31-1); !ok {
			return false
		}
	}
	return true
}

// HasDesktop reports whether desktop (e.g. "alice@:51") is in a list from
// ParseDesktops, also accepting the list's "alice@:51.0" form, as
// python-x2go does before it starts a shadow session.
func HasDesktop(list []string, desktop string) bool {
	return slices.Contains(list, desktop) || slices.Contains(list, desktop+".0")
}

// SplitDesktop splits a desktop named as x2golistdesktops names it,
// <user>@:<display>[.<screen>], into its owner and its display
// (":<display>[.<screen>]", the form ShadowCommand takes). The user part
// may itself contain '@'. Anything else is an ErrInvalidValue.
func SplitDesktop(desktop string) (owner, display string, err error) {
	if !validDesktop(desktop) {
		return "", "", invalid("desktop", desktop, "<user>@:<display>[.<screen>]")
	}
	i := strings.LastIndex(desktop, "@:")
	return desktop[:i], desktop[i+1:], nil
}
