//go:build linux

package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// series is the runs of one list command.
type series struct {
	key, label, cmd string
	runs            []time.Duration
}

// windowSeries is the runs of one session-start command.
type windowSeries struct {
	key, label, cmd string
	agent, xterm    []time.Duration
	exit            []time.Duration
	ignoredSIGINT   int // runs killed after ignoring SIGINT, not in exit
}

// report collects the results and the conditions they were taken under.
type report struct {
	started, finished time.Time
	n                 int
	poll              time.Duration
	display           string
	loadStart         string
	loadEnd           string
	conditions        []string
	list              []*series
	window            []*windowSeries
	notes             []string
}

// note records something odd seen during the run.
func (r *report) note(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	progress("NOTE: %s", s)
	r.notes = append(r.notes, s)
}

// describe records the software versions and the machine's state.
func (r *report) describe(ctx context.Context, l *labEnv) {
	r.loadStart = loadAvg()
	r.display = l.display
	rev, err := runCmd(ctx, 30*time.Second, nil, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		rev = "?"
	}
	rev = strings.TrimSpace(rev)
	if st, err := runCmd(ctx, 30*time.Second, nil, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && strings.TrimSpace(st) != "" {
		rev += " (with uncommitted changes)"
	}
	r.conditions = append(r.conditions,
		fmt.Sprintf("repository commit %s, %s, %d CPUs", rev, runtime.Version(), runtime.NumCPU()),
		fmt.Sprintf("server %s:%s user %s, client display %s", l.host, l.port, l.user, l.display))
	var pk []string
	for _, p := range []string{"pyhoca-cli", "python3-x2go", "python3-paramiko", "x2goserver", "openssh-client", "nxproxy"} {
		v, err := runCmd(ctx, 30*time.Second, nil, "dpkg-query", "-W", "-f", "${Version}", p)
		if err != nil {
			v = "?"
		}
		pk = append(pk, p+" "+strings.TrimSpace(v))
	}
	r.conditions = append(r.conditions, "packages: "+strings.Join(pk, ", "))
}

// Statistics.

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return slices.Min(d)
}

func maxOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return slices.Max(d)
}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a.Seconds()/b.Seconds())
}

// ratioLine is one "a / b" comparison of two series.
type ratioLine struct {
	what             string
	median, min, max string
}

func (r *report) listSeries(key string) *series {
	for _, s := range r.list {
		if s.key == key {
			return s
		}
	}
	return nil
}

func (r *report) windowSeriesOf(key string) *windowSeries {
	for _, s := range r.window {
		if s.key == key {
			return s
		}
	}
	return nil
}

func (r *report) listRatios() []ratioLine {
	var out []ratioLine
	add := func(what, a, b string) {
		sa, sb := r.listSeries(a), r.listSeries(b)
		if sa == nil || sb == nil {
			return
		}
		out = append(out, ratioLine{what,
			ratio(median(sa.runs), median(sb.runs)), ratio(minOf(sa.runs), minOf(sb.runs)), ratio(maxOf(sa.runs), maxOf(sb.runs))})
	}
	add("pyhoca-cli / x2go pyhoca-cli", "pyhoca-L", "x2go-pyhoca-L")
	add("x2go pyhoca-cli / ssh", "x2go-pyhoca-L", "ssh-list")
	add("x2go list / ssh", "x2go-list", "ssh-list")
	return out
}

func (r *report) windowRatios() []ratioLine {
	a, b := r.windowSeriesOf("pyhoca-N"), r.windowSeriesOf("x2go-pyhoca-N")
	if a == nil || b == nil {
		return nil
	}
	return []ratioLine{
		{"xterm mapped: pyhoca-cli / x2go pyhoca-cli",
			ratio(median(a.xterm), median(b.xterm)), ratio(minOf(a.xterm), minOf(b.xterm)), ratio(maxOf(a.xterm), maxOf(b.xterm))},
		{"agent window: pyhoca-cli / x2go pyhoca-cli",
			ratio(median(a.agent), median(b.agent)), ratio(minOf(a.agent), minOf(b.agent)), ratio(maxOf(a.agent), maxOf(b.agent))},
		{"Ctrl-C to exit: pyhoca-cli / x2go pyhoca-cli",
			ratio(median(a.exit), median(b.exit)), ratio(minOf(a.exit), minOf(b.exit)), ratio(maxOf(a.exit), maxOf(b.exit))},
	}
}

// text renders the results for a terminal.
func (r *report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nX2Go client benchmark, %s, n=%d per tool, load %s at start, %s at end\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.n, r.loadStart, r.loadEnd)
	for _, c := range r.conditions {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if len(r.list) > 0 {
		fmt.Fprintf(&b, "\nList sessions: seconds from process start to exit (server without sessions)\n")
		fmt.Fprintf(tw, "  client\t%8s\t%8s\t%8s\n", "median", "min", "max")
		for _, s := range r.list {
			fmt.Fprintf(tw, "  %s\t%8s\t%8s\t%8s\n", s.label, secs(median(s.runs)), secs(minOf(s.runs)), secs(maxOf(s.runs)))
		}
		tw.Flush()
		fmt.Fprintf(tw, "  ratio\t%10s\t%8s\t%8s\n", "of medians", "of mins", "of maxes")
		for _, l := range r.listRatios() {
			fmt.Fprintf(tw, "  %s\t%10s\t%8s\t%8s\n", l.what, l.median, l.min, l.max)
		}
		tw.Flush()
	}
	if len(r.window) > 0 {
		fmt.Fprintf(&b, "\nTime to window: seconds from process start of a new rootless xterm session\n(agent window X2GO-* listed; xterm window mapped) and from SIGINT to exit\n")
		fmt.Fprintf(tw, "  client\t%12s\t%12s\t%9s\t%9s\t%19s\n", "agent median", "xterm median", "xterm min", "xterm max", "Ctrl-C->exit median")
		for _, s := range r.window {
			fmt.Fprintf(tw, "  %s\t%12s\t%12s\t%9s\t%9s\t%19s\n", s.label, secs(median(s.agent)),
				secs(median(s.xterm)), secs(minOf(s.xterm)), secs(maxOf(s.xterm)), secs(median(s.exit)))
		}
		tw.Flush()
		fmt.Fprintf(tw, "  ratio\t%10s\t%8s\t%8s\n", "of medians", "of mins", "of maxes")
		for _, l := range r.windowRatios() {
			fmt.Fprintf(tw, "  %s\t%10s\t%8s\t%8s\n", l.what, l.median, l.min, l.max)
		}
		tw.Flush()
	}
	if len(r.notes) > 0 {
		fmt.Fprintf(&b, "\nNotes:\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	return b.String()
}

// markdown renders the results, the commands and the raw runs.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# X2Go client benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `go run ./bench` (see bench/README.md) on %s, %s to %s; n = %d runs per tool, interleaved; load average %s at start, %s at end.\n\n",
		r.started.UTC().Format("2006-01-02"), r.started.UTC().Format("15:04:05"), r.finished.UTC().Format("15:04:05 MST"), r.n, r.loadStart, r.loadEnd)
	for _, c := range r.conditions {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	raw := func(d []time.Duration) string {
		var s []string
		for _, x := range d {
			s = append(s, secs(x))
		}
		return strings.Join(s, ", ")
	}
	if len(r.list) > 0 {
		fmt.Fprintf(&b, "\n## List sessions\n\nSeconds from process start to exit; fresh process and SSH connection each run; the server has no sessions.\n\n")
		fmt.Fprintf(&b, "| client | median | min | max |\n|---|---:|---:|---:|\n")
		for _, s := range r.list {
			fmt.Fprintf(&b, "| %s | **%s** | %s | %s |\n", s.label, secs(median(s.runs)), secs(minOf(s.runs)), secs(maxOf(s.runs)))
		}
		fmt.Fprintf(&b, "\n| ratio | of medians | of mins | of maxes |\n|---|---:|---:|---:|\n")
		for _, l := range r.listRatios() {
			fmt.Fprintf(&b, "| %s | **%s** | %s | %s |\n", l.what, l.median, l.min, l.max)
		}
	}
	if len(r.window) > 0 {
		fmt.Fprintf(&b, "\n## Time to window\n\nA new rootless `xterm` session from a reset lab (zero sessions). Seconds from process start until the agent window `X2GO-<session>` is listed by `xwininfo -root -tree` on %s, and until the xterm's window is mapped (`IsViewable`), polled every %v; then from SIGINT (`--terminate-on-ctrl-c`: terminate the session) until the client has exited.\n\n",
			r.display, r.poll)
		fmt.Fprintf(&b, "| client | agent window median | xterm mapped median | xterm min | xterm max | Ctrl-C to exit median |\n|---|---:|---:|---:|---:|---:|\n")
		for _, s := range r.window {
			fmt.Fprintf(&b, "| %s | %s | **%s** | %s | %s | %s |\n", s.label, secs(median(s.agent)),
				secs(median(s.xterm)), secs(minOf(s.xterm)), secs(maxOf(s.xterm)), secs(median(s.exit)))
		}
		fmt.Fprintf(&b, "\n| ratio | of medians | of mins | of maxes |\n|---|---:|---:|---:|\n")
		for _, l := range r.windowRatios() {
			fmt.Fprintf(&b, "| %s | **%s** | %s | %s |\n", l.what, l.median, l.min, l.max)
		}
	}
	if len(r.notes) > 0 {
		fmt.Fprintf(&b, "\n## Notes\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	fmt.Fprintf(&b, "\n## Commands and raw runs (seconds, in run order)\n\n")
	for _, s := range r.list {
		fmt.Fprintf(&b, "- **%s**: `%s`  \n  %s\n", s.label, s.cmd, raw(s.runs))
	}
	for _, s := range r.window {
		ignored := ""
		if s.ignoredSIGINT > 0 {
			ignored = fmt.Sprintf(" (and %d run(s) that ignored SIGINT and were killed)", s.ignoredSIGINT)
		}
		fmt.Fprintf(&b, "- **%s**: `%s`  \n  xterm mapped: %s  \n  agent window: %s  \n  Ctrl-C to exit: %s%s\n",
			s.label, s.cmd, raw(s.xterm), raw(s.agent), raw(s.exit), ignored)
	}
	return b.String()
}
