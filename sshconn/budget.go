package sshconn

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// TimeoutError is the cause of a connect that ran out of its
// ConnectTimeout. It matches context.DeadlineExceeded (errors.Is) and
// arrives wrapped in a *ConnectError.
type TimeoutError struct {
	Limit time.Duration // the ConnectTimeout that ran out
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within the connect timeout of %v", e.Limit)
}

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, as net.Error does for timeouts.
func (e *TimeoutError) Timeout() bool { return true }

// budget is a connect timeout that counts network time only. It runs while
// the client waits for the network and is paused while a person is asked
// something (a host key question): a person who takes a minute to answer
// must not make the connect fail. When it runs out, the context it
// returned is cancelled with a *TimeoutError as cause; the caller's
// context cancels it at any time, paused or not.
//
// A budget may have a parent (the whole connect's budget above one jump
// hop's): pausing a budget pauses its parents too.
type budget struct {
	parent *budget
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	left   time.Duration // what remained when the budget last started running
	since  time.Time     // when it last started running
	paused int           // nested pauses
	timer  *time.Timer
	fired  bool // the timer has run out (or is about to)
	ended  bool
}

// newBudget starts a running budget of d under ctx.
func newBudget(ctx context.Context, d time.Duration, parent *budget) (context.Context, *budget) {
	ctx, cancel := context.WithCancelCause(ctx)
	b := &budget{parent: parent, cancel: cancel, left: d, since: time.Now()}
	cause := &TimeoutError{Limit: d}
	b.timer = time.AfterFunc(d, func() { cancel(cause) })
	return ctx, b
}

// pause stops the clock of b and its parents until the matching resume.
func (b *budget) pause() {
	for ; b != nil; b = b.parent {
		b.mu.Lock()
		if b.paused == 0 && !b.fired && !b.ended {
			if b.timer.Stop() {
				b.left -= time.Since(b.since)
			} else {
				b.fired = true
			}
		}
		b.paused++
		b.mu.Unlock()
	}
}

// resume restarts the clock with what was left when it was paused.
func (b *budget) resume() {
	for ; b != nil; b = b.parent {
		b.mu.Lock()
		b.paused--
		if b.paused == 0 && !b.fired && !b.ended {
			b.since = time.Now()
			b.timer.Reset(max(b.left, 0))
		}
		b.mu.Unlock()
	}
}

// end stops the clock for good and releases the context. It is called
// once the connect is over, successful or not.
func (b *budget) end() {
	b.mu.Lock()
	b.ended = true
	b.timer.Stop()
	b.mu.Unlock()
	b.cancel(nil)
}

// whilePaused runs f with the clock of b (which may be nil) stopped.
func (b *budget) whilePaused(f func()) {
	if b == nil {
		f()
		return
	}
	b.pause()
	defer b.resume()
	f()
}
