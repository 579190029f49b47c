package pyhoca

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// optionFacts is what scripts and front ends rely on about one option:
// its option strings, the argument placeholder ("" for a flag) and the
// accepted values (nil: any).
type optionFacts struct {
	names   []string
	metavar string
	choices []string
}

func (f optionFacts) String() string {
	m, c := f.metavar, strings.Join(f.choices, ",")
	if m == "" {
		m = "-"
	}
	if c == "" {
		c = "-"
	}
	return strings.Join(f.names, " ") + "\t" + m + "\t" + c
}

// ourOptionTable is the option table of pyhoca-cli 0.6.1.2's options in
// optSpecs, in usage order.
func ourOptionTable() []optionFacts { return optionTable(false) }

// optionTable is the table of optSpecs' newer options (newer) or of the
// others, in declaration order.
func optionTable(newer bool) []optionFacts {
	var out []optionFacts
	for i := range optSpecs {
		s := &optSpecs[i]
		if s.newer != newer {
			continue
		}
		f := optionFacts{names: s.names, choices: s.choices}
		if s.value {
			f.metavar = s.metavarText()
		}
		out = append(out, f)
	}
	return out
}

// recordedOptionTable reads testdata/pyhoca-cli-0.6.1.2-options.txt.
func recordedOptionTable(t *testing.T) []optionFacts {
	t.Helper()
	f, err := os.Open("testdata/pyhoca-cli-0.6.1.2-options.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []optionFacts
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("malformed line %q", line)
		}
		o := optionFacts{names: strings.Fields(cols[0])}
		if cols[1] != "-" {
			o.metavar = cols[1]
		}
		if cols[2] != "-" {
			o.choices = strings.Split(cols[2], ",")
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareTables reports every difference between two option tables.
func compareTables(t *testing.T, gotName string, got []optionFacts, wantName string, want []optionFacts) {
	t.Helper()
	g, w := map[string]optionFacts{}, map[string]optionFacts{}
	for _, o := range got {
		g[o.names[0]] = o
	}
	for _, o := range want {
		w[o.names[0]] = o
	}
	for _, o := range want {
		if x, ok := g[o.names[0]]; !ok {
			t.Errorf("%s lacks %s", gotName, o)
		} else if x.String() != o.String() {
			t.Errorf("%s has\n\t%s\n%s has\n\t%s", gotName, x, wantName, o)
		}
	}
	for _, o := range got {
		if _, ok := w[o.names[0]]; !ok {
			t.Errorf("%s has %s, which %s lacks", gotName, o, wantName)
		}
	}
	if !t.Failed() {
		for i := range want {
			if got[i].names[0] != want[i].names[0] {
				t.Errorf("option %d: %s has %s, %s has %s", i, gotName, got[i].names[0], wantName, want[i].names[0])
				break
			}
		}
	}
}

// helpDoc is an argparse help text taken apart.
type helpDoc struct {
	usage       string
	description []string // paragraphs between usage and the first group
	groups      []helpGroup
	epilog      []string // paragraphs after the last group
}

type helpGroup struct {
	title   string
	entries []helpItem
}

// helpItem is one entry: its left column and its explanation, the
// explanation's lines joined by blanks.
type helpItem struct {
	invocation, text string
}

// parseHelp takes an argparse help text apart: blocks separated by blank
// lines; the first is the usage, a block whose first line is a title
// ("...:") followed by an indented entry ("  -x" or "  host") is a group,
// other blocks are description before the groups and epilog after them.
func parseHelp(text string) helpDoc {
	var blocks [][]string
	var cur []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "" {
			if cur != nil {
				blocks = append(blocks, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, l)
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	var d helpDoc
	if len(blocks) == 0 {
		return d
	}
	d.usage = strings.Join(blocks[0], "\n")
	isEntry := func(l string) bool {
		return strings.HasPrefix(l, "  -") || l == "  host" || strings.HasPrefix(l, "  host  ")
	}
	for _, b := range blocks[1:] {
		if len(b) >= 2 && !strings.HasPrefix(b[0], " ") && strings.HasSuffix(b[0], ":") && isEntry(b[1]) {
			g := helpGroup{title: strings.TrimSuffix(b[0], ":")}
			for _, l := range b[1:] {
				if isEntry(l) {
					inv, txt, _ := strings.Cut(strings.TrimPrefix(l, "  "), "  ")
					g.entries = append(g.entries, helpItem{invocation: inv, text: strings.TrimSpace(txt)})
					continue
				}
				e := &g.entries[len(g.entries)-1]
				e.text = strings.TrimSpace(e.text + " " + strings.TrimSpace(l))
			}
			d.groups = append(d.groups, g)
			continue
		}
		p := strings.Join(b, "\n")
		if d.groups == nil {
			d.description = append(d.description, p)
		} else {
			d.epilog = append(d.epilog, p)
		}
	}
	return d
}

// options returns the option table of the help's entries (without
// choices, which help texts do not show in general) in help order, and
// the positional arguments.
func (d helpDoc) options() (opts []optionFacts, positionals []string) {
	for _, g := range d.groups {
		for _, e := range g.entries {
			if !strings.HasPrefix(e.invocation, "-") {
				positionals = append(positionals, e.invocation)
				continue
			}
			var o optionFacts
			for _, part := range strings.Split(e.invocation, ", ") {
				name, metavar, _ := strings.Cut(part, " ")
				o.names = append(o.names, name)
				o.metavar = metavar
			}
			opts = append(opts, o)
		}
	}
	return opts, positionals
}

// usageOrder returns the first option strings of the usage block in
// order ("[-h]", "[--server SERVER]" ... give -h, --server ...).
func usageOrder(usage string) []string {
	var out []string
	for _, f := range strings.Fields(usage) {
		if strings.HasPrefix(f, "[-") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(f, "["), "]"))
		}
	}
	return out
}

// inUsageOrder sorts a table by the order of its options in usage; an
// option missing from usage is reported.
func inUsageOrder(t *testing.T, table []optionFacts, usage string) []optionFacts {
	t.Helper()
	order := usageOrder(usage)
	out := slices.Clone(table)
	slices.SortStableFunc(out, func(a, b optionFacts) int {
		return slices.Index(order, a.names[0]) - slices.Index(order, b.names[0])
	})
	for _, o := range out {
		if !slices.Contains(order, o.names[0]) {
			t.Errorf("option %s is in the help but not in the usage", o.names[0])
		}
	}
	return out
}

// texts returns every piece of prose of the help: the description, the
// group titles, the explanations and the epilog.
func (d helpDoc) texts() []string {
	out := slices.Clone(d.description)
	for _, g := range d.groups {
		out = append(out, g.title)
		for _, e := range g.entries {
			out = append(out, e.text)
		}
	}
	return append(out, d.epilog...)
}

// sentenceBreak splits prose into sentences and clauses: at sentence and
// clause punctuation followed by white space or the end, and at
// parentheses.
var sentenceBreak = regexp.MustCompile(`[.;:!?]+(\s|$)|[()]`)

// normalise lower-cases s and collapses its white space.
func normalise(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// minSentenceWords is the length from which a clause counts as a sentence;
// shorter shared fragments ("default: 22", "session type") are generic.
const minSentenceWords = 4

// sentences returns the normalised sentences of text that have at least
// minSentenceWords words.
func sentences(text string) []string {
	var out []string
	for _, s := range sentenceBreak.Split(text, -1) {
		s = strings.Trim(normalise(s), " ,'\"")
		if len(strings.Fields(s)) >= minSentenceWords {
			out = append(out, s)
		}
	}
	return out
}

func TestParseHelpOfOurs(t *testing.T) {
	d := parseHelp(Help("pyhoca-cli", 200))
	if d.usage+"\n" != Usage("pyhoca-cli", 200) {
		t.Errorf("usage parsed as %q", d.usage)
	}
	if len(d.description) != len(helpDescription) || len(d.groups) != len(helpSections) || len(d.epilog) != 1 {
		t.Fatalf("parsed %d description paragraphs, %d groups and %d epilog paragraphs", len(d.description), len(d.groups), len(d.epilog))
	}
	for i, g := range d.groups {
		if g.title != helpSections[i].title || len(g.entries) != len(helpSections[i].entries) {
			t.Errorf("group %d parsed as %q with %d entries", i, g.title, len(g.entries))
			continue
		}
		for j, e := range g.entries {
			if want := strings.Join(strings.Fields(helpSections[i].entries[j].text), " "); e.text != want {
				t.Errorf("entry %s parsed as %q, want %q", e.invocation, e.text, want)
			}
		}
	}
	if got := sentences("Ends here. Four words are a sentence; three are not: (default: 22)"); !slices.Equal(got, []string{"four words are a sentence"}) {
		t.Errorf("sentences = %q", got)
	}
}
