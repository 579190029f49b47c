package protocol

import (
	"os/exec"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"xterm", "xterm"},
		{"x2gotest-51-1795627586_stRxterm_dp24", "x2gotest-51-1795627586_stRxterm_dp24"},
		{"pc105/us", "pc105/us"},
		{"1XSHADx2gotestXSHAD:51", "1XSHADx2gotestXSHAD:51"},
		{"/home/x2gotest/.x2go/C-x/spool", "/home/x2gotest/.x2go/C-x/spool"},
		{"a=b,c%d+e@f", "a=b,c%d+e@f"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{"~", "'~'"},
		{"a\nb", "'a\nb'"},
		{"'", `''\'''`},
		{"é", "'é'"},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Join("x2gosuspend-session", "a b", "c"); got != "x2gosuspend-session 'a b' c" {
		t.Errorf("Join = %q", got)
	}
}

// trickyArgs are values that break naive shell quoting.
var trickyArgs = []string{
	"plain", "", " ", "it's", `"double"`, "$HOME", "${PATH}", "$(id)", "`id`",
	`back\slash`, "a\nb", "tab\there", "*", "~", "a;b&c|d", "!x", "#c",
	"'", "''", `'\''`, "-n", "%s", "é ü",
}

func TestQuoteThroughShell(t *testing.T) {
	cmd := Join(append([]string{"printf", `%s\0`}, trickyArgs...)...)
	out, err := exec.Command("/bin/sh", "-c", cmd).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", cmd, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(trickyArgs) {
		t.Fatalf("got %d args %q, want %d", len(got), got, len(trickyArgs))
	}
	for i := range got {
		if got[i] != trickyArgs[i] {
			t.Errorf("arg %d: got %q, want %q", i, got[i], trickyArgs[i])
		}
	}
}
