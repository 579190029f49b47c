package protocol

import (
	"bytes"
	"strconv"
)

// Marker prefixes of the wrapper around every remote command
// (server-protocol.md §1.1).
const (
	beginMarker = "X2GODATABEGIN:"
	endMarker   = "X2GODATAEND:"
)

// wrapPath is the PATH the wrapped command runs with, as in python-x2go.
const wrapPath = "PATH=/usr/local/bin:/usr/bin:/bin"

// Wrap returns the command line to send over an SSH exec channel for the
// inner command cmd:
//
//	echo X2GODATABEGIN:<id>; PATH=/usr/local/bin:/usr/bin:/bin sh -c <Quote(cmd)>; echo X2GODATAEND:<id>:$?
//
// The markers let Unwrap drop whatever the user's login scripts print, and
// the END marker carries the inner command's exit status, because the
// channel's own exit status is that of the trailing echo. Unlike
// python-x2go (which puts cmd in unescaped double quotes, so the login
// shell expands $ and backticks in it), cmd is single-quoted and reaches
// sh -c unchanged. id should be a fresh UUID per command; it is quoted too
// if it contains anything but safe characters.
func Wrap(id, cmd string) string {
	return "echo " + Quote(beginMarker+id) + "; " + wrapPath + " sh -c " + Quote(cmd) +
		"; echo " + Quote(endMarker+id+":") + "$?"
}

// Unwrap extracts the output of a command sent with Wrap(id, …) from the
// channel's raw stdout: out is the text between the line
// X2GODATABEGIN:<id> and the marker X2GODATAEND:<id>:<status>, and status
// is the inner command's exit status. Text before the BEGIN line (login
// script noise, even without a final newline) and after the END marker
// line is dropped. When the output does not end in a newline the END
// marker follows it on the same line ("fooX2GODATAEND:<id>:0"); out is
// then "foo". The last END marker wins, so output that happens to contain
// the marker cannot cut the answer short. A missing marker or a bad status
// is a *ParseError.
func Unwrap(id string, stdout []byte) (out string, status int, err error) {
	const what = "command wrapper"
	if id == "" {
		return "", 0, newParseError(what, 0, "", "empty marker id")
	}
	begin := []byte(beginMarker + id + "\n")
	b := bytes.Index(stdout, begin)
	if b < 0 {
		return "", 0, newParseError(what, 0, head(stdout), "no %s%s line", beginMarker, id)
	}
	rest := stdout[b+len(begin):]
	end := []byte(endMarker + id + ":")
	e := bytes.LastIndex(rest, end)
	if e < 0 {
		return "", 0, newParseError(what, 0, tail(rest), "no %s%s marker", endMarker, id)
	}
	st := rest[e+len(end):]
	if i := bytes.IndexByte(st, '\n'); i >= 0 {
		st = st[:i]
	}
	st = bytes.TrimSuffix(st, []byte("\r"))
	status, ok := parseStatus(st)
	if !ok {
		return "", 0, newParseError(what, 0, string(st), "bad exit status after %s%s", endMarker, id)
	}
	return string(rest[:e]), status, nil
}

// parseStatus parses a shell exit status: 1 to 3 decimal digits, 0-255.
func parseStatus(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n > 255 {
		return 0, false
	}
	return n, true
}

// head and tail cut raw output to a short excerpt for error messages.
func head(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

func tail(b []byte) string {
	if len(b) > 200 {
		b = b[len(b)-200:]
	}
	return string(b)
}
