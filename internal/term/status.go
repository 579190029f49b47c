package term

// Status is the state of the X2Go session a terminal session drives, as
// python-x2go tracks it with its virgin/running/suspended/terminated/faulty
// flags.
type Status int

const (
	// StatusVirgin: no session has been started or resumed yet.
	StatusVirgin Status = iota
	// StatusStarting: a start or resume is in progress.
	StatusStarting
	// StatusRunning: the server lists the session as running (R).
	StatusRunning
	// StatusSuspended: the server lists the session as suspended (S).
	StatusSuspended
	// StatusTerminated: the session is gone from the server's list.
	StatusTerminated
	// StatusFaulty: the session should be running but a required part
	// (the graphics) failed, or its start failed half-way.
	StatusFaulty
	// StatusUnknown: the connection is down, the state cannot be known.
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

// StatusChange is one transition of a session's status.
type StatusChange struct {
	Name     string // session name
	From, To Status
	// ByMe: this client caused it (start, resume, suspend, terminate);
	// false when another client or the server did.
	ByMe bool
}
