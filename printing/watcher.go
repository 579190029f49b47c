package printing

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/spoolfs"
)

// Subdirectories of the work directory.
const (
	claimedDir = "claimed" // jobs being processed, or abandoned by a crash
	failedDir  = "failed"  // jobs whose action failed
	copiesDir  = "copies"  // title-named copies handed to commands
)

// A Watcher takes complete print jobs from a spool directory and runs the
// configured action on each, once. Create it with New, drive it with Run
// (polling) or Scan (one pass), and stop it with Close. Its methods may be
// called from several goroutines.
type Watcher struct {
	cfg     Config
	dir     string
	claimed string
	failed  string
	copies  string
	saveDir string
	log     *slog.Logger

	run      *spoolfs.Runner
	reported spoolfs.Reporter
	copyDue  spoolfs.Expiry
}

// New checks cfg, creates the spool and work directories if needed and
// returns a Watcher. Jobs already in the spool, or left claimed by a
// crashed run, are picked up by the first Scan or Run.
func New(cfg Config) (*Watcher, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: Dir is required", ErrConfig)
	}
	dir, work, err := spoolfs.WorkDirs(cfg.Dir, cfg.WorkDir, "spool")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if cfg.Action == ActionDefault {
		cfg.Action = PDFView
	}
	if _, ok := actionNames[cfg.Action]; !ok {
		return nil, fmt.Errorf("%w: unknown action %v", ErrConfig, cfg.Action)
	}
	if cfg.Action == Dialog && cfg.Dialog == nil {
		return nil, fmt.Errorf("%w: action DIALOG needs Config.Dialog", ErrConfig)
	}
	if err := checkPrinter(cfg.Printer); err != nil {
		return nil, err
	}
	if cfg.Interval < 0 || cfg.CopyKeep < 0 || cfg.MaxJobs < 0 {
		return nil, fmt.Errorf("%w: negative Interval, CopyKeep or MaxJobs", ErrConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.CopyKeep == 0 {
		cfg.CopyKeep = DefaultCopyKeep
	}
	if cfg.MaxJobs == 0 {
		cfg.MaxJobs = DefaultMaxJobs
	}
	if cfg.LP == "" {
		cfg.LP = DefaultLP
	}
	if len(cfg.Viewer) == 0 {
		cfg.Viewer = []string{DefaultViewer}
	}
	if len(cfg.PrintCommand) == 0 {
		cfg.PrintCommand = []string{DefaultPrintCommand}
	}
	w := &Watcher{
		cfg:     cfg,
		dir:     dir,
		claimed: filepath.Join(work, claimedDir),
		failed:  filepath.Join(work, failedDir),
		copies:  filepath.Join(work, copiesDir),
		log:     cfg.Logger,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	save := cfg.SaveDir
	if save == "" {
		save = DefaultSaveDir
	}
	if w.saveDir, err = spoolfs.ExpandHome(save); err != nil {
		return nil, fmt.Errorf("%w: SaveDir: %v", ErrConfig, err)
	}
	if err := spoolfs.MakeDirs(dir, w.claimed, w.failed, w.copies); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	spoolfs.SweepOlder(w.copies, cfg.CopyKeep)
	w.run = spoolfs.NewRunner(cfg.MaxJobs, ErrClosed)
	return w, nil
}

// checkPrinter refuses printer names that lp could take for an option or
// that no CUPS queue can have.
func checkPrinter(p string) error {
	if strings.HasPrefix(p, "-") || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: invalid printer name %q", ErrConfig, p)
	}
	return nil
}

// Run looks for complete jobs at once and then every Config.Interval, and
// starts the action for each. It returns when ctx ends (ctx.Err()) or the
// Watcher is closed (ErrClosed), after the jobs it started have finished;
// jobs still running then are stopped and stay claimed, to be run again by
// the next Scan or Run. Problems reading the spool go to Config.OnError and
// do not end Run.
func (w *Watcher) Run(ctx context.Context) error {
	return w.run.Watch(ctx, w.cfg.Interval, w.dispatch, func(err error) { w.report("", err) })
}

// Scan processes every job that is complete now (and every job abandoned
// by a crashed watcher) and waits until they have finished. It returns an
// error only if the spool cannot be read, ctx ended or the Watcher is
// closed; failed jobs are reported through Config.OnError.
func (w *Watcher) Scan(ctx context.Context) error {
	return w.run.Drain(ctx, w.dispatch)
}

// Close stops Run, ends the commands of running jobs (SIGTERM, then
// SIGKILL) and waits for their goroutines. Interrupted jobs stay claimed
// and are run again by the next watcher on this spool. Close is idempotent.
func (w *Watcher) Close() error {
	w.run.Close()
	w.copyDue.Expire(time.Now())
	return nil
}

// Retry queues a failed job again: its files move back to the claimed
// folder, where the next Scan or Run finds and runs it.
func (w *Watcher) Retry(id string) error {
	if err := checkName(id); err != nil {
		return err
	}
	marker := filepath.Join(w.failed, id+ReadySuffix)
	if _, err := os.Lstat(marker); err != nil {
		return err
	}
	// The PDF first, then the marker: a marker in "claimed" is what makes
	// a job visible, and its PDF must already be there.
	pdf := filepath.Join(w.failed, id)
	if _, err := os.Lstat(pdf); err == nil {
		if err := spoolfs.MoveNoReplace(pdf, filepath.Join(w.claimed, id)); err != nil {
			return err
		}
	}
	return spoolfs.MoveNoReplace(marker, filepath.Join(w.claimed, id+ReadySuffix))
}

// Failed lists the jobs kept in the failed folder.
func (w *Watcher) Failed() ([]Job, error) {
	ents, err := os.ReadDir(w.failed)
	if err != nil {
		return nil, err
	}
	var jobs []Job
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ReadySuffix)
		if !ok || id == "" {
			continue
		}
		job := Job{ID: id}
		if f, err := spoolfs.OpenRegular(filepath.Join(w.failed, e.Name())); err == nil {
			if b, err := readReady(f); err == nil {
				_, job.Title, _ = ParseReady(b)
			}
			f.Close()
		}
		if _, err := os.Lstat(filepath.Join(w.failed, id)); err == nil {
			job.PDF = filepath.Join(w.failed, id)
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// dispatch claims the jobs it finds, up to the free job slots, and starts a
// goroutine for each, counted in started. more reports that jobs were left
// for lack of a free slot.
func (w *Watcher) dispatch(ctx context.Context, started *sync.WaitGroup) (more bool, err error) {
	err = w.run.Pass(ctx, func() error {
		w.copyDue.Expire(time.Now())

		var cands []spoolfs.Candidate
		if names, err := readyNames(w.claimed); err == nil {
			for _, id := range names {
				cands = append(cands, spoolfs.Candidate{Name: id, Claimed: true})
			}
		} else {
			w.report("claimed", err)
		}
		names, err := readyNames(w.dir)
		if err != nil {
			return fmt.Errorf("printing: reading spool: %w", err)
		}
		for _, id := range names {
			cands = append(cands, spoolfs.Candidate{Name: id})
		}

		more = spoolfs.StartEach(ctx, w.run, cands, started,
			func(c spoolfs.Candidate) (func(context.Context), error) {
				job, lock, err := w.claim(c)
				if err != nil || lock == nil {
					return nil, err
				}
				return func(ctx context.Context) { w.process(ctx, job, lock) }, nil
			}, w.report)
		return nil
	})
	return more, err
}

// readyNames lists the job IDs of the .ready files in dir, sorted.
func readyNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ReadySuffix); ok && id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// claim takes a job: it opens and locks the .ready file, moves it into
// the claimed folder (unless it is there already), and moves the PDF next
// to it. A nil lock and nil error mean that the job is gone or another
// watcher holds it. A malformed job is moved to the failed folder and
// returned as a *JobError.
func (w *Watcher) claim(c spoolfs.Candidate) (Job, *os.File, error) {
	marker := filepath.Join(w.claimed, c.Name+ReadySuffix)
	src := marker
	if !c.Claimed {
		src = filepath.Join(w.dir, c.Name+ReadySuffix)
	}
	f, err := spoolfs.OpenRegular(src)
	if errors.Is(err, fs.ErrNotExist) {
		return Job{}, nil, nil
	}
	if err != nil {
		return Job{}, nil, &JobError{Job: Job{ID: c.Name}, Err: fmt.Errorf("%w: %v", ErrInvalidJob, err)}
	}
	if held, err := spoolfs.Hold(f, src); !held {
		return Job{}, nil, err
	}
	content, err := readReady(f)
	if err != nil {
		f.Close()
		return Job{}, nil, err
	}
	if !c.Claimed {
		if err := spoolfs.MoveNoReplace(src, marker); err != nil {
			f.Close()
			return Job{}, nil, fmt.Errorf("printing: claiming job %q: %w", c.Name, err)
		}
	}

	job := Job{ID: c.Name, PDF: filepath.Join(w.claimed, c.Name)}
	pdfName, title, perr := ParseReady(content)
	job.Title = title
	if perr == nil {
		perr = w.fetchPDF(job.PDF, pdfName)
	}
	if perr != nil {
		w.fail(&job)
		f.Close()
		return Job{}, nil, &JobError{Job: job, Err: perr}
	}
	w.log.Info("print job claimed", "job", job.ID, "title", job.Title, "orphan", c.Claimed)
	return job, f, nil
}

// fetchPDF makes sure the job's PDF is a regular file at dst, moving it
// there from the spool if it is not there yet (a fresh job, or one whose
// claim was interrupted between the two moves).
func (w *Watcher) fetchPDF(dst, pdfName string) error {
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
		src := filepath.Join(w.dir, pdfName)
		fi, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("%w: PDF %q: %v", ErrInvalidJob, pdfName, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: PDF %q is not a regular file", ErrInvalidJob, pdfName)
		}
		if err := spoolfs.MoveNoReplace(src, dst); err != nil {
			return fmt.Errorf("printing: moving PDF %q: %w", pdfName, err)
		}
	}
	// The server might have swapped the file between the check and the
	// move; what counts is what now sits in the work directory.
	fi, err := os.Lstat(dst)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidJob, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: PDF of the job is not a regular file", ErrInvalidJob)
	}
	return nil
}

// fail moves a claimed job into the failed folder (the PDF first, so that a
// crash in between leaves the marker where recovery looks) and updates
// job.PDF. Should the failed folder already hold a job of this ID, the new
// one gets a suffixed ID there.
func (w *Watcher) fail(job *Job) {
	fid := job.ID
	if _, err := os.Lstat(filepath.Join(w.failed, fid+ReadySuffix)); err == nil {
		fid += "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	pdf := filepath.Join(w.claimed, job.ID)
	if _, err := os.Lstat(pdf); err == nil {
		dst := filepath.Join(w.failed, fid)
		if err := os.Rename(pdf, dst); err != nil {
			w.log.Error("cannot move failed print job", "job", job.ID, "err", err)
			return
		}
		job.PDF = dst
	} else {
		job.PDF = ""
	}
	if err := spoolfs.MoveNoReplace(filepath.Join(w.claimed, job.ID+ReadySuffix), filepath.Join(w.failed, fid+ReadySuffix)); err != nil {
		w.log.Error("cannot move failed print job", "job", job.ID, "err", err)
	}
}

// process runs the action for a claimed job and completes, keeps or
// releases it. lock is the open, locked .ready file; closing it releases
// the claim.
func (w *Watcher) process(ctx context.Context, job Job, lock *os.File) {
	defer lock.Close()
	res, err := w.perform(ctx, job)
	switch {
	case err == nil:
		// The marker first: a PDF left by a crash right here is only
		// litter, a marker without PDF would be reported as broken.
		os.Remove(filepath.Join(w.claimed, job.ID+ReadySuffix))
		os.Remove(job.PDF)
		w.log.Info("print job done", "job", job.ID, "action", res.Action.String(), "output", res.Output)
		if w.cfg.OnDone != nil {
			w.cfg.OnDone(job, res)
		}
	case ctx.Err() != nil:
		w.log.Info("print job interrupted; it stays claimed and runs again next time", "job", job.ID, "err", err)
	default:
		w.fail(&job)
		jerr := &JobError{Job: job, Action: res.Action, Err: err}
		w.log.Warn("print job failed; kept", "job", job.ID, "pdf", job.PDF, "err", err)
		if w.cfg.OnError != nil {
			w.cfg.OnError(jerr)
		}
	}
}

// report passes err to OnError unless it repeats the last error reported
// for key (a job, or "" for the spool itself); a nil err says key is fine
// again.
func (w *Watcher) report(key string, err error) {
	if w.reported.Report(key, err, w.cfg.OnError) {
		w.log.Warn("print spool problem", "err", err)
	}
}

// keepCopy schedules the deletion of a title-named copy.
func (w *Watcher) keepCopy(path string) {
	w.copyDue.Add(path, time.Now().Add(w.cfg.CopyKeep))
}
