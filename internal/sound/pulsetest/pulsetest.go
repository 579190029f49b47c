// Package pulsetest runs a real PulseAudio daemon for tests: a private
// one (its own HOME, runtime directory and cookie, so it touches no
// user's sound) with a null sink whose monitor a test records from, to
// prove that sound played elsewhere arrived. It also writes WAV files of
// a pure tone and measures recordings (loudness, pitch).
//
// It needs Debian's pulseaudio and pulseaudio-utils (pactl, parec). Start
// fails the test when the daemon cannot be started; tests that must not
// need it check testing.Short first.
package pulsetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Rate is the sample rate of the tones and recordings (mono, 16 bit).
const Rate = 44100

// SinkName is the name of the daemon's null sink; its monitor source is
// SinkName + ".monitor".
const SinkName = "x2gotest"

// Daemon is a running private PulseAudio.
type Daemon struct {
	Dir        string   // holds home/, run/ and the daemon's log
	Socket     string   // the daemon's native-protocol socket
	CookieFile string   // the cookie TCP clients must present
	Env        []string // os.Environ() pointing PulseAudio clients (pactl, parec) at this daemon only
	PID        int

	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// Start starts a daemon with a null sink and a native-protocol socket, and
// no TCP listener, and stops it (by its PID) when the test ends.
func Start(t testing.TB) *Daemon {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatalf("pulsetest: %v (install pulseaudio and pulseaudio-utils)", err)
	}
	for _, tool := range []string{"pactl", "parec"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("pulsetest: %v (install pulseaudio-utils)", err)
		}
	}
	// A short path: a socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "x2go-pa-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	home, run := filepath.Join(dir, "home"), filepath.Join(dir, "run")
	for _, d := range []string{home, run} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	d := &Daemon{
		Dir: dir, Socket: filepath.Join(run, "pulse", "native"),
		CookieFile: filepath.Join(home, ".config", "pulse", "cookie"),
		exited:     make(chan struct{}), log: filepath.Join(dir, "pulseaudio.log"),
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "PULSE_SERVER", "PULSE_COOKIE",
			"PULSE_RUNTIME_PATH", "PULSE_CLIENTCONFIG", "PULSE_SINK", "PULSE_SOURCE":
			continue
		}
		env = append(env, kv)
	}
	d.Env = append(env, "HOME="+home, "XDG_RUNTIME_DIR="+run,
		"PULSE_SERVER=unix:"+d.Socket, "PULSE_COOKIE="+d.CookieFile)

	logf, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// -n: no default.pa (no hardware, no autoloading); the daemon exits
	// only when stopped.
	d.cmd = exec.Command(bin, "--system=false", "--daemonize=no", "-n",
		"--use-pid-file=false", "--exit-idle-time=-1", "--disallow-exit",
		"--disable-shm", "--realtime=false", "--high-priority=false", "--log-target=stderr",
		"--load=module-null-sink sink_name="+SinkName+" rate="+strconv.Itoa(Rate),
		"--load=module-native-protocol-unix")
	d.cmd.Env = d.Env
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("pulsetest: starting pulseaudio: %v", err)
	}
	d.PID = d.cmd.Process.Pid
	go func() {
		d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(d.stop)

	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := d.pactl(context.Background(), "info")
		if err == nil && strings.Contains(out, "Default Sink: "+SinkName) {
			break
		}
		select {
		case <-d.exited:
			t.Fatalf("pulsetest: pulseaudio exited at start:\n%s", d.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulsetest: pulseaudio did not come up: %v %s\n%s", err, out, d.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(d.CookieFile); err != nil {
		t.Fatalf("pulsetest: the daemon wrote no cookie: %v", err)
	}
	return d
}

// stop ends the daemon by its PID: SIGTERM, then SIGKILL after 5 s.
func (d *Daemon) stop() {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = syscall.Kill(d.PID, syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(d.PID, syscall.SIGKILL)
		<-d.exited
	}
}

// Log returns what the daemon logged so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.log)
	return string(b)
}

func (d *Daemon) pactl(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pactl", args...)
	cmd.Env = d.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Pactl runs pactl against the daemon and returns its output.
func (d *Daemon) Pactl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := d.pactl(context.Background(), args...)
	if err != nil {
		t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TCPModules returns the lines of `pactl list modules short` that are
// native-protocol TCP listeners.
func (d *Daemon) TCPModules(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(d.Pactl(t, "list", "modules", "short"), "\n") {
		if strings.Contains(l, "module-native-protocol-tcp") {
			out = append(out, l)
		}
	}
	return out
}

// LoadTCP loads a native-protocol TCP listener on 127.0.0.1:port with
// cookie authentication and returns its module index.
func (d *Daemon) LoadTCP(t testing.TB, port int) int {
	t.Helper()
	out := d.Pactl(t, "load-module", "module-native-protocol-tcp", "listen=127.0.0.1", "port="+strconv.Itoa(port))
	idx, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("pactl load-module printed %q", out)
	}
	return idx
}

// Recording is a running parec on the null sink's monitor.
type Recording struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	stderr bytes.Buffer
	once   sync.Once
	err    error
}

// Record starts recording what the null sink plays (mono, 16 bit, Rate).
func (d *Daemon) Record(t testing.TB) *Recording {
	t.Helper()
	r := &Recording{}
	r.cmd = exec.Command("parec", "-d", SinkName+".monitor", "--raw", "--format=s16le",
		"--rate="+strconv.Itoa(Rate), "--channels=1", "--latency-msec=20")
	r.cmd.Env = d.Env
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("parec: %v", err)
	}
	t.Cleanup(func() { r.Stop() })
	return r
}

// Stop ends the recording (SIGTERM to parec's PID) and returns the
// samples.
func (r *Recording) Stop() ([]int16, error) {
	r.once.Do(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		err := r.cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && (exit.ExitCode() == 0 || exit.ExitCode() == 1 || !exit.Exited())) {
			r.err = fmt.Errorf("parec: %w: %s", err, r.stderr.String())
		}
	})
	if r.err != nil {
		return nil, r.err
	}
	b := r.out.Bytes()
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s, nil
}

// ToneWAV returns a WAV file (PCM, mono, 16 bit, Rate) of a sine tone of
// freq Hz lasting d, at half the full amplitude.
func ToneWAV(freq float64, d time.Duration) []byte {
	n := int(d.Seconds() * Rate)
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(Rate))
	le(uint32(2 * Rate)) // bytes per second
	le(uint16(2))        // block align
	le(uint16(16))       // bits per sample
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(16383 * math.Sin(2*math.Pi*freq*float64(i)/Rate)))
	}
	return b.Bytes()
}

// Window is the length of the stretches Analyse looks at (50 ms).
const Window = Rate / 20

// Analysis says what a recording holds.
type Analysis struct {
	Peak    float64 // the loudest 50 ms stretch's RMS, in full scale (0..1)
	Loud    int     // how many 50 ms stretches are louder than the threshold
	Pitch   float64 // the mean pitch of the loud stretches (Hz), from zero crossings
	Samples int
}

// Analyse measures samples in 50 ms stretches: those whose RMS exceeds
// threshold (full scale 1) are loud, and their zero crossings give the
// pitch.
func Analyse(samples []int16, threshold float64) Analysis {
	a := Analysis{Samples: len(samples)}
	var pitchSum float64
	for start := 0; start+Window <= len(samples); start += Window {
		w := samples[start : start+Window]
		var sum float64
		crossings, first, last := 0, -1, -1
		for i, v := range w {
			f := float64(v) / 32768
			sum += f * f
			if i > 0 && (w[i-1] < 0) != (v < 0) {
				crossings++
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		rms := math.Sqrt(sum / float64(len(w)))
		a.Peak = math.Max(a.Peak, rms)
		if rms > threshold && crossings > 2 {
			a.Loud++
			// Half a period between neighbouring crossings.
			pitchSum += float64(crossings-1) / 2 / (float64(last-first) / Rate)
		}
	}
	if a.Loud > 0 {
		a.Pitch = pitchSum / float64(a.Loud)
	}
	return a
}
