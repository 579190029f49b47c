package profile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks, for any input, that reading never panics and fails
// only with *SyntaxError, that writing back gives the input byte for byte,
// and that changing one key changes that key and nothing else a reader
// sees, the File's index following the change. Seeds are the fixtures;
// testdata/fuzz/FuzzParse holds inputs the fuzzer found.
func FuzzParse(f *testing.F) {
	for _, name := range fixtures {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte("[a]\r\nk = \"x;y\" ; c\r\nk2=a\\\r\nb\n[a\n=\n\"q\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSessions(data)
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var se *SyntaxError
				if !errors.As(e, &se) || se.Line < 1 {
					t.Fatalf("not a *SyntaxError with a line: %#v", e)
				}
			}
		}
		if !bytes.Equal(s.Bytes(), data) {
			t.Fatalf("not written back byte for byte:\n%q\n%q", data, s.Bytes())
		}
		before := snapshot(s.File())
		for _, p := range s.Profiles() {
			p.Params()
			p.Exports()
			for _, k := range p.Keys() {
				p.Int(k)
				p.Bool(k)
				p.List(k)
				p.Option(k)
			}
		}

		// Change the first key found (or add one) and read again.
		const newValue = "fuzz, \"v\"; é\n"
		sec, key := "", ""
		for _, name := range s.File().Sections() {
			if keys := s.File().Section(name).Keys(); len(keys) > 0 {
				sec, key = name, keys[0]
				break
			}
		}
		if key == "" {
			sec, key = "added", "k"
		}
		s.File().Section(sec).SetString(key, newValue)
		checkIndex(t, s.File(), "after the change")
		again, _ := ParseSessions(s.Bytes())
		if got := again.File().Section(sec).String(key); got != newValue {
			t.Fatalf("[%s] %s read back as %q", sec, key, got)
		}
		after := snapshot(again.File())
		for k, v := range before {
			if k != sec+"\x00"+key && after[k] != v {
				t.Fatalf("%q changed from %q to %q", k, v, after[k])
			}
		}
	})
}

// snapshot maps section\0key to what String reads.
func snapshot(f *File) map[string]string {
	m := map[string]string{}
	for _, sec := range f.Sections() {
		for _, k := range f.Section(sec).Keys() {
			m[sec+"\x00"+k] = f.Section(sec).String(k)
		}
	}
	return m
}

// FuzzValueCodec checks that every string and list, encoded the way Qt
// writes it, forms one well-formed key line and decodes to itself.
func FuzzValueCodec(f *testing.F) {
	for _, c := range qtWritten {
		f.Add(c.value, "x")
	}
	f.Add("a, b", "@c")
	f.Add("\x00", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		for _, c := range []struct {
			enc  string
			want []string
			list bool
		}{
			{encodeString(a), []string{a}, false},
			{encodeList([]string{a, b}), []string{a, b}, true},
		} {
			lines, errs := parseLines([]byte("k="+c.enc+"\n"), 1)
			if len(errs) > 0 || len(lines) != 1 || lines[0].kind != kindKey {
				t.Fatalf("%q does not make one key line: %v", c.enc, errs)
			}
			l := lines[0]
			if l.end != len(l.raw)-1 {
				t.Fatalf("%q: value cut at %d", c.enc, l.end)
			}
			v := decodeValue(l.raw[l.eq+1:l.end], c.list)
			if v.null || c.list != v.isList || strings.Join(v.elems, "\x00") != strings.Join(c.want, "\x00") || len(v.elems) != len(c.want) {
				t.Fatalf("%q decodes to %q (list %v), want %q", c.enc, v.elems, v.isList, c.want)
			}
		}
		k := escapeKey(a)
		if unescapeKey([]byte(k)) != a {
			t.Fatalf("key %q escapes to %q, which reads back as %q", a, k, unescapeKey([]byte(k)))
		}
	})
}
