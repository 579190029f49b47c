package pyhoca

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestLoggerStartLines(t *testing.T) {
	// The first lines of a start (cli-pyhoca.md §6 step 12, default level).
	var b strings.Builder
	app := NewLogger(&b, "pyhoca-cli", 16560, LevelNotice)
	lib := app.WithLevel(LevelNotice)
	app.Untagged(LevelNotice, "preparing requested X2Go session")
	app.Notice("PyHocaCLI", "preparing requested X2Go session")
	lib.Notice("x2gosessregistry-pylib", "registering X2Go session Pyhoca-Client_Session...")
	lib.Notice("x2goclient-pylib", "initializing X2Go session...")
	lib.Notice("x2gocontrolsession-pylib", "connecting to [127.0.0.1]:2222")
	app.Notice("PyHocaCLI", "authentication has been successful")
	app.Info("PyHocaCLI", "not shown at the default level")
	app.Debug("PyHocaCLI", "not shown either")
	want := `pyhoca-cli[16560] NOTICE: preparing requested X2Go session
pyhoca-cli[16560] (PyHocaCLI) NOTICE: preparing requested X2Go session
pyhoca-cli[16560] (x2gosessregistry-pylib) NOTICE: registering X2Go session Pyhoca-Client_Session...
pyhoca-cli[16560] (x2goclient-pylib) NOTICE: initializing X2Go session...
pyhoca-cli[16560] (x2gocontrolsession-pylib) NOTICE: connecting to [127.0.0.1]:2222
pyhoca-cli[16560] (PyHocaCLI) NOTICE: authentication has been successful
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestLoggerLevels(t *testing.T) {
	log := func(l *Logger) {
		l.Error("T", "e")
		l.Warn("T", "w")
		l.Notice("T", "n")
		l.Info("T", "i")
		l.Debug("T", "d")
		l.Untagged(LevelError, "u")
	}
	tests := []struct {
		level Level
		want  string
	}{
		{LevelQuiet, ""},
		{LevelError, "p[1] (T) ERROR: e\np[1] ERROR: u\n"},
		{LevelNotice, "p[1] (T) ERROR: e\np[1] (T) WARN: w\np[1] (T) NOTICE: n\np[1] ERROR: u\n"},
		{LevelDebug, "p[1] (T) ERROR: e\np[1] (T) WARN: w\np[1] (T) NOTICE: n\np[1] (T) INFO: i\np[1] (T) DEBUG: d\np[1] ERROR: u\n"},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var b strings.Builder
			l := NewLogger(&b, "p", 1, tt.level)
			log(l)
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
			if l.Level() != tt.level {
				t.Errorf("Level() = %v", l.Level())
			}
		})
	}
	if l := NewLogger(nil, "p", 1, LevelDebug); l.Enabled(LevelQuiet) {
		t.Error("LevelQuiet messages must never be shown")
	}
}

func TestLoggerNewlines(t *testing.T) {
	var b strings.Builder
	NewLogger(&b, "pyhoca-cli", 7, LevelNotice).Error("PyHocaCLI", "X2GoSessionException occured:\n-> boom\n")
	if want := "pyhoca-cli[7] (PyHocaCLI) ERROR: X2GoSessionException occured: -> boom \n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestSlog(t *testing.T) {
	var b strings.Builder
	l := NewLogger(&b, "x2go", 9, LevelDebug)
	s := l.Slog("x2golib")
	s.Error("failed", "err", "no route")
	s.Warn("local folder sharing is disabled for this session profile")
	s.Info("connecting to [127.0.0.1]:2222", "tag", "x2gocontrolsession-pylib")
	s.Log(context.Background(), SlogLevelInfo, "info line")
	s.Debug("dbg", "n", 3, "empty", "")
	s.With("tag", "x2gosession-pylib", "sid", "abc").WithGroup("g").Info("grouped", "k", "v", slog.Group("h", "x", 1))
	want := `x2go[9] (x2golib) ERROR: failed err="no route"
x2go[9] (x2golib) WARN: local folder sharing is disabled for this session profile
x2go[9] (x2gocontrolsession-pylib) NOTICE: connecting to [127.0.0.1]:2222
x2go[9] (x2golib) INFO: info line
x2go[9] (x2golib) DEBUG: dbg n=3 empty=""
x2go[9] (x2gosession-pylib) NOTICE: grouped sid=abc g.k=v g.h.x=1
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	q := NewLogger(&b, "x2go", 9, LevelNotice).Slog("lib")
	if q.Enabled(context.Background(), slog.LevelDebug) || q.Enabled(context.Background(), SlogLevelInfo) || !q.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled does not follow the pyhoca level")
	}
	q.Debug("hidden")
	if b.Len() != 0 {
		t.Errorf("debug shown at NOTICE level: %q", b.String())
	}
}

func TestLoggerConcurrent(t *testing.T) {
	var b strings.Builder
	app := NewLogger(&b, "p", 1, LevelNotice)
	lib := app.WithLevel(LevelDebug)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				app.Notice("A", "x")
				lib.Slog("L").Debug("y")
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		if l != "p[1] (A) NOTICE: x" && l != "p[1] (L) DEBUG: y" {
			t.Fatalf("garbled line %q", l)
		}
	}
}
