package x2go

// Status is the state of the X2Go session a Session drives, as python-x2go
// tracks it with its virgin/running/suspended/terminated/faulty flags.
type Status int

const (
	// StatusVirgin: this Session has not started or resumed a session yet.
	StatusVirgin Status = iota
	// StatusStarting: a start or resume is in progress.
	StatusStarting
	// StatusRunning: the server lists the session as running (R).
	StatusRunning
	// StatusSuspended: the server lists the session as suspended (S).
	StatusSuspended
	// StatusTerminated: the session is gone from the server's list.
	StatusTerminated
	// StatusFaulty: the session should be running but its graphics path
	// (tunnel or nxproxy) failed.
	StatusFaulty
	// StatusUnknown: the control connection is down, the state cannot be known.
	StatusUnknown
)

func (st Status) String() string {
	switch st {
	case StatusVirgin:
		return "virgin"
	case StatusStarting:
		return "starting"
	case StatusRunning:
		return "running"
	case StatusSuspended:
		return "suspended"
	case StatusTerminated:
		return "terminated"
	case StatusFaulty:
		return "faulty"
	default:
		return "unknown"
	}
}

// StatusChange is a transition reported to Hooks.StatusChanged.
type StatusChange struct {
	Name     string // session name
	From, To Status
	// ByMe: this Session caused it (start, resume, suspend, terminate);
	// false when another client or the server did.
	ByMe bool
}
