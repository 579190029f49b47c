package protocol

import "testing"

func TestParseHomeCheck(t *testing.T) {
	for _, tc := range []struct {
		out  string
		home string
		ok   bool
	}{
		{"/home/x2gotest\nX2GO_HOME_OK\n", "/home/x2gotest", true},
		{"/home/x2gotest\n", "", false},         // test -d failed
		{"\n", "", false},                       // $HOME unset
		{"relative\nX2GO_HOME_OK\n", "", false}, // not absolute
		{"", "", false},
	} {
		home, ok := ParseHomeCheck(tc.out)
		if home != tc.home || ok != tc.ok {
			t.Errorf("ParseHomeCheck(%q) = %q, %v; want %q, %v", tc.out, home, ok, tc.home, tc.ok)
		}
	}
}

func TestCommandToken(t *testing.T) {
	for in, want := range map[string]string{
		"xterm":                 "xterm",
		"/usr/bin/xterm -e top": "xterm",
		"TERMINAL":              "TERMINAL",
		"  xclock  ":            "xclock",
		"my$prog":               "myprog",
		"":                      "",
	} {
		if got := CommandToken(in); got != want {
			t.Errorf("CommandToken(%q) = %q, want %q", in, got, want)
		}
	}
}
