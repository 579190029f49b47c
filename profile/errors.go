package profile

import (
	"errors"
	"fmt"
)

// Sentinels matched with errors.Is. Every *SyntaxError matches ErrSyntax and
// every *ValueError matches ErrBadValue.
var (
	// ErrSyntax: a line of a file could not be read.
	ErrSyntax = errors.New("x2go: malformed configuration file")
	// ErrBadValue: a value does not have the type its key needs.
	ErrBadValue = errors.New("x2go: bad configuration value")
	// ErrNotFound: no profile, section or option of that name or ID.
	ErrNotFound = errors.New("x2go: not found")
	// ErrAmbiguous: several profiles carry the name that was asked for.
	ErrAmbiguous = errors.New("x2go: profile name is not unique")
	// ErrExists: a profile ID, profile name or section is already taken.
	ErrExists = errors.New("x2go: already exists")
	// ErrInvalidName: an empty profile name, or an ID that cannot be a
	// profile's section name.
	ErrInvalidName = errors.New("x2go: invalid profile name or ID")
)

// SyntaxError reports one line that could not be read. Reading goes on
// after it: the rest of the file, other profiles included, is still
// available. Its text holds no value from the file.
type SyntaxError struct {
	Path    string // the file, "" when parsed from memory
	Line    int    // 1-based line number
	Section string // the section the line is in, "" before the first
	Msg     string // what is wrong
}

func (e *SyntaxError) Error() string {
	s := fmt.Sprintf("x2go: line %d: %s", e.Line, e.Msg)
	if e.Path != "" {
		s = fmt.Sprintf("x2go: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	if e.Section != "" {
		s += fmt.Sprintf(" (in section [%s])", e.Section)
	}
	return s
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// ValueError reports a value that does not parse as the type its key
// needs (an integer or a boolean). The value itself is left out of the
// message.
type ValueError struct {
	Path    string // the file, "" when parsed from memory
	Section string // profile ID or section name
	Key     string
	Line    int    // 1-based line of the value, 0 when not from a file line
	Want    Kind   // the type the value should have had
	Form    string // the form it should have had, when Want does not say it
}

func (e *ValueError) Error() string {
	s := "x2go: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	if e.Line > 0 {
		s += fmt.Sprintf("line %d: ", e.Line)
	}
	want := e.Form
	if want == "" {
		want = e.Want.article()
	}
	return s + fmt.Sprintf("[%s] %s: not %s", e.Section, e.Key, want)
}

// Is makes errors.Is(err, ErrBadValue) true.
func (e *ValueError) Is(target error) bool { return target == ErrBadValue }
