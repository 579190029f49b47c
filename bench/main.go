//go:build linux

// Command bench times this project's X2Go client against the reference
// client and against plain OpenSSH, on the same real X2Go server (the lab
// of scripts/lab), and prints the ratios.
//
// What it measures (wall clock, fresh process and fresh SSH connection
// every run, all runs interleaved tool by tool so that a change in machine
// load hits every tool alike):
//
//  1. list sessions: from process start to exit of
//     `x2go pyhoca-cli ... -L` (this project, built once with go build),
//     `pyhoca-cli ... -L` (python-x2go, the reference) and
//     `ssh ... x2golistsessions` (OpenSSH running the one server command a
//     list needs: the floor no X2Go client can beat on this machine), plus
//     this project's native `x2go list`. The server has no sessions then.
//  2. time to window: from process start of `... -N -c xterm
//     --terminate-on-ctrl-c` (a new rootless xterm session) until the
//     remote xterm's window is mapped (IsViewable) on the lab's client
//     display, found by polling `xwininfo -root -tree` every -poll. It also
//     notes when the session's agent window ("X2GO-<session>") appeared,
//     and how long the client took to exit after SIGINT (it terminates the
//     session). `scripts/lab reset` runs before each start, so each one
//     begins with zero sessions on the server.
//
// Why: the point of a Go client is to be quick where pyhoca-cli is slow
// (Python start-up, six server commands where one would do, seconds of
// shutdown; see /work/shared/lab/baseline-pyhoca.md). Ratios taken on the
// same machine at the same time are meaningful where absolute numbers on a
// shared 2-CPU sandbox are not; the ssh row shows how close to the floor a
// list gets.
//
// The harness holds the exclusive flock on $X2GO_LAB_DIR/e2e.lock (the lock
// the end-to-end tests take) for the whole run, so benchmarks and tests
// never overlap; it waits for the lock if a test holds it. It must run as
// root (scripts/lab reset needs root) from the repository root:
//
//	go run ./bench [-n 5] [-only list|window] [-out bench/out/results.md]
//
// The lab's Xvfb runs with -noreset: without it, the display reset when its
// last client left and dropped connections arriving meanwhile, so the
// benchmark's own short-lived xwininfo polls could make a client's nxproxy
// fail at session start.
//
// Any failing tool makes it print that tool's stderr and exit 1; no number
// is ever made up. Results go to stdout and, as markdown, to -out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// config holds the command-line flags.
type config struct {
	n             int
	warmup        int
	only          string
	out           string
	poll          time.Duration
	windowTimeout time.Duration
	stopTimeout   time.Duration
	lockWait      time.Duration
	keepLogs      bool
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 5, "runs per tool and operation")
	flag.IntVar(&c.warmup, "warmup", 1, "untimed warm-up runs of each list command")
	flag.StringVar(&c.only, "only", "", `run only "list" or "window" (default: both)`)
	flag.StringVar(&c.out, "out", filepath.Join("bench", "out", "results.md"), "markdown results file")
	flag.DurationVar(&c.poll, "poll", 50*time.Millisecond, "window poll interval")
	flag.DurationVar(&c.windowTimeout, "window-timeout", 60*time.Second, "give up waiting for a window after this long")
	flag.DurationVar(&c.stopTimeout, "stop-timeout", 60*time.Second, "time a client gets to exit after SIGINT before SIGKILL")
	flag.DurationVar(&c.lockWait, "lock-wait", 30*time.Minute, "give up waiting for the e2e lock after this long")
	flag.BoolVar(&c.keepLogs, "keep-logs", false, "keep the clients' stdout/stderr files (their directory is printed)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./bench [flags]   (from the repository root, as root)\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if c.n < 1 || c.warmup < 0 || (c.only != "" && c.only != "list" && c.only != "window") || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	// A handler for SIGINT also makes sure the clients start with SIGINT at
	// its default disposition (not ignored), so they can be interrupted.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: FAILED: %v\n", err)
		os.Exit(1)
	}
}

// run does the whole benchmark; every error is fatal.
func run(ctx context.Context, c config) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (scripts/lab reset needs root)")
	}
	for _, p := range []string{"go.mod", filepath.Join("cmd", "x2go"), filepath.Join("scripts", "lab")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("run from the repository root (%v)", err)
		}
	}
	if err := becomeSubreaper(); err != nil {
		return err
	}
	lab, err := loadLab(ctx)
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "x2go-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if c.keepLogs {
			fmt.Fprintf(os.Stderr, "bench: logs kept in %s\n", tmp)
			return
		}
		os.RemoveAll(tmp)
	}()
	logs := filepath.Join(tmp, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}

	progress("building ./cmd/x2go")
	bin := filepath.Join(tmp, "x2go")
	if _, err := runCmd(ctx, 10*time.Minute, nil, "go", "build", "-o", bin, "./cmd/x2go"); err != nil {
		return err
	}
	home, err := makeGoHome(tmp, lab)
	if err != nil {
		return err
	}

	unlock, err := lockLab(ctx, lab.dir, c.lockWait)
	if err != nil {
		return err
	}
	defer unlock()
	// Whatever happens, leave the lab with no sessions.
	defer func() {
		if rerr := resetLab(context.WithoutCancel(ctx)); rerr != nil && err == nil {
			err = rerr
		}
	}()

	r := &report{started: time.Now(), n: c.n, poll: c.poll}
	r.describe(ctx, lab)
	if c.only != "window" {
		if err := resetLab(ctx); err != nil {
			return err
		}
		if err := benchList(ctx, c, lab, bin, home, logs, r); err != nil {
			return err
		}
	}
	if c.only != "list" {
		if err := benchWindow(ctx, c, lab, bin, home, logs, r); err != nil {
			return err
		}
	}
	r.finished = time.Now()
	r.loadEnd = loadAvg()

	text := r.text()
	fmt.Print(text)
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nmarkdown written to %s\n", c.out)
	return nil
}

// progress prints a progress line on stderr.
func progress(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}
