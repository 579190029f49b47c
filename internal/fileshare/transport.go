// Package fileshare holds the parts of a running session that let the
// server reach files on the client: the sshfs transport (a reverse port
// forward on the server whose connections the embedded, jailed SFTP server
// of package sharing serves), and on top of it the print spool, the MIME
// box and the user's shared folders. Each is a service.Service that the
// terminal session starts after the graphics and stops in reverse order.
//
// The server mounts client folders with its own scripts: the client puts a
// key bundle on the server and runs x2gomountdirs, whose sshfs connects back
// through the forward (folder-sharing-printing-mimebox.md; the commands are
// built in package protocol).
package fileshare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sharing"
	"github.com/x2go-go/x2go/sshconn"
)

var (
	// ErrSSHFSUnavailable: the server cannot mount client folders (it has
	// no sshfs or fusermount), so folder sharing, printing and the MIME box
	// cannot work in this session.
	ErrSSHFSUnavailable = errors.New("x2go: the server cannot mount client folders (sshfs or fusermount missing)")
	// ErrNotRunning: the sshfs transport of the session is not running
	// (not enabled, failed to start, or the session is not running).
	ErrNotRunning = errors.New("x2go: folder sharing is not running in this session")
	// ErrKeyUpload: the key for the server's sshfs connection could not be
	// put on the server.
	ErrKeyUpload = errors.New("x2go: could not put the sshfs key on the server")
)

// Conn is what mounting needs of the SSH connection beyond service.Conn:
// a command with a secret on its standard input, and a reverse forward.
// *sshconn.Conn implements it.
type Conn interface {
	service.Conn
	RunInput(ctx context.Context, cmd string, input []byte) (*sshconn.Result, error)
	ListenRemote(ctx context.Context, addr string) (net.Listener, error)
}

// TransportHooks report why the transport could not start. Each is
// optional; each is called before Start returns its error.
type TransportHooks struct {
	// SSHFSUnavailable: the server has no sshfs or fusermount
	// (python-x2go's HOOK_sshfs_not_available).
	SSHFSUnavailable func(err error)
	// ForwardDenied: the server refused the reverse port forward
	// (HOOK_rforward_request_denied).
	ForwardDenied func(port int, err error)
}

// TransportConfig configures the sshfs transport.
type TransportConfig struct {
	// Home returns the user's home directory on the server.
	Home func() string
	// User is the name the server's sshfs logs in with; by default the
	// sharing server's own choice: the local user's name, as python-x2go
	// uses, where it is a plain login name, else "x2go".
	User   string
	Hooks  TransportHooks
	Logger *slog.Logger
}

// Transport is the sshfs transport service. It remembers the current
// run's Mounter, through which the spool, MIME box and folder services
// mount their directories.
type Transport struct {
	cfg TransportConfig
	log *slog.Logger

	mu  sync.Mutex
	cur *Mounter
}

// NewTransport returns the sshfs transport service.
func NewTransport(cfg TransportConfig) *Transport {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Transport{cfg: cfg, log: log}
}

// Name is "sshfs".
func (t *Transport) Name() string { return "sshfs" }

// Current returns the running transport, or ErrNotRunning.
func (t *Transport) Current() (*Mounter, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == nil {
		return nil, ErrNotRunning
	}
	select {
	case <-t.cur.done:
		return nil, ErrNotRunning
	default:
		return t.cur, nil
	}
}

// Start checks that the server can mount client folders, asks it for the
// reverse forward of the session's sshfs port and serves the forward's
// connections with a new jailed SFTP server, which shares nothing yet.
func (t *Transport) Start(ctx context.Context, run service.Run) (service.Instance, error) {
	conn, ok := run.Conn.(Conn)
	if !ok {
		return nil, errors.New("x2go: the connection cannot forward ports back to the client")
	}
	res, err := conn.Run(ctx, protocol.SSHFSCheckCmd())
	if err != nil {
		return nil, fmt.Errorf("x2go: checking for sshfs: %w", err)
	}
	if !protocol.ParseSSHFSCheck(res.Stdout) {
		if h := t.cfg.Hooks.SSHFSUnavailable; h != nil {
			h(ErrSSHFSUnavailable)
		}
		return nil, ErrSSHFSUnavailable
	}
	opts := []sharing.Option{sharing.WithLogger(t.log)}
	if t.cfg.User != "" {
		opts = append(opts, sharing.WithUser(t.cfg.User))
	}
	srv, err := sharing.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("x2go: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(run.SSHFSPort))
	ln, err := conn.ListenRemote(ctx, addr)
	if err != nil {
		srv.Close()
		if h := t.cfg.Hooks.ForwardDenied; h != nil {
			h(run.SSHFSPort, err)
		}
		return nil, fmt.Errorf("x2go: reverse forward for sshfs: %w", err)
	}
	home := ""
	if t.cfg.Home != nil {
		home = t.cfg.Home()
	}
	serveCtx, cancel := context.WithCancel(context.Background())
	m := &Mounter{
		conn: conn, run: run, home: home, srv: srv, log: t.log,
		cancel: cancel, served: make(chan struct{}), done: make(chan struct{}),
		mounts: map[string]*mount{},
	}
	go func() {
		defer close(m.served)
		err := srv.Serve(serveCtx, ln)
		if serveCtx.Err() == nil { // not stopped: the forward broke
			m.end(fmt.Errorf("x2go: sshfs forward ended: %w", err))
		}
	}()
	t.mu.Lock()
	t.cur = m
	t.mu.Unlock()
	return m, nil
}

// mount is one client directory the server has mounted or is mounting.
type mount struct {
	local string
	// ready is closed when the mount has succeeded or failed; mountPoint
	// (where the server mounted it) and err are set before.
	ready      chan struct{}
	mountPoint string
	err        error
}

// isMounted reports whether the server has mounted the directory. Called with
// the Mounter's mu held.
func (mt *mount) isMounted() bool {
	select {
	case <-mt.ready:
		return mt.err == nil
	default:
		return false
	}
}

// Mounter is a running transport: it mounts client directories on the
// server and serves them.
type Mounter struct {
	conn Conn
	run  service.Run
	home string
	srv  *sharing.Server
	log  *slog.Logger

	cancel   context.CancelFunc
	served   chan struct{} // closed when Serve has returned
	done     chan struct{} // closed when the transport has ended
	stopOnce sync.Once

	mu      sync.Mutex
	err     error
	mounts  map[string]*mount // by the path the server knows (MountablePath)
	mounted bool              // something was mounted in this run (Forget does not undo it)
}

// Mount shares the local directory with the server and has the server
// mount it as kind. It returns the server's mount point. The key bundle
// goes to the server on the command's standard input (never in a command
// line), into a directory only the user can read, and x2gomountdirs
// deletes it after use. A directory that is being mounted already is not
// mounted twice: the call waits for the first one and returns its result.
func (m *Mounter) Mount(ctx context.Context, kind protocol.MountKind, local string) (string, error) {
	remote, err := protocol.MountablePath(local)
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	m.mu.Lock()
	if old, ok := m.mounts[remote]; ok {
		m.mu.Unlock()
		if old.local != local {
			return "", fmt.Errorf("x2go: %s and %s would be mounted under the same name on the server", old.local, local)
		}
		select {
		case <-old.ready:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return old.mountPoint, old.err
	}
	mt := &mount{local: local, ready: make(chan struct{})}
	m.mounts[remote] = mt
	m.mu.Unlock()
	mp, err := m.share(ctx, kind, remote, local)
	m.mu.Lock()
	if err != nil {
		if m.mounts[remote] == mt {
			delete(m.mounts, remote)
		}
	} else {
		m.mounted = true
	}
	mt.mountPoint, mt.err = mp, err
	close(mt.ready)
	m.mu.Unlock()
	return mp, err
}

// share shares local as remote and has the server mount it; if the mount
// fails, it stops sharing it again.
func (m *Mounter) share(ctx context.Context, kind protocol.MountKind, remote, local string) (string, error) {
	if err := m.srv.AddShare(remote, local); err != nil && !errors.Is(err, sharing.ErrShareExists) {
		return "", fmt.Errorf("x2go: sharing %s: %w", local, err)
	}
	mp, err := m.mountOnServer(ctx, kind, remote)
	if err != nil {
		m.srv.RemoveShare(remote)
		return "", err
	}
	return mp, nil
}

func (m *Mounter) mountOnServer(ctx context.Context, kind protocol.MountKind, remote string) (string, error) {
	keyFile, err := protocol.KeyFilePath(m.home, m.run.AgentPID)
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	bundle, err := m.srv.KeyBundle()
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	mountCmd, err := protocol.MountDirsCmd(protocol.MountDirsParams{
		Session: m.run.Name, User: m.srv.User(), KeyFile: keyFile, Path: remote, Kind: kind, Port: m.run.SSHFSPort,
	})
	if err != nil {
		return "", fmt.Errorf("x2go: %w", err)
	}
	// One round trip: put the key where only the user can read it, then
	// mount. The subshell keeps the umask away from x2gomountdirs.
	dir := path.Dir(keyFile)
	cmd := "(umask 077 && mkdir -p " + protocol.Quote(dir) + " && chmod 700 " + protocol.Quote(dir) +
		" && cat > " + protocol.Quote(keyFile) + ") || { echo X2GO_KEY_UPLOAD_FAILED >&2; exit 1; }; " + mountCmd
	res, err := m.conn.RunInput(ctx, cmd, bundle)
	if err != nil {
		return "", fmt.Errorf("x2go: mounting %s: %w", remote, err)
	}
	if strings.Contains(res.Stderr, "X2GO_KEY_UPLOAD_FAILED") {
		return "", fmt.Errorf("%w: %s", ErrKeyUpload, strings.TrimSpace(strings.ReplaceAll(res.Stderr, "X2GO_KEY_UPLOAD_FAILED", "")))
	}
	r, err := protocol.ParseMountDirs(res.Stdout, res.Stderr)
	if err != nil {
		return "", fmt.Errorf("x2go: mounting %s: %w", remote, err)
	}
	for _, md := range r.Mounts {
		if md.Dir == remote {
			return md.MountPoint, nil
		}
	}
	if len(r.Mounts) == 1 {
		return r.Mounts[0].MountPoint, nil
	}
	return "", fmt.Errorf("x2go: mounting %s: x2gomountdirs did not report the mount", remote)
}

// Unmount has the server unmount the local directory, then stops sharing
// it.
func (m *Mounter) Unmount(ctx context.Context, local string) error {
	remote, err := protocol.MountablePath(local)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	cmd, err := protocol.UmountSessionCmd(m.run.Name, remote)
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	res, err := m.conn.Run(ctx, cmd)
	if err != nil {
		return fmt.Errorf("x2go: unmounting %s: %w", local, err)
	}
	if res.Status != 0 || strings.TrimSpace(res.Stderr) != "" {
		return &protocol.ServerError{Command: "x2goumount-session", Status: res.Status, Stderr: strings.TrimSpace(res.Stderr)}
	}
	m.forget(remote)
	return nil
}

// Forget stops sharing the local directory without asking the server to
// unmount it (the server unmounts everything of the session when the
// transport stops, and when the session is suspended).
func (m *Mounter) Forget(local string) {
	if remote, err := protocol.MountablePath(local); err == nil {
		m.forget(remote)
	}
}

// forget stops sharing the directory the server knows as remote.
func (m *Mounter) forget(remote string) {
	m.mu.Lock()
	delete(m.mounts, remote)
	m.mu.Unlock()
	m.srv.RemoveShare(remote)
}

// Mounted returns the local directories the server has mounted, by their
// server mount point.
func (m *Mounter) Mounted() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.mounts))
	for _, mt := range m.mounts {
		if mt.isMounted() {
			out[mt.mountPoint] = mt.local
		}
	}
	return out
}

// Server returns the embedded SFTP server (for tests that speak SFTP to
// it as the server's sshfs does).
func (m *Mounter) Server() *sharing.Server { return m.srv }

// Port returns the server-side port of the reverse forward.
func (m *Mounter) Port() int { return m.run.SSHFSPort }

func (m *Mounter) end(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.shutdown()
}

// shutdown closes the SFTP server and marks the transport ended, once.
func (m *Mounter) shutdown() {
	m.stopOnce.Do(func() {
		m.srv.Close()
		close(m.done)
	})
}

// Done is closed when the transport has ended.
func (m *Mounter) Done() <-chan struct{} { return m.done }

// Err says why the transport ended on its own.
func (m *Mounter) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Stop has the server unmount everything of the session (when anything
// is mounted; x2goterminate-session would leave the mount records behind),
// then ends the forward and the SFTP server.
func (m *Mounter) Stop(ctx context.Context) error {
	var err error
	m.mu.Lock()
	any := m.mounted
	m.mounts, m.mounted = map[string]*mount{}, false
	m.mu.Unlock()
	select {
	case <-m.done:
		any = false // the forward is gone; nothing can be unmounted cleanly
	default:
	}
	if any {
		if cmd, cerr := protocol.UmountSessionCmd(m.run.Name, ""); cerr == nil {
			if _, rerr := m.conn.Run(ctx, cmd); rerr != nil {
				err = fmt.Errorf("x2go: unmounting the client folders of %s: %w", m.run.Name, rerr)
			}
		}
	}
	m.cancel()
	<-m.served
	m.shutdown()
	m.mu.Lock()
	m.err = nil
	m.mu.Unlock()
	return err
}
