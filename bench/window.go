//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// xwindow is one line of `xwininfo -root -tree`.
type xwindow struct {
	id    string // 0x...
	name  string // quoted name, or (has no name)
	class string // e.g. "xterm" "XTerm"; empty when the window has none
}

// agentWindow reports whether w is an X2Go agent window ("X2GO-<session>").
func (w xwindow) agentWindow() bool { return strings.HasPrefix(w.name, `"X2GO-`) }

// xtermWindow reports whether w is an xterm's window.
func (w xwindow) xtermWindow() bool { return w.class == `"xterm" "XTerm"` }

// parseTree parses `xwininfo -root -tree` output; lines look like
//
//	0x4001a7 "x2gotest@vm: ~": ("xterm" "XTerm")  484x316+0+0  +0+0
func parseTree(out string) []xwindow {
	var ws []xwindow
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "0x") {
			continue
		}
		id, rest, _ := strings.Cut(t, " ")
		i := strings.LastIndex(rest, ": (")
		if i < 0 {
			continue
		}
		class := rest[i+3:]
		if j := strings.IndexByte(class, ')'); j >= 0 {
			class = class[:j]
		}
		ws = append(ws, xwindow{id: id, name: rest[:i], class: class})
	}
	return ws
}

// listWindows lists every window on the lab's client display.
func listWindows(ctx context.Context, xenv []string) ([]xwindow, error) {
	out, err := runCmd(ctx, 5*time.Second, xenv, "xwininfo", "-root", "-tree")
	if err != nil {
		return nil, err
	}
	return parseTree(out), nil
}

// viewable reports whether window id is mapped and visible (its own map
// state and its ancestors').
func viewable(ctx context.Context, xenv []string, id string) (bool, error) {
	out, err := runCmd(ctx, 5*time.Second, xenv, "xwininfo", "-id", id)
	if err != nil {
		return false, err
	}
	return strings.Contains(out, "Map State: IsViewable"), nil
}

// waitNoSessionWindows waits until the display shows no agent or xterm
// window (left from an earlier session), up to wait.
func waitNoSessionWindows(ctx context.Context, xenv []string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		ws, err := listWindows(ctx, xenv)
		if err != nil {
			if time.Now().After(deadline) {
				return err
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var left []string
		for _, w := range ws {
			if w.agentWindow() || w.xtermWindow() {
				left = append(left, w.id+" "+w.name)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("session windows still on the client display %v after scripts/lab reset: %s", wait, strings.Join(left, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// windowTools are the commands that start a new rootless xterm session
// and stay attached to it; SIGINT terminates the session and ends them.
func windowTools(l *labEnv, bin, home string) []tool {
	common := []string{"--server", l.host, "-p", l.port, "-u", l.user, "--add-to-known-hosts",
		"--sound", "none", "-N", "-c", "xterm", "--terminate-on-ctrl-c"}
	return []tool{
		{
			key: "x2go-pyhoca-N", label: "x2go pyhoca-cli -N -c xterm",
			argv: append([]string{bin, "pyhoca-cli", "--ssh-privkey", l.key}, common...),
			env:  l.clientEnv(home),
		},
		{
			key: "pyhoca-N", label: "pyhoca-cli -N -c xterm",
			argv: append([]string{"pyhoca-cli"}, common...),
			env:  l.clientEnv(l.clientHome),
		},
	}
}

// windowResult is one time-to-window run.
type windowResult struct {
	agent   time.Duration // start → agent window X2GO-<session> listed (0: never seen)
	xterm   time.Duration // start → xterm window viewable
	exit    time.Duration // SIGINT → client exited
	session string        // session name, from the agent window's name
	killed  []string      // processes left behind by the client, killed
	// ignoredSIGINT: the client was still running stopTimeout after
	// SIGINT and was killed; exit is then not a measurement. pyhoca-cli
	// does this now and then (its SIGINT handler under gevent), and one
	// such run should cost one exit figure, not the whole benchmark.
	ignoredSIGINT bool
	// polls that failed because xwininfo could not open the display
	pollErrors int
}

// xDownGrace is how long the display may refuse xwininfo before a run fails.
const xDownGrace = 5 * time.Second

// windowRun starts t, polls the display until the session's xterm window
// is viewable, then sends SIGINT and waits for the client to exit.
func windowRun(ctx context.Context, c config, l *labEnv, t tool, logBase string) (res windowResult, err error) {
	xenv := l.clientEnv(l.clientHome)
	outF, err := os.Create(logBase + ".out")
	if err != nil {
		return res, err
	}
	defer outF.Close()
	errF, err := os.Create(logBase + ".err")
	if err != nil {
		return res, err
	}
	defer errF.Close()

	// Not derived from ctx: an interrupted benchmark still ends the
	// session with SIGINT below instead of a SIGKILL from exec.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.windowTimeout+c.stopTimeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, t.argv[0], t.argv[1:]...)
	cmd.Env = t.env
	cmd.Stdout, cmd.Stderr = outF, errF
	// Own process group: a Ctrl-C on the benchmark's terminal reaches
	// only the benchmark, which then ends the client in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, toolFailure(t, err, logBase)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var failure, waitErr error
	var firstErr time.Time // start of a run of failed polls
	exited := false
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	timeout := time.NewTimer(c.windowTimeout)
	defer timeout.Stop()
poll:
	for {
		select {
		case waitErr = <-done:
			exited = true
			failure = fmt.Errorf("exited before its xterm window was mapped (%v)", exitText(waitErr))
			break poll
		case <-ctx.Done():
			failure = ctx.Err()
			break poll
		case <-timeout.C:
			failure = fmt.Errorf("no mapped xterm window on %s within %v", l.display, c.windowTimeout)
			break poll
		case <-tick.C:
		}
		ws, err := listWindows(cctx, xenv)
		if err != nil {
			// The lab's Xvfb now and then refuses a connection when the
			// machine is busy ("unable to open display"): skip that poll,
			// give up only when the display stays unreachable.
			res.pollErrors++
			if firstErr.IsZero() {
				firstErr = time.Now()
			}
			if time.Since(firstErr) > xDownGrace {
				failure = fmt.Errorf("display unreachable for %v: %w", xDownGrace, err)
				break poll
			}
			continue
		}
		firstErr = time.Time{}
		for _, w := range ws {
			if res.agent == 0 && w.agentWindow() {
				res.agent = time.Since(start)
				res.session = strings.Trim(strings.TrimPrefix(w.name, `"X2GO-`), `"`)
			}
		}
		for _, w := range ws {
			if !w.xtermWindow() {
				continue
			}
			// An error here is a window that went away between the two
			// calls; keep polling.
			if ok, err := viewable(cctx, xenv, w.id); err == nil && ok {
				res.xterm = time.Since(start)
				break poll
			}
		}
	}

	if !exited {
		// A user's Ctrl-C: with --terminate-on-ctrl-c it terminates the session.
		sent := time.Now()
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
			failure = errors.Join(failure, fmt.Errorf("SIGINT: %w", err))
		}
		select {
		case waitErr = <-done:
			res.exit = time.Since(sent)
			if failure == nil && waitErr != nil {
				failure = fmt.Errorf("after SIGINT: %v", exitText(waitErr))
			}
		case <-time.After(c.stopTimeout):
			_ = cmd.Process.Kill()
			<-done
			res.ignoredSIGINT = true
		}
	}
	res.killed = cleanLeftovers(3 * time.Second)
	if failure != nil {
		return res, toolFailure(t, failure, logBase)
	}
	return res, nil
}

// exitText describes how a client ended.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// serverSessions lists the lab user's sessions on the server side
// (x2golistsessions via su, no SSH).
func serverSessions(ctx context.Context, user string) ([]string, error) {
	out, err := runCmd(ctx, time.Minute, nil, "su", "-", user, "-c", "x2golistsessions")
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// benchWindow times the session start of both clients, interleaved, each
// run from a freshly reset lab.
func benchWindow(ctx context.Context, c config, l *labEnv, bin, home, logs string, r *report) error {
	tools := windowTools(l, bin, home)
	tmp := filepath.Dir(bin)
	xenv := l.clientEnv(l.clientHome)
	ws := make([]*windowSeries, len(tools))
	for i, t := range tools {
		ws[i] = &windowSeries{key: t.key, label: t.label, cmd: t.display(tmp)}
	}
	r.window = ws
	for i := 0; i < c.n; i++ {
		for j := range tools {
			k := (i + j) % len(tools)
			t := tools[k]
			if err := resetLab(ctx); err != nil {
				return err
			}
			if err := waitNoSessionWindows(ctx, xenv, 15*time.Second); err != nil {
				return err
			}
			res, err := windowRun(ctx, c, l, t, filepath.Join(logs, fmt.Sprintf("%s-%d", t.key, i)))
			if err != nil {
				return err
			}
			s := ws[k]
			s.xterm = append(s.xterm, res.xterm)
			if res.ignoredSIGINT {
				s.ignoredSIGINT++
				r.note("window: %s run %d: still running %v after SIGINT, killed; this run has no Ctrl-C figure",
					t.label, i+1, c.stopTimeout)
			} else {
				s.exit = append(s.exit, res.exit)
			}
			if res.agent > 0 {
				s.agent = append(s.agent, res.agent)
			} else {
				r.note("window: %s run %d: no X2GO-<session> agent window seen before the xterm", t.label, i+1)
			}
			progress("window: run %d/%d %-28s agent %6.3f s  xterm %6.3f s  exit %6.3f s  (%s)",
				i+1, c.n, t.label, res.agent.Seconds(), res.xterm.Seconds(), res.exit.Seconds(), res.session)
			if res.pollErrors > 0 {
				r.note("window: %s run %d: %d window poll(s) skipped, xwininfo could not open the display (Xvfb refusing connections under load)",
					t.label, i+1, res.pollErrors)
			}
			if len(res.killed) > 0 {
				r.note("window: %s run %d left processes running after it exited (killed): %s",
					t.label, i+1, strings.Join(res.killed, ", "))
			}
			left, err := serverSessions(ctx, l.user)
			if err != nil {
				return err
			}
			if len(left) > 0 {
				r.note("window: %s run %d: after the client's exit following SIGINT (--terminate-on-ctrl-c) the server still lists: %s",
					t.label, i+1, strings.Join(left, " | "))
			}
		}
	}
	return nil
}
