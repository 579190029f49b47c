package sshconfig

import (
	"errors"
	"strings"
)

// The pure text rules of ssh_config lines, as OpenSSH's readconf.c and
// misc.c apply them: no I/O here.

const whitespace = " \t\r\n"

var errQuotes = errors.New("invalid quotes")

// splitKeyword splits a configuration line into its keyword and the rest
// (ssh's strdelim with '=' allowed between them). ok is false for lines
// ssh ignores: blank, comment, or an unclosed quote in the keyword. The
// line's trailing whitespace must be gone.
func splitKeyword(line string) (keyword, rest string, ok bool) {
	tok, rest, ok := strdelim(line)
	if ok && tok == "" {
		// Leading whitespace: the first token was empty.
		tok, rest, ok = strdelim(rest)
	}
	if !ok || tok == "" || tok[0] == '#' {
		return "", "", false
	}
	return tok, strings.TrimLeft(rest, whitespace), true
}

// strdelim returns the next token of s and what follows it, as ssh's
// strdelim does: tokens end at whitespace or one '=' (the whitespace after
// them is skipped), and a "quoted" part is taken as is. ok is false when a
// quote is not closed. At the end of s, tok and rest are "".
func strdelim(s string) (tok, rest string, ok bool) {
	i := strings.IndexAny(s, whitespace+`"=`)
	if i < 0 {
		return s, "", true
	}
	if s[i] == '"' {
		// The quote is dropped and the token runs to the next quote.
		joined := s[:i] + s[i+1:]
		j := strings.IndexByte(joined[i:], '"')
		if j < 0 {
			return "", "", false
		}
		return joined[:i+j], strings.TrimLeft(joined[i+j+1:], whitespace), true
	}
	tok = s[:i]
	wasEquals := s[i] == '='
	rest = strings.TrimLeft(s[i+1:], whitespace)
	if !wasEquals && strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], whitespace)
	}
	return tok, rest, true
}

// splitArgs splits the arguments of a keyword like ssh's argv_split: words
// separated by blanks, "double" or 'single' quotes group, backslash
// escapes a quote, a backslash or (outside quotes) a space, and a word
// starting with '#' ends the line.
func splitArgs(s string) ([]string, error) {
	var args []string
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		if s[i] == '#' {
			break
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				b.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				b.WriteByte(c)
				continue
			}
			break
		}
		if quote != 0 {
			return nil, errQuotes
		}
		args = append(args, b.String())
	}
	return args, nil
}

// matchPattern reports whether s matches pattern, where '*' matches any
// run of characters and '?' exactly one (ssh's match_pattern; case
// matters).
func matchPattern(s, pattern string) bool {
	for {
		if pattern == "" {
			return s == ""
		}
		if pattern[0] == '*' {
			pattern = strings.TrimLeft(pattern, "*")
			if pattern == "" {
				return true
			}
			for k := 0; k <= len(s); k++ {
				if k < len(s) && pattern[0] != '?' && s[k] != pattern[0] {
					continue
				}
				if k == len(s) {
					return false
				}
				if matchPattern(s[k:], pattern) {
					return true
				}
			}
			return false
		}
		if s == "" {
			return false
		}
		if pattern[0] != '?' && pattern[0] != s[0] {
			return false
		}
		s, pattern = s[1:], pattern[1:]
	}
}

// matchPatternList matches s against a comma-separated list of patterns,
// each possibly negated with '!': 1 for a positive match, -1 when a
// negated pattern matches, 0 for none (ssh's match_pattern_list).
// lower lower-cases the patterns.
func matchPatternList(s, list string, lower bool) int {
	positive := false
	for _, sub := range strings.Split(list, ",") {
		negated := strings.HasPrefix(sub, "!")
		if negated {
			sub = sub[1:]
		}
		if len(sub) >= 1023 {
			return 0
		}
		if lower {
			sub = asciiLower(sub)
		}
		if matchPattern(s, sub) {
			if negated {
				return -1
			}
			positive = true
		}
	}
	if positive {
		return 1
	}
	return 0
}

// asciiLower lower-cases ASCII letters only, as C's tolower does in the
// C locale.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
