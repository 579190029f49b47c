package term

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// fakeServer plays x2goserver 4.1.0.3 for the terminal session's tests:
// it keeps a session table and answers the scripts in their real output
// formats (server-protocol.md; the same lines as the lab's trace). It is a
// service.Conn.
type fakeServer struct {
	mu       sync.Mutex
	sessions []protocol.SessionInfo
	cmds     []string
	next     int // next display number
	// override answers every command containing the key (the longest key
	// wins) instead of the session table.
	override map[string]sshconn.Result
	// once answers the next command containing the key, then is used up
	// (checked before override).
	once map[string][]sshconn.Result
	// hang makes commands containing the key block until ctx ends.
	hang map[string]bool
	// ignoreSuspends is how many suspend requests do nothing (as when the
	// agent's state file lags behind).
	ignoreSuspends int

	done    chan struct{}
	deadErr error
}

func newFakeServer() *fakeServer {
	return &fakeServer{next: 51, override: map[string]sshconn.Result{}, once: map[string][]sshconn.Result{}, hang: map[string]bool{}, done: make(chan struct{})}
}

const fakeCookie = "f1847cec37ed2687bd03f475f4753b71"

func (f *fakeServer) Run(ctx context.Context, cmd string) (*sshconn.Result, error) {
	f.mu.Lock()
	if f.deadErr != nil {
		f.mu.Unlock()
		return nil, f.deadErr
	}
	f.cmds = append(f.cmds, cmd)
	for k := range f.hang {
		if strings.Contains(cmd, k) {
			f.mu.Unlock()
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-f.done:
				return nil, f.Err()
			}
		}
	}
	defer f.mu.Unlock()
	for k, rs := range f.once {
		if strings.Contains(cmd, k) && len(rs) > 0 {
			f.once[k] = rs[1:]
			r := rs[0]
			return &r, nil
		}
	}
	keys := slices.Collect(func(yield func(string) bool) {
		for k := range f.override {
			if !yield(k) {
				return
			}
		}
	})
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		if strings.Contains(cmd, k) {
			r := f.override[k]
			return &r, nil
		}
	}
	return f.answer(cmd), nil
}

// answer plays the server's session table.
func (f *fakeServer) answer(cmd string) *sshconn.Result {
	words := strings.Fields(cmd)
	script := ""
	for _, w := range words {
		if strings.HasPrefix(w, "x2go") {
			script = w
			break
		}
	}
	if script == "" && len(words) > 0 {
		script = words[0]
	}
	ok := func(out string) *sshconn.Result { return &sshconn.Result{Stdout: out} }
	arg := func(i int) string { // i-th word after the script name, unquoted
		for j, w := range words {
			if w == script && j+i < len(words) {
				return strings.Trim(words[j+i], "'")
			}
		}
		return ""
	}
	switch {
	case script == "which":
		return ok("/usr/bin/" + arg(1) + "\nOK\n")
	case script == "x2gostartagent":
		d := f.next
		f.next++
		name := fmt.Sprintf("x2gotest-%d-%d_st%s%s_dp24", d, 1795627586+d, arg(8), protocol.CommandToken(arg(9)))
		gfx := 48000 + 10*d
		f.sessions = append(f.sessions, protocol.SessionInfo{
			AgentPID: 17000 + d, Name: name, Display: d, Hostname: "vm", Status: protocol.StatusRunning,
			CreatedAt: "2026-11-25T17:26:26", Cookie: fakeCookie, ClientIP: "127.0.0.1",
			GraphicsPort: gfx, SoundPort: gfx + 1, LastChangeAt: "2026-11-25T17:26:26", Username: "x2gotest",
			SSHFSPort: gfx + 2, TekiCtrlPort: -1, TekiDataPort: -1,
		})
		return ok(fmt.Sprintf("%d\n%s\n%d\n%s\n%d\n%d\n%d\n", d, fakeCookie, 17000+d, name, gfx, gfx+1, gfx+2))
	case script == "x2golistsessions":
		var b strings.Builder
		for _, si := range f.sessions {
			b.WriteString(si.Line() + "\n")
		}
		return ok(b.String())
	case script == "x2golistshadowsessions", script == "x2goruncommand":
		return ok("")
	case script == "x2goresume-session":
		i := f.find(arg(1))
		if i < 0 {
			return &sshconn.Result{Status: 1, Stderr: "no such session\n"}
		}
		f.sessions[i].Status = protocol.StatusRunning
		gfx := f.sessions[i].GraphicsPort
		return &sshconn.Result{
			Stdout: fmt.Sprintf("gr_port=%d\nsound_port=%d\nfs_port=%d\n", gfx, gfx+1, gfx+2),
			Stderr: "Died at /usr/lib/x2go/x2gormport line 34.\n",
		}
	case script == "x2gosuspend-session":
		if f.ignoreSuspends > 0 {
			f.ignoreSuspends--
			return ok("")
		}
		if i := f.find(arg(1)); i >= 0 {
			f.sessions[i].Status = protocol.StatusSuspended
		}
		return ok("")
	case script == "x2goterminate-session":
		if i := f.find(arg(1)); i >= 0 {
			f.sessions = slices.Delete(f.sessions, i, i+1)
		}
		return ok("")
	}
	return &sshconn.Result{Status: 127, Stderr: "sh: 1: " + script + ": not found\n"}
}

func (f *fakeServer) find(name string) int {
	return slices.IndexFunc(f.sessions, func(si protocol.SessionInfo) bool { return si.Name == name })
}

func (f *fakeServer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("fakeServer opens no channels")
}

func (f *fakeServer) Done() <-chan struct{} { return f.done }

func (f *fakeServer) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deadErr
}

// die ends the fake connection.
func (f *fakeServer) die() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deadErr == nil {
		f.deadErr = fmt.Errorf("%w: link dropped", sshconn.ErrConnectionLost)
		close(f.done)
	}
}

// setStatus changes a session's status as another client would.
func (f *fakeServer) setStatus(name, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.find(name); i >= 0 {
		if status == "" {
			f.sessions = slices.Delete(f.sessions, i, i+1)
		} else {
			f.sessions[i].Status = status
		}
	}
}

func (f *fakeServer) status(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.find(name); i >= 0 {
		return f.sessions[i].Status
	}
	return ""
}

// sent returns the commands whose script is one of scripts, in order.
func (f *fakeServer) sent(scripts ...string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.cmds {
		for _, s := range scripts {
			if strings.Contains(c, s) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// journal records what the fake services did, in order, across services.
type journal struct {
	mu     sync.Mutex
	events []string
}

func (j *journal) add(ev string) {
	j.mu.Lock()
	j.events = append(j.events, ev)
	j.mu.Unlock()
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// fakeService is a part of a running session whose start can fail and
// whose instances can be made to end on their own.
type fakeService struct {
	name string
	j    *journal

	mu        sync.Mutex
	failStart error
	env       map[string]string // given to the session's command
	insts     []*fakeInstance
	runs      []int // GraphicsPort of each run, to see what was passed
}

func (s *fakeService) Name() string { return s.name }

func (s *fakeService) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failStart != nil {
		s.j.add("fail " + s.name)
		return nil, s.failStart
	}
	s.j.add("start " + s.name + " " + run.Name + " " + strconv.Itoa(run.GraphicsPort))
	inst := &fakeInstance{svc: s, done: make(chan struct{}), env: s.env}
	s.insts = append(s.insts, inst)
	s.runs = append(s.runs, run.GraphicsPort)
	return inst, nil
}

// last returns the newest instance.
func (s *fakeService) last() *fakeInstance {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.insts) == 0 {
		return nil
	}
	return s.insts[len(s.insts)-1]
}

type fakeInstance struct {
	svc     *fakeService
	env     map[string]string
	once    sync.Once
	done    chan struct{}
	mu      sync.Mutex
	err     error
	stopped bool
}

func (i *fakeInstance) Done() <-chan struct{} { return i.done }

func (i *fakeInstance) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

func (i *fakeInstance) Stop(context.Context) error {
	i.mu.Lock()
	i.stopped, i.err = true, nil
	i.mu.Unlock()
	i.once.Do(func() {
		i.svc.j.add("stop " + i.svc.name)
		close(i.done)
	})
	return nil
}

// die ends the instance on its own with err.
func (i *fakeInstance) die(err error) {
	i.mu.Lock()
	i.err = err
	i.mu.Unlock()
	i.once.Do(func() {
		i.svc.j.add("died " + i.svc.name)
		close(i.done)
	})
}

func (i *fakeInstance) isStopped() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.stopped
}

// recorder collects the hooks' calls.
type recorder struct {
	mu       sync.Mutex
	changes  []StatusChange
	progress []int
	failed   []error
	noCmd    []string
	svcFail  []string
	lost     []error
	events   chan string
}

func newRecorder() *recorder { return &recorder{events: make(chan string, 100)} }

func (r *recorder) note(ev string) {
	select {
	case r.events <- ev:
	default:
	}
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		StatusChanged: func(c StatusChange) {
			r.mu.Lock()
			r.changes = append(r.changes, c)
			r.mu.Unlock()
			r.note("status:" + c.To.String())
		},
		Progress: func(p int) {
			r.mu.Lock()
			r.progress = append(r.progress, p)
			r.mu.Unlock()
		},
		StartupFailed: func(err error) {
			r.mu.Lock()
			r.failed = append(r.failed, err)
			r.mu.Unlock()
			r.note("startup-failed")
		},
		NoSuchCommand: func(cmd string) {
			r.mu.Lock()
			r.noCmd = append(r.noCmd, cmd)
			r.mu.Unlock()
		},
		ServiceFailed: func(name string, err error) {
			r.mu.Lock()
			r.svcFail = append(r.svcFail, name)
			r.mu.Unlock()
			r.note("service-failed:" + name)
		},
		GraphicsLost: func(err error) {
			r.mu.Lock()
			r.lost = append(r.lost, err)
			r.mu.Unlock()
			r.note("graphics-lost")
		},
	}
}

// waitFor waits up to 5 s for event ev.
func (r *recorder) waitFor(ev string) error {
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-r.events:
			if got == ev {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("no %q event within 5 s", ev)
		}
	}
}

// statuses returns the To of every status change.
func (r *recorder) statuses() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Status
	for _, c := range r.changes {
		out = append(out, c.To)
	}
	return out
}

func (i *fakeInstance) SessionEnv() map[string]string { return i.env }
