package x2go

import (
	"context"
	"errors"
	"time"
)

// DefaultQueryTimeout is the time limit of each query in Timeouts that is
// not set: python-x2go's 20 s.
const DefaultQueryTimeout = 20 * time.Second

// Timeouts are the time limits of server queries that can hang: scripts
// that probe X displays, read many files, or start programs on the
// server. A zero field means DefaultQueryTimeout. When a limit passes,
// the query fails with a *TimeoutError; the connection stays up. The
// queries of a control session (listing desktops, reading the menu) use
// the Options it was made with, also for the Sessions that share it.
type Timeouts struct {
	// ListDesktops bounds x2golistdesktops (ListDesktops, and the check
	// ShareDesktop makes first).
	ListDesktops time.Duration
	// Menu bounds x2gogetapps, which reads the published applications.
	Menu time.Duration
	// Exec bounds starting a published application.
	Exec time.Duration
}

// bounded runs query with the time limit limit (DefaultQueryTimeout if
// 0) and turns that limit passing — not the caller's ctx ending — into a
// *TimeoutError for op.
func bounded[T any](ctx context.Context, limit time.Duration, op error, query func(context.Context) (T, error)) (T, error) {
	if limit <= 0 {
		limit = DefaultQueryTimeout
	}
	qctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	v, err := query(qctx)
	if err != nil && ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return v, &TimeoutError{Op: op, Limit: limit, Err: err}
	}
	return v, err
}
