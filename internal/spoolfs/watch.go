package spoolfs

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Pass is one look at a spool: it claims the jobs that are ready, up to the
// free slots, and starts them, adding each to started. more reports jobs
// left waiting for a slot. Both watchers write theirs with Runner.Pass and
// StartEach.
type Pass func(ctx context.Context, started *sync.WaitGroup) (more bool, err error)

// Watch runs pass at once and then every interval until ctx ends or r is
// closed, and waits for the jobs it started before it returns ctx.Err()
// or the runner's closed error. Each pass's outcome goes to outcome: its error, or
// nil when it read the spool, so that a problem that went away can be
// forgotten.
func (r *Runner) Watch(ctx context.Context, interval time.Duration, pass Pass, outcome func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var jobs sync.WaitGroup
	defer jobs.Wait()
	for {
		_, err := pass(ctx, &jobs)
		switch {
		case errors.Is(err, r.closedErr):
			return r.closedErr
		case ctx.Err() != nil:
			return ctx.Err()
		}
		outcome(err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.Closed():
			return r.closedErr
		case <-t.C:
		}
	}
}

// Drain runs passes, each waiting for the jobs it started, until a pass
// leaves no job waiting for a slot. It returns the first pass error.
func (r *Runner) Drain(ctx context.Context, pass Pass) error {
	for {
		var jobs sync.WaitGroup
		more, err := pass(ctx, &jobs)
		jobs.Wait()
		if err != nil {
			return err
		}
		if !more || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Candidate is a job a pass found: a file of this name in the spool, or in
// the claimed folder (Claimed) when a crashed or interrupted run left it.
// The name is the job's ID for the Runner.
type Candidate struct {
	Name    string
	Claimed bool
}

// StartEach claims and starts the candidates in order, inside a pass, and
// reports whether some were left because every slot was taken. A
// candidate whose ID runs already is passed over. claim returns the work
// for a candidate it took, nil work for one another process holds, or an
// error; outcome hears each attempt's error under the candidate's ID, or
// nil for one that was started.
func StartEach(ctx context.Context, r *Runner, cands []Candidate, started *sync.WaitGroup,
	claim func(Candidate) (work func(context.Context), err error), outcome func(id string, err error)) (more bool) {
	for _, c := range cands {
		if r.Active(c.Name) {
			continue
		}
		if !r.Acquire() {
			return true
		}
		work, err := claim(c)
		if err != nil || work == nil {
			r.Release()
			if err != nil {
				outcome(c.Name, err)
			}
			continue
		}
		outcome(c.Name, nil)
		r.Go(ctx, c.Name, started, work)
	}
	return false
}
