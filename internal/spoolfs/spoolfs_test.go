package spoolfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{
		"Quarterly report":      "Quarterly report",
		"../../etc/passwd":      "etc_passwd",
		"/abs/path":             "abs_path",
		`C:\Windows\evil`:       "C_Windows_evil",
		".bashrc":               "bashrc",
		"...":                   "fallback",
		"  lead and trail . ":   "lead and trail",
		"line1\nline2\r\x00end": "line1 line2 _end",
		`"q" 'q' $x ` + "`c`":   "q_ _q_ _x _c_",
		"a   b\t\tc":            "a b c",
		"über Größe 日本 café":    "über Größe 日本 café",
		"a|b;c&d<e>f*g?h":       "a_b_c&d_e_f_g_h",
		"x\xffy":                "x_y",
		"":                      "fallback",
		"e\u0301t\u00e9":        "e\u0301t\u00e9", // combining mark kept
		"(draft) [v2] #3 50%":   "(draft) [v2] #3 50%",
	}
	for in, want := range tests {
		if got := SanitizeName(in, "fallback"); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SanitizeName("", "../"); got != "file" {
		t.Errorf("unsafe fallback: %q", got)
	}
	long := SanitizeName(strings.Repeat("ß", 300), "")
	if len(long) > MaxNameBytes || !utf8.ValidString(long) || long != strings.Repeat("ß", MaxNameBytes/2) {
		t.Errorf("long name: %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}

func FuzzSanitizeName(f *testing.F) {
	f.Add("../../etc/passwd")
	f.Add(".\n.ü")
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeName(s, "x")
		if got == "" || len(got) > MaxNameBytes || !utf8.ValidString(got) ||
			strings.ContainsAny(got, "/\\\x00\n\"$`") || strings.HasPrefix(got, ".") ||
			strings.HasSuffix(got, ".") || strings.HasSuffix(got, " ") {
			t.Fatalf("SanitizeName(%q) = %q", s, got)
		}
	})
}

func TestSplitCommand(t *testing.T) {
	tests := map[string][]string{
		"lpr":                                {"lpr"},
		"  lpr   -P office  ":                {"lpr", "-P", "office"},
		`evince --fullscreen`:                {"evince", "--fullscreen"},
		`prog "two words" 'single $x' plain`: {"prog", "two words", "single $x", "plain"},
		`a "q\"uote" b\ c`:                   {"a", `q"uote`, "b c"},
		`a "keep\n" 'back\slash'`:            {"a", `keep\n`, `back\slash`},
		`x ""`:                               {"x", ""},
		`x '' y`:                             {"x", "", "y"},
		"a \\\n b":                           {"a", "b"},
		`$HOME ~ *.pdf; rm`:                  {"$HOME", "~", "*.pdf;", "rm"},
		`mixed"dq"'sq'end`:                   {"mixeddqsqend"},
	}
	for in, want := range tests {
		got, err := SplitCommand(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`"open`, `'open`, `trailing\`} {
		if _, err := SplitCommand(in); !errors.Is(err, ErrUnbalancedQuote) {
			t.Errorf("SplitCommand(%q) err = %v", in, err)
		}
	}
	for _, in := range []string{"", "   "} {
		if _, err := SplitCommand(in); !errors.Is(err, ErrEmptyCommand) {
			t.Errorf("SplitCommand(%q) err = %v", in, err)
		}
	}
}

// TestSplitCommandMatchesShell compares with what /bin/sh makes of the same
// words (printf each argument), for strings without expansions.
func TestSplitCommandMatchesShell(t *testing.T) {
	for _, in := range []string{
		`a "b c" 'd e' f\ g`,
		`"x\"y" 'it'\''s'`,
		`"a\\b" "c\d"`,
	} {
		out, err := exec.Command("/bin/sh", "-c", `printf '%s\0' `+in).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		got, err := SplitCommand(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitCommand(%q) = %q, sh gives %q", in, got, want)
		}
	}
}

func TestCreateUniqueNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.pdf"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var names []string
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := CreateUnique(dir, "doc", ".pdf", 0o600)
			if err != nil {
				t.Error(err)
				return
			}
			f.Close()
			mu.Lock()
			names = append(names, filepath.Base(f.Name()))
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(names)
	if len(slices.Compact(names)) != 20 || slices.Contains(names, "doc.pdf") {
		t.Fatalf("names = %v", names)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "doc.pdf")); string(b) != "old" {
		t.Fatal("existing file overwritten")
	}
	if !slices.Contains(names, "doc (1).pdf") || !slices.Contains(names, "doc (20).pdf") {
		t.Fatalf("names = %v", names)
	}
}

func TestMoveUniqueAndNoReplace(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in")
	os.WriteFile(src, []byte("1"), 0o644)
	os.WriteFile(filepath.Join(dir, "out.txt"), []byte("keep"), 0o644)
	p, err := MoveUnique(src, dir, "out", ".txt", 0o600)
	if err != nil || filepath.Base(p) != "out (1).txt" {
		t.Fatalf("MoveUnique = %q, %v", p, err)
	}
	if _, err := os.Lstat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("source still there")
	}
	os.WriteFile(src, []byte("2"), 0o644)
	if err := MoveNoReplace(src, filepath.Join(dir, "out.txt")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("MoveNoReplace onto existing: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.txt")); string(b) != "keep" {
		t.Fatal("replaced")
	}
	if err := MoveNoReplace(src, filepath.Join(dir, "new")); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "f")
	os.WriteFile(reg, []byte("x"), 0o644)
	f, err := OpenRegular(reg)
	if err != nil {
		t.Fatal(err)
	}
	if !StillNamed(f, reg) {
		t.Error("StillNamed false for the same file")
	}
	os.Rename(reg, reg+".moved")
	os.WriteFile(reg, []byte("y"), 0o644)
	if StillNamed(f, reg) {
		t.Error("StillNamed true after the name was replaced")
	}
	f.Close()

	link := filepath.Join(dir, "l")
	os.Symlink(reg, link)
	if _, err := OpenRegular(link); err == nil {
		t.Error("opened a symlink")
	}
	if _, err := OpenRegular(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := OpenRegular(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("fifo: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenRegular blocked on a FIFO")
	}
}

func TestTryLockExcludesSecondOpen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	os.WriteFile(p, nil, 0o644)
	a, _ := os.Open(p)
	b, _ := os.Open(p)
	defer b.Close()
	if ok, err := TryLock(a); !ok || err != nil {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if ok, _ := TryLock(b); ok {
		t.Fatal("second open file got the lock too")
	}
	a.Close()
	if ok, _ := TryLock(b); !ok {
		t.Fatal("lock not released by Close")
	}
}

// TestHold: a file another open file has locked, or whose name now
// belongs to another file, is not held and gets closed; a free one is held.
func TestHold(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job")
	os.WriteFile(p, nil, 0o644)
	a, _ := os.Open(p)
	if held, err := Hold(a, p); !held || err != nil {
		t.Fatalf("free file: held %v, %v", held, err)
	}
	b, _ := os.Open(p)
	if held, err := Hold(b, p); held || err != nil {
		t.Fatalf("locked file: held %v, %v", held, err)
	}
	if _, err := b.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a file not held was left open: %v", err)
	}
	a.Close()
	c, _ := os.Open(p)
	os.Rename(p, p+".moved")
	os.WriteFile(p, nil, 0o644)
	if held, err := Hold(c, p); held || err != nil {
		t.Fatalf("replaced name: held %v, %v", held, err)
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	if err := Run(ctx, []string{"/bin/sh", "-c", "exit 0"}, nil); err != nil {
		t.Fatal(err)
	}
	err := Run(ctx, []string{"/bin/sh", "-c", "echo first >&2; echo 'the reason' >&2; exit 4"}, nil)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 4 || !strings.Contains(ce.Stderr, "first") || !strings.HasSuffix(err.Error(), "the reason") {
		t.Fatalf("err = %v (%+v)", err, ce)
	}
	err = Run(ctx, []string{"/nonexistent/prog"}, nil)
	if !errors.As(err, &ce) || ce.ExitCode != -1 || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing program: %v", err)
	}
	// Env is passed, and nothing comes through a shell.
	out := filepath.Join(t.TempDir(), "out")
	if err := Run(ctx, []string{"/bin/sh", "-c", `printf '%s' "$X2GO_T" > "$1"`, "sh", out}, []string{"X2GO_T=$(id)"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "$(id)" {
		t.Fatalf("env value = %q", b)
	}
}

func TestRunDoesNotWaitForBackgroundChild(t *testing.T) {
	// Like xdg-open handing the file to a viewer that keeps running.
	t0 := time.Now()
	if err := Run(context.Background(), []string{"/bin/sh", "-c", "sleep 5 & exit 0"}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("Run waited %v for a background child", d)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := Run(ctx, []string{"sleep", "30"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(t0))
	}
	// A command that ignores SIGTERM is killed after killDelay.
	old := killDelay
	killDelay = 200 * time.Millisecond
	defer func() { killDelay = old }()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	t0 = time.Now()
	err = Run(ctx2, []string{"/bin/sh", "-c", "trap '' TERM; sleep 30 & wait"}, nil)
	if err == nil || time.Since(t0) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(t0))
	}
}

func TestExpandHome(t *testing.T) {
	home, _ := os.UserHomeDir()
	for in, want := range map[string]string{
		"PDF":       filepath.Join(home, "PDF"),
		"~/Saved":   filepath.Join(home, "Saved"),
		"~":         home,
		"/abs/../x": "/x",
	} {
		if got, err := ExpandHome(in); err != nil || got != want {
			t.Errorf("ExpandHome(%q) = %q, %v", in, got, err)
		}
	}
}
