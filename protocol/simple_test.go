package protocol

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

// wantMalformed fails unless err is a *ParseError.
func wantMalformed(t *testing.T, what, input string, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
		t.Errorf("%s(%q): err = %v, want *ParseError", what, input, err)
	}
}

func TestParseDesktops(t *testing.T) {
	for _, r := range traceWithPrefix(t, "export HOSTNAME && x2golistdesktops") {
		got, err := ParseDesktops(innerStdout(t, r))
		if err != nil || !slices.Equal(got, []string{"x2gotest@:51"}) {
			t.Errorf("trace: %q, %v", got, err)
		}
	}
	got, err := ParseDesktops("alice@:50\nbob@example.org@:51.0\n\n")
	if err != nil || !slices.Equal(got, []string{"alice@:50", "bob@example.org@:51.0"}) {
		t.Errorf("got %q, %v", got, err)
	}
	if !HasDesktop(got, "bob@example.org@:51") || !HasDesktop(got, "alice@:50") || HasDesktop(got, "alice@:5") {
		t.Error("HasDesktop")
	}
	for _, in := range []string{"", "\n"} {
		if got, err := ParseDesktops(in); err != nil || len(got) != 0 {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"alice", "@:50", "alice@:", "alice@:x", "alice@:50.", "al ice@:50", "alice@:50.0.1"} {
		_, err := ParseDesktops(bad + "\n")
		wantMalformed(t, "ParseDesktops", bad, err)
	}
}

func TestParseMounts(t *testing.T) {
	for _, r := range traceWithPrefix(t, "export HOSTNAME && x2golistmounts") {
		got, err := ParseMounts(innerStdout(t, r))
		if err != nil || len(got) != 0 {
			t.Errorf("trace (no mounts): %v, %v", got, err)
		}
	}
	got, err := ParseMounts("127.0.0.1|/tmp/.x2go-x2gotest/media/disk/_run_x2go-lab_share\n")
	want := []Mount{{Client: "127.0.0.1", Path: "/tmp/.x2go-x2gotest/media/disk/_run_x2go-lab_share"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"nopipe", "|/path", "127.0.0.1|"} {
		_, err := ParseMounts(bad + "\n")
		wantMalformed(t, "ParseMounts", bad, err)
	}
}

// serverFeatures is the feature set of the lab server (§4).
var serverFeatures = []string{
	"X2GOAGENT_RANDRXINERAMA", "X2GO_CLIPBOARD_MODES", "X2GO_LIST_DESKTOPS", "X2GO_LIST_SHADOWSESSIONS",
	"X2GO_MOUNTDIRS", "X2GO_MOUNT_UNCPATHS", "X2GO_PRINTING", "X2GO_PUBLISHED_APPLICATIONS",
	"X2GO_SERVERSIDE_DESKTOPCOMMANDS", "X2GO_SET_KEYBOARD", "X2GO_UMOUNTSESSION_ALL",
	"X2GO_UMOUNTSESSION_ONLYPATH", "X2GO_XSESSION",
}

func TestParseFeatures(t *testing.T) {
	for _, r := range traceWithPrefix(t, FeatureListCmd()) {
		got, err := ParseFeatures(innerStdout(t, r))
		if err != nil || !slices.Equal(got, serverFeatures) {
			t.Errorf("trace: %q, %v", got, err)
		}
	}
	got, err := ParseFeatures("B\n\nA\nB\n")
	if err != nil || !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"x2go_lower", "X2GO FEATURE", "X-Y"} {
		_, err := ParseFeatures(bad + "\n")
		wantMalformed(t, "ParseFeatures", bad, err)
	}
}

func TestParseVersions(t *testing.T) {
	want := map[string]string{
		"x2goserver": "4.1.0.3", "x2goserver-common": "4.1.0.3", "x2goserver-printing": "4.1.0.3",
		"x2goserver-x2goagent": "3.5.99.26", "x2goserver-xsession": "4.1.0.3",
	}
	for _, r := range traceWithPrefix(t, VersionCmd()) {
		got, err := ParseVersions(innerStdout(t, r))
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("trace: %v, %v", got, err)
		}
	}
	got, err := ParseVersions("\nfoo:1:2.0 \n")
	if err != nil || got["foo"] != "1:2.0" {
		t.Errorf("epoch: %v, %v", got, err)
	}
	for _, bad := range []string{
		"Version information for X2Go component 'x' is not available.",
		"x2goserver:", ": 1.0", "x2goserver: 4.1 beta", "a b: 1", "x: 1\nx: 2",
	} {
		_, err := ParseVersions(bad + "\n")
		wantMalformed(t, "ParseVersions", bad, err)
	}
}
