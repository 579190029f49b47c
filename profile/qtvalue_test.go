package profile

import (
	"os"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashHelperEnv) != "" {
		crashHelper()
		return
	}
	goleak.VerifyTestMain(m)
}

// qtWritten pairs strings with the exact text Qt 5.15's QSettings
// (IniFormat, no codec) wrote for them, captured with PyQt5 5.15.9 on
// Debian 12 (see testdata/README.md).
var qtWritten = []struct{ value, text string }{
	{"hello", "hello"},
	{"a,b", `"a,b"`},
	{"/a:1;/b:0;", `"/a:1;/b:0;"`},
	{"a=b", `"a=b"`},
	{`say "hi"`, `say \"hi\"`},
	{`C:\dir\x`, `C:\\dir\\x`},
	{" x", `" x"`},
	{"x ", `"x "`},
	{"a\nb", `a\nb`},
	{"a\tb", `a\tb`},
	{"a\x00" + "1b", `@String(a\0\x31\x62)`},
	{"Grüße €", `Gr\xfc\xdf\x65 \x20ac`},
	{"x😀y", `x\xd83d\xde00y`},
	{"@home", "@@home"},
	{"@@x", "@@@x"},
	{"a\x01f", `a\x1\x66`},
	{"ä1", `\xe4\x31`},
	{"", ""},
	{"#x", "#x"},
	{"a\x7fb", `a\x7f\x62`},
	{"lab desktop", "lab desktop"},
	{"work/servers/alpha, beta", `"work/servers/alpha, beta"`},
	{`Grüße "quoted" @home`, `Gr\xfc\xdf\x65 \"quoted\" @home`},
}

// qtWrittenLists likewise for QStringList values.
var qtWrittenLists = []struct {
	value []string
	text  string
}{
	{[]string{"a", "b c", "d,e"}, `a, b c, "d,e"`},
	{nil, "@Invalid()"},
	{[]string{"only"}, "only"},
	{[]string{"a,b"}, `"a,b"`},
	{[]string{"@x", "y"}, "@@x, y"},
	{[]string{"TERMINAL", "firefox --private-window", `xterm -e "top"`}, `TERMINAL, firefox --private-window, xterm -e \"top\"`},
}

func TestEncodeLikeQt(t *testing.T) {
	for _, c := range qtWritten {
		if got := encodeString(c.value); got != c.text {
			t.Errorf("encodeString(%q) = %q, Qt wrote %q", c.value, got, c.text)
		}
		v := decodeValue([]byte(c.text), false)
		if v.null || len(v.elems) != 1 || v.elems[0] != c.value {
			t.Errorf("decode(%q) = %+v, want %q", c.text, v, c.value)
		}
	}
	for _, c := range qtWrittenLists {
		if got := encodeList(c.value); got != c.text {
			t.Errorf("encodeList(%q) = %q, Qt wrote %q", c.value, got, c.text)
		}
	}
}

func TestEscapeKeyLikeQt(t *testing.T) {
	for _, c := range []struct{ key, text string }{
		{"kéx€", "k%E9x%U20AC"},
		{"k ey", "k%20ey"},
		{"{3f2a6c1e-0b7d}", "%7B3f2a6c1e-0b7d%7D"},
		{"a/b", `a\b`},
		{"20240101123456789", "20240101123456789"},
	} {
		if got := escapeKey(c.key); got != c.text {
			t.Errorf("escapeKey(%q) = %q, want %q", c.key, got, c.text)
		}
		if got := unescapeKey([]byte(c.text)); got != c.key {
			t.Errorf("unescapeKey(%q) = %q, want %q", c.text, got, c.key)
		}
	}
	// A '%' without hex digits is literal, as in Qt ("[%General]").
	for text, want := range map[string]string{"%General": "%General", "a%": "a%", "%U12": "%U12", "%4": "%4"} {
		if got := unescapeKey([]byte(text)); got != want {
			t.Errorf("unescapeKey(%q) = %q, want %q", text, got, want)
		}
	}
}

// qtRead pairs value texts with what Qt 5.15's QSettings read from them
// (the same PyQt5 capture).
var qtRead = []struct {
	text string
	want []string // one element: a string; more: a list
}{
	{"a ", []string{"a"}},
	{`"x ; y" `, []string{"x ; y"}},
	{"abc\\\ndef", []string{"abcdef"}},
	{"tail   ", []string{"tail"}},
	{`" q "  z `, []string{" q z "}},
	{"a,b , c", []string{"a", "b", "c"}},
	{`\x41\x42`, []string{"AB"}},
	{`\101\1011`, []string{"A\u0209"}},
	{`a\qb`, []string{"ab"}},
	{`"a"b"c"`, []string{"abc"}},
	{" spaced", []string{"spaced"}},
	{`@ByteArray(xyz)`, []string{"xyz"}},
	{`\t`, []string{"\t"}},
	{`@Rect(1 2 3 4)`, []string{"@Rect(1 2 3 4)"}},
}

func TestDecodeLikeQt(t *testing.T) {
	for _, c := range qtRead {
		v := decodeValue([]byte(c.text), true)
		if len(c.want) > 1 != v.isList || !slices.Equal(v.elems, c.want) {
			t.Errorf("decode(%q) = %q (list %v), Qt read %q", c.text, v.elems, v.isList, c.want)
		}
	}
	if v := decodeValue([]byte("@Invalid()"), true); !v.null {
		t.Errorf("@Invalid() is not null: %+v", v)
	}
	// Commas are plain text when not reading a list (python-x2go's view).
	if v := decodeValue([]byte(`pdf, odt`), false); v.isList || v.elems[0] != "pdf, odt" {
		t.Errorf("string decode of a comma value: %+v", v)
	}
	// Raw UTF-8 is read as UTF-8 (Qt 5 would take it as Latin-1), raw
	// non-UTF-8 bytes as Latin-1.
	if v := decodeValue([]byte("\xc3\xa4 \xe4"), false); v.elems[0] != "ä ä" {
		t.Errorf("raw bytes: %q", v.elems[0])
	}
}

func TestPythonListForm(t *testing.T) {
	for text, want := range map[string][]string{
		`['a', "b"]`:     {"a", "b"},
		` [ ] `:          {},
		`['it\'s', 'x']`: {"it's", "x"},
	} {
		got, ok := parsePythonList(text)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("parsePythonList(%q) = %q, %v", text, got, ok)
		}
	}
	for _, text := range []string{"[a, b]", "['a' 'b']", "['a'", "a, b", "[1]"} {
		if got, ok := parsePythonList(text); ok {
			t.Errorf("parsePythonList(%q) accepted: %q", text, got)
		}
	}
}
