package protocol

import (
	"regexp"
	"strings"
)

var (
	componentRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	versionRE   = regexp.MustCompile(`^[^\s]+$`)
)

// ParseVersions parses the output of x2goversion (server-protocol.md §6.1):
// one "<component>: <version>" line per installed server component, e.g.
// "x2goserver: 4.1.0.3". The map holds component → version; the client
// uses the presence of "x2goserver" as its "is an X2Go server" check.
// Blank lines are skipped; any other shape or a repeated component gives a
// *ParseError. The version is everything after the first ':' (trimmed),
// so a Debian-style epoch ("1:2.0") stays whole, unlike python-x2go.
func ParseVersions(out string) (map[string]string, error) {
	const what = "x2goversion"
	m := map[string]string{}
	for i, line := range splitLines(out) {
		if isBlank(line) {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || !componentRE.MatchString(k) || !versionRE.MatchString(v) {
			return nil, newParseError(what, i+1, line, "not <component>: <version>")
		}
		if _, dup := m[k]; dup {
			return nil, newParseError(what, i+1, line, "component %s listed twice", k)
		}
		m[k] = v
	}
	return m, nil
}
