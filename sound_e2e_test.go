package x2go_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/sound/pulsetest"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// playerScript is the session's command in the sound test: with the
// environment x2goruncommand gave it, it plays the tone whenever the test
// drops a file called play next to it, and records paplay's exit status
// in played.<n>. It ends with the session's agent.
const playerScript = `#!/bin/sh
dir=$(dirname "$0")
env > "$dir/env.tmp" && mv "$dir/env.tmp" "$dir/env"
n=0
while [ -d "/proc/$X2GO_AGENT_PID" ]; do
	if [ -e "$dir/play" ]; then
		rm -f "$dir/play"
		n=$((n+1))
		paplay "$dir/tone.wav" 2>"$dir/paplay.$n.err"
		echo $? > "$dir/played.$n"
	fi
	sleep 0.1
done
`

// soundPlayer is the server side of the sound test: the script and the
// tone, in a directory the lab user can use (the lab server is this
// machine).
type soundPlayer struct {
	dir   string
	plays int
}

func newSoundPlayer(t *testing.T) *soundPlayer {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "x2go-sound-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "player.sh"), []byte(playerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tone.wav"), pulsetest.ToneWAV(440, time.Second), 0o644); err != nil {
		t.Fatal(err)
	}
	return &soundPlayer{dir: dir}
}

// play has the session's command play the tone once while pa records,
// and returns what was recorded.
func (p *soundPlayer) play(t *testing.T, pa *pulsetest.Daemon) pulsetest.Analysis {
	t.Helper()
	return p.playWith(t, pa, func(int) {
		if err := os.WriteFile(filepath.Join(p.dir, "play"), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	})
}

// playCommand is a command line that plays the tone as the player
// script does, for the n-th play.
func (p *soundPlayer) playCommand(n int) string {
	return "paplay " + filepath.Join(p.dir, "tone.wav") + " 2>" + filepath.Join(p.dir, "paplay."+strconv.Itoa(n)+".err") +
		"; echo $? > " + filepath.Join(p.dir, "played."+strconv.Itoa(n))
}

// playWith has start(n) make the session play the tone for the n-th time
// while pa records, and returns what was recorded.
func (p *soundPlayer) playWith(t *testing.T, pa *pulsetest.Daemon, start func(n int)) pulsetest.Analysis {
	t.Helper()
	p.plays++
	rec := pa.Record(t)
	time.Sleep(300 * time.Millisecond)
	start(p.plays)
	played := filepath.Join(p.dir, "played."+strconv.Itoa(p.plays))
	asked := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(played)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			if status := strings.TrimSpace(string(b)); status != "0" {
				errText, _ := os.ReadFile(filepath.Join(p.dir, "paplay."+strconv.Itoa(p.plays)+".err"))
				t.Fatalf("paplay in the session exited with %s: %s", status, errText)
			}
			t.Logf("the session played the 1 s tone in %v", time.Since(asked).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session did not play the tone within 30 s (is the session's command running? %s)", p.dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	samples, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return pulsetest.Analyse(samples, 0.05)
}

// checkTone fails unless the recording holds the 1 s, 440 Hz tone.
func checkTone(t *testing.T, what string, a pulsetest.Analysis) {
	t.Helper()
	t.Logf("%s: %d samples recorded, peak RMS %.3f, %d loud 50 ms stretches at %.0f Hz", what, a.Samples, a.Peak, a.Loud, a.Pitch)
	if a.Loud < 15 || a.Pitch < 430 || a.Pitch > 450 {
		t.Fatalf("%s: the tone played in the session did not come out here: %+v", what, a)
	}
}

// soundOptions returns lab session options whose local PulseAudio is pa
// (its socket and cookie).
func soundOptions(t *testing.T, lab *testserver.Lab, pa *pulsetest.Daemon, p x2go.Params) x2go.Options {
	t.Helper()
	o := sessionOptions(t, lab, p)
	var env []string
	for _, kv := range o.Params.Env {
		if !strings.HasPrefix(kv, "PULSE_") {
			env = append(env, kv)
		}
	}
	o.Params.Env = append(env, "PULSE_SERVER=unix:"+pa.Socket, "PULSE_COOKIE="+pa.CookieFile)
	return o
}

// TestE2ESoundPulse: a session started with sound "pulse" plays a tone
// with paplay (its command, with the environment x2goruncommand got from
// this client); the tone comes out of a real PulseAudio on the client
// side, found through its socket, which gets a loopback TCP listener for
// the session. After suspend, a resume on a new sound port (the old one
// is taken meanwhile) brings the sound back; the listener is unloaded
// whenever the session stops here.
func TestE2ESoundPulse(t *testing.T) {
	lab := testserver.Start(t)
	began := time.Now()
	lab.Lock(t)
	t.Logf("waited %v for the lab", time.Since(began).Round(time.Millisecond))
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	pa := pulsetest.Start(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	player := newSoundPlayer(t)
	o := soundOptions(t, lab, pa, x2go.Params{Command: "sh " + filepath.Join(player.dir, "player.sh"), SoundSystem: "pulse"})
	var mu sync.Mutex
	var failures []error
	o.Hooks.SoundTunnelFailed = func(_ *x2go.Session, err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("started with sound in %v", time.Since(began).Round(time.Millisecond))
	name := s.Name()
	rc := filepath.Join(s.RemoteHome(), ".x2go", "C-"+name)
	if mods := pa.TCPModules(t); len(mods) != 1 || !strings.Contains(mods[0], "listen=127.0.0.1") {
		t.Fatalf("TCP listeners of the client's PulseAudio: %q", mods)
	}

	// The server side as python-x2go leaves it: the cookie (the user's
	// only), the client configuration, PULSE_CLIENTCONFIG for the command.
	info, err := s.SessionInfoByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	checkServerSide := func(port int) {
		t.Helper()
		conf, err := os.ReadFile(filepath.Join(rc, ".pulse-client.conf"))
		want := "default-server=127.0.0.1:" + strconv.Itoa(port) + "\ncookie-file=" + rc + "/.pulse-cookie\n"
		if err != nil || string(conf) != want {
			t.Fatalf(".pulse-client.conf: %q, want %q (%v)", conf, want, err)
		}
		cookie, err := os.ReadFile(filepath.Join(rc, ".pulse-cookie"))
		own, _ := os.ReadFile(pa.CookieFile)
		fi, _ := os.Stat(filepath.Join(rc, ".pulse-cookie"))
		if err != nil || string(cookie) != string(own) || fi.Mode().Perm() != 0o600 {
			t.Fatalf(".pulse-cookie: %d bytes, same %v, mode %v (%v)", len(cookie), string(cookie) == string(own), fi.Mode(), err)
		}
	}
	checkServerSide(info.SoundPort)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(player.dir, "env"))
		if strings.Contains(string(b), "PULSE_CLIENTCONFIG="+rc+"/.pulse-client.conf\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session's command did not get PULSE_CLIENTCONFIG: %q", b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	checkTone(t, "after start", player.play(t, pa))

	if err := s.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("the listener stayed loaded after suspend: %q", mods)
	}
	// The forward is gone from the server, and its port is taken now, so
	// the resume must move the session's sound to a new port.
	squat, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(info.SoundPort))
	if err != nil {
		t.Fatalf("the server still listens on the sound port after suspend: %v", err)
	}
	began = time.Now()
	err = s.Resume(ctx, name)
	t.Logf("resumed with sound in %v", time.Since(began).Round(time.Millisecond))
	squat.Close()
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.SessionInfoByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if after.SoundPort == info.SoundPort {
		t.Fatalf("the sound port did not change on resume (%d)", after.SoundPort)
	}
	checkServerSide(after.SoundPort)
	checkTone(t, "after resume on port "+strconv.Itoa(after.SoundPort), player.play(t, pa))

	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if mods := pa.TCPModules(t); len(mods) != 0 {
		t.Fatalf("the listener stayed loaded after terminate: %q", mods)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 0 {
		t.Fatalf("SoundTunnelFailed: %v", failures)
	}
}

// TestE2ESoundWithoutPulseAudio: with sound "pulse" but no PulseAudio
// here, SoundTunnelFailed says why and the session runs without sound;
// the server gets no client configuration and the command no
// PULSE_CLIENTCONFIG.
func TestE2ESoundWithoutPulseAudio(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	player := newSoundPlayer(t)
	o := sessionOptions(t, lab, x2go.Params{Command: "sh " + filepath.Join(player.dir, "player.sh"), SoundSystem: "pulse"})
	var env []string
	for _, kv := range o.Params.Env {
		if !strings.HasPrefix(kv, "PULSE_") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			env = append(env, kv)
		}
	}
	// A PulseAudio address where nothing listens.
	o.Params.Env = append(env, "PULSE_SERVER=tcp:127.0.0.1:"+strconv.Itoa(freePort(t)))
	failed := make(chan error, 4)
	o.Hooks.SoundTunnelFailed = func(_ *x2go.Session, err error) { failed <- err }
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if !errors.Is(err, x2go.ErrNoPulseAudio) {
			t.Fatalf("SoundTunnelFailed: %v", err)
		}
	default:
		t.Fatal("SoundTunnelFailed was not called")
	}
	if s.Status() != x2go.StatusRunning {
		t.Fatalf("status %v", s.Status())
	}
	rc := filepath.Join(s.RemoteHome(), ".x2go", "C-"+s.Name())
	if _, err := os.Stat(filepath.Join(rc, ".pulse-client.conf")); !os.IsNotExist(err) {
		t.Fatalf(".pulse-client.conf written without sound: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(player.dir, "env"))
		if err == nil && strings.Contains(string(b), "X2GO_SESSION=") {
			if strings.Contains(string(b), "PULSE_CLIENTCONFIG") {
				t.Fatalf("PULSE_CLIENTCONFIG given without sound")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session's command did not run")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestE2ESoundPublishedApplication: a program started in a published
// applications session with ExecPublishedApplication gets
// PULSE_CLIENTCONFIG, as with python-x2go, so its sound plays here.
func TestE2ESoundPublishedApplication(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	pa := pulsetest.Start(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	player := newSoundPlayer(t)
	s, err := x2go.NewSession(soundOptions(t, lab, pa, x2go.Params{SessionType: "published", SoundSystem: "pulse"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	checkTone(t, "published application", player.playWith(t, pa, func(n int) {
		if err := s.ExecPublishedApplication(ctx, player.playCommand(n)); err != nil {
			t.Fatal(err)
		}
	}))
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
}
