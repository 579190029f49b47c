package x2go_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
	"github.com/x2go-go/x2go/protocol"
)

// spoolEvents records what the print and MIME box watchers report.
type spoolEvents struct {
	mu     sync.Mutex
	done   []string // saved or handed-over files
	errs   []error
	signal chan struct{}
}

func newSpoolEvents() *spoolEvents { return &spoolEvents{signal: make(chan struct{}, 100)} }

func (e *spoolEvents) ok(s string) {
	e.mu.Lock()
	e.done = append(e.done, s)
	e.mu.Unlock()
	e.signal <- struct{}{}
}

func (e *spoolEvents) fail(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
	e.signal <- struct{}{}
}

// wait waits until cond holds for the recorded events.
func (e *spoolEvents) wait(t *testing.T, what string, d time.Duration, cond func(done []string, errs []error) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		e.mu.Lock()
		ok := cond(e.done, e.errs)
		done, errs := fmt.Sprint(e.done), fmt.Sprint(e.errs)
		e.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-e.signal:
		case <-deadline:
			t.Fatalf("%s: not within %v (done %s, errors %s)", what, d, done, errs)
		}
	}
}

// printAsLabUser prints pdf on the lab's cups-x2go queue as the lab user,
// the way an application inside the session does.
func printAsLabUser(t *testing.T, lab *testserver.Lab, pdf, title string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := "CUPS_SERVER=" + protocol.Quote(lab.CUPSServer) + " lp -d " + protocol.Quote(lab.Printer) +
		" -t " + protocol.Quote(title) + " " + protocol.Quote(pdf)
	if out, err := lab.ServerCommand(ctx, cmd); err != nil {
		t.Fatalf("lp: %v %s", err, out)
	}
}

// labReadableCopy copies the test PDF where the lab user can read it.
func labReadableCopy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("printing/testdata/job.pdf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp("/tmp", "x2go-e2e-job-*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(b)
	os.Chmod(f.Name(), 0o644)
	t.Cleanup(func() { os.Remove(f.Name()) })
	return f.Name()
}

// TestE2EPrintingAndMimeBox: a job printed in the session through CUPS
// and cups-x2go arrives once and is saved under its title (PDFSAVE); a
// file the server puts into the MIME box reaches SAVE when its extension
// is allowed, and not otherwise.
func TestE2EPrintingAndMimeBox(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	prints, boxed := newSpoolEvents(), newSpoolEvents()
	pdfDir, boxDir := t.TempDir(), t.TempDir()
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.Printing = &printing.Config{
		Action: printing.PDFSave, SaveDir: pdfDir, Interval: 200 * time.Millisecond,
		OnDone:  func(_ printing.Job, r printing.Result) { prints.ok(r.Output) },
		OnError: prints.fail,
	}
	o.MimeBox = &mimebox.Config{
		Action: mimebox.SaveAs, SaveDir: boxDir, Extensions: []string{"txt"},
		Interval: 200 * time.Millisecond, SettleTime: 500 * time.Millisecond,
		OnDone:  func(_ mimebox.File, r mimebox.Result) { boxed.ok(r.Output) },
		OnError: boxed.fail,
	}
	hooks := &sharingHooks{}
	o.Hooks = hooks.hooks()
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	name := s.Name()
	mounts := serverMounts(t, lab, name)
	t.Logf("mounts: %q", mounts)
	if len(mounts) != 2 {
		t.Fatalf("want the print spool and the MIME box mounted, got %q (hooks %q)", mounts, hooks.list())
	}

	const title = `Quarterly report: "Q3" / final`
	start := time.Now()
	printAsLabUser(t, lab, labReadableCopy(t), title)
	prints.wait(t, "the print job", 90*time.Second, func(done []string, _ []error) bool { return len(done) > 0 })
	t.Logf("the print job arrived %v after lp", time.Since(start))
	time.Sleep(2 * time.Second) // a second delivery would show up by now
	entries, _ := os.ReadDir(pdfDir)
	if len(entries) != 1 {
		t.Fatalf("saved PDFs: %v, want exactly one", entries)
	}
	saved := entries[0].Name()
	if !strings.HasPrefix(saved, "Quarterly report") || !strings.HasSuffix(saved, ".pdf") || strings.ContainsAny(saved, `/"`) {
		t.Errorf("saved as %q, want a name made from the title %q", saved, title)
	}
	if b, _ := os.ReadFile(filepath.Join(pdfDir, saved)); !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("the saved file is not a PDF: %.20q", b)
	}
	t.Logf("saved as %q", saved)

	// The MIME box: what the server offers, as the server user.
	box := "~/.x2go/C-" + name + "/mimebox/"
	if out, err := lab.ServerCommand(ctx, "echo minutes > "+box+"minutes.txt && echo payload > "+box+"tool.sh && echo x > "+box+"image.png"); err != nil {
		t.Fatalf("writing into the MIME box: %v %s", err, out)
	}
	boxed.wait(t, "the MIME box files", time.Minute, func(done []string, errs []error) bool { return len(done) == 1 && len(errs) == 2 })
	entries, _ = os.ReadDir(boxDir)
	if len(entries) != 1 || entries[0].Name() != "minutes.txt" {
		t.Errorf("saved from the MIME box: %v, want minutes.txt only", entries)
	}
	for _, err := range boxed.errs {
		var re *mimebox.RejectedError
		if !errors.As(err, &re) {
			t.Errorf("MIME box error %v, want a *RejectedError", err)
		}
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if m := serverMounts(t, lab, name); len(m) != 0 {
		t.Errorf("mount records left: %q", m)
	}
	if ev := hooks.list(); len(ev) != 0 {
		t.Errorf("hooks: %q", ev)
	}
}

// TestE2EPrintJobsAreNotLost: a job whose PRINTCMD fails is kept and
// reported; a job that was complete in the spool before the client
// started watching it is picked up when the session is resumed.
func TestE2EPrintJobsAreNotLost(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	failing := filepath.Join(t.TempDir(), "broken-printer")
	os.WriteFile(failing, []byte("#!/bin/sh\necho 'printer on fire' >&2\nexit 3\n"), 0o755)
	events := newSpoolEvents()
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	work := filepath.Join(t.TempDir(), "print-jobs")
	o.Printing = &printing.Config{
		Action: printing.PrintCmd, PrintCommand: []string{failing}, WorkDir: work,
		Interval: 200 * time.Millisecond,
		OnDone:   func(_ printing.Job, r printing.Result) { events.ok(r.Output) },
		OnError:  events.fail,
	}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	name := s.Name()
	printAsLabUser(t, lab, labReadableCopy(t), "will fail")
	events.wait(t, "the failing job", 90*time.Second, func(_ []string, errs []error) bool { return len(errs) > 0 })
	var je *printing.JobError
	var ce *printing.CommandError
	if !errors.As(events.errs[0], &je) || !errors.As(events.errs[0], &ce) || !strings.Contains(events.errs[0].Error(), "printer on fire") {
		t.Errorf("reported %v, want a *JobError with the command's error", events.errs[0])
	}
	kept, _ := filepath.Glob(filepath.Join(work, "failed", "*.pdf"))
	if len(kept) != 1 {
		t.Errorf("failed jobs kept: %q, want the one job", kept)
	}
	if err := s.Suspend(ctx); err != nil {
		t.Fatal(err)
	}

	// A complete job in the local spool while nobody watches it: the
	// PDF and its .ready file, as x2goprint writes them.
	spool := filepath.Join(s.LocalSessionDir(), "spool")
	pdf, _ := os.ReadFile("printing/testdata/job.pdf")
	job := name + "_7-x2gotest-cupsjob4242abcdefabcdefabcd.pdf"
	os.WriteFile(filepath.Join(spool, job), pdf, 0o600)
	os.WriteFile(filepath.Join(spool, job+".ready"), []byte(job+"\nleft over"), 0o600)

	// A new client (another Session, saving PDFs) resumes the session.
	saveDir := t.TempDir()
	later := newSpoolEvents()
	o2 := o
	o2.Printing = &printing.Config{
		Action: printing.PDFSave, SaveDir: saveDir, WorkDir: work, Interval: 200 * time.Millisecond,
		OnDone:  func(_ printing.Job, r printing.Result) { later.ok(r.Output) },
		OnError: later.fail,
	}
	s2, err := x2go.NewSession(o2)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Disconnect()
	if err := s2.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.Resume(ctx, name); err != nil {
		t.Fatal(err)
	}
	later.wait(t, "the job left in the spool", time.Minute, func(done []string, _ []error) bool { return len(done) == 1 })
	if got := filepath.Base(later.done[0]); got != "left over.pdf" {
		t.Errorf("saved as %q, want %q", got, "left over.pdf")
	}
	if err := s2.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
}
