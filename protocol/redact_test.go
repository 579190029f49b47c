package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactCookies(t *testing.T) {
	for in, want := range map[string]string{
		// A real session list line (server-protocol.md §5).
		"32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202": "32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|<cookie>|127.0.0.1|48202",
		"cookie=CB2169C6EEDDEA3E55A04B7D4EF1B185,port=1": "cookie=<cookie>,port=1",
		// Marker UUIDs and longer hex runs are not cookies.
		"X2GODATABEGIN:7f8e0c1a-52f3-4b8e-9d3e-2a1b6c0d9e8f": "X2GODATABEGIN:7f8e0c1a-52f3-4b8e-9d3e-2a1b6c0d9e8f",
		strings.Repeat("ab", 17):                             strings.Repeat("ab", 17),
		"":                                                   "",
	} {
		if got := RedactCookies(in); got != want {
			t.Errorf("RedactCookies(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestErrorsCarryNoCookie: the errors built from server text never show a
// cookie, whether it sits in the offending line or in stderr.
func TestErrorsCarryNoCookie(t *testing.T) {
	const cookie = "39ed8a3200a10b011df468acc8dc54dc"
	_, err := ParseStartAgent("51\n" + cookie + "\nnot-a-pid\n")
	if err == nil || strings.Contains(err.Error(), cookie) {
		t.Errorf("ParseStartAgent error shows the cookie: %v", err)
	}
	var pe *ParseError
	if errors.As(err, &pe) && strings.Contains(pe.Text, cookie) {
		t.Errorf("ParseError.Text shows the cookie: %q", pe.Text)
	}
	se := &ServerError{Command: "x2gostartagent", Status: 1, Stderr: "agent said " + cookie}
	if strings.Contains(se.Error(), cookie) {
		t.Errorf("ServerError shows the cookie: %v", se)
	}
}
