package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoundFlag: --sound auto picks pulse only when a PulseAudio runs
// here (its socket, or PULSE_SERVER), pulse and none are taken as they
// are, anything else is a usage error.
func TestSoundFlag(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		flag string
		env  []string
		want string
	}{
		{"auto", []string{"XDG_RUNTIME_DIR=" + dir}, "none"},
		{"auto", []string{"PULSE_SERVER=tcp:127.0.0.1:4713"}, "pulse"},
		{"pulse", nil, "pulse"},
		{"none", []string{"PULSE_SERVER=unix:/run/pulse/native"}, "none"},
	} {
		sf := sessionFlags{sound: c.flag}
		sf.p.Env = c.env
		if got, err := sf.soundSystem(); err != nil || got != c.want {
			t.Errorf("--sound %s with %q: %q %v, want %q", c.flag, c.env, got, err, c.want)
		}
	}
	os.Mkdir(filepath.Join(dir, "pulse"), 0o700)
	ln, err := net.Listen("unix", filepath.Join(dir, "pulse", "native"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sf := sessionFlags{sound: "auto"}
	sf.p.Env = []string{"XDG_RUNTIME_DIR=" + dir}
	if got, _ := sf.soundSystem(); got != "pulse" {
		t.Errorf("auto with a PulseAudio socket: %q", got)
	}

	_, errOut, code := runIn(t, &env{}, "x2go", "start", "--sound", "loud", "h")
	if code != exitUsage || !strings.Contains(errOut, "--sound") {
		t.Errorf("--sound loud: exit %d, stderr %q", code, errOut)
	}
}
