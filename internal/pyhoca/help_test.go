package pyhoca

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestHelpMatchesArgparse(t *testing.T) {
	// testdata/help-*.txt were produced by Python 3.11 argparse (80
	// columns) from pyhoca-cli's parser with the adapted texts.
	for name, prog := range map[string]string{
		"pyhoca-cli": "pyhoca-cli",
		"x2go":       "x2go",
		"x":          "x",
		"len51":      "fifty-one-characters-long-program-name-abcdefghijk",
		"len52":      "fifty-two-characters-long-program-name-abcdefghijkl",
		"long":       "a-really-long-program-name-for-testing-the-usage-wrap-x2go",
	} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile("testdata/help-" + name + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			if got := Help(prog); got != string(want) {
				t.Errorf("Help(%q) differs:\n%s", prog, firstDiff(got, string(want)))
			}
			usage, _, _ := strings.Cut(string(want), "\n\n")
			if got := Usage(prog); got != usage+"\n" {
				t.Errorf("Usage(%q) differs:\n%s", prog, firstDiff(got, usage+"\n"))
			}
		})
	}
}

func TestUsageMatchesPyhocaCLI(t *testing.T) {
	// The real pyhoca-cli --help output (trace-pyhoca.md, 01-help).
	real, err := os.ReadFile("testdata/pyhoca-cli-0.6.1.2-help.txt")
	if err != nil {
		t.Fatal(err)
	}
	usage, _, _ := strings.Cut(string(real), "\n\n")
	if got := Usage("pyhoca-cli"); got != usage+"\n" {
		t.Errorf("usage differs:\n%s", firstDiff(got, usage+"\n"))
	}
	// Everything but the adapted lines is pyhoca-cli's text.
	gotLines := strings.Split(Help("pyhoca-cli"), "\n")
	realLines := strings.Split(string(real), "\n")
	missing := 0
	have := map[string]bool{}
	for _, l := range gotLines {
		have[l] = true
	}
	for _, l := range realLines {
		if !have[l] {
			missing++
		}
	}
	if missing > 20 {
		t.Errorf("%d lines of pyhoca-cli's help are not in ours; expected only the adapted ones", missing)
	}
	for _, want := range []string{
		"X2Go command line client implemented in Go (pyhoca-cli compatible).",
		"Possible values for the --pack NX option are:\n    \n    'nopack', '8',",
		"    '16m-rgb-%', '16m-rle-%'\n",
	} {
		if !strings.Contains(Help("pyhoca-cli"), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// firstDiff describes the first differing line of got and want.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "(equal)"
}
