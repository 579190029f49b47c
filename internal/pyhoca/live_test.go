package pyhoca

// Tests against Debian's real pyhoca-cli 0.6.1.2 (package pyhoca-cli, which
// the lab installs): its --help prints the option table and exits 0
// without a server. Outside -short they fail when pyhoca-cli is missing.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pyhocaCLI returns the installed pyhoca-cli.
func pyhocaCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the installed pyhoca-cli")
	}
	path, err := exec.LookPath("pyhoca-cli")
	if err != nil {
		t.Fatalf("this test needs pyhoca-cli (Debian package pyhoca-cli): %v", err)
	}
	return path
}

// runPyhocaCLI runs bin with args, a HOME of its own and COLUMNS set
// (argparse wraps to it), and returns what it printed and its exit status.
func runPyhocaCLI(bin, home string, columns int, args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "COLUMNS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "COLUMNS="+strconv.Itoa(columns))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return out.String(), errOut.String(), exitErr.ExitCode(), nil
	}
	return out.String(), errOut.String(), 0, err
}

// liveHelp is pyhoca-cli --help at 200 columns, run once for all tests.
var liveHelp struct {
	once sync.Once
	text string
	err  error
}

func pyhocaCLIHelp(t *testing.T, bin string) string {
	t.Helper()
	liveHelp.once.Do(func() {
		home, err := os.MkdirTemp("", "pyhoca-help-")
		if err != nil {
			liveHelp.err = err
			return
		}
		defer os.RemoveAll(home)
		out, stderr, code, err := runPyhocaCLI(bin, home, 200, "--help")
		switch {
		case err != nil:
			liveHelp.err = err
		case code != 0:
			liveHelp.err = errors.New("pyhoca-cli --help exited " + strconv.Itoa(code) + ": " + stderr)
		}
		liveHelp.text = out
	})
	if liveHelp.err != nil {
		t.Fatal(liveHelp.err)
	}
	return liveHelp.text
}

// invalidChoice is argparse's error for a value outside an option's
// choices.
var invalidChoice = regexp.MustCompile(`: error: argument (\S+): invalid choice: .* \(choose from (.*)\)\n?$`)

// pyhocaCLIChoices finds the accepted values of every option of table
// that takes an argument, from pyhoca-cli itself: it gives all of them a
// value no option accepts, followed by -h. argparse stops at the first
// option that refuses its value and names its choices; that option is
// dropped and the rest tried again, until -h is reached and the help
// printed. (The help text alone does not show all choices.)
func pyhocaCLIChoices(t *testing.T, bin string, table []optionFacts) map[string][]string {
	t.Helper()
	const bogus = "x2go-go-accepts-no-such-value"
	var probe []optionFacts
	for _, o := range table {
		if o.metavar != "" {
			probe = append(probe, o)
		}
	}
	home := t.TempDir()
	choices := map[string][]string{}
	for range len(table) + 1 {
		var args []string
		for _, o := range probe {
			args = append(args, o.names[len(o.names)-1], bogus)
		}
		_, stderr, code, err := runPyhocaCLI(bin, home, 200, append(args, "-h")...)
		if err != nil {
			t.Fatal(err)
		}
		if code == 0 {
			return choices
		}
		m := invalidChoice.FindStringSubmatch(stderr)
		if code != 2 || m == nil {
			t.Fatalf("pyhoca-cli exited %d: %s", code, stderr)
		}
		i := slices.IndexFunc(probe, func(o optionFacts) bool { return strings.Join(o.names, "/") == m[1] })
		if i < 0 {
			t.Fatalf("pyhoca-cli names an unknown option %s", m[1])
		}
		for _, q := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(m[2], -1) {
			choices[probe[i].names[0]] = append(choices[probe[i].names[0]], q[1])
		}
		probe = slices.Delete(probe, i, i+1)
	}
	t.Fatal("pyhoca-cli keeps refusing values")
	return nil
}

func TestOptionTableMatchesPyhocaCLI(t *testing.T) {
	bin := pyhocaCLI(t)
	d := parseHelp(pyhocaCLIHelp(t, bin))
	table, pos := d.options()
	if !slices.Equal(pos, []string{"host"}) {
		t.Errorf("pyhoca-cli's positionals: %q", pos)
	}
	if n := len(usageOrder(d.usage)); n != len(table) || n < 50 {
		t.Fatalf("pyhoca-cli's usage names %d options, its help %d", n, len(table))
	}
	table = inUsageOrder(t, table, d.usage)
	choices := pyhocaCLIChoices(t, bin, table)
	for i := range table {
		table[i].choices = choices[table[i].names[0]]
	}
	compareTables(t, "optSpecs", ourOptionTable(), "pyhoca-cli", table)
	compareTables(t, "testdata/pyhoca-cli-0.6.1.2-options.txt", recordedOptionTable(t), "pyhoca-cli", table)
}

func TestUsageMatchesPyhocaCLI(t *testing.T) {
	bin := pyhocaCLI(t)
	dir, home := t.TempDir(), t.TempDir()
	for _, r := range recordedUsages {
		t.Run(r.file, func(t *testing.T) {
			link := filepath.Join(dir, r.prog)
			if err := os.Symlink(bin, link); err != nil && !errors.Is(err, os.ErrExist) {
				t.Fatal(err)
			}
			out, stderr, code, err := runPyhocaCLI(link, home, r.columns, "--help")
			if err != nil || code != 0 {
				t.Fatalf("pyhoca-cli --help: exit %d, %v: %s", code, err, stderr)
			}
			usage, _, _ := strings.Cut(out, "\n\n")
			usage += "\n"
			if got := Usage(r.prog, r.columns); got != usage {
				t.Errorf("Usage(%q, %d) differs from pyhoca-cli's:\n%s", r.prog, r.columns, firstDiff(got, usage))
			}
			if rec, err := os.ReadFile("testdata/" + r.file); err != nil || string(rec) != usage {
				t.Errorf("testdata/%s is not what pyhoca-cli prints (%v)", r.file, err)
			}
		})
	}

	// A command-line error: the usage, then the message, on stderr.
	link := filepath.Join(dir, "pyhoca-cli")
	if err := os.Symlink(bin, link); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	args := []string{"--no-such-option", "host"}
	_, stderr, code, err := runPyhocaCLI(link, home, 80, args...)
	if err != nil {
		t.Fatal(err)
	}
	_, perr := Parse(args)
	var ue *UsageError
	if !errors.As(perr, &ue) {
		t.Fatalf("Parse(%q) = %v, want a UsageError", args, perr)
	}
	if got := Usage("pyhoca-cli", 80) + "pyhoca-cli: error: " + ue.Msg + "\n"; got != stderr || ue.Code != code {
		t.Errorf("error output %q (exit %d), pyhoca-cli's %q (exit %d)", got, ue.Code, stderr, code)
	}
}

func TestHelpSharesNoSentenceWithPyhocaCLI(t *testing.T) {
	bin := pyhocaCLI(t)
	theirs := parseHelp(pyhocaCLIHelp(t, bin))
	ours := parseHelp(Help("pyhoca-cli", 200))

	theirSentences := map[string]bool{}
	for _, text := range theirs.texts() {
		for _, s := range sentences(text) {
			theirSentences[s] = true
		}
	}
	if len(theirs.groups) < 10 || len(theirSentences) < 40 {
		t.Fatalf("parsed only %d groups and %d sentences from pyhoca-cli's help", len(theirs.groups), len(theirSentences))
	}
	for _, text := range ours.texts() {
		for _, s := range sentences(text) {
			if theirSentences[s] {
				t.Errorf("our help says pyhoca-cli's %q", s)
			}
		}
	}
	// Nor does ours contain one of theirs inside a longer sentence.
	ourText := normalise(strings.Join(ours.texts(), "\n"))
	for s := range theirSentences {
		if strings.Contains(ourText, s) {
			t.Errorf("our help contains pyhoca-cli's %q", s)
		}
	}
	// Group titles are too short to be sentences; none is theirs either.
	theirTitles := map[string]bool{}
	for _, g := range theirs.groups {
		theirTitles[normalise(g.title)] = true
	}
	for _, g := range ours.groups {
		if theirTitles[normalise(g.title)] {
			t.Errorf("our group title %q is pyhoca-cli's", g.title)
		}
	}
	// The same goes for every explanation, however short, apart from the
	// option names and placeholders they share.
	theirTexts := map[string]string{}
	for _, g := range theirs.groups {
		for _, e := range g.entries {
			theirTexts[normalise(e.text)] = e.invocation
		}
	}
	for _, g := range ours.groups {
		for _, e := range g.entries {
			if inv, ok := theirTexts[normalise(e.text)]; ok {
				t.Errorf("our explanation of %s is pyhoca-cli's of %s: %q", e.invocation, inv, e.text)
			}
		}
	}
}
