package profile

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// checkIndex fails the test if f's index (when it has one) differs from
// the one a rebuild from f's lines gives.
func checkIndex(t *testing.T, f *File, what string) {
	t.Helper()
	kept := f.idx
	if kept == nil {
		return
	}
	f.idx = nil
	fresh := f.index()
	if !reflect.DeepEqual(kept, fresh) {
		t.Fatalf("%s: the index went stale:\nkept  %s\nfresh %s", what, dumpIndex(kept), dumpIndex(fresh))
	}
}

func dumpIndex(x *index) string {
	var b strings.Builder
	for _, s := range x.sections {
		fmt.Fprintf(&b, "[%s] blocks %v keys %v order %q; ", s.name, s.blocks, s.keys, s.order)
	}
	fmt.Fprintf(&b, "nums %v", x.nums)
	return b.String()
}

// TestIndexFollowsEdits interleaves many edits of every kind on several
// starting files and checks after each that the index the File keeps
// matches a rebuilt one, and that everything a reader sees matches a fresh
// parse of the written bytes.
func TestIndexFollowsEdits(t *testing.T) {
	starts := []string{
		"",
		"; only a comment\n\n",
		"top=1\n[a]\nk=1\n",
		"[a]\r\nk = 1\r\n\r\n; about b\r\n[b]\r\nx=\"y\"\r\n[a]\r\nk2=2\r\n",
		"[a]\nk=a\\\nb\nbad line\n[b]\nx=1",
		"[a]\nk=1\n\n",
	}
	for _, name := range fixtures {
		if !testing.Short() || name == "handmade-sessions" {
			starts = append(starts, string(readFixture(t, name)))
		}
	}
	sections := []string{"", "a", "b", "c", "General", "new"}
	keys := []string{"k", "k2", "x", "name", "top", "y"}
	values := []string{"v", "", "a, b", "é\"q\"", " blank ", "x;y"}
	for n, start := range starts {
		r := rand.New(rand.NewPCG(uint64(n), 7))
		f, _ := ParseSessions([]byte(start))
		file := f.File()
		file.index()
		for step := range 300 {
			sec := file.Section(sections[r.IntN(len(sections))])
			key := keys[r.IntN(len(keys))]
			var what string
			switch op := r.IntN(20); {
			case op < 8:
				v := values[r.IntN(len(values))]
				sec.SetString(key, v)
				what = fmt.Sprintf("SetString [%s] %s=%q", sec.Name(), key, v)
			case op < 10:
				sec.SetInt(key, step)
				what = fmt.Sprintf("SetInt [%s] %s", sec.Name(), key)
			case op < 12:
				sec.SetBool(key, step%2 == 0)
				what = fmt.Sprintf("SetBool [%s] %s", sec.Name(), key)
			case op < 14:
				sec.SetList(key, values[:r.IntN(3)])
				what = fmt.Sprintf("SetList [%s] %s", sec.Name(), key)
			case op < 16:
				sec.Delete(key)
				what = fmt.Sprintf("Delete [%s] %s", sec.Name(), key)
			case op < 17:
				file.RemoveSection(sec.Name())
				what = fmt.Sprintf("RemoveSection [%s]", sec.Name())
			case op < 18:
				to := sections[r.IntN(len(sections))]
				file.RenameSection(sec.Name(), to)
				what = fmt.Sprintf("RenameSection [%s] to [%s]", sec.Name(), to)
			default:
				file.FillDefaults()
				what = "FillDefaults"
			}
			what = fmt.Sprintf("start %d step %d: %s", n, step, what)
			checkIndex(t, file, what)
			file.index()
			compareWithFresh(t, file, what)
		}
	}
}

// compareWithFresh checks that f reads like a fresh parse of its bytes.
func compareWithFresh(t *testing.T, f *File, what string) {
	t.Helper()
	fresh, _ := parseFile(f.Bytes(), "", f.kind)
	if string(fresh.Bytes()) != string(f.Bytes()) {
		t.Fatalf("%s: bytes differ", what)
	}
	if !slices.Equal(f.Sections(), fresh.Sections()) {
		t.Fatalf("%s: sections %q, fresh %q", what, f.Sections(), fresh.Sections())
	}
	for _, name := range f.Sections() {
		a, b := f.Section(name), fresh.Section(name)
		if !slices.Equal(a.Keys(), b.Keys()) {
			t.Fatalf("%s: [%s] keys %q, fresh %q", what, name, a.Keys(), b.Keys())
		}
		for _, k := range a.Keys() {
			if a.String(k) != b.String(k) || a.Line(k) != b.Line(k) {
				t.Fatalf("%s: [%s] %s = %q on line %d, fresh %q on line %d", what, name, k, a.String(k), a.Line(k), b.String(k), b.Line(k))
			}
		}
	}
}

// BenchmarkFillSessions writes 200 profiles of 40 keys each, key by key,
// into one sessions file.
func BenchmarkFillSessions(b *testing.B) {
	for b.Loop() {
		s := NewSessions()
		for p := range 200 {
			sec := s.File().Section(fmt.Sprintf("profile%03d", p))
			for k := range 40 {
				sec.SetString(fmt.Sprintf("key%02d", k), "value")
			}
		}
	}
}

// BenchmarkFillDefaults fills in the defaults of 100 profiles that have
// only a name.
func BenchmarkFillDefaults(b *testing.B) {
	var text strings.Builder
	for p := range 100 {
		fmt.Fprintf(&text, "[profile%03d]\nname=p%d\n\n", p, p)
	}
	data := []byte(text.String())
	for b.Loop() {
		s, err := ParseSessions(data)
		if err != nil {
			b.Fatal(err)
		}
		s.File().FillDefaults()
	}
}
