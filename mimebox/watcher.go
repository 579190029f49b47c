package mimebox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/spoolfs"
)

// Subdirectories of the work directory.
const (
	claimedDir = "claimed" // files being handled, or abandoned by a crash
	openedDir  = "opened"  // files handed to an opener, kept for OpenKeep
	failedDir  = "failed"  // files whose action failed
)

// A Watcher takes the files offered in a MIME box directory and handles
// each once. Create it with New, drive it with Run (polling) or Scan (one
// pass), stop it with Close. Its methods may be called from several
// goroutines.
type Watcher struct {
	cfg     Config
	dir     string
	claimed string
	opened  string
	failed  string
	saveDir string
	allow   []string        // upper-case suffixes ".EXT"
	deny    map[string]bool // upper-case extensions
	log     *slog.Logger

	run      *spoolfs.Runner
	reported spoolfs.Reporter
	openDue  spoolfs.Expiry

	mu   sync.Mutex
	seen map[string]observation // files in Dir waiting to settle
	kept map[string]observation // rejected files left in Dir (KeepRejected)
}

// observation is what a pass saw of a file in Dir.
type observation struct {
	size  int64
	mtime time.Time
	since time.Time // when this size and mtime were first seen
}

// New checks cfg, creates the MIME box and work directories if needed and
// returns a Watcher. Files already waiting, or left claimed by a crashed
// run, are taken by the first Scan or Run.
func New(cfg Config) (*Watcher, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: Dir is required", ErrConfig)
	}
	dir, work, err := spoolfs.WorkDirs(cfg.Dir, cfg.WorkDir, "MIME box")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if cfg.Action == ActionDefault {
		cfg.Action = SaveAs
	}
	if _, ok := actionNames[cfg.Action]; !ok {
		return nil, fmt.Errorf("%w: unknown action %v", ErrConfig, cfg.Action)
	}
	if cfg.Interval < 0 || cfg.OpenKeep < 0 || cfg.MaxJobs < 0 {
		return nil, fmt.Errorf("%w: negative Interval, OpenKeep or MaxJobs", ErrConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.OpenKeep == 0 {
		cfg.OpenKeep = DefaultOpenKeep
	}
	if cfg.SettleTime == 0 {
		cfg.SettleTime = DefaultSettleTime
	}
	if cfg.MaxJobs == 0 {
		cfg.MaxJobs = DefaultMaxJobs
	}
	if len(cfg.Opener) == 0 {
		cfg.Opener = []string{DefaultOpener}
	}
	w := &Watcher{
		cfg:     cfg,
		dir:     dir,
		claimed: filepath.Join(work, claimedDir),
		opened:  filepath.Join(work, openedDir),
		failed:  filepath.Join(work, failedDir),
		deny:    map[string]bool{},
		log:     cfg.Logger,
		seen:    map[string]observation{},
		kept:    map[string]observation{},
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, e := range cfg.Extensions {
		e = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(e), "."))
		if e != "" {
			w.allow = append(w.allow, "."+e)
		}
	}
	deny := cfg.Blacklist
	if deny == nil {
		deny = DefaultBlacklist
	}
	for _, e := range deny {
		w.deny[strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(e), "."))] = true
	}
	save := cfg.SaveDir
	if save == "" {
		save = DefaultSaveDir
	}
	if w.saveDir, err = spoolfs.ExpandHome(save); err != nil {
		return nil, fmt.Errorf("%w: SaveDir: %v", ErrConfig, err)
	}
	if err := spoolfs.MakeDirs(dir, w.claimed, w.opened, w.failed); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	spoolfs.SweepOlder(w.opened, cfg.OpenKeep)
	w.run = spoolfs.NewRunner(cfg.MaxJobs, ErrClosed)
	return w, nil
}

// Allowed reports whether a file of this name would be handled, and if
// not, why: the blacklist is checked first, then the whitelist.
func (w *Watcher) Allowed(name string) (ok bool, reason string) {
	upper := strings.ToUpper(name)
	if i := strings.LastIndexByte(upper, '.'); i >= 0 && w.deny[upper[i+1:]] {
		return false, fmt.Sprintf("extension .%s is blacklisted", upper[i+1:])
	}
	if len(w.allow) == 0 {
		return true, ""
	}
	for _, suffix := range w.allow {
		if strings.HasSuffix(upper, suffix) {
			return true, ""
		}
	}
	return false, "extension is not in the allowed list"
}

// Run looks for files at once and then every Config.Interval and handles
// each one that has settled. It returns when ctx ends (ctx.Err()) or the
// Watcher is closed (ErrClosed), after the files it started have been
// handled or interrupted (interrupted ones stay claimed for the next run).
func (w *Watcher) Run(ctx context.Context) error {
	return w.run.Watch(ctx, w.cfg.Interval, w.dispatch, func(err error) { w.report("", err) })
}

// Scan handles every file that has settled by now (see Config.SettleTime;
// a file is seen settled at the earliest on the pass after the one that
// first saw it unless its modification time is already older than
// SettleTime) and waits until they are done. It returns an error only if
// the directory cannot be read, ctx ended or the Watcher is closed.
func (w *Watcher) Scan(ctx context.Context) error {
	return w.run.Drain(ctx, w.dispatch)
}

// Close stops Run, ends running openers (SIGTERM, then SIGKILL), waits for
// them and deletes opened files whose time is up. Idempotent.
func (w *Watcher) Close() error {
	w.run.Close()
	w.openDue.Expire(time.Now())
	return nil
}

// dispatch claims the files that are ready, up to the free slots, and
// starts their handling. more reports files left for lack of a slot.
func (w *Watcher) dispatch(ctx context.Context, started *sync.WaitGroup) (more bool, err error) {
	err = w.run.Pass(ctx, func() error {
		now := time.Now()
		w.openDue.Expire(now)

		var cands []spoolfs.Candidate
		if ents, err := os.ReadDir(w.claimed); err == nil {
			for _, e := range ents {
				if e.Type().IsRegular() {
					cands = append(cands, spoolfs.Candidate{Name: e.Name(), Claimed: true})
				}
			}
		} else {
			w.report("claimed", err)
		}
		ents, err := os.ReadDir(w.dir)
		if err != nil {
			return fmt.Errorf("mimebox: reading %s: %w", w.dir, err)
		}
		present := map[string]bool{}
		for _, e := range ents {
			name := e.Name()
			present[name] = true
			if strings.HasPrefix(name, ".") || e.IsDir() || w.run.Active(name) {
				// Hidden names are upload temporaries (and python-x2go
				// refuses them); directories are not offered files.
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue
			}
			if !fi.Mode().IsRegular() {
				w.reject(name, fi, "not a regular file")
				continue
			}
			if !w.settled(name, fi, now) {
				continue
			}
			if w.cfg.Busy != nil && w.cfg.Busy(filepath.Join(w.dir, name)) {
				continue
			}
			if ok, reason := w.Allowed(name); !ok {
				w.reject(name, fi, reason)
				continue
			}
			cands = append(cands, spoolfs.Candidate{Name: name})
		}
		w.forget(present)

		more = spoolfs.StartEach(ctx, w.run, cands, started,
			func(c spoolfs.Candidate) (func(context.Context), error) {
				f, lock, err := w.claim(c)
				if err != nil || lock == nil {
					return nil, err
				}
				return func(ctx context.Context) { w.process(ctx, f, lock) }, nil
			}, w.report)
		return nil
	})
	return more, err
}

// settled records what this pass saw of a file and reports whether it has
// stayed unchanged for SettleTime.
func (w *Watcher) settled(name string, fi fs.FileInfo, now time.Time) bool {
	if w.cfg.SettleTime < 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.seen[name]
	if !ok || o.size != fi.Size() || !o.mtime.Equal(fi.ModTime()) {
		o = observation{size: fi.Size(), mtime: fi.ModTime(), since: now}
		w.seen[name] = o
	}
	// Unchanged for SettleTime by our own observation, or by its
	// modification time (a file waiting since before the watcher started
	// needs no second look).
	return now.Sub(o.since) >= w.cfg.SettleTime || now.Sub(fi.ModTime()) >= w.cfg.SettleTime
}

// forget drops the observations of files that are gone.
func (w *Watcher) forget(present map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for n := range w.seen {
		if !present[n] {
			delete(w.seen, n)
		}
	}
	for n := range w.kept {
		if !present[n] {
			delete(w.kept, n)
		}
	}
}

// reject removes (or, with KeepRejected, leaves) a refused file and reports
// it; a kept file is reported again only if it changes.
func (w *Watcher) reject(name string, fi fs.FileInfo, reason string) {
	rerr := &RejectedError{Name: name, Reason: reason}
	if w.cfg.KeepRejected {
		o := observation{size: fi.Size(), mtime: fi.ModTime()}
		w.mu.Lock()
		prev, ok := w.kept[name]
		w.kept[name] = o
		w.mu.Unlock()
		if ok && prev == o {
			return
		}
	} else {
		// os.Remove deletes a symlink itself, never its target.
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.report(name, fmt.Errorf("mimebox: removing rejected file: %w", err))
			return
		}
		rerr.Removed = true
		w.mu.Lock()
		delete(w.seen, name)
		w.mu.Unlock()
	}
	w.log.Warn("MIME box file rejected", "file", name, "reason", reason, "removed", rerr.Removed)
	if w.cfg.OnError != nil {
		w.cfg.OnError(rerr)
	}
}

// claim opens and locks a file and moves it into the claimed folder
// (unless it is there already). A nil lock and nil error mean that the
// file is gone or another watcher holds it.
func (w *Watcher) claim(c spoolfs.Candidate) (File, *os.File, error) {
	dst := filepath.Join(w.claimed, c.Name)
	src := dst
	if !c.Claimed {
		src = filepath.Join(w.dir, c.Name)
	}
	f, err := spoolfs.OpenRegular(src)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, nil, nil
	}
	if err != nil {
		return File{}, nil, err
	}
	if held, err := spoolfs.Hold(f, src); !held {
		return File{}, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return File{}, nil, err
	}
	if !c.Claimed {
		if err := spoolfs.MoveNoReplace(src, dst); err != nil {
			f.Close()
			return File{}, nil, fmt.Errorf("mimebox: claiming %q: %w", c.Name, err)
		}
		w.mu.Lock()
		delete(w.seen, c.Name)
		w.mu.Unlock()
	}
	w.log.Info("MIME box file claimed", "file", c.Name, "size", fi.Size(), "orphan", c.Claimed)
	return File{Name: c.Name, Path: dst, Size: fi.Size()}, f, nil
}

// safeName splits an offered file name into a sanitised stem and
// extension for the files the watcher creates.
func safeName(name string) (stem, ext string) {
	stem, ext = spoolfs.SplitExt(name)
	return spoolfs.SanitizeName(stem, "file"), spoolfs.SanitizeExt(ext)
}

// process handles a claimed file. lock is its open, locked descriptor;
// closing it releases the claim.
func (w *Watcher) process(ctx context.Context, f File, lock *os.File) {
	defer lock.Close()
	res, err := w.perform(ctx, &f)
	switch {
	case err == nil:
		f.Path = res.Output
		w.log.Info("MIME box file handled", "file", f.Name, "action", res.Action.String(), "output", res.Output)
		if w.cfg.OnDone != nil {
			w.cfg.OnDone(f, res)
		}
	case ctx.Err() != nil:
		w.log.Info("MIME box file interrupted; it stays claimed for the next run", "file", f.Name, "err", err)
	default:
		stem, ext := safeName(f.Name)
		if p, merr := spoolfs.MoveUnique(f.Path, w.failed, stem, ext, 0o600); merr == nil {
			f.Path = p
		} else {
			w.log.Error("cannot move failed MIME box file", "file", f.Name, "err", merr)
		}
		w.log.Warn("MIME box file failed; kept", "file", f.Name, "path", f.Path, "err", err)
		if w.cfg.OnError != nil {
			w.cfg.OnError(&FileError{File: f, Action: res.Action, Err: err})
		}
	}
}

// perform runs the action for a claimed file. f.Path follows the file.
func (w *Watcher) perform(ctx context.Context, f *File) (Result, error) {
	res := Result{Action: w.cfg.Action}
	stem, ext := safeName(f.Name)
	// Whatever the server's umask gave the file, the copies the user keeps
	// are private.
	if err := os.Chmod(f.Path, 0o600); err != nil {
		return res, err
	}

	if res.Action == SaveAs {
		if err := os.MkdirAll(w.saveDir, 0o700); err != nil {
			return res, err
		}
		out, err := spoolfs.MoveUnique(f.Path, w.saveDir, stem, ext, 0o600)
		if err != nil {
			return res, err
		}
		f.Path, res.Output = out, out
		return res, nil
	}

	argv := w.cfg.Opener
	if res.Action == OpenWith {
		if w.cfg.OpenWith == nil {
			w.log.Warn("OPENWITH without a chooser; opening with the default opener", "file", f.Name)
		} else {
			chosen, err := w.cfg.OpenWith(ctx, *f)
			if err != nil {
				return res, err
			}
			if len(chosen) == 0 {
				return res, fmt.Errorf("mimebox: OpenWith chose no program: %w", spoolfs.ErrEmptyCommand)
			}
			argv = chosen
		}
	}
	// The opener gets a sanitised name in the opened folder, where the file
	// stays for OpenKeep after the command returned.
	p, err := spoolfs.MoveUnique(f.Path, w.opened, stem, ext, 0o600)
	if err != nil {
		return res, err
	}
	now := time.Now()
	os.Chtimes(p, now, now) // the sweep of a later run counts from here
	f.Path = p
	err = spoolfs.Run(ctx, append(append([]string(nil), argv...), p), w.cfg.Env)
	if err != nil {
		if ctx.Err() != nil {
			// Back to the claimed folder, to be opened by the next run.
			if merr := spoolfs.MoveNoReplace(p, filepath.Join(w.claimed, f.Name)); merr == nil {
				f.Path = filepath.Join(w.claimed, f.Name)
			}
		}
		return res, err
	}
	w.openDue.Add(p, time.Now().Add(w.cfg.OpenKeep))
	res.Output = p
	return res, nil
}

// report passes err to OnError unless it repeats the last error reported
// for key (a job, or "" for the spool itself); a nil err says key is fine
// again.
func (w *Watcher) report(key string, err error) {
	if w.reported.Report(key, err, w.cfg.OnError) {
		w.log.Warn("MIME box problem", "err", err)
	}
}
