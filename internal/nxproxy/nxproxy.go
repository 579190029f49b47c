// Package nxproxy runs the NX3 graphics proxy of an X2Go session: Debian's
// nxproxy in server mode (-S), which connects to the local end of the
// graphics tunnel and draws the session on the local X server.
//
// It follows python-x2go (backends/proxy/nx3.py) with one deliberate
// difference: the option string, which carries the session cookie, is
// written to <lc>/options (mode 0600) and nxproxy is started as
//
//	nxproxy -S nx/nx,options=<lc>/options:<display>
//
// (the form python-x2go uses on Windows and for x2gokdriveclient), so the
// cookie never appears in the process's argv, which every local user can
// read.
//
// A Proxy owns its process: Stop terminates it and waits for it.
package nxproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is the nxproxy used when Config.Binary is empty.
const DefaultBinary = "/usr/bin/nxproxy"

// DefaultSessionsRoot returns the sessions root used when none is
// configured: ~/.x2go. It fails only when there is no home directory.
func DefaultSessionsRoot() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".x2go"), nil
}

// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
const stopGrace = 2 * time.Second

// Names of the files in the local session directory.
const (
	OptionsFile = "options"
	LogFile     = "session.log"
	ErrorsFile  = "session.err"
)

var (
	// ErrInvalidConfig is matched by every error Start returns for a bad
	// Config.
	ErrInvalidConfig = errors.New("nxproxy: invalid configuration")
	// ErrExited is matched (errors.Is) by every *ExitError.
	ErrExited = errors.New("nxproxy: process exited")
)

// Config describes one nxproxy run.
type Config struct {
	// Binary is the nxproxy executable (default /usr/bin/nxproxy).
	Binary string
	// SessionName is the X2Go session name; the local session directory is
	// <SessionsRoot>/S-<SessionName>.
	SessionName string
	// Cookie is the session's NX cookie (32 hex digits from x2gostartagent).
	Cookie string
	// Display is the remote display number of the agent.
	Display int
	// LocalPort is the port of the local graphics tunnel listener.
	LocalPort int
	// SessionsRoot is the client's sessions directory (python-x2go's
	// sessions_rootdir, default ~/.x2go); it is also passed as NX_ROOT.
	SessionsRoot string
	// Env is the base environment of the process (nil: this process's
	// environment). It must carry DISPLAY and, for a cookie-protected X
	// server, XAUTHORITY of the local X server. NX_CLIENT and NX_ROOT are
	// set by Start.
	Env []string
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

// SessionDir is the local session directory <root>/S-<name> (<lc>).
func SessionDir(root, name string) string {
	return filepath.Join(root, "S-"+name)
}

// OptionString is the option string python-x2go passes to nxproxy -S on
// Unix, with <lc> = SessionDir(cfg.SessionsRoot, cfg.SessionName):
//
//	nx/nx,retry=5,composite=1,connect=127.0.0.1,clipboard=1,cookie=<cookie>,port=<local port>,errors=<lc>/session.err:<display>
//
// Start writes it to <lc>/options. It contains the cookie: never log it.
func OptionString(cfg Config) string {
	lc := SessionDir(cfg.SessionsRoot, cfg.SessionName)
	return "nx/nx,retry=5,composite=1,connect=127.0.0.1,clipboard=1" +
		",cookie=" + cfg.Cookie +
		",port=" + strconv.Itoa(cfg.LocalPort) +
		",errors=" + lc + "/" + ErrorsFile +
		":" + strconv.Itoa(cfg.Display)
}

// args is nxproxy's argv after the program name: the options-file form.
func args(cfg Config) []string {
	lc := SessionDir(cfg.SessionsRoot, cfg.SessionName)
	return []string{"-S", "nx/nx,options=" + lc + "/" + OptionsFile + ":" + strconv.Itoa(cfg.Display)}
}

// ExitError reports that nxproxy ended without being asked to by Stop.
// nxproxy does not exit on its own while a session is healthy, so an exit
// with code 0 is reported too.
type ExitError struct {
	Code    int    // exit status, -1 when killed by a signal
	Signal  string // the signal that killed it, "" if it exited
	LogTail string // last lines of session.log and session.err, cookie redacted
}

func (e *ExitError) Error() string {
	var s string
	if e.Signal != "" {
		s = "nxproxy killed by signal " + e.Signal
	} else {
		s = "nxproxy exited with status " + strconv.Itoa(e.Code)
	}
	if line := lastLine(e.LogTail); line != "" {
		s += ": " + line
	}
	return s
}

// Is makes errors.Is(err, ErrExited) true for every *ExitError.
func (e *ExitError) Is(target error) bool { return target == ErrExited }

// Proxy is a running nxproxy started by Start.
type Proxy struct {
	cfg  Config
	dir  string
	log  *slog.Logger
	cmd  *exec.Cmd
	done chan struct{} // closed by wait once the process is reaped

	mu       sync.Mutex
	stopping bool  // Stop was called
	err      error // set before done is closed

	stopOnce sync.Once
}

// Start validates cfg, prepares the local session directory (sessions root
// and S-<name> with mode 0700, options file with mode 0600), and starts
// nxproxy with stdout and stderr appended to <lc>/session.log and
// NX_CLIENT=/bin/true, NX_ROOT=<SessionsRoot> in its environment.
//
// ctx bounds only the start; the process runs until Stop or until it exits.
func Start(ctx context.Context, cfg Config) (*Proxy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Binary == "" {
		cfg.Binary = DefaultBinary
	}
	if cfg.SessionsRoot == "" {
		root, err := DefaultSessionsRoot()
		if err != nil {
			return nil, fmt.Errorf("%w: no SessionsRoot and no home directory: %v", ErrInvalidConfig, err)
		}
		cfg.SessionsRoot = root
	}
	root, err := filepath.Abs(cfg.SessionsRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: SessionsRoot: %v", ErrInvalidConfig, err)
	}
	cfg.SessionsRoot = root
	if err := validate(cfg); err != nil {
		return nil, err
	}
	env := environ(cfg)
	if getenv(env, "DISPLAY") == "" {
		return nil, fmt.Errorf("%w: environment has no DISPLAY for the local X server", ErrInvalidConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("session", cfg.SessionName)

	dir := SessionDir(cfg.SessionsRoot, cfg.SessionName)
	if err := os.MkdirAll(cfg.SessionsRoot, 0o700); err != nil {
		return nil, fmt.Errorf("nxproxy: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("nxproxy: %w", err)
	}
	// An existing directory (resume) may have been created more openly.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("nxproxy: %w", err)
	}
	if err := writeOptions(dir, OptionString(cfg)); err != nil {
		return nil, fmt.Errorf("nxproxy: writing options file: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("nxproxy: %w", err)
	}
	defer logf.Close() // the child has its own copy after Start

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.Binary, args(cfg)...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("nxproxy: starting %s: %w", cfg.Binary, err)
	}
	log.Debug("nxproxy: started", "pid", cmd.Process.Pid, "args", cmd.Args, "dir", dir)

	p := &Proxy{cfg: cfg, dir: dir, log: log, cmd: cmd, done: make(chan struct{})}
	go p.wait()
	return p, nil
}

func validate(cfg Config) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
	}
	if len(cfg.Cookie) != 32 || strings.Trim(cfg.Cookie, "0123456789abcdefABCDEF") != "" {
		return bad("cookie must be 32 hex digits") // never echo the cookie
	}
	if cfg.Display <= 0 {
		return bad("display %d", cfg.Display)
	}
	if cfg.LocalPort < 1 || cfg.LocalPort > 65535 {
		return bad("local port %d", cfg.LocalPort)
	}
	if n := cfg.SessionName; n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/,:\x00") {
		return bad("session name %q", n)
	}
	// The directory ends up inside nxproxy's comma separated option string.
	if strings.ContainsAny(cfg.SessionsRoot, ",\x00") {
		return bad("sessions root %q contains a comma", cfg.SessionsRoot)
	}
	return nil
}

// writeOptions atomically replaces <dir>/options with a mode 0600 file
// holding s (no trailing newline, as python-x2go writes it).
func writeOptions(dir, s string) error {
	f, err := os.CreateTemp(dir, ".options-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = io.WriteString(f, s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600) // CreateTemp already uses 0600; be explicit
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, OptionsFile))
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// environ is the base environment with NX_CLIENT and NX_ROOT replaced.
func environ(cfg Config) []string {
	base := cfg.Env
	if base == nil {
		base = os.Environ()
	}
	env := make([]string, 0, len(base)+2)
	for _, kv := range base {
		if strings.HasPrefix(kv, "NX_CLIENT=") || strings.HasPrefix(kv, "NX_ROOT=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NX_CLIENT=/bin/true", "NX_ROOT="+cfg.SessionsRoot)
}

// getenv returns the last value of key in env, as exec does.
func getenv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// wait reaps the process and records how it ended.
func (p *Proxy) wait() {
	werr := p.cmd.Wait()
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()

	var err error
	if !stopping {
		e := &ExitError{Code: -1, LogTail: p.logTail()}
		if st := p.cmd.ProcessState; st != nil {
			e.Code = st.ExitCode()
			if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				e.Signal = ws.Signal().String()
			}
		} else if werr != nil { // wait itself failed; should not happen
			e.LogTail = werr.Error()
		}
		err = e
		// Debug, not Warn: the owner learns of it through Done and Err and
		// decides what it means (a session suspended or terminated from
		// another client ends nxproxy too).
		p.log.Debug("nxproxy: exited", "pid", p.cmd.Process.Pid, "err", err)
	} else {
		p.log.Debug("nxproxy: stopped", "pid", p.cmd.Process.Pid, "err", werr)
	}
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	close(p.done)
}

// PID is the process id of nxproxy.
func (p *Proxy) PID() int { return p.cmd.Process.Pid }

// Dir is the local session directory <SessionsRoot>/S-<name>.
func (p *Proxy) Dir() string { return p.dir }

// Done is closed once the process has exited, for any reason.
func (p *Proxy) Done() <-chan struct{} { return p.done }

// Err is nil while the process runs and after Stop ended it; if it exited
// by itself, Err is an *ExitError (matching ErrExited).
func (p *Proxy) Err() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stop ends nxproxy: SIGTERM, then SIGKILL after 2 seconds or when ctx ends,
// whichever comes first. It returns once the process has been reaped. Stop is
// idempotent and safe for concurrent use; once the process has exited it
// returns nil at once.
func (p *Proxy) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-p.done:
			return
		case <-t.C:
		case <-ctx.Done():
		}
		p.log.Debug("nxproxy: no exit after SIGTERM, killing", "pid", p.cmd.Process.Pid)
		_ = p.cmd.Process.Kill()
	})
	// SIGKILL cannot be ignored, so this wait is short; it also makes every
	// concurrent or later Stop return only after the reaper is done.
	<-p.done
	return nil
}

// RemoveDir deletes the local session directory S-<name> and nxproxy's
// per-display directory S-<display> under the sessions root, as
// python-x2go does after a session was terminated (not after suspend). Call
// it after Stop.
func (p *Proxy) RemoveDir() error {
	return RemoveSessionDirs(p.cfg.SessionsRoot, p.cfg.SessionName, p.cfg.Display)
}

// RemoveSessionDirs removes the local directories of the session called
// name on display: SessionDir(root, name) and nxproxy's own
// <root>/S-<display>. It needs no running proxy, so a session terminated
// while suspended is cleaned up too.
func RemoveSessionDirs(root, name string, display int) error {
	return errors.Join(os.RemoveAll(SessionDir(root, name)),
		os.RemoveAll(filepath.Join(root, "S-"+strconv.Itoa(display))))
}

// logTail returns the last lines of session.log and session.err with the
// cookie redacted.
func (p *Proxy) logTail() string {
	const lines = 10
	logTail := tailFile(filepath.Join(p.dir, LogFile), lines)
	errTail := tailFile(filepath.Join(p.dir, ErrorsFile), lines)
	s := logTail
	if errTail != "" && !strings.Contains(logTail, errTail) {
		if s != "" {
			s += "\n"
		}
		s += "[" + ErrorsFile + "]\n" + errTail
	}
	return strings.ReplaceAll(s, p.cfg.Cookie, "<cookie>")
}

// tailFile returns up to n last non-empty lines from the last 8 KiB of a
// file, "" if it cannot be read.
func tailFile(name string, n int) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 8 << 10
	var off int64
	if st, err := f.Stat(); err == nil && st.Size() > max {
		off = st.Size() - max
	}
	buf := make([]byte, max)
	k, _ := f.ReadAt(buf, off)
	text := string(buf[:k])
	if off > 0 { // drop the partial first line
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, "\r "); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}

// lastLine is the last line of s, preferring the last one that starts with
// "Error:" (nxproxy's fatal messages).
func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Error:") {
			return lines[i]
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "[") {
			return l
		}
	}
	return ""
}
