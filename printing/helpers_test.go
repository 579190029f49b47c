package printing

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testPDF is a real one-page PDF made with Ghostscript:
//
//	gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -o testdata/job.pdf \
//	   -c "/Helvetica findfont 24 scalefont setfont 72 720 moveto \
//	       (x2go-go print spool test page) show showpage"
func testPDF(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/job.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatal("testdata/job.pdf is not a PDF")
	}
	return b
}

// putJob writes a job the way x2goprint does: first the PDF, then the
// .ready file under a temporary ".notready" name, renamed into place.
func putJob(t testing.TB, spool, id, title string) {
	t.Helper()
	putPDF(t, spool, id)
	putReady(t, spool, id, id+"\n"+title)
}

func putPDF(t testing.TB, spool, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(spool, name), testPDF(t), 0o644); err != nil {
		t.Fatal(err)
	}
}

func putReady(t testing.TB, spool, id, content string) {
	t.Helper()
	tmp := filepath.Join(spool, id+".notready")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(spool, id+ReadySuffix)); err != nil {
		t.Fatal(err)
	}
}

// cupsJobID is a job name in the form cups-x2go and x2goprint produce:
// <session>_<cups job id>-<user>-cupsjob<pid><16 random chars>.pdf.
func cupsJobID(n int) string {
	return "x2gotest-51-1795627800_stRxterm_dp24_" + string(rune('0'+n%10)) + "-x2gotest-cupsjob4242Xq3vT8mZ0pL7aB2c" + string(rune('a'+n%26)) + ".pdf"
}

// events collects the hooks' calls.
type events struct {
	mu   sync.Mutex
	done []Result
	jobs []Job
	errs []error
	ch   chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 100)} }

func (e *events) hook(cfg *Config) {
	cfg.OnDone = func(j Job, r Result) {
		e.mu.Lock()
		e.done = append(e.done, r)
		e.jobs = append(e.jobs, j)
		e.mu.Unlock()
		e.ch <- struct{}{}
	}
	cfg.OnError = func(err error) {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
		e.ch <- struct{}{}
	}
}

func (e *events) snapshot() ([]Result, []Job, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Result(nil), e.done...), append([]Job(nil), e.jobs...), append([]error(nil), e.errs...)
}

// wait waits for n hook calls.
func (e *events) wait(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-e.ch:
		case <-timeout:
			t.Fatalf("timed out waiting for hook call %d of %d", i+1, n)
		}
	}
}

// newTestWatcher builds a watcher on a fresh spool in a temp dir.
func newTestWatcher(t testing.TB, cfg Config) (*Watcher, *events) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "spool")
	}
	ev := newEvents()
	ev.hook(&cfg)
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, ev
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func scan(t testing.TB, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Scan(ctx); err != nil {
		t.Fatal(err)
	}
}
