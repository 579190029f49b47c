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
	"time"
)

// tool is one client command line to time.
type tool struct {
	key   string   // short name, used for log files
	label string   // row label
	argv  []string // the command
	env   []string
	check func(stdout string) error // extra success check besides exit status 0
}

// display is argv with the benchmark's temp dir shortened, for the report.
func (t tool) display(tmp string) string {
	s := strings.Join(t.argv, " ")
	return strings.ReplaceAll(s, tmp, "$TMP")
}

// pyhocaListed checks pyhoca-cli's list output (pyhoca-cli exits 0 even
// when it fails, so the exit status proves nothing).
func pyhocaListed(user string) func(string) error {
	return func(stdout string) error {
		if !strings.Contains(stdout, "Username: "+user) {
			return errors.New("no session list on stdout")
		}
		return nil
	}
}

// listTools are the list-sessions commands, compared row by row.
func listTools(l *labEnv, bin, home string) []tool {
	goEnv, pyEnv := l.clientEnv(home), l.clientEnv(l.clientHome)
	return []tool{
		{
			key: "x2go-pyhoca-L", label: "x2go pyhoca-cli -L",
			argv: []string{bin, "pyhoca-cli", "--server", l.host, "-p", l.port, "-u", l.user,
				"--ssh-privkey", l.key, "--add-to-known-hosts", "-L"},
			env: goEnv, check: pyhocaListed(l.user),
		},
		{
			key: "pyhoca-L", label: "pyhoca-cli -L",
			argv: []string{"pyhoca-cli", "--server", l.host, "-p", l.port, "-u", l.user,
				"--add-to-known-hosts", "-L"},
			env: pyEnv, check: pyhocaListed(l.user),
		},
		{
			key: "ssh-list", label: "ssh x2golistsessions",
			argv: []string{"ssh", "-p", l.port, "-i", l.key, "-o", "UserKnownHostsFile=" + l.knownHosts,
				"-o", "BatchMode=yes", l.user + "@" + l.host, "x2golistsessions"},
			env: goEnv,
		},
		{
			key: "x2go-list", label: "x2go list (native CLI)",
			argv: []string{bin, "list", "-p", l.port, "-u", l.user, "-i", l.key,
				"--known-hosts", l.knownHosts, l.host},
			env: goEnv,
		},
	}
}

// runTimed runs a one-shot client to its end and returns its wall-clock
// time, from just before the process is started until it has exited. Its
// stdout and stderr go to logBase.out and logBase.err; a failure carries
// the stderr.
func runTimed(ctx context.Context, timeout time.Duration, t tool, logBase string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	outF, err := os.Create(logBase + ".out")
	if err != nil {
		return 0, err
	}
	defer outF.Close()
	errF, err := os.Create(logBase + ".err")
	if err != nil {
		return 0, err
	}
	defer errF.Close()
	cmd := exec.CommandContext(ctx, t.argv[0], t.argv[1:]...)
	cmd.Env = t.env
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err == nil && t.check != nil {
		out, rerr := os.ReadFile(logBase + ".out")
		if rerr != nil {
			return 0, rerr
		}
		err = t.check(string(out))
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return 0, toolFailure(t, err, logBase)
	}
	return d, nil
}

// toolFailure describes a failed client run with its stdout and stderr.
func toolFailure(t tool, err error, logBase string) error {
	stdout, _ := os.ReadFile(logBase + ".out")
	stderr, _ := os.ReadFile(logBase + ".err")
	return fmt.Errorf("%s failed: %w\ncommand: %s\n--- stdout ---\n%s\n--- stderr ---\n%s",
		t.label, err, strings.Join(t.argv, " "),
		strings.TrimSpace(string(stdout)), strings.TrimSpace(string(stderr)))
}

// benchList times the list commands: warm-up runs, then n interleaved
// rounds (the order rotates every round).
func benchList(ctx context.Context, c config, l *labEnv, bin, home, logs string, r *report) error {
	tools := listTools(l, bin, home)
	tmp := filepath.Dir(bin)
	ss := make([]*series, len(tools))
	for i, t := range tools {
		ss[i] = &series{key: t.key, label: t.label, cmd: t.display(tmp)}
	}
	r.list = ss
	for w := 0; w < c.warmup; w++ {
		for _, t := range tools {
			progress("list: warm-up %s", t.label)
			if _, err := runTimed(ctx, 2*time.Minute, t, filepath.Join(logs, fmt.Sprintf("%s-warmup%d", t.key, w))); err != nil {
				return err
			}
		}
	}
	for i := 0; i < c.n; i++ {
		for j := range tools {
			k := (i + j) % len(tools)
			t := tools[k]
			d, err := runTimed(ctx, 2*time.Minute, t, filepath.Join(logs, fmt.Sprintf("%s-%d", t.key, i)))
			if err != nil {
				return err
			}
			ss[k].runs = append(ss[k].runs, d)
			progress("list: run %d/%d %-24s %6.3f s", i+1, c.n, t.label, d.Seconds())
			reapZombies()
		}
	}
	if killed := cleanLeftovers(3 * time.Second); len(killed) > 0 {
		r.note("list: processes left running after the list commands exited (killed): %s", strings.Join(killed, ", "))
	}
	return nil
}
