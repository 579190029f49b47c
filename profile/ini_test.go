package profile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtures are the real files in testdata (see testdata/README.md).
var fixtures = []string{
	"lab/sessions", "lab/settings", "lab/printing",
	"qt-sessions", "python-x2go-sessions", "handmade-sessions",
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lineDiff compares two texts line by line and returns the lines only in a
// and only in b (a minimal diff for texts that differ in one place).
func lineDiff(a, b []byte) (onlyA, onlyB []string) {
	la := strings.SplitAfter(string(a), "\n")
	lb := strings.SplitAfter(string(b), "\n")
	p := 0
	for p < len(la) && p < len(lb) && la[p] == lb[p] {
		p++
	}
	s := 0
	for s < len(la)-p && s < len(lb)-p && la[len(la)-1-s] == lb[len(lb)-1-s] {
		s++
	}
	return la[p : len(la)-s], lb[p : len(lb)-s]
}

func TestRoundTripUnchanged(t *testing.T) {
	for _, name := range fixtures {
		data := readFixture(t, name)
		f, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got := f.Bytes(); !bytes.Equal(got, data) {
			t.Errorf("%s: not written back byte for byte", name)
		}
	}
	// Line breaks, a byte order mark and a missing final newline survive.
	for _, data := range []string{
		"[a]\r\nk=1\r\n\r\n[b]\r\nx = \"y\"\r\n",
		"\xef\xbb\xbf[a]\nk=1\n",
		"[a]\rk=1\r",
		"[a]\nk=1",
		"",
		"\n\n",
	} {
		f, err := Parse([]byte(data))
		if err != nil {
			t.Errorf("%q: %v", data, err)
		}
		if got := string(f.Bytes()); got != data {
			t.Errorf("%q came back as %q", data, got)
		}
	}
}

func TestModifyChangesOnlyThatLine(t *testing.T) {
	orig := readFixture(t, "handmade-sessions")
	s, err := ParseSessions(orig)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile("lab desktop")
	if err != nil {
		t.Fatal(err)
	}
	p.SetInt("sshport", 2022)
	a, b := lineDiff(orig, s.Bytes())
	if !slices.Equal(a, []string{"sshport=2222\n"}) || !slices.Equal(b, []string{"sshport=2022\n"}) {
		t.Errorf("diff after changing sshport: -%q +%q", a, b)
	}

	// A value with a trailing comment: only the value changes.
	s, _ = ParseSessions(orig)
	p, _ = s.Profile("lab desktop")
	p.SetString("x-custom-note", "new, quoted")
	a, b = lineDiff(orig, s.Bytes())
	if !slices.Equal(a, []string{"x-custom-note=kept by other tools  ; trailing comment\n"}) ||
		!slices.Equal(b, []string{`x-custom-note="new, quoted"  ; trailing comment` + "\n"}) {
		t.Errorf("diff after changing a commented value: -%q +%q", a, b)
	}

	// python-x2go's "key = value" style is kept.
	s, _ = ParseSessions(orig)
	p, _ = s.Profile("python style")
	p.SetBool("autologin", false)
	a, b = lineDiff(orig, s.Bytes())
	if !slices.Equal(a, []string{"autologin = 1\n"}) || !slices.Equal(b, []string{"autologin = 0\n"}) {
		t.Errorf("diff after changing a python-x2go bool: -%q +%q", a, b)
	}

	// A new key goes after the section's last key, in the section's style.
	s, _ = ParseSessions(orig)
	p, _ = s.Profile("python style")
	p.SetString("command", "MATE")
	a, b = lineDiff(orig, s.Bytes())
	if len(a) != 0 || !slices.Equal(b, []string{"command = MATE\n"}) {
		t.Errorf("diff after adding a key: -%q +%q", a, b)
	}
	if got := s.Bytes(); !bytes.HasSuffix(got, []byte("mimeboxextensions = pdf, odt\ncommand = MATE\n")) {
		t.Errorf("new key not at the end of its section:\n%s", got)
	}

	// Deleting a key removes its line only.
	s, _ = ParseSessions(orig)
	p, _ = s.Profile("work/servers/alpha, beta")
	if !p.Delete("pack") || p.Has("pack") || p.String("pack") != "16m-jpeg" {
		t.Error("delete did not fall back to the default")
	}
	a, b = lineDiff(orig, s.Bytes())
	if !slices.Equal(a, []string{"pack=64k-tight\n"}) || len(b) != 0 {
		t.Errorf("diff after deleting a key: -%q +%q", a, b)
	}
}

func TestSectionEdits(t *testing.T) {
	orig := readFixture(t, "handmade-sessions")
	f, _ := Parse(orig)
	if !f.RemoveSection("embedded") {
		t.Fatal("no [embedded]")
	}
	a, b := lineDiff(orig, f.Bytes())
	want := []string{"[embedded]\n", "command=startkde\n", "# a hash comment, as python-x2go allows\n", "\n"}
	if !slices.Equal(a, want) || len(b) != 0 {
		t.Errorf("removing [embedded]: -%q +%q", a, b)
	}

	// The last section takes its separating blank line with it.
	f, _ = Parse(orig)
	f.RemoveSection("20240301000000000")
	if !bytes.HasSuffix(f.Bytes(), []byte("lastused=@ByteArray(\\0\\x1\\x2)\n")) {
		t.Errorf("after removing the last section:\n%s", f.Bytes())
	}

	// Comments right above the next header stay with it.
	f, _ = Parse([]byte("[a]\nk=1\n\n; about b\n[b]\nk=2\n"))
	f.RemoveSection("a")
	if got := string(f.Bytes()); got != "; about b\n[b]\nk=2\n" {
		t.Errorf("comment of the next section lost: %q", got)
	}

	f, _ = Parse(orig)
	if err := f.RenameSection("x-tool:window-state", "x-tool/other"); err != nil {
		t.Fatal(err)
	}
	a, b = lineDiff(orig, f.Bytes())
	if !slices.Equal(a, []string{"[x-tool:window-state]\n"}) || !slices.Equal(b, []string{"[x-tool\\other]\n"}) {
		t.Errorf("rename: -%q +%q", a, b)
	}
	if err := f.RenameSection("embedded", "x-tool/other"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto an existing section: %v", err)
	}
	if err := f.RenameSection("nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rename of a missing section: %v", err)
	}

	// A key in a new section: the section is appended after a blank line.
	f, _ = Parse([]byte("[a]\nk=1"))
	f.Section("b").SetString("x", "y")
	if got := string(f.Bytes()); got != "[a]\nk=1\n\n[b]\nx=y\n" {
		t.Errorf("new section: %q", got)
	}
	// CRLF files get CRLF lines.
	f, _ = Parse([]byte("[a]\r\nk=1\r\n"))
	f.Section("a").SetInt("n", 5)
	if got := string(f.Bytes()); got != "[a]\r\nk=1\r\nn=5\r\n" {
		t.Errorf("CRLF: %q", got)
	}
	// Keys before any section header.
	f, _ = Parse([]byte("top=1\n[a]\nk=1\n"))
	if got := f.Section("").String("top"); got != "1" {
		t.Errorf("top-level key: %q", got)
	}
	f.Section("").SetString("second", "2")
	if got := string(f.Bytes()); got != "top=1\nsecond=2\n[a]\nk=1\n" {
		t.Errorf("top-level add: %q", got)
	}
}

func TestDuplicatesMergeLikeQt(t *testing.T) {
	f, err := Parse([]byte("[a]\nk=1\nk=2\n[b]\nx=1\n[a]\nk=3\nj=4\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := f.Section("a")
	if got := a.String("k"); got != "3" {
		t.Errorf("last occurrence should win, got %q", got)
	}
	if got := a.Keys(); !slices.Equal(got, []string{"k", "j"}) {
		t.Errorf("keys %q", got)
	}
	if got := f.Sections(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sections %q", got)
	}
	a.SetInt("k", 9)
	if got := string(f.Bytes()); got != "[a]\nk=1\nk=2\n[b]\nx=1\n[a]\nk=9\nj=4\n" {
		t.Errorf("set changed the wrong copy: %q", got)
	}
	a.Delete("k")
	if got := string(f.Bytes()); got != "[a]\n[b]\nx=1\n[a]\nj=4\n" {
		t.Errorf("delete left a copy: %q", got)
	}
}

func TestMalformedLinesAreReportedAndSkipped(t *testing.T) {
	data := []byte(`[20240101000000001]
name=first
this line has no equals sign
sshport=22

[20240101000000002
name=second
title="never closed
=no key
user=bob

[20240101000000003]
name=third
multi=abc\
def
after=1
`)
	s, err := ParseSessions(data)
	if err == nil {
		t.Fatal("no error for a malformed file")
	}
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("error is not a *SyntaxError: %#v", err)
	}
	if se.Line != 3 || se.Section != "20240101000000001" {
		t.Errorf("first error: %+v", se)
	}
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if errors.As(e, &se) {
			lines = append(lines, se.Line)
		}
	}
	if !slices.Equal(lines, []int{3, 6, 8, 9}) {
		t.Errorf("error lines %v, want [3 6 8 9]; %v", lines, err)
	}
	if !strings.Contains(err.Error(), "line 3:") {
		t.Errorf("message does not name the line: %v", err)
	}
	// Every profile still loads; the broken header is read as Qt reads it.
	var names []string
	for _, p := range s.Profiles() {
		names = append(names, p.Name())
	}
	if !slices.Equal(names, []string{"first", "second", "third"}) {
		t.Errorf("profiles %q", names)
	}
	p, _ := s.Profile("third")
	if p.String("multi") != "abcdef" || p.String("after") != "1" || p.Line("after") != 16 {
		t.Errorf("continuation line: %q %q line %d", p.String("multi"), p.String("after"), p.Line("after"))
	}
	q, _ := s.Profile("second")
	if q.String("user") != "bob" {
		t.Errorf("line after an unterminated quote lost: %q", q.String("user"))
	}
	// Nothing is lost when writing back.
	if !bytes.Equal(s.Bytes(), data) {
		t.Error("malformed file not written back byte for byte")
	}

	// With a path, the error names the file.
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions")
	os.WriteFile(path, data, 0o600)
	_, err = LoadSessions(path)
	if !errors.As(err, &se) || se.Path != path || !strings.Contains(err.Error(), path+":3:") {
		t.Errorf("error from a file: %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "sessions")
	s, err := LoadSessions(path)
	if !errors.Is(err, os.ErrNotExist) || s == nil {
		t.Fatalf("LoadSessions of a missing file: %v, %v", s, err)
	}
	if _, err := s.Add("new"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", st, err)
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("new directory mode %v", dst.Mode().Perm())
	}
	if _, err := LoadSettings(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadSettings: %v", err)
	}
	if err := NewSessions().Save(); !errors.Is(err, ErrNoPath) {
		t.Errorf("Save without a path: %v", err)
	}
}

func TestReadModifyWriteOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions")
	orig := readFixture(t, "handmade-sessions")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Profile("20240215093000123")
	p.SetString("sshproxyhost", "jump2.example.org:2200")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	a, b := lineDiff(orig, got)
	if !slices.Equal(a, []string{"sshproxyhost=jump.example.org:2200\n"}) ||
		!slices.Equal(b, []string{"sshproxyhost=jump2.example.org:2200\n"}) {
		t.Errorf("diff on disk: -%q +%q", a, b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode changed to %v", st.Mode().Perm())
	}
}
