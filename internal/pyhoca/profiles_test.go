package pyhoca

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestWriteProfileListMatchesPyhocaCLI: testdata/profiles-pyhoca-cli-0.6.1.2.txt
// is what Debian's pyhoca-cli --list-profiles printed (as root, HOME=/tmp/ph1)
// for testdata/profiles-sessions: defaults, type conversions, the export
// format, derived parameters and pprint's line breaking of long strings.
func TestWriteProfileListMatchesPyhocaCLI(t *testing.T) {
	profiles, err := ReadProfiles("testdata/profiles-sessions")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/profiles-pyhoca-cli-0.6.1.2.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteProfileList(&b, "/tmp/ph1/.x2goclient/sessions", "root", profiles); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("differs from pyhoca-cli's:\n%s", firstDiff(b.String(), string(want)))
	}
}

func TestReadProfilesMissingFile(t *testing.T) {
	p, err := ReadProfiles(t.TempDir() + "/sessions")
	if err != nil || p != nil {
		t.Fatalf("%v, %v", p, err)
	}
	var b bytes.Buffer
	WriteProfileList(&b, "/h/.x2goclient/sessions", "u", nil)
	if want := "\nAvailable X2Go session profiles\n===============================\nconfiguration files: ['/h/.x2goclient/sessions']\nuser configuration file: /h/.x2goclient/sessions\n\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
}

func TestPprintBreaksLongValues(t *testing.T) {
	got := pprint(map[string]pyValue{"a": strings.Repeat("word ", 30), "b": []string{strings.Repeat("x", 50), strings.Repeat("y", 50)}})
	want := "{'a': 'word word word word word word word word word word word word word word '\n" +
		"      'word word word word word word word word word word word word word word '\n" +
		"      'word word ',\n" +
		" 'b': ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n" +
		"       'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy']}"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
