package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// File is one of X2Go Client's configuration files (sessions, settings or
// printing) in Qt's INI dialect. It keeps every line of the file as it was
// read — comments, blank lines, unknown sections and keys, and lines it
// could not parse — so that writing it back changes only what was changed
// through its methods.
//
// A File is not safe for concurrent use.
type File struct {
	path  string
	bom   bool // the file started with a UTF-8 byte order mark
	lines []*line
	kind  fileKind
	idx   *index // nil when stale
}

// fileKind says which of X2Go Client's files a File is, and so which keys
// have defaults.
type fileKind uint8

const (
	genericFile fileKind = iota
	sessionsFile
	settingsFile
	printingFile
)

// spec finds what python-x2go knows of section's key in this kind of file.
func (f *File) spec(section, key string) (KeySpec, bool) {
	switch f.kind {
	case sessionsFile:
		return sessionsSchema(section, key)
	case settingsFile:
		return settingsSchema(section, key)
	case printingFile:
		return printingSchema(section, key)
	}
	return KeySpec{}, false
}

type lineKind uint8

const (
	kindBlank   lineKind = iota // only blanks
	kindComment                 // starts with ';' or '#'
	kindSection                 // [name]
	kindKey                     // key=value
	kindBad                     // anything else; kept, reported, ignored
)

// line is one logical line: a physical line, or several joined by a
// backslash before the line break. raw includes the line break.
type line struct {
	raw  []byte
	kind lineKind
	name string // section name or key, unescaped

	// kindSection: where '[' and ']' are (rb < 0 when there is none).
	lb, rb int
	// kindKey: raw[:keyEnd] is the key, raw[keyEnd:sepEnd] the '=' with
	// the blanks around it, raw[eq+1:end] the value text as Qt reads it,
	// raw[sepEnd:valEnd] that text without outer blanks (what a new value
	// replaces).
	keyEnd, eq, sepEnd, valEnd, end int
}

// parseLines splits data into logical lines the way QSettings reads them,
// with two differences: a line starting with '#' is a comment (as for
// python-x2go; Qt would take it for a key), and a quoted value does not run
// on over line breaks (Qt lets it, swallowing every line up to the next
// '"'; here the line is reported and reading goes on with the next one).
// firstLine is the number of data's first line.
func parseLines(data []byte, firstLine int) ([]*line, []*SyntaxError) {
	var (
		lines   []*line
		errs    []*SyntaxError
		section string
		num     = firstLine
	)
	n := len(data)
	for pos := 0; pos < n; {
		l := &line{}
		start := pos
		i := pos
		for i < n && (data[i] == ' ' || data[i] == '\t') {
			i++
		}
		physical := 1
		var msg string
		switch {
		case i >= n || data[i] == '\n' || data[i] == '\r':
			l.kind = kindBlank
		case data[i] == ';' || data[i] == '#':
			l.kind = kindComment
			i = skipToEOL(data, i)
		default:
			// Scan the content: quotes, escapes, the first '=' outside
			// quotes, and an unquoted ';' that starts a trailing comment.
			first := i
			eq := -1
			quoted := false
		scan:
			for i < n {
				switch data[i] {
				case '\\':
					i++
					if i < n {
						c := data[i]
						i++
						if c == '\n' || c == '\r' {
							physical++
							if i < n && (data[i] == '\n' || data[i] == '\r') && data[i] != c {
								i++
							}
						}
					}
					continue
				case '"':
					quoted = !quoted
				case '=':
					if !quoted && eq < 0 {
						eq = i
					}
				case ';':
					if !quoted {
						break scan
					}
				case '\n', '\r':
					break scan
				}
				i++
			}
			end := i
			if quoted {
				msg = "unterminated quote"
			}
			i = skipToEOL(data, i)
			rel := func(p int) int { return p - start }
			switch {
			case data[first] == '[':
				l.kind = kindSection
				l.lb = rel(first)
				rb := bytes.IndexByte(data[first:end], ']')
				nameEnd := end
				if rb < 0 {
					// Qt takes the rest of the line as the name; so do
					// we, and report the line.
					l.rb = -1
					if msg == "" {
						msg = "section header without ']'"
					}
				} else {
					l.rb = rel(first + rb)
					nameEnd = first + rb
				}
				l.name = unescapeKey(bytes.TrimSpace(data[first+1 : nameEnd]))
				section = l.name
			case eq < 0:
				l.kind = kindBad
				if msg == "" {
					msg = "neither a section header, a key=value line nor a comment"
				}
			default:
				keyEnd := eq
				for keyEnd > first && (data[keyEnd-1] == ' ' || data[keyEnd-1] == '\t') {
					keyEnd--
				}
				if keyEnd == first {
					l.kind = kindBad
					if msg == "" {
						msg = "empty key"
					}
					break
				}
				l.kind = kindKey
				l.name = unescapeKey(data[first:keyEnd])
				l.keyEnd, l.eq, l.end = rel(keyEnd), rel(eq), rel(end)
				s := eq + 1
				for s < end && (data[s] == ' ' || data[s] == '\t') {
					s++
				}
				e := end
				for e > s && (data[e-1] == ' ' || data[e-1] == '\t') {
					e--
				}
				l.sepEnd, l.valEnd = rel(s), rel(e)
			}
		}
		// The line break: \r\n, \n or \r.
		if i < n && data[i] == '\r' {
			i++
			if i < n && data[i] == '\n' {
				i++
			}
		} else if i < n && data[i] == '\n' {
			i++
		}
		l.raw = data[start:i:i]
		if msg != "" {
			errs = append(errs, &SyntaxError{Line: num, Section: section, Msg: msg})
		}
		lines = append(lines, l)
		num += physical
		pos = i
	}
	return lines, errs
}

// skipToEOL returns the index of the line break at or after i (or len).
func skipToEOL(data []byte, i int) int {
	for i < len(data) && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}

// eolOf returns the line break that ends raw ("" for none).
func eolOf(raw []byte) string {
	switch {
	case bytes.HasSuffix(raw, []byte("\r\n")):
		return "\r\n"
	case bytes.HasSuffix(raw, []byte("\n")):
		return "\n"
	case bytes.HasSuffix(raw, []byte("\r")):
		return "\r"
	}
	return ""
}

// physicalLines counts the line breaks in raw (at least 1).
func physicalLines(raw []byte) int {
	c := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\n':
			c++
		case '\r':
			c++
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		}
	}
	return max(c, 1)
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// parseFile reads data into a File. Lines that cannot be read are kept and
// reported as *SyntaxError, joined with errors.Join; the File is returned
// in any case.
func parseFile(data []byte, path string, kind fileKind) (*File, error) {
	f := &File{path: path, kind: kind}
	if bytes.HasPrefix(data, utf8BOM) {
		f.bom = true
		data = data[len(utf8BOM):]
	}
	data = bytes.Clone(data)
	lines, errs := parseLines(data, 1)
	f.lines = lines
	if len(errs) == 0 {
		return f, nil
	}
	joined := make([]error, len(errs))
	for k, e := range errs {
		e.Path = path
		joined[k] = e
	}
	return f, errors.Join(joined...)
}

// Parse reads a configuration file of unknown kind from memory: no key has
// a default. See ParseSessions, ParseSettings and ParsePrinting for the
// files X2Go Client keeps. If some lines cannot be read the error joins a
// *SyntaxError for each (find one with errors.As) and the returned File
// holds everything else.
func Parse(data []byte) (*File, error) { return parseFile(data, "", genericFile) }

// ReadFile reads a configuration file of unknown kind; see Parse. A file
// that does not exist gives an error matching fs.ErrNotExist together with
// an empty File bound to path, ready to be filled and saved.
func ReadFile(path string) (*File, error) { return readFile(path, genericFile) }

func readFile(path string, kind fileKind) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		f := &File{path: path, kind: kind}
		if errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
		return nil, err
	}
	return parseFile(data, path, kind)
}

// Path is the file the File was read from or last written to ("" if
// neither).
func (f *File) Path() string { return f.path }

// Bytes renders the file. Lines that were not changed come out exactly as
// they were read.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	if f.bom {
		b.Write(utf8BOM)
	}
	for _, l := range f.lines {
		b.Write(l.raw)
	}
	return b.Bytes()
}

// Save writes the file back to Path, atomically (see WriteFile).
func (f *File) Save() error {
	if f.path == "" {
		return fmt.Errorf("x2go: saving a configuration file: %w", ErrNoPath)
	}
	return f.WriteFile(f.path)
}

// ErrNoPath: Save was called on a File that was neither read from nor
// written to a path.
var ErrNoPath = errors.New("no file path")

// WriteFile writes the file to path atomically: the content goes to a
// temporary file in the same directory, which is synced and then renamed
// over path, and the directory is synced. An existing file keeps its
// permission bits (and, when run as root, its owner); a new one gets 0600
// in a directory created with 0700 if needed. If anything fails the file at
// path is left as it was. On success path becomes the File's Path.
func (f *File) WriteFile(path string) error {
	if err := writeFileAtomic(path, f.Bytes()); err != nil {
		return err
	}
	f.path = path
	return nil
}

// index is the lookup view of the lines: sections in order of first
// appearance, each with its blocks (a section may appear more than once;
// Qt merges the copies, later keys winning) and the last line of each key.
type index struct {
	sections []*secIndex
	byName   map[string]*secIndex
	nums     []int // line number of each logical line
}

type secIndex struct {
	name   string
	blocks [][2]int       // [header, end) line ranges; header -1 for keys before any section
	keys   map[string]int // key → index of its last line
	order  []string       // keys in order of first appearance
}

func (f *File) index() *index {
	if f.idx != nil {
		return f.idx
	}
	x := &index{byName: map[string]*secIndex{}, nums: make([]int, len(f.lines))}
	var cur *secIndex
	num := 1
	get := func(name string) *secIndex {
		s := x.byName[name]
		if s == nil {
			s = &secIndex{name: name, keys: map[string]int{}}
			x.byName[name] = s
			x.sections = append(x.sections, s)
		}
		return s
	}
	for k, l := range f.lines {
		x.nums[k] = num
		num += physicalLines(l.raw)
		switch l.kind {
		case kindSection:
			if cur != nil {
				cur.blocks[len(cur.blocks)-1][1] = k
			}
			cur = get(l.name)
			cur.blocks = append(cur.blocks, [2]int{k, len(f.lines)})
		case kindKey:
			if cur == nil {
				cur = get("")
				cur.blocks = append(cur.blocks, [2]int{-1, len(f.lines)})
			}
			if _, seen := cur.keys[l.name]; !seen {
				cur.order = append(cur.order, l.name)
			}
			cur.keys[l.name] = k
		}
	}
	f.idx = x
	return x
}

// lookup finds the line that holds section's key.
func (f *File) lookup(section, key string) (*line, int, bool) {
	s := f.index().byName[section]
	if s == nil {
		return nil, 0, false
	}
	k, ok := s.keys[key]
	if !ok {
		return nil, 0, false
	}
	return f.lines[k], f.idx.nums[k], true
}

// Sections lists the section names in order of first appearance. Keys
// before the first section header belong to the section "".
func (f *File) Sections() []string {
	x := f.index()
	out := make([]string, 0, len(x.sections))
	for _, s := range x.sections {
		out = append(out, s.name)
	}
	return out
}

// HasSection reports whether the file has a section of that name.
func (f *File) HasSection(name string) bool { return f.index().byName[name] != nil }

// Section returns a handle on the named section. The section need not
// exist: setting a key through the handle creates it.
func (f *File) Section(name string) *Section { return &Section{f: f, name: name} }

// eol is the file's line break: that of its first line, "\n" if it has
// none.
func (f *File) eol() string {
	for _, l := range f.lines {
		if e := eolOf(l.raw); e != "" {
			return e
		}
	}
	return "\n"
}

// separator picks how to write '=' in a new key line of section: like the
// nearest key line (same section first), "=" when there is none.
func (f *File) separator(section string) string {
	pick := func(l *line) string { return string(l.raw[l.keyEnd:l.sepEnd]) }
	if s := f.index().byName[section]; s != nil {
		for _, b := range slices.Backward(s.blocks) {
			for k := b[1] - 1; k > b[0]; k-- {
				if l := f.lines[k]; l.kind == kindKey {
					return pick(l)
				}
			}
		}
	}
	for _, l := range f.lines {
		if l.kind == kindKey {
			return pick(l)
		}
	}
	return "="
}

// setRaw stores encoded as the value text of section's key: in place when
// the key exists (only the value bytes change), else as a new line at the
// end of the section, else in a new section at the end of the file.
func (f *File) setRaw(section, key, encoded string) {
	if l, _, ok := f.lookup(section, key); ok {
		raw := slices.Concat(l.raw[:l.sepEnd], []byte(encoded), l.raw[l.valEnd:])
		f.replaceLine(l, raw)
		return
	}
	eol := f.eol()
	newLine := escapeKey(key) + f.separator(section) + encoded + eol
	s := f.index().byName[section]
	if s == nil && section == "" {
		// Keys before the first section header.
		f.insert(0, newLine)
		return
	}
	if s == nil {
		var add []string
		if n := len(f.lines); n > 0 {
			f.terminateLast()
			if f.lines[n-1].kind != kindBlank {
				add = append(add, eol)
			}
		}
		add = append(add, "["+escapeKey(section)+"]"+eol, newLine)
		f.insert(len(f.lines), add...)
		return
	}
	b := s.blocks[len(s.blocks)-1]
	at := b[0] + 1
	for k := b[1] - 1; k > b[0]; k-- {
		if kind := f.lines[k].kind; kind == kindKey || kind == kindBad {
			at = k + 1
			break
		}
	}
	if at > 0 && eolOf(f.lines[at-1].raw) == "" {
		f.lines[at-1].raw = append(slices.Clip(f.lines[at-1].raw), eol...)
	}
	f.insert(at, newLine)
}

// terminateLast gives the last line a line break if it has none.
func (f *File) terminateLast() {
	if n := len(f.lines); n > 0 && eolOf(f.lines[n-1].raw) == "" {
		f.lines[n-1].raw = append(slices.Clip(f.lines[n-1].raw), f.eol()...)
	}
}

// insert parses texts (each one line of our own making) and inserts them
// at position at. The index is brought up to date rather than dropped, so
// that filling a file key by key does not rebuild it after every key.
func (f *File) insert(at int, texts ...string) {
	var add []*line
	for _, t := range texts {
		ls, _ := parseLines([]byte(t), 1)
		add = append(add, ls...)
	}
	f.lines = slices.Insert(f.lines, at, add...)
	if f.idx != nil && !f.idx.inserted(f.lines, at, len(add)) {
		f.idx = nil
	}
}

// inserted updates the index for the n lines just inserted at lines[at].
// It reports false when the new lines would reshape the sections in a way
// it does not follow (a header amid the file, a second block of a section,
// a key out of order); the index is then left half-updated and must be
// dropped.
func (x *index) inserted(lines []*line, at, n int) bool {
	oldLen := len(lines) - n
	// The new lines join the block that holds position at; a block ending
	// at at takes lines added at its end, as the next header (if any)
	// still follows them.
	var owner *secIndex
	for _, s := range x.sections {
		for _, b := range s.blocks {
			if b[0] < at && at <= b[1] {
				owner = s
			}
		}
	}
	for _, s := range x.sections {
		if s.blocks[len(s.blocks)-1][1] < at {
			continue // wholly before the new lines
		}
		for i := range s.blocks {
			b := &s.blocks[i]
			if b[0] >= at {
				b[0] += n
			}
			if b[1] >= at {
				b[1] += n
			}
		}
		for k, pos := range s.keys {
			if pos >= at {
				s.keys[k] = pos + n
			}
		}
	}
	num := 1
	if at > 0 {
		num = x.nums[at-1] + physicalLines(lines[at-1].raw)
	}
	added := make([]int, n)
	for i := range added {
		added[i] = num
		num += physicalLines(lines[at+i].raw)
	}
	shift := num - added[0]
	x.nums = slices.Insert(x.nums, at, added...)
	for i := at + n; i < len(x.nums); i++ {
		x.nums[i] += shift
	}

	cur := owner
	for p := at; p < at+n; p++ {
		l := lines[p]
		switch l.kind {
		case kindSection:
			if at != oldLen || x.byName[l.name] != nil {
				return false
			}
			if cur != nil {
				cur.blocks[len(cur.blocks)-1][1] = p
			}
			cur = &secIndex{name: l.name, keys: map[string]int{}, blocks: [][2]int{{p, len(lines)}}}
			x.byName[l.name] = cur
			x.sections = append(x.sections, cur)
		case kindKey:
			if cur == nil {
				// Before the first header, and no keys there yet: the
				// section "" begins.
				end := len(lines)
				for _, s := range x.sections {
					if h := s.blocks[0][0]; h > p && h < end {
						end = h
					}
				}
				cur = &secIndex{name: "", keys: map[string]int{}, blocks: [][2]int{{-1, end}}}
				x.byName[""] = cur
				x.sections = slices.Insert(x.sections, 0, cur)
			}
			for _, pos := range cur.keys {
				if pos > p {
					return false // a later key: this one is neither last nor next in order
				}
			}
			if _, seen := cur.keys[l.name]; !seen {
				cur.order = append(cur.order, l.name)
			}
			cur.keys[l.name] = p
		}
	}
	return true
}

// replaceLine swaps l's bytes for raw, re-parsed. The index stays valid
// when the line keeps its kind, name and number of physical lines, as a
// key whose value changes does.
func (f *File) replaceLine(l *line, raw []byte) {
	ls, _ := parseLines(raw, 1)
	if len(ls) != 1 {
		// Cannot happen for the values this package encodes; keep the
		// bytes rather than lose them.
		l.raw = raw
		f.idx = nil
		return
	}
	n := ls[0]
	if n.kind != l.kind || n.name != l.name || physicalLines(n.raw) != physicalLines(l.raw) {
		f.idx = nil
	}
	*l = *n
}

// deleteKey removes every line of section's key and reports whether there
// was one.
func (f *File) deleteKey(section, key string) bool {
	s := f.index().byName[section]
	if s == nil {
		return false
	}
	if _, ok := s.keys[key]; !ok {
		return false
	}
	var drop []int
	for _, b := range s.blocks {
		for k := b[0] + 1; k < b[1]; k++ {
			if l := f.lines[k]; l.kind == kindKey && l.name == key {
				drop = append(drop, k)
			}
		}
	}
	f.dropLines(drop)
	return true
}

func (f *File) dropLines(drop []int) {
	if len(drop) == 0 {
		return
	}
	del := make(map[int]bool, len(drop))
	for _, k := range drop {
		del[k] = true
	}
	kept := f.lines[:0:0]
	for k, l := range f.lines {
		if !del[k] {
			kept = append(kept, l)
		}
	}
	f.lines = kept
	f.idx = nil
}

// RemoveSection deletes every copy of the named section: its header, keys,
// comments and blank lines, but not the comment lines right above the next
// section's header (they are taken to belong to that section). It reports
// whether there was such a section.
func (f *File) RemoveSection(name string) bool {
	s := f.index().byName[name]
	if s == nil {
		return false
	}
	var drop []int
	for _, b := range s.blocks {
		start, end := b[0], b[1]
		if start < 0 {
			start = 0
		}
		if end < len(f.lines) {
			for end > start+1 && f.lines[end-1].kind == kindComment {
				end--
			}
		} else {
			// The last section: also drop the blank lines that
			// separated it from the one before.
			for start > 0 && f.lines[start-1].kind == kindBlank {
				start--
			}
		}
		for k := start; k < end; k++ {
			if b[0] < 0 && f.lines[k].kind != kindKey && f.lines[k].kind != kindBad {
				continue // keys before any section: keep the comments
			}
			drop = append(drop, k)
		}
	}
	f.dropLines(drop)
	return true
}

// RenameSection gives every copy of section old the name new, changing
// only the name inside the brackets. It fails with ErrNotFound or
// ErrExists.
func (f *File) RenameSection(old, new string) error {
	s := f.index().byName[old]
	if s == nil || old == "" {
		return fmt.Errorf("x2go: renaming section [%s]: %w", old, ErrNotFound)
	}
	if old == new {
		return nil
	}
	if f.HasSection(new) {
		return fmt.Errorf("x2go: renaming section [%s] to [%s]: %w", old, new, ErrExists)
	}
	for _, b := range s.blocks {
		l := f.lines[b[0]]
		var raw []byte
		if l.rb < 0 {
			raw = []byte("[" + escapeKey(new) + "]" + eolOf(l.raw))
		} else {
			raw = slices.Concat(l.raw[:l.lb+1], []byte(escapeKey(new)), l.raw[l.rb:])
		}
		f.replaceLine(l, raw)
	}
	return nil
}
