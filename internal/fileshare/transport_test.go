package fileshare

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sharing"
	"github.com/x2go-go/x2go/sshconn"
)

// mountConn answers the mount command (RunInput) once release is closed,
// with stdout and stderr, and counts the calls.
type mountConn struct {
	release        chan struct{}
	stdout, stderr string
	calls          atomic.Int32
}

func (c *mountConn) Run(context.Context, string) (*sshconn.Result, error) {
	return &sshconn.Result{}, nil
}

func (c *mountConn) RunInput(ctx context.Context, _ string, _ []byte) (*sshconn.Result, error) {
	c.calls.Add(1)
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &sshconn.Result{Stdout: c.stdout, Stderr: c.stderr}, nil
}

func (c *mountConn) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no dialling")
}

func (c *mountConn) ListenRemote(context.Context, string) (net.Listener, error) {
	return nil, errors.New("no forwards")
}

func (c *mountConn) Done() <-chan struct{} { return nil }
func (c *mountConn) Err() error            { return nil }

// newTestMounter returns a Mounter over conn with a real (unserved) SFTP
// server, and the path the server knows the directory dir by.
func newTestMounter(t *testing.T, conn Conn, dir string) (*Mounter, string) {
	t.Helper()
	srv, err := sharing.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	remote, err := protocol.MountablePath(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &Mounter{
		conn: conn, srv: srv, home: "/home/u", log: slog.New(slog.DiscardHandler),
		run:    service.Run{Name: "u-50-1795627765_stDMATE_dp24", AgentPID: 4242, SSHFSPort: 30001},
		mounts: map[string]*mount{},
	}, remote
}

// mountTwice starts two Mounts of dir at once and returns their results
// once the first has reached the server and conn is released.
func mountTwice(t *testing.T, m *Mounter, conn *mountConn, dir string) (mps [2]string, errs [2]error) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mps[i], errs[i] = m.Mount(context.Background(), protocol.MountFolder, dir)
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for conn.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the other call reach the wait
	close(conn.release)
	wg.Wait()
	return mps, errs
}

// TestMountSamePathConcurrently: two Mounts of one directory at once mount
// it once on the server and both get its mount point.
func TestMountSamePathConcurrently(t *testing.T) {
	dir := t.TempDir()
	conn := &mountConn{release: make(chan struct{})}
	m, remote := newTestMounter(t, conn, dir)
	conn.stdout = "dirs:" + remote + "__REVERSESSH_PREFIX__\nssh port:30001\nHost:127.0.0.1\nUser:u\n" +
		`inserted, sshfs -o IdentityFile=k "u"@127.0.0.1:"` + remote + `" "/tmp/.x2go-u/media/disk/_mp" -p 30001` + "\n" +
		"mount " + remote + " ok\n"
	mps, errs := mountTwice(t, m, conn, dir)
	for i := range 2 {
		if errs[i] != nil || mps[i] != "/tmp/.x2go-u/media/disk/_mp" {
			t.Errorf("Mount %d = %q, %v; want the mount point", i, mps[i], errs[i])
		}
	}
	if n := conn.calls.Load(); n != 1 {
		t.Errorf("the server was asked to mount %d times, want 1", n)
	}
	if got := m.Mounted(); len(got) != 1 || got["/tmp/.x2go-u/media/disk/_mp"] != dir {
		t.Errorf("Mounted() = %v", got)
	}
	if sh := m.srv.Shares(); len(sh) != 1 || sh[0].Remote != remote {
		t.Errorf("shares = %+v, want %s", sh, remote)
	}
}

// TestMountSamePathConcurrentlyFails: when the mount fails, both callers
// get the failure, the share is gone and a later Mount tries again.
func TestMountSamePathConcurrentlyFails(t *testing.T) {
	dir := t.TempDir()
	conn := &mountConn{release: make(chan struct{})}
	m, remote := newTestMounter(t, conn, dir)
	conn.stdout = "dirs:" + remote + "__REVERSESSH_PREFIX__\nssh port:30001\nHost:127.0.0.1\nUser:u\n"
	conn.stderr = "mounting of " + remote + " failed\n"
	_, errs := mountTwice(t, m, conn, dir)
	for i := range 2 {
		if !errors.Is(errs[i], protocol.ErrMountFailed) {
			t.Errorf("Mount %d: err = %v, want ErrMountFailed", i, errs[i])
		}
	}
	if n := conn.calls.Load(); n != 1 {
		t.Errorf("the server was asked to mount %d times, want 1", n)
	}
	if got := m.Mounted(); len(got) != 0 {
		t.Errorf("Mounted() = %v, want nothing", got)
	}
	if sh := m.srv.Shares(); len(sh) != 0 {
		t.Errorf("shares = %+v, want none", sh)
	}
	if _, err := m.Mount(context.Background(), protocol.MountFolder, dir); !errors.Is(err, protocol.ErrMountFailed) {
		t.Errorf("a later Mount: err = %v, want ErrMountFailed", err)
	}
	if n := conn.calls.Load(); n != 2 {
		t.Errorf("a later Mount did not ask the server again (%d calls)", n)
	}
}
