package protocol

import (
	"errors"
	"testing"
)

func TestSplitDesktop(t *testing.T) {
	for _, tc := range []struct{ in, owner, display string }{
		{"x2gotest@:51", "x2gotest", ":51"},
		{"x2gotest@:51.0", "x2gotest", ":51.0"},
		{"alice@example.org@:7", "alice@example.org", ":7"},
	} {
		owner, display, err := SplitDesktop(tc.in)
		if err != nil || owner != tc.owner || display != tc.display {
			t.Errorf("SplitDesktop(%q) = %q, %q, %v", tc.in, owner, display, err)
		}
		// What it returns builds the shadow command of that desktop.
		if _, err := ShadowCommand(true, owner, display); err != nil {
			t.Errorf("ShadowCommand(%q, %q): %v", owner, display, err)
		}
	}
	for _, bad := range []string{"", "x2gotest", "x2gotest@51", "@:51", "x2gotest@:", "x2gotest@:5x",
		"x y@:51", "x2gotest@:51.", "a|b@:1"} {
		if _, _, err := SplitDesktop(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("SplitDesktop(%q): %v, want ErrInvalidValue", bad, err)
		}
	}
}

// TestCrossUserShadowCaptures: the lab's real answers to a second user
// asking to share the first user's desktop (testdata/README.md).
func TestCrossUserShadowCaptures(t *testing.T) {
	a, err := ParseStartAgent(readTestdata(t, "x2gostartagent-shadow-accepted.stdout"))
	if err != nil {
		t.Fatalf("accepted: %v", err)
	}
	want := AgentInfo{Display: 52, Cookie: "ae1ab1c466677e90028b5564acb2f894", AgentPID: 22989,
		Name: "x2gotest2-52-1795699780_stS1XSHADx2gotestXSHADPP51_dp24", GraphicsPort: 59918, SoundPort: 59919,
		SSHFSPort: 59920, TekiCtrlPort: -1, TekiDataPort: -1}
	if a != want {
		t.Errorf("accepted:\n got %+v\nwant %+v", a, want)
	}
	if err := StartError(readTestdata(t, "x2gostartagent-shadow-accepted.stderr"), 0); err != nil {
		t.Errorf("accepted: StartError = %v (the xauth noise is no error)", err)
	}
	sn, err := ParseSessionName(a.Name)
	if err != nil || sn.User != "x2gotest2" || sn.Type != TypeShadow || sn.ShareMode != 1 ||
		sn.ShadowUser != "x2gotest" || sn.ShadowDisplay != ":51" {
		t.Errorf("name %s: %+v %v", a.Name, sn, err)
	}
	for _, f := range []string{"x2gostartagent-shadow-denied.stderr", "x2gostartagent-shadow-noapplet.stderr"} {
		err := StartError(readTestdata(t, f), 8)
		var se *ServerError
		if !errors.Is(err, ErrAccessDenied) || !errors.As(err, &se) || se.Status != 8 {
			t.Errorf("%s: %v, want ErrAccessDenied in a *ServerError with status 8", f, err)
		}
	}
	// The requester lists the shadow session with x2golistshadowsessions
	// (14 fields; the agent runs as the owner).
	line := "18512|x2gotest2-52-1795699576_stS0XSHADx2gotestXSHADPP51_dp24|52|vm|R|2026-11-26T13:26:16|6adb3c51847ec71c05c9c9b3f822851c|127.0.0.1|56605|56606|2026-11-26T13:26:17|x2gotest2|11|56607\n"
	list, skipped := ParseSessionList(line)
	if len(list) != 1 || skipped != nil || list[0].Username != "x2gotest2" || list[0].Display != 52 {
		t.Errorf("shadow list line: %+v %v", list, skipped)
	}
}
