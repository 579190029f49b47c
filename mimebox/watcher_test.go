package mimebox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/scripttest"
	"github.com/x2go-go/x2go/internal/spoolfs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// content is what the tests offer: a real PDF (see ../printing/testdata).
func content(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../printing/testdata/job.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// offer writes a file into the MIME box the way a writer through sshfs
// does: create, write, close, under its final name.
func offer(t testing.TB, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// age sets a file's times into the past, as for a file that has been
// waiting since before the watcher started.
func age(t testing.TB, path string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

type events struct {
	mu    sync.Mutex
	files []File
	res   []Result
	errs  []error
}

func newWatcher(t testing.TB, cfg Config) (*Watcher, *events) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "mimebox")
	}
	if cfg.SettleTime == 0 {
		cfg.SettleTime = -1
	}
	ev := &events{}
	cfg.OnDone = func(f File, r Result) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.files = append(ev.files, f)
		ev.res = append(ev.res, r)
	}
	cfg.OnError = func(err error) {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		ev.errs = append(ev.errs, err)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, ev
}

func (e *events) get() ([]File, []Result, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.files), slices.Clone(e.res), slices.Clone(e.errs)
}

func scan(t testing.TB, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Scan(ctx); err != nil {
		t.Fatal(err)
	}
}

func ls(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func TestAllowed(t *testing.T) {
	def, _ := newWatcher(t, Config{})
	white, _ := newWatcher(t, Config{Extensions: []string{"pdf", ".ODT", "tar.gz", " "}})
	none, _ := newWatcher(t, Config{Blacklist: []string{}})
	tests := []struct {
		w    *Watcher
		name string
		ok   bool
	}{
		{def, "report.pdf", true},
		{def, "noext", true},
		{def, "install.sh", false},
		{def, "INSTALL.SH", false},
		{def, "x.Exe", false},
		{def, "evil.sh.txt", true}, // only the last extension counts
		{def, "vim.swp", false},
		{def, "a.ps1", false},
		{white, "a.pdf", true},
		{white, "a.PDF", true},
		{white, "a.odt", true},
		{white, "b.tar.gz", true},
		{white, "b.gz", false},
		{white, "apdf", false}, // the dot is part of the suffix
		{white, "noext", false},
		{white, "x.docx", false},
		{none, "install.sh", true},
	}
	for _, tc := range tests {
		ok, reason := tc.w.Allowed(tc.name)
		if ok != tc.ok || (ok == (reason != "")) {
			t.Errorf("Allowed(%q) = %v, %q; want %v", tc.name, ok, reason, tc.ok)
		}
	}
}

func TestSaveAsAllowedOnly(t *testing.T) {
	save := filepath.Join(t.TempDir(), "Downloads")
	w, ev := newWatcher(t, Config{Action: SaveAs, SaveDir: save, Extensions: []string{"pdf", "txt"}})
	pdf := content(t)
	offer(t, w.dir, "Invoice March.pdf", pdf)
	offer(t, w.dir, "notes.txt", []byte("hello\n"))
	offer(t, w.dir, "setup.exe", []byte("MZ"))   // not whitelisted (and blacklisted)
	offer(t, w.dir, "payload.docx", []byte("x")) // not whitelisted
	scan(t, w)

	files, res, errs := ev.get()
	if len(files) != 2 {
		t.Fatalf("handled %v", files)
	}
	if got := ls(t, save); !slices.Equal(got, []string{"Invoice March.pdf", "notes.txt"}) {
		t.Fatalf("saved = %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(save, "Invoice March.pdf")); !bytes.Equal(b, pdf) {
		t.Fatal("saved content differs")
	}
	if fi, _ := os.Stat(filepath.Join(save, "notes.txt")); fi.Mode().Perm() != 0o600 {
		t.Errorf("saved mode %v", fi.Mode().Perm())
	}
	for i, r := range res {
		if r.Action != SaveAs || r.Output != files[i].Path || filepath.Dir(r.Output) != save {
			t.Errorf("result %+v for %+v", r, files[i])
		}
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v; want two rejections", errs)
	}
	for _, err := range errs {
		var re *RejectedError
		if !errors.As(err, &re) || !errors.Is(err, ErrRejected) || !re.Removed {
			t.Errorf("%v is not a removed-rejection", err)
		}
	}
	if got := ls(t, w.dir); len(got) != 0 {
		t.Errorf("MIME box not empty: %v (rejected files are removed, as python-x2go does)", got)
	}
}

func TestBlacklistedKeptWhenAsked(t *testing.T) {
	save := t.TempDir()
	w, ev := newWatcher(t, Config{SaveDir: save, KeepRejected: true})
	offer(t, w.dir, "run.sh", []byte("#!/bin/sh\n"))
	scan(t, w)
	scan(t, w)
	_, _, errs := ev.get()
	var re *RejectedError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Removed || !strings.Contains(re.Reason, "blacklisted") {
		t.Fatalf("errors = %v", errs)
	}
	if got := ls(t, w.dir); !slices.Equal(got, []string{"run.sh"}) {
		t.Fatalf("MIME box = %v", got)
	}
	if got := ls(t, save); len(got) != 0 {
		t.Fatalf("a blacklisted file was saved: %v", got)
	}
}

func TestSaveAsUniqueAndSanitised(t *testing.T) {
	save := t.TempDir()
	offer(t, save, "a.pdf", []byte("mine"))
	w, ev := newWatcher(t, Config{SaveDir: save})
	offer(t, w.dir, "a.pdf", content(t))
	scan(t, w)
	offer(t, w.dir, "a.pdf", content(t))
	offer(t, w.dir, "we\"ird $(id) `x` ü\nname.p$df", []byte("w"))
	offer(t, w.dir, "..pdf", []byte("d")) // hidden: left alone
	scan(t, w)
	if _, _, errs := ev.get(); len(errs) != 0 {
		t.Fatal(errs)
	}
	got := ls(t, save)
	want := []string{"a (1).pdf", "a (2).pdf", "a.pdf", "we_ird _(id) _x_ ü name.pdf"}
	if !slices.Equal(got, want) {
		t.Fatalf("saved = %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(save, "a.pdf")); string(b) != "mine" {
		t.Fatal("overwritten")
	}
	if got := ls(t, w.dir); !slices.Equal(got, []string{"..pdf"}) {
		t.Fatalf("MIME box = %v", got)
	}
}

func TestOpenRunsOpenerWithFile(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	w, ev := newWatcher(t, Config{Action: Open, Opener: []string{rec.Path, "--new-window"}, OpenKeep: time.Hour})
	offer(t, w.dir, "photo.png", content(t))
	scan(t, w)
	files, res, errs := ev.get()
	if len(errs) != 0 || len(files) != 1 {
		t.Fatalf("files %v errs %v", files, errs)
	}
	p := filepath.Join(w.opened, "photo.png")
	if calls := rec.Calls(t); len(calls) != 1 || !slices.Equal(calls[0], []string{"--new-window", p}) {
		t.Fatalf("opener calls = %q", calls)
	}
	if !bytes.Equal(rec.Seen(t, 0), content(t)) {
		t.Fatal("opener did not get the file")
	}
	if res[0].Output != p || files[0].Path != p {
		t.Fatalf("result %+v file %+v", res[0], files[0])
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal("opened file removed before OpenKeep")
	}
	w.openDue.Expire(time.Now().Add(2 * time.Hour))
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("opened file not removed after OpenKeep")
	}
}

func TestOpenWithHookChoosesProgram(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	var asked []File
	w, ev := newWatcher(t, Config{Action: OpenWith, OpenWith: func(ctx context.Context, f File) ([]string, error) {
		asked = append(asked, f)
		if f.Name == "no.txt" {
			return nil, errors.New("user cancelled")
		}
		return []string{rec.Path, "-a", "two words"}, nil
	}})
	offer(t, w.dir, "doc.odt", []byte("odt"))
	scan(t, w)
	offer(t, w.dir, "no.txt", []byte("no"))
	scan(t, w)
	if len(asked) != 2 || asked[0].Name != "doc.odt" || asked[0].Size != 3 {
		t.Fatalf("asked %+v", asked)
	}
	if calls := rec.Calls(t); len(calls) != 1 || !slices.Equal(calls[0], []string{"-a", "two words", filepath.Join(w.opened, "doc.odt")}) {
		t.Fatalf("calls = %q", calls)
	}
	_, _, errs := ev.get()
	var fe *FileError
	if len(errs) != 1 || !errors.As(errs[0], &fe) || fe.Action != OpenWith || !strings.Contains(errs[0].Error(), "user cancelled") {
		t.Fatalf("errs = %v", errs)
	}
	if fe.File.Path != filepath.Join(w.failed, "no.txt") {
		t.Fatalf("kept at %q", fe.File.Path)
	}
	// Without a chooser OPENWITH falls back to the opener.
	rec2 := scripttest.NewRecorder(t, 0, "")
	w2, _ := newWatcher(t, Config{Action: OpenWith, Opener: []string{rec2.Path}})
	offer(t, w2.dir, "x.pdf", []byte("%PDF"))
	scan(t, w2)
	if calls := rec2.Calls(t); len(calls) != 1 {
		t.Fatalf("fallback calls = %q", calls)
	}
}

func TestFailingOpenerKeepsFile(t *testing.T) {
	bad := scripttest.NewRecorder(t, 2, "echo 'no application for this type' >&2")
	w, ev := newWatcher(t, Config{Action: Open, Opener: []string{bad.Path}})
	offer(t, w.dir, "data.xyz", content(t))
	scan(t, w)
	_, _, errs := ev.get()
	var fe *FileError
	var ce *CommandError
	if len(errs) != 1 || !errors.As(errs[0], &fe) || !errors.Is(errs[0], ErrActionFailed) ||
		!errors.As(errs[0], &ce) || ce.ExitCode != 2 || !strings.Contains(errs[0].Error(), "no application") {
		t.Fatalf("errs = %v", errs)
	}
	if b, err := os.ReadFile(fe.File.Path); err != nil || !bytes.Equal(b, content(t)) || filepath.Dir(fe.File.Path) != w.failed {
		t.Fatalf("file not kept in failed: %q %v", fe.File.Path, err)
	}
	scan(t, w)
	if len(bad.Calls(t)) != 1 {
		t.Fatal("failed file retried by itself")
	}
}

func TestFileStillBeingWrittenWaits(t *testing.T) {
	save := t.TempDir()
	w, ev := newWatcher(t, Config{SaveDir: save, SettleTime: 300 * time.Millisecond})
	p := filepath.Join(w.dir, "big.pdf")
	offer(t, w.dir, "big.pdf", []byte("%PDF-1.7 part one "))
	scan(t, w)
	time.Sleep(350 * time.Millisecond)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("part two")
	f.Close()
	scan(t, w) // changed since the last look: not yet
	if got := ls(t, save); len(got) != 0 {
		t.Fatalf("taken while growing: %v", got)
	}
	time.Sleep(350 * time.Millisecond)
	scan(t, w)
	if got := ls(t, save); !slices.Equal(got, []string{"big.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(save, "big.pdf")); string(b) != "%PDF-1.7 part one part two" {
		t.Fatalf("content %q", b)
	}
	if files, _, _ := ev.get(); len(files) != 1 {
		t.Fatal(files)
	}
}

func TestOldFileTakenAtOnceAndBusyHonoured(t *testing.T) {
	save := t.TempDir()
	var mu sync.Mutex
	busy := map[string]bool{}
	w, _ := newWatcher(t, Config{SaveDir: save, SettleTime: time.Hour, Busy: func(p string) bool {
		mu.Lock()
		defer mu.Unlock()
		return busy[filepath.Base(p)]
	}})
	offer(t, w.dir, "old.pdf", []byte("1"))
	age(t, filepath.Join(w.dir, "old.pdf"))
	offer(t, w.dir, "open.pdf", []byte("2"))
	age(t, filepath.Join(w.dir, "open.pdf"))
	busy["open.pdf"] = true
	scan(t, w)
	if got := ls(t, save); !slices.Equal(got, []string{"old.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
	mu.Lock()
	busy["open.pdf"] = false
	mu.Unlock()
	scan(t, w)
	if got := ls(t, save); !slices.Equal(got, []string{"old.pdf", "open.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
}

func TestHiddenDirsAndSymlinks(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(root, "secret.pdf")
	os.WriteFile(secret, []byte("secret"), 0o600)
	save := filepath.Join(root, "save")
	w, ev := newWatcher(t, Config{SaveDir: save, Dir: filepath.Join(root, "box")})
	offer(t, w.dir, ".upload.tmp", []byte("x"))
	os.Mkdir(filepath.Join(w.dir, "sub.pdf"), 0o700)
	if err := os.Symlink(secret, filepath.Join(w.dir, "link.pdf")); err != nil {
		t.Fatal(err)
	}
	scan(t, w)
	files, _, errs := ev.get()
	if len(files) != 0 {
		t.Fatalf("handled %v", files)
	}
	var re *RejectedError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Name != "link.pdf" {
		t.Fatalf("errs = %v", errs)
	}
	if got := ls(t, w.dir); !slices.Equal(got, []string{".upload.tmp", "sub.pdf"}) {
		t.Fatalf("MIME box = %v", got)
	}
	if b, _ := os.ReadFile(secret); string(b) != "secret" {
		t.Fatal("symlink target touched")
	}
	if _, err := os.Stat(save); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("something was saved")
	}
}

func TestCrashRecoveryAndForeignLock(t *testing.T) {
	root := t.TempDir()
	box := filepath.Join(root, "mimebox")
	claimed := filepath.Join(box+".work", claimedDir)
	os.MkdirAll(claimed, 0o700)
	offer(t, claimed, "left-by-crash.pdf", []byte("a"))
	offer(t, claimed, "held-elsewhere.pdf", []byte("b"))
	other, err := os.Open(filepath.Join(claimed, "held-elsewhere.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := spoolfs.TryLock(other); !ok {
		t.Fatal("lock")
	}
	save := t.TempDir()
	w, _ := newWatcher(t, Config{Dir: box, SaveDir: save})
	scan(t, w)
	if got := ls(t, save); !slices.Equal(got, []string{"left-by-crash.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
	other.Close()
	scan(t, w)
	if got := ls(t, save); !slices.Equal(got, []string{"held-elsewhere.pdf", "left-by-crash.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
}

func TestCloseInterruptsOpener(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	slow := filepath.Join(dir, "slow.sh")
	os.WriteFile(slow, []byte("#!/bin/sh\ntouch '"+started+"'\nexec sleep 60\n"), 0o755)
	box := filepath.Join(dir, "box")
	w, ev := newWatcher(t, Config{Dir: box, Action: Open, Opener: []string{slow}, Interval: 10 * time.Millisecond})
	offer(t, box, "doc.pdf", []byte("x"))
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(context.Background()) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("opener did not start")
		}
	}
	w.Close()
	if err := <-runErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	if _, _, errs := ev.get(); len(errs) != 0 {
		t.Fatalf("errs = %v", errs)
	}
	if got := ls(t, w.claimed); !slices.Equal(got, []string{"doc.pdf"}) {
		t.Fatalf("claimed = %v", got)
	}
	save := t.TempDir()
	w2, _ := newWatcher(t, Config{Dir: box, SaveDir: save})
	scan(t, w2)
	if got := ls(t, save); !slices.Equal(got, []string{"doc.pdf"}) {
		t.Fatalf("saved = %v", got)
	}
}

func TestRunAndTwoWatchers(t *testing.T) {
	box := filepath.Join(t.TempDir(), "box")
	save := t.TempDir()
	var mu sync.Mutex
	count := map[string]int{}
	mk := func() *Watcher {
		w, err := New(Config{Dir: box, SaveDir: save, SettleTime: -1, Interval: 5 * time.Millisecond,
			OnDone:  func(f File, _ Result) { mu.Lock(); count[f.Name]++; mu.Unlock() },
			OnError: func(err error) { t.Errorf("OnError: %v", err) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		return w
	}
	a, b := mk(), mk()
	const n = 15
	for i := 0; i < n; i++ {
		offer(t, box, fmt.Sprintf("f%02d.pdf", i), []byte{byte(i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range []*Watcher{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		done := len(count)
		mu.Unlock()
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d files handled", done, n)
		}
	}
	cancel()
	wg.Wait()
	for name, c := range count {
		if c != 1 {
			t.Errorf("%s handled %d times", name, c)
		}
	}
	if got := ls(t, save); len(got) != n {
		t.Fatalf("saved %d files: %v", len(got), got)
	}
}

func TestConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "box")
	for name, cfg := range map[string]Config{
		"no dir":         {},
		"work inside":    {Dir: dir, WorkDir: filepath.Join(dir, "w")},
		"unknown action": {Dir: dir, Action: Action(9)},
		"negative":       {Dir: dir, MaxJobs: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for in, want := range map[string]Action{"open": Open, "OPENWITH": OpenWith, "SAVEAS": SaveAs, "save": SaveAs} {
		if a, err := ParseAction(in); err != nil || a != want {
			t.Errorf("ParseAction(%q) = %v, %v", in, a, err)
		}
	}
	if _, err := ParseAction("RUN"); !errors.Is(err, ErrConfig) {
		t.Error(err)
	}
	w, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.cfg.Action != SaveAs {
		t.Errorf("default action %v, want SAVEAS (files from the server are untrusted)", w.cfg.Action)
	}
}
