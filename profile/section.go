package profile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Section is a handle on one section of a File. Reading a key that the
// section does not have gives python-x2go's default for it (if it has
// one); setting a key writes it the way X2Go Client (Qt) would. If a
// section appears more than once in the file, the copies count as one and
// a key's last occurrence wins, as in Qt.
type Section struct {
	f    *File
	name string
}

// Name is the section's name (a profile's ID in the sessions file).
func (s *Section) Name() string { return s.name }

// Exists reports whether the file has this section.
func (s *Section) Exists() bool { return s.f.HasSection(s.name) }

// Keys lists the keys present in the section, in file order.
func (s *Section) Keys() []string {
	x := s.f.index().byName[s.name]
	if x == nil {
		return nil
	}
	return slices.Clone(x.order)
}

// Has reports whether the key is present in the file (not just defaulted).
func (s *Section) Has(key string) bool {
	_, _, ok := s.f.lookup(s.name, key)
	return ok
}

// Raw returns the key's value text exactly as it stands in the file, quotes
// and escapes included: everything after the '=' and the blanks following
// it, up to the end of the line or a trailing comment.
func (s *Section) Raw(key string) (string, bool) {
	l, _, ok := s.f.lookup(s.name, key)
	if !ok {
		return "", false
	}
	return string(l.raw[l.sepEnd:l.end]), true
}

// Line is the 1-based line of the file that holds the key, 0 if none.
func (s *Section) Line(key string) int {
	_, num, _ := s.f.lookup(s.name, key)
	return num
}

// Spec returns what python-x2go knows of the key: type and default.
func (s *Section) Spec(key string) (KeySpec, bool) {
	return s.f.spec(s.name, key)
}

// value decodes the key's value; present is false if the key is absent,
// in which case the default applies.
func (s *Section) value(key string, split bool) (v qvalue, line int, present bool) {
	l, num, ok := s.f.lookup(s.name, key)
	if !ok {
		return qvalue{}, 0, false
	}
	return decodeValue(l.raw[l.eq+1:l.end], split), num, true
}

// IsNull reports whether the key holds Qt's null value, @Invalid(). Qt
// writes it for an empty list; the typed getters read it as "", 0, false
// or an empty list, as X2Go Client does (python-x2go would take the text
// literally).
func (s *Section) IsNull(key string) bool {
	v, _, ok := s.value(key, false)
	return ok && v.null
}

// String returns the key's value as text, with Qt's quoting and escapes
// undone; commas are kept as they are. An absent key gives the default
// rendered as text ("" if there is none).
func (s *Section) String(key string) string {
	v, _, ok := s.value(key, false)
	switch {
	case !ok:
		spec, _ := s.Spec(key)
		return spec.text()
	case v.null:
		return ""
	}
	return v.elems[0]
}

// Int returns the key's value as a decimal integer, or its default (0 if
// there is none) when the key is absent. Text that is not an integer gives
// a *ValueError.
func (s *Section) Int(key string) (int, error) {
	v, line, ok := s.value(key, false)
	switch {
	case !ok:
		spec, _ := s.Spec(key)
		d, _ := spec.Default.(int)
		return d, nil
	case v.null:
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.elems[0]))
	if err != nil {
		return 0, s.valueError(key, line, KindInt)
	}
	return n, nil
}

// Bool returns the key's value as a boolean: 1, yes, true or on, and 0, no,
// false or off, in any case (what python-x2go accepts; X2Go Client writes
// true and false). An absent key gives its default (false if there is
// none); any other text a *ValueError.
func (s *Section) Bool(key string) (bool, error) {
	v, line, ok := s.value(key, false)
	switch {
	case !ok:
		spec, _ := s.Spec(key)
		d, _ := spec.Default.(bool)
		return d, nil
	case v.null:
		return false, nil
	}
	b, valid := parseBool(v.elems[0])
	if !valid {
		return false, s.valueError(key, line, KindBool)
	}
	return b, nil
}

func parseBool(text string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "1", "yes", "true", "on":
		return true, true
	case "0", "no", "false", "off":
		return false, true
	}
	return false, false
}

// List returns the key's value as a list: Qt's comma-separated form
// ("a, b", elements may be quoted), or python-x2go's bracketed form
// (['a', 'b']). An empty or null value is an empty list; an absent key
// gives its default (nil if there is none).
func (s *Section) List(key string) []string {
	l, _, ok := s.f.lookup(s.name, key)
	if !ok {
		spec, _ := s.Spec(key)
		d, _ := spec.Default.([]string)
		return d
	}
	raw := l.raw[l.eq+1 : l.end]
	if lit, ok := parsePythonList(string(raw)); ok {
		return lit
	}
	v := decodeValue(raw, true)
	if v.null || !v.isList && v.elems[0] == "" {
		return []string{}
	}
	return v.elems
}

// Value returns the key's value typed by what python-x2go knows of it:
// string, int, bool, []string or, for a profile's `export`, []Export. A key
// python-x2go does not know is returned as a string if present; if absent
// the error matches ErrNotFound.
func (s *Section) Value(key string) (any, error) {
	spec, known := s.Spec(key)
	if !known {
		if !s.Has(key) {
			return nil, fmt.Errorf("x2go: [%s] has no option %q: %w", s.name, key, ErrNotFound)
		}
		return s.String(key), nil
	}
	switch spec.Kind {
	case KindInt:
		return s.Int(key)
	case KindBool:
		return s.Bool(key)
	case KindList:
		return s.List(key), nil
	case KindExports:
		if !s.Has(key) {
			return spec.Default, nil
		}
		return ParseExports(s.String(key)), nil
	}
	return s.String(key), nil
}

func (s *Section) valueError(key string, line int, want Kind) error {
	return &ValueError{Path: s.f.path, Section: s.name, Key: key, Line: line, Want: want}
}

// SetString stores text the way Qt writes a string: quoted if it holds
// ',', ';' or '=' or starts or ends with a blank, with escapes for
// quotes, backslashes, control characters and everything outside ASCII.
func (s *Section) SetString(key, value string) { s.f.setRaw(s.name, key, encodeString(value)) }

// SetInt stores a decimal integer.
func (s *Section) SetInt(key string, value int) { s.f.setRaw(s.name, key, strconv.Itoa(value)) }

// SetBool stores a boolean as true or false, the way X2Go Client writes
// it, or as 1 or 0 if the key's current value is written that way (as
// python-x2go writes it).
func (s *Section) SetBool(key string, value bool) {
	text := strconv.FormatBool(value)
	if raw, ok := s.Raw(key); ok && (raw == "0" || raw == "1") {
		text = "0"
		if value {
			text = "1"
		}
	}
	s.f.setRaw(s.name, key, text)
}

// SetList stores a list the way Qt writes a QStringList: elements joined
// by ", ", each quoted and escaped as needed; an empty list is written as
// @Invalid().
func (s *Section) SetList(key string, value []string) { s.f.setRaw(s.name, key, encodeList(value)) }

// Delete removes the key (every occurrence) and reports whether it was
// there. Reading it afterwards gives its default.
func (s *Section) Delete(key string) bool { return s.f.deleteKey(s.name, key) }

// parsePythonList reads the bracketed list form python-x2go accepts for
// list keys, e.g. ['a', "b"], without evaluating anything: elements must be
// quoted strings (with \\, \' and \" escapes). Anything else is not a list
// in this form.
func parsePythonList(raw string) ([]string, bool) {
	t := strings.TrimSpace(raw)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, false
	}
	t = strings.TrimSpace(t[1 : len(t)-1])
	out := []string{}
	for t != "" {
		q := t[0]
		if q != '\'' && q != '"' {
			return nil, false
		}
		var b strings.Builder
		i := 1
		for ; i < len(t) && t[i] != q; i++ {
			if t[i] == '\\' && i+1 < len(t) && strings.IndexByte(`\'"`, t[i+1]) >= 0 {
				i++
			}
			b.WriteByte(t[i])
		}
		if i >= len(t) {
			return nil, false
		}
		out = append(out, b.String())
		t = strings.TrimSpace(t[i+1:])
		if t == "" {
			break
		}
		if t[0] != ',' {
			return nil, false
		}
		t = strings.TrimSpace(t[1:])
	}
	return out, true
}
