package pyhoca

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// recordedUsages are usage blocks printed by Debian's pyhoca-cli 0.6.1.2
// (called through a symlink named prog, with COLUMNS set): short and long
// program names on both sides of argparse's 75 % rule, and narrow, wide
// and one-line widths.
var recordedUsages = []struct {
	file    string
	prog    string
	columns int
}{
	{"usage-pyhoca-cli-80.txt", "pyhoca-cli", 80},
	{"usage-pyhoca-cli-40.txt", "pyhoca-cli", 40},
	{"usage-pyhoca-cli-200.txt", "pyhoca-cli", 200},
	{"usage-pyhoca-cli-2000.txt", "pyhoca-cli", 2000},
	{"usage-x-80.txt", "x", 80},
	{"usage-x2go-80.txt", "x2go", 80},
	{"usage-len51-80.txt", "prog-" + strings.Repeat("a", 46), 80},
	{"usage-len52-80.txt", "prog-" + strings.Repeat("b", 47), 80},
	{"usage-long-80.txt", "a-really-long-program-name-for-testing-the-usage-wrap-x2go", 80},
}

func TestUsageMatchesRecordedPyhocaCLI(t *testing.T) {
	for _, r := range recordedUsages {
		t.Run(r.file, func(t *testing.T) {
			want, err := os.ReadFile("testdata/" + r.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := Usage(r.prog, r.columns); got != string(want) {
				t.Errorf("Usage(%q, %d) differs:\n%s", r.prog, r.columns, firstDiff(got, string(want)))
			}
		})
	}
}

func TestOptionTableMatchesRecorded(t *testing.T) {
	compareTables(t, "optSpecs", ourOptionTable(), "the recorded pyhoca-cli 0.6.1.2 table", recordedOptionTable(t))
}

func TestHelpListsEveryOption(t *testing.T) {
	seen := map[string]int{}
	for _, sec := range helpSections {
		for _, e := range sec.entries {
			if _, ok := optIndex[e.opt]; !ok && e.opt != "host" {
				t.Errorf("help entry %q names no option", e.opt)
			}
			if s, ok := optIndex[e.opt]; ok && s.names[0] != e.opt {
				t.Errorf("help entry %q: name the option by its first string, %s", e.opt, s.names[0])
			}
			if strings.TrimSpace(e.text) == "" {
				t.Errorf("help entry %q has no text", e.opt)
			}
			seen[e.opt]++
		}
	}
	for i := range optSpecs {
		if n := seen[optSpecs[i].names[0]]; n != 1 {
			t.Errorf("option %s appears %d times in the help", optSpecs[i].names[0], n)
		}
	}
	if seen["host"] != 1 {
		t.Errorf("host appears %d times in the help", seen["host"])
	}

	// The rendered help lists the same option table as the usage, and
	// the newer options, which the usage leaves out, in their own group.
	for _, columns := range []int{40, 80, 200} {
		d := parseHelp(Help("pyhoca-cli", columns))
		table, pos := d.options()
		if len(pos) != 1 || pos[0] != "host" {
			t.Errorf("columns %d: positionals %q, want [host]", columns, pos)
		}
		var classic, newer []optionFacts
		for _, o := range table {
			if optIndex[o.names[0]].newer {
				newer = append(newer, o)
			} else {
				classic = append(classic, o)
			}
		}
		compareTables(t, "the help", inUsageOrder(t, classic, d.usage), "optSpecs", withoutChoices(ourOptionTable()))
		compareTables(t, "the help's newer options", newer, "optSpecs", withoutChoices(optionTable(true)))
	}
}

// withoutChoices drops the choices, which the help shows only in
// placeholders.
func withoutChoices(table []optionFacts) []optionFacts {
	var out []optionFacts
	for _, o := range table {
		o.choices = nil
		out = append(out, o)
	}
	return out
}

func TestHelpLayout(t *testing.T) {
	for _, columns := range []int{0, 1, 10, 30, 40, 80, 132, 200} {
		h := Help("pyhoca-cli", columns)
		if !strings.HasPrefix(h, Usage("pyhoca-cli", columns)+"\n") {
			t.Errorf("columns %d: the help does not start with the usage and a blank line", columns)
		}
		if !strings.HasSuffix(h, "\n") || strings.HasSuffix(h, "\n\n") {
			t.Errorf("columns %d: the help does not end in exactly one newline", columns)
		}
		if columns < 40 {
			continue // only the layout rules below need room
		}
		width := textWidth(columns)
		helpPos := min(24, width-20)
		titles := map[string]bool{}
		for _, sec := range helpSections {
			titles[sec.title+":"] = true // argparse does not wrap titles
		}
		body := strings.TrimPrefix(h, Usage("pyhoca-cli", columns))
		for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
			if strings.HasSuffix(l, " ") {
				t.Errorf("columns %d: trailing blank in %q", columns, l)
			}
			// Only an option's invocation or a single long word may
			// be longer than the width.
			if len(l) > width && !strings.HasPrefix(l, "  -") && len(strings.Fields(l)) > 1 && !titles[l] {
				t.Errorf("columns %d: line longer than %d: %q", columns, width, l)
			}
			// Explanations continue at the help position.
			if strings.HasPrefix(l, "   ") && !strings.HasPrefix(l, strings.Repeat(" ", helpPos)) {
				t.Errorf("columns %d: %q not at column %d", columns, l, helpPos)
			}
		}
		if !strings.Contains(h, "\n  -N, --new"+strings.Repeat(" ", helpPos-2-len("-N, --new"))+"start") {
			t.Errorf("columns %d: -N's explanation does not start at column %d", columns, helpPos)
		}
	}
}

func TestPackMethodsAreValid(t *testing.T) {
	for _, m := range PackMethods() {
		name := strings.Replace(m, "-N", "-7", 1)
		if !ValidPack(name) {
			t.Errorf("PackMethods lists %q, which ValidPack refuses as %q", m, name)
		}
	}
	if got, want := len(PackMethods()), len(packBase)+len(packQuality); got != want {
		t.Errorf("%d methods, want %d", got, want)
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
