package protocol

import (
	"errors"
	"fmt"
)

// ErrMalformed is matched (errors.Is) by every *ParseError: the server's
// answer did not have the documented shape.
var ErrMalformed = errors.New("malformed server output")

// ParseError reports server output that a parser could not understand.
type ParseError struct {
	What string // which answer, e.g. "x2golistsessions"
	Line int    // 1-based line of the output, 0 when not line related
	Msg  string // what was wrong
	Text string // the offending text, cut to a sane length
}

func (e *ParseError) Error() string {
	s := "x2go: malformed " + e.What + " output"
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	s += ": " + e.Msg
	if e.Text != "" {
		s += fmt.Sprintf(": %q", e.Text)
	}
	return s
}

// Is makes errors.Is(err, ErrMalformed) true for every *ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// newParseError builds a *ParseError, with cookies redacted from the
// offending text and the message, and the text cut to 200 bytes.
func newParseError(what string, line int, text, format string, args ...any) *ParseError {
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	return &ParseError{What: what, Line: line, Msg: RedactCookies(fmt.Sprintf(format, args...)), Text: RedactCookies(text)}
}

// Sentinels for recognised x2goserver failures, matched with errors.Is on
// the *ServerError that StartError returns.
var (
	// ErrAccessDenied: the owner of a desktop refused to share it.
	ErrAccessDenied = errors.New("x2go: desktop sharing access denied")
	// ErrSessionLimit: the server's per-user or per-group session limit
	// is reached.
	ErrSessionLimit = errors.New("x2go: session limit reached")
	// ErrServerCommand is matched by every *ServerError.
	ErrServerCommand = errors.New("x2go: server command failed")
)
