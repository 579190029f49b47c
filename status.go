package x2go

import "github.com/x2go-go/x2go/internal/term"

// Status is the state of the X2Go session a Session drives, as python-x2go
// tracks it with its virgin/running/suspended/terminated/faulty flags.
type Status = term.Status

// The states of a Session's X2Go session.
const (
	// StatusVirgin: this Session has not started or resumed a session yet.
	StatusVirgin = term.StatusVirgin
	// StatusStarting: a start or resume is in progress.
	StatusStarting = term.StatusStarting
	// StatusRunning: the server lists the session as running (R).
	StatusRunning = term.StatusRunning
	// StatusSuspended: the server lists the session as suspended (S).
	StatusSuspended = term.StatusSuspended
	// StatusTerminated: the session is gone from the server's list.
	StatusTerminated = term.StatusTerminated
	// StatusFaulty: the session should be running but its graphics failed,
	// or its start failed half-way.
	StatusFaulty = term.StatusFaulty
	// StatusUnknown: the control connection is down, the state cannot be
	// known.
	StatusUnknown = term.StatusUnknown
)

// StatusChange is a transition reported to Hooks.StatusChanged: the
// session's name, the old and new status, and ByMe, true when this client
// caused it and false when another client or the server did.
type StatusChange = term.StatusChange
