package protocol

import "strings"

// Quote returns s as one POSIX shell word. Values made only of characters
// that no shell treats specially ([A-Za-z0-9_@%+=:,./-]) are returned as
// they are, so ordinary command lines stay byte-identical to the ones
// python-x2go sends; anything else (including the empty string) is put in
// single quotes, each single quote inside written as
//
//	'\''
//
// Inside single quotes no expansion happens, so $, backticks, quotes and
// newlines reach the command verbatim.
func Quote(s string) string {
	if s != "" && isSafeWord(s) {
		return s
	}
	return quoteAlways(s)
}

// quoteAlways single-quotes s even when it is a safe word; used where
// python-x2go itself single-quoted a value, to keep the same bytes.
func quoteAlways(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isSafeWord reports whether s consists only of [A-Za-z0-9_@%+=:,./-].
func isSafeWord(s string) bool { return onlyAlnumAnd(s, "_@%+=:,./-") }

// onlyAlnumAnd reports whether every byte of s is an ASCII letter, an
// ASCII digit or one of the bytes of punct (true for "").
func onlyAlnumAnd(s, punct string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(punct, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Join quotes every argument with Quote and joins them with single spaces,
// giving a command line that the shell splits back into exactly args.
func Join(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
