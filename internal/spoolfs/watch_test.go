package spoolfs

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// errTestClosed is what the tests' runners fail with once closed.
var errTestClosed = errors.New("test runner closed")

// TestStartEachAndDrain: with one slot, Drain runs the jobs one pass at a
// time until none is left; a job another process holds and a job whose
// claim fails are passed over and their slot given back; the failure is
// reported under its ID and a started job's ID hears nil.
func TestStartEachAndDrain(t *testing.T) {
	r := NewRunner(1, errTestClosed)
	defer r.Close()
	var mu sync.Mutex
	done := map[string]bool{}
	heard := map[string]error{}
	passes := 0
	pass := func(ctx context.Context, started *sync.WaitGroup) (bool, error) {
		var more bool
		err := r.Pass(ctx, func() error {
			passes++
			var todo []Candidate
			mu.Lock()
			for _, id := range []string{"held", "broken", "a", "b", "c"} {
				if !done[id] {
					todo = append(todo, Candidate{Name: id})
				}
			}
			mu.Unlock()
			// A started job holds its slot until this pass is over, so
			// the next candidate finds no slot whatever the timing.
			gate := make(chan struct{})
			defer close(gate)
			more = StartEach(ctx, r, todo, started,
				func(c Candidate) (func(context.Context), error) {
					id := c.Name
					switch id {
					case "held":
						return nil, nil
					case "broken":
						return nil, errors.New("cannot claim")
					}
					return func(context.Context) {
						<-gate
						mu.Lock()
						done[id] = true
						mu.Unlock()
					}, nil
				},
				func(id string, err error) {
					mu.Lock()
					heard[id] = err
					mu.Unlock()
				})
			return nil
		})
		return more, err
	}
	if err := r.Drain(context.Background(), pass); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if !done[id] {
			t.Errorf("job %s never ran", id)
		}
		if err, ok := heard[id]; !ok || err != nil {
			t.Errorf("job %s: outcome %v (heard: %v)", id, err, ok)
		}
	}
	if done["held"] || done["broken"] {
		t.Errorf("ran a job it could not claim: %v", done)
	}
	if heard["broken"] == nil {
		t.Errorf("the failed claim was not reported")
	}
	if _, ok := heard["held"]; ok {
		t.Errorf("a job held elsewhere was reported")
	}
	if passes != 3 {
		t.Errorf("%d passes for three jobs and one slot, want 3", passes)
	}
}

// TestWatchEndsOnClose: Watch reports each pass's outcome, keeps going
// after a failing pass, and returns the closed error once the runner closes.
func TestWatchEndsOnClose(t *testing.T) {
	r := NewRunner(2, errTestClosed)
	var n atomic.Int32
	var outcomes []error
	var mu sync.Mutex
	fail := errors.New("spool unreadable")
	pass := func(ctx context.Context, started *sync.WaitGroup) (bool, error) {
		return false, r.Pass(ctx, func() error {
			if n.Add(1) == 1 {
				return fail
			}
			return nil
		})
	}
	res := make(chan error, 1)
	go func() {
		res <- r.Watch(context.Background(), 5*time.Millisecond, pass, func(err error) {
			mu.Lock()
			outcomes = append(outcomes, err)
			mu.Unlock()
		})
	}()
	for n.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	r.Close()
	if err := <-res; !errors.Is(err, errTestClosed) {
		t.Fatalf("Watch after Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(outcomes) < 2 || outcomes[0] != fail || slices.Contains(outcomes[1:], fail) {
		t.Errorf("outcomes %v, want the failure once, then nil", outcomes)
	}
}

// TestWatchEndsWithContext returns ctx's error.
func TestWatchEndsWithContext(t *testing.T) {
	r := NewRunner(1, errTestClosed)
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.Watch(ctx, time.Hour, func(ctx context.Context, _ *sync.WaitGroup) (bool, error) { return false, nil }, func(error) {})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch with a cancelled context: %v", err)
	}
}

// TestReporterRepeatsOnlyChanges: a lasting error is passed on once; a nil
// error in between makes the same error news again.
func TestReporterRepeatsOnlyChanges(t *testing.T) {
	var r Reporter
	var got []string
	fn := func(err error) { got = append(got, err.Error()) }
	e1, e2 := errors.New("one"), errors.New("two")
	r.Report("k", e1, fn)
	r.Report("k", e1, fn)
	r.Report("other", e1, fn)
	r.Report("k", e2, fn)
	r.Report("k", nil, fn)
	r.Report("k", e2, fn)
	if want := []string{"one", "one", "two", "two"}; !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
}
