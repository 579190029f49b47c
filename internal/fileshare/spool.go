package fileshare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
	"github.com/x2go-go/x2go/protocol"
)

// watcher is what the print spool and the MIME box have in common.
type watcher interface {
	Run(ctx context.Context) error
	Close() error
}

// spoolKind describes one kind of spool.
type spoolKind struct {
	name   string             // service name: printing, mimebox
	sub    string             // directory under the local session dir and <rc>
	kind   protocol.MountKind // how x2gomountdirs mounts it
	envVar string             // tells the session's command where it is
	// open makes the watcher for the local spool dir; shared is the
	// directory next to the session directories where claimed and
	// failed files live, so they survive the session.
	open func(dir, shared string) (watcher, error)
}

// SpoolConfig configures a print spool or MIME box service.
type SpoolConfig struct {
	// Transport is the session's sshfs transport; it must start before.
	Transport *Transport
	// LocalDir returns the local session directory of a session name
	// (<sessions root>/S-<name>); the spool is its subdirectory.
	LocalDir func(name string) string
}

// Spool is the print spool or MIME box service of a session.
type Spool struct {
	cfg  SpoolConfig
	kind spoolKind
}

// NewPrintSpool returns the printing service: the server mounts the
// session's spool directory and the print jobs it writes there go to a
// printing.Watcher made from tmpl (its Dir is set here; its WorkDir, if
// empty, is <sessions root>/print-jobs, shared by all sessions so that a
// failed or interrupted job outlives its session).
func NewPrintSpool(cfg SpoolConfig, tmpl printing.Config) *Spool {
	return &Spool{cfg: cfg, kind: spoolKind{
		name: "printing", sub: "spool", kind: protocol.MountPrintSpool, envVar: "X2GO_SPOOLDIR",
		open: func(dir, shared string) (watcher, error) {
			c := tmpl
			c.Dir = dir
			if c.WorkDir == "" {
				c.WorkDir = filepath.Join(shared, "print-jobs")
			}
			return printing.New(c)
		},
	}}
}

// NewMimeBox returns the MIME box service: the server mounts the
// session's MIME box directory and the files it puts there go to a
// mimebox.Watcher made from tmpl (Dir set here; WorkDir, if empty,
// <sessions root>/mimebox-files).
func NewMimeBox(cfg SpoolConfig, tmpl mimebox.Config) *Spool {
	return &Spool{cfg: cfg, kind: spoolKind{
		name: "mimebox", sub: "mimebox", kind: protocol.MountMIMEBox, envVar: "X2GO_MIMEBOX",
		open: func(dir, shared string) (watcher, error) {
			c := tmpl
			c.Dir = dir
			if c.WorkDir == "" {
				c.WorkDir = filepath.Join(shared, "mimebox-files")
			}
			return mimebox.New(c)
		},
	}}
}

// Name is "printing" or "mimebox".
func (s *Spool) Name() string { return s.kind.name }

// Start makes the local spool directory, has the server mount it and
// starts watching it.
func (s *Spool) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	m, err := s.cfg.Transport.Current()
	if err != nil {
		return nil, err
	}
	lc := s.cfg.LocalDir(run.Name)
	dir := filepath.Join(lc, s.kind.sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("x2go: %s: %w", s.kind.name, err)
	}
	w, err := s.kind.open(dir, filepath.Dir(lc))
	if err != nil {
		return nil, fmt.Errorf("x2go: %s: %w", s.kind.name, err)
	}
	if _, err := m.Mount(ctx, s.kind.kind, dir); err != nil {
		w.Close()
		return nil, err
	}
	inst := &spoolRun{
		m: m, dir: dir, w: w, done: make(chan struct{}),
		env: map[string]string{s.kind.envVar: protocol.SessionRCDir(m.home, run.Name) + "/" + s.kind.sub},
	}
	wctx, cancel := context.WithCancel(context.Background())
	inst.cancel = cancel
	go func() {
		err := w.Run(wctx)
		inst.mu.Lock()
		if wctx.Err() == nil && err != nil && !errors.Is(err, context.Canceled) {
			inst.err = err
		}
		inst.mu.Unlock()
		close(inst.done)
	}()
	return inst, nil
}

// spoolRun is a running spool.
type spoolRun struct {
	m      *Mounter
	dir    string
	w      watcher
	env    map[string]string
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
	once   sync.Once
}

func (r *spoolRun) SessionEnv() map[string]string { return r.env }

func (r *spoolRun) Done() <-chan struct{} { return r.done }

func (r *spoolRun) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Stop stops watching and sharing the spool; the transport's stop has
// the server unmount it.
func (r *spoolRun) Stop(context.Context) error {
	r.once.Do(func() {
		r.cancel()
		r.w.Close()
		<-r.done
		r.m.Forget(r.dir)
		r.mu.Lock()
		r.err = nil
		r.mu.Unlock()
	})
	return nil
}
