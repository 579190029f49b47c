package protocol

import (
	"strconv"
	"strings"
)

// maxIntDigits bounds numeric fields; PIDs, ports, displays and ages fit.
const maxIntDigits = 10

// parseUint parses a plain decimal number (digits only, no sign, at most
// maxIntDigits long) within [min, max].
func parseUint(s string, min, max int) (int, bool) {
	if s == "" || len(s) > maxIntDigits {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, false
	}
	return n, true
}

// parsePort parses a TCP port 1-65535.
func parsePort(s string) (int, bool) { return parseUint(s, 1, 65535) }

// parseOptPort parses a port that the server writes as -1 when the
// service (Telekinesis) is disabled.
func parseOptPort(s string) (int, bool) {
	if s == "-1" {
		return -1, true
	}
	return parsePort(s)
}

// splitLines splits server output on '\n'. A single trailing newline does
// not make an extra empty line.
func splitLines(out string) []string {
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// isBlank reports whether a line holds only white space.
func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

// hasControl reports whether s contains ASCII control characters (tab
// included) or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
