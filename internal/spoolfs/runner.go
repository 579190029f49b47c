package spoolfs

import (
	"context"
	"os"
	"sync"
	"time"
)

// Runner is the job bookkeeping both spool watchers share: at most a fixed
// number of jobs at a time, each job ID at most once in this process, one
// pass claiming jobs at a time, and a Close that cancels every job and
// waits for all of their goroutines.
type Runner struct {
	base   context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	passMu sync.Mutex

	closedErr error // what Pass and Watch fail with once closed

	mu     sync.Mutex
	closed bool
	active map[string]bool
}

// NewRunner returns a Runner for up to maxJobs concurrent jobs. Once it
// is closed, Pass, Watch and Drain fail with closedErr, the watcher's own
// "closed" error.
func NewRunner(maxJobs int, closedErr error) *Runner {
	r := &Runner{sem: make(chan struct{}, maxJobs), active: map[string]bool{}, closedErr: closedErr}
	r.base, r.cancel = context.WithCancel(context.Background())
	return r
}

// Pass runs fn, the search for and claiming of jobs, with no other pass
// running at the same time. It fails with the closed error after Close,
// and with ctx.Err() once ctx has ended, without running fn.
func (r *Runner) Pass(ctx context.Context, fn func() error) error {
	r.passMu.Lock()
	defer r.passMu.Unlock()
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return r.closedErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn()
}

// Closed is done once Close has been called.
func (r *Runner) Closed() <-chan struct{} { return r.base.Done() }

// Active reports whether a job with this ID runs in this process.
func (r *Runner) Active(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[id]
}

// Acquire takes a job slot if one is free.
func (r *Runner) Acquire() bool {
	select {
	case r.sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives back a slot taken by Acquire that was not passed to Go.
func (r *Runner) Release() { <-r.sem }

// Go runs work for job id in a new goroutine, holding the slot taken by
// Acquire until it returns. work's context ends with ctx or on Close.
// started (if not nil) is done when work has returned. Go must be called
// inside Pass.
func (r *Runner) Go(ctx context.Context, id string, started *sync.WaitGroup, work func(ctx context.Context)) {
	r.mu.Lock()
	r.active[id] = true
	r.mu.Unlock()
	jctx, stop := context.WithCancel(ctx)
	unhook := context.AfterFunc(r.base, stop)
	r.wg.Add(1)
	if started != nil {
		started.Add(1)
	}
	go func() {
		defer func() {
			unhook()
			stop()
			r.mu.Lock()
			delete(r.active, id)
			r.mu.Unlock()
			<-r.sem
			if started != nil {
				started.Done()
			}
			r.wg.Done()
		}()
		work(jctx)
	}()
}

// Close stops new passes, cancels the running jobs and waits for them.
func (r *Runner) Close() {
	// Under passMu: a pass starting jobs right now finishes first, and
	// every later pass sees closed, so no job is added once wg.Wait runs.
	r.passMu.Lock()
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.passMu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// Reporter passes errors to a callback, but each key's error only when it
// differs from the last one reported for that key, so a lasting problem
// is not repeated on every pass.
type Reporter struct {
	mu   sync.Mutex
	last map[string]string
}

// Report calls fn(err) unless err repeats the last error for key. It
// reports whether fn was called (fn may be nil). A nil err says key is
// fine again: its last error is forgotten, so that it is reported anew if
// it comes back.
func (r *Reporter) Report(key string, err error, fn func(error)) bool {
	r.mu.Lock()
	if err == nil {
		delete(r.last, key)
		r.mu.Unlock()
		return false
	}
	if r.last == nil {
		r.last = map[string]string{}
	}
	same := r.last[key] == err.Error()
	r.last[key] = err.Error()
	r.mu.Unlock()
	if same {
		return false
	}
	if fn != nil {
		fn(err)
	}
	return true
}

// Expiry deletes files once their time is up: the copies handed to
// viewers, which must outlive the command that started the viewer.
type Expiry struct {
	mu  sync.Mutex
	due map[string]time.Time
}

// Add schedules path for deletion at t.
func (e *Expiry) Add(path string, t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.due == nil {
		e.due = map[string]time.Time{}
	}
	e.due[path] = t
}

// Expire deletes every scheduled file whose time is not after now.
func (e *Expiry) Expire(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for p, t := range e.due {
		if !now.Before(t) {
			os.Remove(p)
			delete(e.due, p)
		}
	}
}

// SweepOlder deletes the files in dir last modified more than age ago,
// left there by an earlier run.
func SweepOlder(dir string, age time.Duration) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > age {
			os.Remove(dir + string(os.PathSeparator) + e.Name())
		}
	}
}
