package protocol

import (
	"errors"
	"regexp"
	"testing"
)

func TestParseSessionName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want SessionName
	}{
		{"x2gotest-51-1795627586_stRxterm_dp24",
			SessionName{User: "x2gotest", Display: 51, Timestamp: 1795627586, Type: "R", Command: "xterm", Depth: 24}},
		{"x2gotest-51-1795627705_stDxterm_dp24",
			SessionName{User: "x2gotest", Display: 51, Timestamp: 1795627705, Type: "D", Command: "xterm", Depth: 24}},
		{"x2gotest-51-1795627846_stRPUBLISHED_dp24",
			SessionName{User: "x2gotest", Display: 51, Timestamp: 1795627846, Type: "P", Command: "PUBLISHED", Depth: 24}},
		{"x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24",
			SessionName{User: "x2gotest", Display: 52, Timestamp: 1795627724, Type: "S",
				Command: "1XSHADx2gotestXSHADPP51", Depth: 24, ShareMode: 1, ShadowUser: "x2gotest", ShadowDisplay: ":51"}},
		{"x2gotest-52-1795627925_stRxclock_dp24",
			SessionName{User: "x2gotest", Display: 52, Timestamp: 1795627925, Type: "R", Command: "xclock", Depth: 24}},
		{"john_doe-50-1700000000_stRTERMINAL_dp24",
			SessionName{User: "john_doe", Display: 50, Timestamp: 1700000000, Type: "R", Command: "TERMINAL", Depth: 24}},
		{"a-b-c-51-1795627586_stRxterm_dp24",
			SessionName{User: "a-b-c", Display: 51, Timestamp: 1795627586, Type: "R", Command: "xterm", Depth: 24}},
		{"alice-53-1700000789_stDXDMCP_dp24_xdmcphost",
			SessionName{User: "alice", Display: 53, Timestamp: 1700000789, Type: "D", Command: "XDMCP", Depth: 24, XDMCP: "xdmcphost"}},
		{"bob-52-1700000456_stRPUBLISHED_dp24",
			SessionName{User: "bob", Display: 52, Timestamp: 1700000456, Type: "P", Command: "PUBLISHED", Depth: 24}},
		{"alice-50-1700000000_stS0XSHADbob_smithXSHADPP50.0_dp16",
			SessionName{User: "alice", Display: 50, Timestamp: 1700000000, Type: "S",
				Command: "0XSHADbob_smithXSHADPP50.0", Depth: 16, ShadowUser: "bob_smith", ShadowDisplay: ":50.0"}},
		{"u-50-1700000000_stRmy_dp_tool_dp8_dp24", // last _dp<digits> wins
			SessionName{User: "u", Display: 50, Timestamp: 1700000000, Type: "R", Command: "my_dp_tool_dp8", Depth: 24}},
		{"u-50-1700000000_stK_dp32",
			SessionName{User: "u", Display: 50, Timestamp: 1700000000, Type: "K", Depth: 32}},
	} {
		got, err := ParseSessionName(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("ParseSessionName(%q) = %+v, %v\nwant %+v", tc.name, got, err, tc.want)
		}
		if !ValidSessionName(tc.name) {
			t.Errorf("ValidSessionName(%q) = false", tc.name)
		}
	}
	for _, bad := range []string{
		"", "x2gotest", "x2gotest-51-1795627586", "x2gotest-5-1795627586_stRxterm_dp24",
		"x2gotest-51-17956275_stRxterm_dp24", "x2gotest-51-1795627586_stXxterm_dp24",
		"x2gotest-51-1795627586_stRxterm_dp", "x2gotest-51-1795627586_stRxterm_dp123",
		"-51-1795627586_stRxterm_dp24", "x2gotest-51-1795627586_stS2XSHADaXSHADPP51_dp24",
		"x2gotest-51-1795627586_stSXSHADaXSHADPP51_dp24", "x2gotest-51-1795627586_stS1XSHADa_dp24",
		"x2gotest-51-1795627586_stS1XSHADaXSHAD_dp24", "x\n-51-1795627586_stRxterm_dp24",
	} {
		if _, err := ParseSessionName(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSessionName(%q): err = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestSessionNamesOfTrace parses every session name the trace contains.
func TestSessionNamesOfTrace(t *testing.T) {
	re := regexp.MustCompile(`x2gotest-\d+-\d+_st[A-Za-z0-9]+_dp\d+`)
	seen := map[string]bool{}
	for _, r := range loadTrace(t) {
		for _, s := range []string{r.Cmd, r.Stdout} {
			for _, name := range re.FindAllString(s, -1) {
				seen[name] = true
			}
		}
	}
	if len(seen) < 12 {
		t.Fatalf("only %d names found", len(seen))
	}
	for name := range seen {
		sn, err := ParseSessionName(name)
		if err != nil || sn.User != "x2gotest" || sn.Depth != 24 || !ValidSessionName(name) {
			t.Errorf("%s: %+v, %v", name, sn, err)
		}
	}
}

func TestValidSessionName(t *testing.T) {
	for _, bad := range []string{
		"", "x2gotest-51-1795627586_stRxterm_dp24;reboot", "x2gotest-51-1795627586_stRxterm_dp24 x",
		"$(id)-51-1795627586_stRxterm_dp24", "@x-51-1795627586_stRxterm_dp24", "x-51-1795627586",
		"x2gotest-51-1795627586_stRx'_dp24", "x2gotest-51-1795627586_stRxterm_dp24\n",
	} {
		if ValidSessionName(bad) {
			t.Errorf("ValidSessionName(%q) = true", bad)
		}
	}
}
