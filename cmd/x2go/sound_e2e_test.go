package main

import (
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/sound/pulsetest"
	"github.com/x2go-go/x2go/internal/testserver"
)

// TestE2ECLISound: x2go start with the default --sound auto forwards the
// session's sound when a PulseAudio runs here (its TCP listener is loaded
// for the session and unloaded when Ctrl-C suspends it); --sound pulse
// without a PulseAudio says in one line that the session has no sound,
// and the session runs.
func TestE2ECLISound(t *testing.T) {
	lab := testserver.StartLocked(t)
	pa := pulsetest.Start(t)
	c := newCLILab(t, lab)
	var plain []string
	for _, kv := range c.env {
		if !strings.HasPrefix(kv, "PULSE_") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			plain = append(plain, kv)
		}
	}

	c.env = append(plain, "PULSE_SERVER=unix:"+pa.Socket, "PULSE_COOKIE="+pa.CookieFile)
	a := c.startX2Go(t, "start", "-i", lab.Key, "-c", "xterm", c.target)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "x2go: "+name+" is running")
	if mods := pa.TCPModules(t); len(mods) != 1 {
		t.Fatalf("--sound auto with a PulseAudio here: listeners %q\n%s", mods, a.out.String())
	}
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("listener left after the suspend: %q", mods)
	}
	if strings.Contains(a.out.String(), "no sound") {
		t.Fatalf("sound reported missing:\n%s", a.out.String())
	}

	c.env = append(plain, "PULSE_SERVER=tcp:127.0.0.1:1")
	a = c.startX2Go(t, "resume", "--sound", "pulse", "--terminate-on-interrupt", "-i", lab.Key, c.target, name)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &a.out, "x2go: "+name+" is running")
	waitOutput(t, &a.out, "x2go: no sound: ")
	a.interrupt(t)
	waitStatuses(t, lab, "", 30*time.Second)
	t.Logf("output:\n%s", a.out.String())
}
