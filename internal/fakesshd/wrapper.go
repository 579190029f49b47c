package fakesshd

import (
	"strings"
	"time"
)

// Marker prefixes of the X2Go command wrapper (server-protocol.md §1.1).
const (
	beginMarker = "X2GODATABEGIN:"
	endMarker   = "X2GODATAEND:"
)

// ParseWrapped takes apart a command line sent in the X2Go marker wrapper
//
//	echo X2GODATABEGIN:<id>; PATH=... sh -c <word>; echo X2GODATAEND:<id>:$?
//
// and returns the marker id and the inner command (the sh -c argument with
// its shell quoting removed). ok is false for anything else. It is written
// independently of the client's wrapper, so tests catch a wrapper that
// quotes wrongly.
func ParseWrapped(line string) (id, inner string, ok bool) {
	rest, ok := strings.CutPrefix(line, "echo ")
	if !ok {
		return "", "", false
	}
	begin, rest, ok := shellWord(rest)
	if !ok || !strings.HasPrefix(begin, beginMarker) {
		return "", "", false
	}
	id = strings.TrimPrefix(begin, beginMarker)
	if id == "" {
		return "", "", false
	}
	// Skip the environment assignments up to sh -c.
	i := strings.Index(rest, " sh -c ")
	if !strings.HasPrefix(rest, "; ") || i < 0 {
		return "", "", false
	}
	inner, rest, ok = shellWord(rest[i+len(" sh -c "):])
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "; echo ")
	if !ok {
		return "", "", false
	}
	end, rest, ok := shellWord(rest)
	if !ok || end != endMarker+id+":$?" || rest != "" {
		return "", "", false
	}
	return id, inner, true
}

// shellWord reads one POSIX shell word from the start of s: unquoted
// characters, '…' (no escapes inside), "…" (backslash escapes only $ ` "
// \ and newline) and backslash escapes outside quotes. The word ends at an
// unquoted blank or ';'. $? is kept literally. ok is false for an
// unterminated quote or an empty word.
func shellWord(s string) (word, rest string, ok bool) {
	var b strings.Builder
	i := 0
	started := false
loop:
	for i < len(s) {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', ';':
			break loop
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case '"':
			i++
			for {
				if i >= len(s) {
					return "", "", false
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					if s[i+1] != '\n' {
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				b.WriteByte(c)
				i++
			}
		case '\\':
			if i+1 >= len(s) {
				return "", "", false
			}
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
		started = true
	}
	if !started {
		return "", "", false
	}
	return b.String(), s[i:], true
}

// sleep waits for d; false if gone was closed first.
func sleep(d time.Duration, gone <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-gone:
		return false
	}
}
