package printing

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
)

func TestParseReady(t *testing.T) {
	tests := []struct {
		name, in, pdf, title string
		bad                  bool
	}{
		// Byte-exact content seen in the lab trace (x2goprint, no trailing newline).
		{name: "x2goprint", in: "labjob.pdf\nX2Go lab print job", pdf: "labjob.pdf", title: "X2Go lab print job"},
		{name: "title line with newline", in: "a.pdf\nTitle\n", pdf: "a.pdf", title: "Title"},
		{name: "only the title line counts", in: "a.pdf\nfirst\nsecond", pdf: "a.pdf", title: "first"},
		{name: "no newline", in: "a.pdf", pdf: "a.pdf", title: DefaultTitle},
		{name: "empty title", in: "a.pdf\n", pdf: "a.pdf", title: DefaultTitle},
		{name: "crlf", in: "a.pdf\r\nT\r\n", pdf: "a.pdf", title: "T"},
		{name: "untitled", in: "s_1-u-cupsjobX.pdf\nUNTITLED", pdf: "s_1-u-cupsjobX.pdf", title: "UNTITLED"},
		{name: "utf8 title", in: "a.pdf\nÜbersicht – März", pdf: "a.pdf", title: "Übersicht – März"},
		{name: "empty", in: "", bad: true},
		{name: "traversal", in: "../../etc/passwd\nx", bad: true},
		{name: "absolute", in: "/etc/passwd\nx", bad: true},
		{name: "dotdot", in: "..\nx", bad: true},
		{name: "backslash", in: `..\x.pdf` + "\nx", bad: true},
		{name: "nul", in: "a\x00.pdf\nx", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pdf, title, err := ParseReady([]byte(tc.in))
			if tc.bad {
				if !errors.Is(err, ErrInvalidJob) {
					t.Fatalf("ParseReady(%q) err = %v, want ErrInvalidJob", tc.in, err)
				}
				return
			}
			if err != nil || pdf != tc.pdf || title != tc.title {
				t.Fatalf("ParseReady(%q) = %q, %q, %v; want %q, %q", tc.in, pdf, title, err, tc.pdf, tc.title)
			}
		})
	}
	if _, _, err := ParseReady(bytes.Repeat([]byte("a"), maxReadySize+1)); !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("oversized .ready: err = %v", err)
	}
}

func FuzzParseReady(f *testing.F) {
	f.Add([]byte("labjob.pdf\nX2Go lab print job"))
	f.Add([]byte("a.pdf"))
	f.Add([]byte("../x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pdf, title, err := ParseReady(b)
		if err != nil {
			return
		}
		if pdf == "" || pdf == "." || pdf == ".." || strings.ContainsAny(pdf, "/\\\x00\n") {
			t.Fatalf("accepted unsafe name %q", pdf)
		}
		if title == "" || strings.Contains(title, "\n") {
			t.Fatalf("bad title %q", title)
		}
	})
}

func TestPDFSaveOnceNamedAfterTitle(t *testing.T) {
	save := filepath.Join(t.TempDir(), "saved")
	w, ev := newTestWatcher(t, Config{Action: PDFSave, SaveDir: save})
	id := cupsJobID(1)
	putJob(t, w.dir, id, "Quarterly report")

	scan(t, w)
	scan(t, w) // a second pass must not run the job again

	done, jobs, errs := ev.snapshot()
	if len(errs) != 0 || len(done) != 1 {
		t.Fatalf("done = %v, errs = %v; want one completed job", done, errs)
	}
	want := filepath.Join(save, "Quarterly report.pdf")
	if done[0].Action != PDFSave || done[0].Output != want {
		t.Fatalf("result = %+v, want PDFSave to %s", done[0], want)
	}
	if jobs[0].ID != id || jobs[0].Title != "Quarterly report" {
		t.Fatalf("job = %+v", jobs[0])
	}
	got, err := os.ReadFile(want)
	if err != nil || !bytes.Equal(got, testPDF(t)) {
		t.Fatalf("saved file differs from the job's PDF (err %v)", err)
	}
	if fi, _ := os.Stat(want); fi.Mode().Perm() != 0o600 {
		t.Errorf("saved file mode %v, want 0600", fi.Mode().Perm())
	}
	if names := listDir(t, w.dir); len(names) != 0 {
		t.Errorf("spool not empty after the job: %v", names)
	}
	if names := listDir(t, w.claimed); len(names) != 0 {
		t.Errorf("claimed folder not empty: %v", names)
	}
	if names := listDir(t, save); !slices.Equal(names, []string{"Quarterly report.pdf"}) {
		t.Errorf("save folder = %v", names)
	}
}

func TestPDFSaveNeverOverwrites(t *testing.T) {
	save := t.TempDir()
	existing := filepath.Join(save, "Invoice.pdf")
	if err := os.WriteFile(existing, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, ev := newTestWatcher(t, Config{Action: PDFSave, SaveDir: save})
	putJob(t, w.dir, cupsJobID(1), "Invoice")
	putJob(t, w.dir, cupsJobID(2), "Invoice")
	scan(t, w)
	if _, _, errs := ev.snapshot(); len(errs) != 0 {
		t.Fatal(errs)
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Fatal("an existing file was overwritten")
	}
	names := listDir(t, save)
	if !slices.Equal(names, []string{"Invoice (1).pdf", "Invoice (2).pdf", "Invoice.pdf"}) {
		t.Fatalf("save folder = %v", names)
	}
}

func TestWeirdTitlesAreSanitised(t *testing.T) {
	save := filepath.Join(t.TempDir(), "out")
	w, ev := newTestWatcher(t, Config{Action: PDFSave, SaveDir: save})
	titles := map[string]string{
		"../../etc/passwd":                "etc_passwd.pdf",
		`say "hi" it's $HOME` + "`id`":    "say _hi_ it_s _HOME_id_.pdf",
		"Größe über ünd 日本語":              "Größe über ünd 日本語.pdf",
		".hidden":                         "hidden.pdf",
		"tab\there | pipe; semi > redir&": "tab here _ pipe_ semi _ redir&.pdf",
		"":                                "X2Go Print Job.pdf",
		strings.Repeat("ü", 200):          strings.Repeat("ü", spoolfs.MaxNameBytes/2) + ".pdf",
	}
	i := 0
	for title := range titles {
		i++
		putJob(t, w.dir, cupsJobID(i), title)
	}
	scan(t, w)
	done, jobs, errs := ev.snapshot()
	if len(errs) != 0 || len(done) != len(titles) {
		t.Fatalf("done %d, errs %v", len(done), errs)
	}
	for k, r := range done {
		title := jobs[k].Title
		if title == DefaultTitle {
			title = ""
		}
		want := filepath.Join(save, titles[title])
		if r.Output != want {
			t.Errorf("title %q saved as %q, want %q", jobs[k].Title, r.Output, want)
		}
	}
	// Nothing may have been written outside the save folder.
	if names := listDir(t, filepath.Dir(save)); !slices.Equal(names, []string{"out"}) {
		t.Errorf("files outside the save folder: %v", names)
	}
	for _, n := range listDir(t, save) {
		if strings.HasPrefix(n, ".") || strings.ContainsAny(n, "/\n\"$`") {
			t.Errorf("unsafe saved name %q", n)
		}
	}
}

func TestPrintCmdRecordsArgv(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	cmd, err := SplitCommand(rec.Path + ` --opt "two words" 'x $y'`)
	if err != nil {
		t.Fatal(err)
	}
	w, ev := newTestWatcher(t, Config{Action: PrintCmd, PrintCommand: cmd})
	putJob(t, w.dir, cupsJobID(1), "Letter; rm -rf ~")
	scan(t, w)
	done, _, errs := ev.snapshot()
	if len(errs) != 0 || len(done) != 1 {
		t.Fatalf("done %v errs %v", done, errs)
	}
	calls := rec.Calls(t)
	if len(calls) != 1 {
		t.Fatalf("command ran %d times", len(calls))
	}
	want := []string{"--opt", "two words", "x $y", filepath.Join(w.copies, "Letter_ rm -rf ~.pdf")}
	if !slices.Equal(calls[0], want) {
		t.Fatalf("argv = %q, want %q", calls[0], want)
	}
	if !bytes.Equal(rec.Seen(t, 0), testPDF(t)) {
		t.Fatal("the command did not get the job's PDF")
	}
	if done[0].Output != want[3] {
		t.Errorf("Output = %q", done[0].Output)
	}
}

func TestPDFViewCustomViewer(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	w, ev := newTestWatcher(t, Config{Viewer: []string{rec.Path, "--presentation"}, CopyKeep: time.Hour})
	putJob(t, w.dir, cupsJobID(1), "Slides")
	scan(t, w)
	if _, _, errs := ev.snapshot(); len(errs) != 0 {
		t.Fatal(errs)
	}
	calls := rec.Calls(t)
	copyPath := filepath.Join(w.copies, "Slides.pdf")
	if len(calls) != 1 || !slices.Equal(calls[0], []string{"--presentation", copyPath}) {
		t.Fatalf("viewer calls = %q", calls)
	}
	// The copy stays for CopyKeep so a viewer started in the background can read it.
	if _, err := os.Stat(copyPath); err != nil {
		t.Fatalf("copy gone too early: %v", err)
	}
	w.copyDue.Expire(time.Now().Add(2 * time.Hour))
	if _, err := os.Stat(copyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("copy not removed after CopyKeep: %v", err)
	}
}

func TestPDFViewFallsBackToXdgOpenName(t *testing.T) {
	w, _ := newTestWatcher(t, Config{Viewer: []string{"/nonexistent/viewer", "-x"}})
	if got := w.viewerArgv(); !slices.Equal(got, []string{DefaultViewer}) {
		t.Fatalf("viewerArgv = %q", got)
	}
}

func TestPrintRunsLP(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	w, ev := newTestWatcher(t, Config{Action: Print, LP: rec.Path, Printer: "office_2"})
	putJob(t, w.dir, cupsJobID(1), "Report\tQ3")
	scan(t, w)
	if _, _, errs := ev.snapshot(); len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []string{"-d", "office_2", "-t", "Report Q3", filepath.Join(w.copies, "Report Q3.pdf")}
	if calls := rec.Calls(t); len(calls) != 1 || !slices.Equal(calls[0], want) {
		t.Fatalf("lp calls = %q, want %q", calls, [][]string{want})
	}

	// Without a printer the default queue is used: no -d.
	rec2 := scripttest.NewRecorder(t, 0, "")
	w2, _ := newTestWatcher(t, Config{Action: Print, LP: rec2.Path})
	putJob(t, w2.dir, cupsJobID(2), "T")
	scan(t, w2)
	if calls := rec2.Calls(t); len(calls) != 1 || calls[0][0] != "-t" {
		t.Fatalf("lp calls = %q", calls)
	}
}

func TestFailingPrintCmdKeepsJob(t *testing.T) {
	bad := scripttest.NewRecorder(t, 3, "echo 'lpr: printer on fire' >&2")
	spool := filepath.Join(t.TempDir(), "spool")
	w, ev := newTestWatcher(t, Config{Dir: spool, Action: PrintCmd, PrintCommand: []string{bad.Path}})
	id := cupsJobID(7)
	putJob(t, spool, id, "Important")
	scan(t, w)

	done, _, errs := ev.snapshot()
	if len(done) != 0 || len(errs) != 1 {
		t.Fatalf("done %v errs %v; want one error", done, errs)
	}
	var je *JobError
	if !errors.As(errs[0], &je) || !errors.Is(errs[0], ErrActionFailed) || je.Action != PrintCmd {
		t.Fatalf("error %v (%T) is not an action failure of PRINTCMD", errs[0], errs[0])
	}
	var ce *CommandError
	if !errors.As(errs[0], &ce) || ce.ExitCode != 3 || !strings.Contains(ce.Stderr, "printer on fire") {
		t.Fatalf("command error = %+v", ce)
	}
	if !strings.Contains(errs[0].Error(), "printer on fire") {
		t.Errorf("Error() = %q lacks the command's message", errs[0])
	}
	if je.Job.ID != id || je.Job.PDF != filepath.Join(w.failed, id) {
		t.Fatalf("job in error = %+v", je.Job)
	}
	if b, err := os.ReadFile(je.Job.PDF); err != nil || !bytes.Equal(b, testPDF(t)) {
		t.Fatalf("failed job's PDF not kept: %v", err)
	}
	failed, err := w.Failed()
	if err != nil || len(failed) != 1 || failed[0].ID != id || failed[0].Title != "Important" {
		t.Fatalf("Failed() = %+v, %v", failed, err)
	}
	if names := listDir(t, w.copies); len(names) != 0 {
		t.Errorf("copy of the failed job left behind: %v", names)
	}
	// Not retried by itself.
	scan(t, w)
	if len(bad.Calls(t)) != 1 {
		t.Fatal("a failed job ran again without Retry")
	}
	w.Close()

	// A later run with a working command, after Retry, completes it.
	good := scripttest.NewRecorder(t, 0, "")
	w2, ev2 := newTestWatcher(t, Config{Dir: spool, Action: PrintCmd, PrintCommand: []string{good.Path}})
	if err := w2.Retry(id); err != nil {
		t.Fatal(err)
	}
	scan(t, w2)
	if done, _, errs := ev2.snapshot(); len(done) != 1 || len(errs) != 0 {
		t.Fatalf("after Retry: done %v errs %v", done, errs)
	}
	if failed, _ := w2.Failed(); len(failed) != 0 {
		t.Fatalf("still failed: %+v", failed)
	}
	if err := w2.Retry(id); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Retry of a finished job: %v", err)
	}
}

func TestPartialJobWaits(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	w, ev := newTestWatcher(t, Config{Action: PrintCmd, PrintCommand: []string{rec.Path}})
	id := cupsJobID(3)
	putPDF(t, w.dir, id)
	// x2goprint's temporary name is not a job either.
	if err := os.WriteFile(filepath.Join(w.dir, id+".notready"), []byte(id+"\nT"), 0o644); err != nil {
		t.Fatal(err)
	}
	scan(t, w)
	if calls := rec.Calls(t); len(calls) != 0 {
		t.Fatalf("partial job ran: %q", calls)
	}
	if names := listDir(t, w.dir); !slices.Equal(names, []string{id, id + ".notready"}) {
		t.Fatalf("spool = %v", names)
	}
	if err := os.Rename(filepath.Join(w.dir, id+".notready"), filepath.Join(w.dir, id+ReadySuffix)); err != nil {
		t.Fatal(err)
	}
	scan(t, w)
	if done, _, errs := ev.snapshot(); len(done) != 1 || len(errs) != 0 {
		t.Fatalf("done %v errs %v", done, errs)
	}
}

func TestRunPicksUpJobPresentAtStart(t *testing.T) {
	spool := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	putJob(t, spool, cupsJobID(1), "Before start")
	save := t.TempDir()
	w, ev := newTestWatcher(t, Config{Dir: spool, Action: PDFSave, SaveDir: save, Interval: 20 * time.Millisecond})

	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(ctx) }()
	ev.wait(t, 1)
	// And a job arriving while Run polls.
	putJob(t, spool, cupsJobID(2), "While running")
	ev.wait(t, 1)
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if names := listDir(t, save); !slices.Equal(names, []string{"Before start.pdf", "While running.pdf"}) {
		t.Fatalf("saved = %v", names)
	}
}

func TestRunEndsOnClose(t *testing.T) {
	w, _ := newTestWatcher(t, Config{Interval: 10 * time.Millisecond})
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(context.Background()) }()
	time.Sleep(30 * time.Millisecond)
	w.Close()
	select {
	case err := <-runErr:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end on Close")
	}
	if err := w.Scan(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Scan after Close = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCrashRecovery(t *testing.T) {
	root := t.TempDir()
	spool := filepath.Join(root, "spool")
	work := spool + ".work"
	claimed := filepath.Join(work, claimedDir)
	if err := os.MkdirAll(claimed, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	// Job 1: a crash after the claim (both files in "claimed", no lock).
	id1 := cupsJobID(1)
	putJob(t, claimed, id1, "Claimed before crash")
	// Job 2: a crash between the two moves of the claim.
	id2 := cupsJobID(2)
	putPDF(t, spool, id2)
	putReady(t, claimed, id2, id2+"\nHalf claimed")

	save := t.TempDir()
	w, ev := newTestWatcher(t, Config{Dir: spool, Action: PDFSave, SaveDir: save})
	scan(t, w)
	if done, _, errs := ev.snapshot(); len(done) != 2 || len(errs) != 0 {
		t.Fatalf("done %v errs %v", done, errs)
	}
	if names := listDir(t, save); !slices.Equal(names, []string{"Claimed before crash.pdf", "Half claimed.pdf"}) {
		t.Fatalf("saved = %v", names)
	}
	if n := listDir(t, claimed); len(n) != 0 {
		t.Fatalf("claimed = %v", n)
	}
}

// TestLockedClaimIsLeftAlone plays a second, live watcher process: it holds
// the lock of a claimed job (flock on its own open file description, as
// another process would), so this watcher must not run the job.
func TestLockedClaimIsLeftAlone(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	w, ev := newTestWatcher(t, Config{Action: PrintCmd, PrintCommand: []string{rec.Path}})
	id := cupsJobID(4)
	putJob(t, w.claimed, id, "Busy elsewhere")
	f, err := os.Open(filepath.Join(w.claimed, id+ReadySuffix))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := spoolfs.TryLock(f); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	scan(t, w)
	if calls := rec.Calls(t); len(calls) != 0 {
		t.Fatal("a job locked by another watcher was run")
	}
	f.Close() // the other watcher dies
	scan(t, w)
	if done, _, errs := ev.snapshot(); len(done) != 1 || len(errs) != 0 {
		t.Fatalf("done %v errs %v", done, errs)
	}
}

// TestTwoWatchersRunEachJobOnce runs two watchers on one spool at the same
// time; every job must be printed exactly once.
func TestTwoWatchersRunEachJobOnce(t *testing.T) {
	spool := filepath.Join(t.TempDir(), "spool")
	rec := scripttest.NewRecorder(t, 0, "")
	var mu sync.Mutex
	count := map[string]int{}
	mk := func() *Watcher {
		cfg := Config{Dir: spool, Action: PrintCmd, PrintCommand: []string{rec.Path}, MaxJobs: 3}
		cfg.OnDone = func(j Job, _ Result) { mu.Lock(); count[j.ID]++; mu.Unlock() }
		cfg.OnError = func(err error) { t.Errorf("OnError: %v", err) }
		w, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		return w
	}
	a, b := mk(), mk()
	const n = 12
	for i := 0; i < n; i++ {
		putJob(t, spool, fmt.Sprintf("job-%02d.pdf", i), fmt.Sprintf("Job %d", i))
	}
	var wg sync.WaitGroup
	for _, w := range []*Watcher{a, b, a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); scan(t, w) }()
	}
	wg.Wait()
	if len(count) != n {
		t.Fatalf("%d of %d jobs done", len(count), n)
	}
	for id, c := range count {
		if c != 1 {
			t.Errorf("job %s ran %d times", id, c)
		}
	}
	if calls := rec.Calls(t); len(calls) != n {
		t.Errorf("print command ran %d times, want %d", len(calls), n)
	}
}

func TestCloseInterruptsRunningJob(t *testing.T) {
	slow := filepath.Join(t.TempDir(), "slow.sh")
	started := filepath.Join(t.TempDir(), "started")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\ntouch '"+started+"'\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(t.TempDir(), "spool")
	w, ev := newTestWatcher(t, Config{Dir: spool, Action: PrintCmd, PrintCommand: []string{slow}, Interval: 10 * time.Millisecond})
	id := cupsJobID(5)
	putJob(t, spool, id, "Slow")
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	w.Close()
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-runErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	if _, _, errs := ev.snapshot(); len(errs) != 0 {
		t.Fatalf("an interrupted job was reported as failed: %v", errs)
	}
	// The job stays claimed and the next watcher runs it.
	if names := listDir(t, w.claimed); !slices.Equal(names, []string{id, id + ReadySuffix}) {
		t.Fatalf("claimed = %v", names)
	}
	save := t.TempDir()
	w2, ev2 := newTestWatcher(t, Config{Dir: spool, Action: PDFSave, SaveDir: save})
	scan(t, w2)
	if done, _, _ := ev2.snapshot(); len(done) != 1 {
		t.Fatal("interrupted job not taken up again")
	}
}

func TestDialogDecides(t *testing.T) {
	save := t.TempDir()
	var asked []string
	var mu sync.Mutex
	dialog := func(ctx context.Context, j Job) (Decision, error) {
		mu.Lock()
		asked = append(asked, j.Title)
		mu.Unlock()
		switch j.Title {
		case "save me":
			return Decision{Action: PDFSave, SaveDir: save}, nil
		case "cancel me":
			return Decision{Action: Discard}, nil
		case "loop":
			return Decision{Action: Dialog}, nil
		}
		return Decision{}, errors.New("user closed the dialog")
	}
	w, ev := newTestWatcher(t, Config{Action: Dialog, Dialog: dialog, SaveDir: "/nonexistent"})
	putJob(t, w.dir, "a.pdf", "save me")
	putJob(t, w.dir, "b.pdf", "cancel me")
	putJob(t, w.dir, "c.pdf", "loop")
	putJob(t, w.dir, "d.pdf", "error")
	scan(t, w)
	done, _, errs := ev.snapshot()
	if len(done) != 2 || len(errs) != 2 || len(asked) != 4 {
		t.Fatalf("done %v errs %v asked %v", done, errs, asked)
	}
	if names := listDir(t, save); !slices.Equal(names, []string{"save me.pdf"}) {
		t.Fatalf("saved = %v", names)
	}
	var sawLoop, sawUser bool
	for _, err := range errs {
		sawLoop = sawLoop || errors.Is(err, ErrNoDialog)
		sawUser = sawUser || strings.Contains(err.Error(), "user closed the dialog")
		if !errors.Is(err, ErrActionFailed) {
			t.Errorf("%v does not match ErrActionFailed", err)
		}
	}
	if !sawLoop || !sawUser {
		t.Fatalf("errors = %v", errs)
	}
	if failed, _ := w.Failed(); len(failed) != 2 {
		t.Fatalf("failed = %+v", failed)
	}
}

func TestUnsafeJobsAreRejected(t *testing.T) {
	rec := scripttest.NewRecorder(t, 0, "")
	root := t.TempDir()
	secret := filepath.Join(root, "id_ed25519")
	if err := os.WriteFile(secret, []byte("PRIVATE KEY"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, ev := newTestWatcher(t, Config{Dir: filepath.Join(root, "spool"), Action: PrintCmd, PrintCommand: []string{rec.Path}})
	// A planted symlink as the PDF.
	if err := os.Symlink(secret, filepath.Join(w.dir, "link.pdf")); err != nil {
		t.Fatal(err)
	}
	putReady(t, w.dir, "link.pdf", "link.pdf\nsteal")
	// A .ready naming a file outside the spool.
	putReady(t, w.dir, "escape.pdf", "../id_ed25519\nsteal")
	// A .ready whose PDF never arrived.
	putReady(t, w.dir, "missing.pdf", "missing.pdf\nnothing")
	scan(t, w)
	done, _, errs := ev.snapshot()
	if len(done) != 0 || len(errs) != 3 {
		t.Fatalf("done %v errs %v", done, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrInvalidJob) || errors.Is(err, ErrActionFailed) {
			t.Errorf("%v: want ErrInvalidJob only", err)
		}
	}
	if len(rec.Calls(t)) != 0 {
		t.Fatal("a rejected job reached the print command")
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "PRIVATE KEY" {
		t.Fatal("the secret was moved or changed")
	}
	// The .ready files went to the failed folder; the planted symlink is
	// not touched at all.
	if names := listDir(t, w.dir); !slices.Equal(names, []string{"link.pdf"}) {
		t.Errorf("spool = %v", names)
	}
	scan(t, w)
	if _, _, errs := ev.snapshot(); len(errs) != 3 {
		t.Fatalf("rejected jobs reported again: %v", errs)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	for name, cfg := range map[string]Config{
		"no dir":          {},
		"dialog no hook":  {Dir: dir, Action: Dialog},
		"printer option":  {Dir: dir, Printer: "-oevil"},
		"printer blank":   {Dir: dir, Printer: "a b"},
		"work inside":     {Dir: dir, WorkDir: filepath.Join(dir, "w")},
		"unknown action":  {Dir: dir, Action: Action(99)},
		"negative period": {Dir: dir, Interval: -time.Second},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestParseActionNames(t *testing.T) {
	for _, n := range []string{"PDFVIEW", "PDFSAVE", "PRINT", "PRINTCMD", "DIALOG"} {
		a, err := ParseAction(strings.ToLower(n))
		if err != nil || a.String() != n {
			t.Errorf("ParseAction(%q) = %v, %v", n, a, err)
		}
	}
	if _, err := ParseAction("FAX"); !errors.Is(err, ErrConfig) {
		t.Errorf("ParseAction(FAX) err = %v", err)
	}
}
