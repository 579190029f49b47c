package fileshare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
)

// ErrNotMaster: only the master session of a profile mounts the profile's
// folders (python-x2go's master-session rule), and this is not it.
var ErrNotMaster = errors.New("x2go: this session is not its profile's master session, which shares the folders")

// FoldersConfig configures the shared folders service.
type FoldersConfig struct {
	// Transport is the session's sshfs transport; it must start before.
	Transport *Transport
	// Master reports whether this session mounts the folders. nil: always.
	Master func() bool
	// Failed reports a folder that could not be shared when the session
	// started or resumed; the other folders are shared all the same.
	Failed func(local string, err error)
}

// Folders is the shared folders service. It remembers which folders are
// shared, so that a resumed session gets them back.
type Folders struct {
	cfg FoldersConfig

	mu   sync.Mutex
	want []string // absolute local paths, in the order they were shared
}

// NewFolders returns the shared folders service, sharing folders (made
// absolute) in every run.
func NewFolders(cfg FoldersConfig, folders []string) *Folders {
	f := &Folders{cfg: cfg}
	for _, d := range folders {
		if abs, err := filepath.Abs(d); err == nil && !slices.Contains(f.want, abs) {
			f.want = append(f.want, abs)
		}
	}
	return f
}

// Name is "folders".
func (f *Folders) Name() string { return "folders" }

func (f *Folders) master() bool { return f.cfg.Master == nil || f.cfg.Master() }

// Start mounts the folders to share, if this is the master session. A
// folder that cannot be shared is reported and left out; the service
// runs all the same, so that folders can be shared later.
func (f *Folders) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	if _, err := f.cfg.Transport.Current(); err != nil {
		return nil, err
	}
	inst := &foldersRun{done: make(chan struct{})}
	if f.master() {
		for _, d := range f.wanted() {
			if err := f.mount(ctx, d); err != nil && f.cfg.Failed != nil {
				f.cfg.Failed(d, err)
			}
		}
	}
	return inst, nil
}

func (f *Folders) wanted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.want)
}

func (f *Folders) mount(ctx context.Context, local string) error {
	m, err := f.cfg.Transport.Current()
	if err != nil {
		return err
	}
	st, err := os.Stat(local)
	if err != nil {
		return fmt.Errorf("x2go: sharing %s: %w", local, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("x2go: sharing %s: not a directory", local)
	}
	_, err = m.Mount(ctx, protocol.MountFolder, local)
	return err
}

// Share has the server mount the local folder in the running session, and
// remembers it for later runs.
func (f *Folders) Share(ctx context.Context, local string) error {
	abs, err := filepath.Abs(local)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	if !f.master() {
		return ErrNotMaster
	}
	if err := f.mount(ctx, abs); err != nil {
		return err
	}
	f.mu.Lock()
	if !slices.Contains(f.want, abs) {
		f.want = append(f.want, abs)
	}
	f.mu.Unlock()
	return nil
}

// ShareAll mounts every remembered folder that is not mounted yet, e.g.
// when this session has just become the master session.
func (f *Folders) ShareAll(ctx context.Context) error {
	if !f.master() {
		return ErrNotMaster
	}
	var errs []error
	for _, d := range f.wanted() {
		if err := f.mount(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Unshare has the server unmount the local folder and forgets it.
func (f *Folders) Unshare(ctx context.Context, local string) error {
	abs, err := filepath.Abs(local)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	f.mu.Lock()
	known := slices.Contains(f.want, abs)
	f.mu.Unlock()
	if !known {
		return fmt.Errorf("x2go: %s is not shared", abs)
	}
	if m, err := f.cfg.Transport.Current(); err == nil {
		if err := m.Unmount(ctx, abs); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.want = slices.DeleteFunc(f.want, func(s string) bool { return s == abs })
	f.mu.Unlock()
	return nil
}

// UnshareAll unmounts every shared folder (not the spools) and forgets
// them all.
func (f *Folders) UnshareAll(ctx context.Context) error {
	var errs []error
	for _, d := range f.wanted() {
		if err := f.Unshare(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Folders returns the folders to share, whether mounted now or not.
func (f *Folders) Folders() []string { return f.wanted() }

// Mounted returns the shared folders the server has mounted now, by
// their server mount point.
func (f *Folders) Mounted() map[string]string {
	m, err := f.cfg.Transport.Current()
	if err != nil {
		return nil
	}
	want := f.wanted()
	out := map[string]string{}
	for mp, local := range m.Mounted() {
		if slices.Contains(want, local) {
			out[mp] = local
		}
	}
	return out
}

// foldersRun is the running service: the folders themselves are mounted
// through the transport, which unmounts them when it stops.
type foldersRun struct {
	done chan struct{}
	once sync.Once
}

func (r *foldersRun) Done() <-chan struct{} { return r.done }
func (r *foldersRun) Err() error            { return nil }
func (r *foldersRun) Stop(context.Context) error {
	r.once.Do(func() { close(r.done) })
	return nil
}
