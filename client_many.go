package x2go

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"time"
)

// ServerResult is the outcome of a call across servers for one server
// (one control session of the registry): the sessions listed or ended,
// or why not. A failure of one server never hides the others' results.
type ServerResult struct {
	// ControlSession is the server's control session in the registry.
	ControlSession *ControlSession
	// ProfileName names the profile the control session was first made
	// for ("UNKNOWN" for Sessions registered without one).
	ProfileName string
	// Server, Port and User say where it is.
	Server string
	Port   int
	User   string
	// Sessions are the sessions listed (ListServers), or those suspended
	// or terminated (SuspendMatching, TerminateMatching).
	Sessions []SessionInfo
	// Err is why the server could not be reached, logged in to, listed,
	// or (joined, per session) why sessions could not be ended.
	Err error
	// Elapsed is how long the server took, connecting included.
	Elapsed time.Duration
}

// ListServers connects to every server of the registry that is not
// connected yet and lists the user's sessions there, all servers in
// parallel (at most ClientOptions.MaxParallel at once), and returns one
// result per server in registration order. Each server's connect is
// bounded by its Options.ConnectTimeout and everything by ctx; a server
// that is down, refuses the login or fails to list has its Err set and
// the others are listed all the same. The registered Sessions' status is
// brought up to date from the lists, as Refresh does.
func (c *Client) ListServers(ctx context.Context) []ServerResult {
	return c.acrossServers(ctx, func(ctx context.Context, ce *ctrlEntry, r *ServerResult) {
		r.Sessions, _, r.Err = c.listApplied(ctx, ce)
	})
}

// listApplied lists the sessions on ce and applies the list to the
// registry. busy reports whether one of ce's Sessions was starting when
// the list was asked for.
func (c *Client) listApplied(ctx context.Context, ce *ctrlEntry) (list []SessionInfo, busy bool, err error) {
	c.mu.Lock()
	before := c.observe(ce)
	c.mu.Unlock()
	list, err = ce.ctrl.ListSessions(ctx)
	if err != nil {
		return nil, false, err
	}
	letters := make(map[string]string, len(list))
	for _, si := range list {
		letters[si.Name] = si.Status
	}
	for _, o := range before {
		busy = busy || o.starting
		if o.name != "" {
			o.e.s.term.ApplyServerStatus(letters[o.name], o.seq)
		}
	}
	return list, busy, nil
}

// SuspendMatching suspends, on every server of the registry in parallel,
// the sessions match selects (see MatchName), whichever client shows them;
// a Session of this Client that drives one suspends it itself. Each
// result lists the sessions suspended; its Err joins the failures of that
// server.
func (c *Client) SuspendMatching(ctx context.Context, match func(SessionInfo) bool) []ServerResult {
	return c.endMatching(ctx, match, false)
}

// TerminateMatching terminates the sessions match selects on every server
// of the registry in parallel; see SuspendMatching.
func (c *Client) TerminateMatching(ctx context.Context, match func(SessionInfo) bool) []ServerResult {
	return c.endMatching(ctx, match, true)
}

func (c *Client) endMatching(ctx context.Context, match func(SessionInfo) bool, terminate bool) []ServerResult {
	return c.acrossServers(ctx, func(ctx context.Context, ce *ctrlEntry, r *ServerResult) {
		list, err := ce.ctrl.ListSessions(ctx)
		if err != nil {
			r.Err = err
			return
		}
		// A few at a time: each end runs server commands over the one
		// connection, and the server's scripts take their time.
		var chosen []SessionInfo
		for _, si := range list {
			if match(si) && (terminate || si.Status != "S") {
				chosen = append(chosen, si)
			}
		}
		errs := make([]error, len(chosen))
		sem := make(chan struct{}, endsPerServer)
		var wg sync.WaitGroup
		for i, si := range chosen {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := c.endOn(ctx, ce, si.Name, terminate); err != nil {
					errs[i] = fmt.Errorf("%s: %w", si.Name, err)
				}
			}()
		}
		wg.Wait()
		for i, si := range chosen {
			if errs[i] == nil {
				r.Sessions = append(r.Sessions, si)
			}
		}
		r.Err = errors.Join(errs...)
	})
}

// endsPerServer bounds the sessions suspended or terminated at once on
// one server.
const endsPerServer = 4

// endOn suspends or terminates the session name on ce, through the
// registered Session that drives it if there is one.
func (c *Client) endOn(ctx context.Context, ce *ctrlEntry, name string, terminate bool) error {
	c.mu.Lock()
	var drv *Session
	for _, e := range c.order {
		if e.ctrl == ce && e.s.Name() == name && e.s.term.Status() != StatusTerminated {
			drv = e.s
			break
		}
	}
	c.mu.Unlock()
	if drv != nil {
		if terminate {
			return drv.Terminate(ctx)
		}
		return drv.Suspend(ctx)
	}
	if terminate {
		return ce.ctrl.TerminateSession(ctx, name)
	}
	return ce.ctrl.SuspendSession(ctx, name)
}

// acrossServers connects to every server of the registry and runs f for
// it, all in parallel, and returns the results in registration order.
func (c *Client) acrossServers(ctx context.Context, f func(ctx context.Context, ce *ctrlEntry, r *ServerResult)) []ServerResult {
	c.mu.Lock()
	ctrls := slices.Clone(c.ctrlOrder)
	closed := c.closed
	c.mu.Unlock()
	out := make([]ServerResult, len(ctrls))
	done := make([]bool, len(ctrls))
	for i, ce := range ctrls {
		out[i] = ServerResult{ControlSession: ce.ctrl, ProfileName: ce.ctrl.ProfileName(),
			Server: ce.ctrl.Server(), Port: ce.ctrl.Port(), User: ce.ctrl.Username()}
	}
	if closed {
		for i := range out {
			out[i].Err = ErrClientClosed
		}
		return out
	}
	var mu sync.Mutex
	c.parallel(ctx, len(ctrls), func(ctx context.Context, i int) {
		r := &out[i]
		t0 := time.Now()
		if err := ctrls[i].ctrl.Connect(ctx); err != nil {
			r.Err = err
		} else {
			f(ctx, ctrls[i], r)
		}
		r.Elapsed = time.Since(t0)
		if r.User == "" {
			r.User = ctrls[i].ctrl.Username()
		}
		mu.Lock()
		done[i] = true
		mu.Unlock()
	})
	for i := range out {
		if !done[i] {
			out[i].Err = ctx.Err()
		}
	}
	return out
}

// MatchName returns a matcher for SuspendMatching and TerminateMatching:
// "ALL" selects every session (as pyhoca-cli's ALL); any other pattern is a shell glob (path.Match: *
// ? [...]) on the session name, and a name without glob characters
// selects that session only. A malformed pattern is an error.
func MatchName(pattern string) (func(SessionInfo) bool, error) {
	if pattern == "ALL" {
		return func(SessionInfo) bool { return true }, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("x2go: session pattern %q: %w", pattern, err)
	}
	return func(si SessionInfo) bool {
		ok, _ := path.Match(pattern, si.Name)
		return ok
	}, nil
}
