package protocol

import "regexp"

// cookieRE matches an NX session cookie: 32 hex digits standing alone.
// Session names, ports, PIDs and the markers' UUIDs (which have dashes)
// never look like that.
var cookieRE = regexp.MustCompile(`\b[0-9a-fA-F]{32}\b`)

// RedactCookies returns s with every NX session cookie replaced by
// "<cookie>". The cookie is the only secret protecting a session's
// graphics port, so server text that may carry one (session list lines,
// x2gostartagent's answer, agent logs) goes through here before it
// reaches an error message or a log.
func RedactCookies(s string) string {
	return cookieRE.ReplaceAllLiteralString(s, "<cookie>")
}
