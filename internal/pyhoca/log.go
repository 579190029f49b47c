package pyhoca

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// Level is a pyhoca log level; a Logger shows the messages at or below
// its level.
type Level int

// Log levels in pyhoca-cli's order. LevelQuiet shows nothing (--quiet);
// LevelNotice is the default and shows ERROR, WARN and NOTICE; LevelDebug
// (-d/--debug) shows everything.
const (
	LevelQuiet Level = iota
	LevelError
	LevelWarn
	LevelNotice
	LevelInfo
	LevelDebug
)

// String returns the level name as log lines show it (ERROR, WARN, NOTICE,
// INFO, DEBUG), or QUIET.
func (l Level) String() string {
	switch l {
	case LevelQuiet:
		return "QUIET"
	case LevelError:
		return "ERROR"
	case LevelWarn:
		return "WARN"
	case LevelNotice:
		return "NOTICE"
	case LevelInfo:
		return "INFO"
	case LevelDebug:
		return "DEBUG"
	}
	return "LEVEL(" + strconv.Itoa(int(l)) + ")"
}

// Logger writes pyhoca-cli's log lines, "<prog>[<pid>] (<tag>) <LEVEL>:
// <message>", so that tools watching pyhoca-cli's stderr keep working.
// Each line is written with a single Write; a Logger is safe for
// concurrent use, and loggers derived with WithLevel share its lock.
type Logger struct {
	mu    *sync.Mutex
	w     io.Writer
	prog  string
	pid   int
	level Level
}

// NewLogger returns a Logger writing to w (normally os.Stderr) as program
// prog (pyhoca-cli uses the base name of argv[0]) with process id pid,
// showing messages up to level.
func NewLogger(w io.Writer, prog string, pid int, level Level) *Logger {
	return &Logger{mu: new(sync.Mutex), w: w, prog: prog, pid: pid, level: level}
}

// WithLevel returns a Logger with the same output and lock but another
// level: pyhoca-cli runs an application and a library logger side by
// side (see Options.LogLevels).
func (l *Logger) WithLevel(level Level) *Logger {
	return &Logger{mu: l.mu, w: l.w, prog: l.prog, pid: l.pid, level: level}
}

// Level returns the logger's level.
func (l *Logger) Level() Level { return l.level }

// Enabled reports whether messages of level are shown.
func (l *Logger) Enabled(level Level) bool {
	return level > LevelQuiet && level <= l.level
}

// Log writes msg at level with tag; newlines in msg become blanks, as in
// python-x2go's logger. Write errors are ignored, as logging must not
// fail the program.
func (l *Logger) Log(level Level, tag, msg string) {
	if !l.Enabled(level) {
		return
	}
	l.write(level, "("+tag+") ", msg)
}

// Untagged writes a line without tag, "<prog>[<pid>] <LEVEL>: <message>",
// as the pyhoca-cli script's own logger does (its first line "preparing
// requested X2Go session" and the DISPLAY errors).
func (l *Logger) Untagged(level Level, msg string) {
	if !l.Enabled(level) {
		return
	}
	l.write(level, "", msg)
}

func (l *Logger) write(level Level, tagPart, msg string) {
	var b strings.Builder
	b.WriteString(l.prog)
	b.WriteByte('[')
	b.WriteString(strconv.Itoa(l.pid))
	b.WriteString("] ")
	b.WriteString(tagPart)
	b.WriteString(level.String())
	b.WriteString(": ")
	b.WriteString(strings.ReplaceAll(msg, "\n", " "))
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String())
}

// Error logs msg at ERROR.
func (l *Logger) Error(tag, msg string) { l.Log(LevelError, tag, msg) }

// Warn logs msg at WARN.
func (l *Logger) Warn(tag, msg string) { l.Log(LevelWarn, tag, msg) }

// Notice logs msg at NOTICE, pyhoca-cli's level for progress messages.
func (l *Logger) Notice(tag, msg string) { l.Log(LevelNotice, tag, msg) }

// Info logs msg at INFO.
func (l *Logger) Info(tag, msg string) { l.Log(LevelInfo, tag, msg) }

// Debug logs msg at DEBUG.
func (l *Logger) Debug(tag, msg string) { l.Log(LevelDebug, tag, msg) }

// SlogLevelInfo is the slog level that maps to pyhoca's INFO: slog levels
// from SlogLevelInfo up to but excluding slog.LevelInfo. slog.LevelInfo
// itself maps to NOTICE, pyhoca's normal progress level.
const SlogLevelInfo = slog.Level(-2)

// pyhocaLevel maps a slog level: Error and above -> ERROR, Warn -> WARN,
// Info -> NOTICE, SlogLevelInfo -> INFO, Debug and below -> DEBUG.
func pyhocaLevel(l slog.Level) Level {
	switch {
	case l >= slog.LevelError:
		return LevelError
	case l >= slog.LevelWarn:
		return LevelWarn
	case l >= slog.LevelInfo:
		return LevelNotice
	case l >= SlogLevelInfo:
		return LevelInfo
	}
	return LevelDebug
}

// Slog returns an *slog.Logger that writes through l, so that the library
// can log in pyhoca's format. The tag of a line is the value of an
// attribute "tag" (of the record or added with With), else defaultTag;
// other attributes are appended to the message as key=value.
func (l *Logger) Slog(defaultTag string) *slog.Logger {
	return slog.New(&slogHandler{l: l, tag: defaultTag})
}

// slogHandler is the slog.Handler behind Logger.Slog.
type slogHandler struct {
	l      *Logger
	tag    string
	attrs  string // preformatted " key=value" pairs from WithAttrs
	prefix string // group prefix "g1.g2." from WithGroup
}

func (h *slogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.l.Enabled(pyhocaLevel(level))
}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	tag := h.tag
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix == "" && a.Key == "tag" {
			tag = a.Value.Resolve().String()
			return true
		}
		appendAttr(&b, h.prefix, a)
		return true
	})
	h.l.Log(pyhocaLevel(r.Level), tag, b.String())
	return nil
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		if h.prefix == "" && a.Key == "tag" {
			n.tag = a.Value.Resolve().String()
			continue
		}
		appendAttr(&b, h.prefix, a)
	}
	n.attrs = b.String()
	return &n
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix += name + "."
	return &n
}

// appendAttr writes " key=value", flattening groups to "group.key" and
// quoting values that are empty or contain blanks, quotes or '='.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range v.Group() {
			appendAttr(b, p, ga)
		}
		return
	}
	if a.Equal(slog.Attr{}) {
		return
	}
	s := v.String()
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		s = strconv.Quote(s)
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(s)
}
