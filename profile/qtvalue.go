package profile

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the value and key codecs of Qt's INI dialect (QSettings
// with IniFormat, Qt 5, no INI codec set — the way X2Go Client opens its
// files). They are pure functions on bytes and strings.

// decodeRaw unescapes the text after a key's '=' the way QSettings does:
// leading blanks skipped, `"…"` quoting, backslash escapes (\a \b \f \n \r
// \t \v \" \? \' \\, \x<hex…>, \<octal…>, backslash-newline), and, when
// split is true, unquoted commas separating list elements (blanks around
// them dropped). With split false a comma is an ordinary character, which
// is what python-x2go does for keys that are not lists.
//
// Bytes of the file that are not escapes are taken as UTF-8 where they form
// valid UTF-8 and as Latin-1 otherwise (Qt 5 without a codec reads them as
// Latin-1, Qt 6 and python-x2go as UTF-8; X2Go Client never writes them
// raw, it escapes everything above 0x7e).
//
// It returns the elements and whether the text was a list (had at least one
// unquoted comma, when split).
func decodeRaw(raw []byte, split bool) (elems []string, isList bool) {
	var (
		cur       []uint16 // UTF-16 code units of the current element
		chopLimit int      // units below this index are never trimmed
		quoted    bool     // inside "…"
		wasQuoted bool     // the current element had quotes
		i         int
	)
	n := len(raw)
	skipBlanks := func() {
		for i < n && (raw[i] == ' ' || raw[i] == '\t') {
			i++
		}
	}
	chop := func() {
		if wasQuoted {
			return
		}
		for len(cur) > chopLimit && (cur[len(cur)-1] == ' ' || cur[len(cur)-1] == '\t') {
			cur = cur[:len(cur)-1]
		}
	}
	finish := func() {
		elems = append(elems, string(utf16.Decode(cur)))
		cur = cur[:0]
	}
	skipBlanks()
	for i < n {
		switch c := raw[i]; {
		case c == '\\':
			i++
			if i >= n {
				// A lone trailing backslash ends the value; Qt does not
				// trim blanks in this case.
				finish()
				return elems, isList
			}
			e := raw[i]
			i++
			if v, ok := simpleEscape(e); ok {
				cur = append(cur, uint16(v))
				chopLimit = len(cur)
				continue
			}
			switch {
			case e == 'x':
				if i < n && isHex(raw[i]) {
					var v uint32
					for i < n && isHex(raw[i]) {
						v = v<<4 | uint32(hexVal(raw[i]))
						i++
					}
					cur = append(cur, uint16(v))
				}
			case e >= '0' && e <= '7':
				v := uint32(e - '0')
				for i < n && raw[i] >= '0' && raw[i] <= '7' {
					v = v<<3 | uint32(raw[i]-'0')
					i++
				}
				cur = append(cur, uint16(v))
			case e == '\n' || e == '\r':
				// A line continuation: the line break is dropped.
				if i < n && (raw[i] == '\n' || raw[i] == '\r') && raw[i] != e {
					i++
				}
			default:
				// Unknown escapes drop both characters, as Qt does.
			}
			chopLimit = len(cur)
		case c == '"':
			i++
			wasQuoted = true
			quoted = !quoted
			if !quoted {
				skipBlanks()
				chopLimit = len(cur)
			}
		case c == ',' && split && !quoted:
			chop()
			isList = true
			finish()
			wasQuoted = false
			i++
			skipBlanks()
			chopLimit = 0
		default:
			j := i + 1
			for j < n && raw[j] != '\\' && raw[j] != '"' && !(raw[j] == ',' && split) {
				j++
			}
			cur = appendBytes(cur, raw[i:j])
			i = j
		}
	}
	chop()
	finish()
	return elems, isList
}

// simpleEscape maps the one-letter escapes Qt understands.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	case '"', '?', '\'', '\\':
		return c, true
	}
	return 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// appendBytes appends raw file bytes as UTF-16 units: valid UTF-8 as the
// characters it encodes, any other byte as the Latin-1 character of that
// value.
func appendBytes(dst []uint16, b []byte) []uint16 {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			dst = append(dst, uint16(b[0]))
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			dst = append(dst, uint16(b[0]))
			b = b[1:]
			continue
		}
		dst = utf16.AppendRune(dst, r)
		b = b[size:]
	}
	return dst
}

// qvalue is a decoded value: what QSettings would hand to X2Go Client,
// reduced to what this package needs.
type qvalue struct {
	null   bool     // @Invalid(): Qt's null variant
	isList bool     // the text had unquoted commas
	elems  []string // list elements (isList) or the single string
}

// decodeValue decodes raw as a string (split false) or as a string list
// (split true) and applies Qt's '@' conventions: @Invalid() is null, @@
// stands for a literal @, @String(…) and @ByteArray(…) wrap their text;
// other @Type(…) forms are kept as text.
func decodeValue(raw []byte, split bool) qvalue {
	elems, isList := decodeRaw(raw, split)
	if !isList {
		s, null := fromVariantText(elems[0])
		if null {
			return qvalue{null: true}
		}
		return qvalue{elems: []string{s}}
	}
	for k, e := range elems {
		elems[k], _ = fromVariantText(e)
	}
	return qvalue{isList: true, elems: elems}
}

// fromVariantText undoes Qt's variant-to-text step for one string.
func fromVariantText(s string) (text string, null bool) {
	if !strings.HasPrefix(s, "@") {
		return s, false
	}
	if strings.HasSuffix(s, ")") {
		switch {
		case s == "@Invalid()":
			return "", true
		case strings.HasPrefix(s, "@String("):
			return s[len("@String(") : len(s)-1], false
		case strings.HasPrefix(s, "@ByteArray("):
			return latin1Bytes(s[len("@ByteArray(") : len(s)-1]), false
		}
	}
	if strings.HasPrefix(s, "@@") {
		return s[1:], false
	}
	return s, false
}

// latin1Bytes turns text whose characters are all below U+0100 into the
// bytes of those values (a QByteArray read from an INI file); other text is
// returned unchanged.
func latin1Bytes(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return s
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// encodeString renders s the way QSettings writes a QString value.
func encodeString(s string) string { return escapeText(variantText(s)) }

// variantText is Qt's variant-to-text step for a string: a NUL makes it
// @String(…), a leading @ is doubled so it cannot be taken for a type tag.
func variantText(s string) string {
	switch {
	case strings.ContainsRune(s, 0):
		return "@String(" + s + ")"
	case strings.HasPrefix(s, "@"):
		return "@" + s
	}
	return s
}

// encodeList renders a QStringList value: the escaped elements joined by
// ", ", or @Invalid() for an empty list (Qt's way to tell it from a list
// holding one empty string).
func encodeList(l []string) string {
	if len(l) == 0 {
		return "@Invalid()"
	}
	var b strings.Builder
	for k, s := range l {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(escapeText(variantText(s)))
	}
	return b.String()
}

// escapeText is Qt 5's INI string escaping without a codec: control
// characters, quotes and backslashes escaped, every UTF-16 unit from 0x7f
// up written as \x<hex>, a hex digit right after a \x or \0 escape escaped
// too (it would otherwise extend that escape), and the whole value quoted
// when it holds ';', ',' or '=' or its escaped form starts or ends with a
// space.
func escapeText(s string) string {
	var b strings.Builder
	needQuotes := false
	escapeNextHex := false
	for _, u := range utf16.Encode([]rune(s)) {
		if u == ';' || u == ',' || u == '=' {
			needQuotes = true
		}
		if escapeNextHex && u < 0x80 && isHex(byte(u)) {
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(u), 16))
			continue
		}
		escapeNextHex = false
		switch u {
		case 0:
			b.WriteString(`\0`)
			escapeNextHex = true
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(u))
		default:
			if u <= 0x1f || u >= 0x7f {
				b.WriteString(`\x`)
				b.WriteString(strconv.FormatUint(uint64(u), 16))
				escapeNextHex = true
			} else {
				b.WriteByte(byte(u))
			}
		}
	}
	out := b.String()
	if needQuotes || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") {
		out = `"` + out + `"`
	}
	return out
}

// escapeKey writes a key or section name the way QSettings does: letters,
// digits, '_', '-' and '.' as they are, '/' as '\', other characters up to
// U+00FF as %XX and the rest as %UXXXX (one per UTF-16 unit).
func escapeKey(k string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(k)) {
		switch {
		case u == '/':
			b.WriteByte('\\')
		case u >= 'a' && u <= 'z', u >= 'A' && u <= 'Z', u >= '0' && u <= '9', u == '_', u == '-', u == '.':
			b.WriteByte(byte(u))
		case u <= 0xff:
			b.WriteByte('%')
			b.WriteByte(hexDigits[u>>4])
			b.WriteByte(hexDigits[u&0xf])
		default:
			b.WriteString("%U")
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(u>>shift)&0xf])
			}
		}
	}
	return b.String()
}

// unescapeKey reads a key or section name as QSettings does: '\' stands
// for '/', %XX and %UXXXX for the character of that code; a '%' not
// followed by enough hex digits is literal.
func unescapeKey(raw []byte) string {
	var out []uint16
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			out = append(out, '/')
			i++
			continue
		}
		if c != '%' || i == len(raw)-1 {
			out = appendBytes(out, raw[i:i+1])
			i++
			continue
		}
		first, digits := i+1, 2
		if raw[i+1] == 'U' {
			first, digits = i+2, 4
		}
		v, ok := parseHexDigits(raw, first, digits)
		if !ok {
			out = append(out, '%')
			i++
			continue
		}
		out = append(out, v)
		i = first + digits
	}
	return string(utf16.Decode(out))
}

func parseHexDigits(raw []byte, from, count int) (uint16, bool) {
	if from+count > len(raw) {
		return 0, false
	}
	var v uint16
	for _, c := range raw[from : from+count] {
		if !isHex(c) {
			return 0, false
		}
		v = v<<4 | uint16(hexVal(c))
	}
	return v, true
}
