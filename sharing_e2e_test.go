package x2go_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/crypto/ssh"
)

// serverMounts returns the mount points x2golistmounts lists for session.
func serverMounts(t *testing.T, lab *testserver.Lab, session string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := lab.ServerCommand(ctx, "export HOSTNAME && x2golistmounts "+protocol.Quote(session))
	if err != nil {
		t.Fatalf("x2golistmounts: %v %s", err, out)
	}
	mounts, err := protocol.ParseMounts(out)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range mounts {
		paths = append(paths, m.Path)
	}
	return paths
}

// sha256Hex is the hex SHA-256 of b, as sha256sum prints it.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// serverSHA256 returns sha256sum's digest of a file on the server, read
// as the server user.
func serverSHA256(t *testing.T, lab *testserver.Lab, file string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := lab.ServerCommand(ctx, "sha256sum "+protocol.Quote(file))
	if err != nil {
		t.Fatalf("sha256sum %s: %v %s", file, err, out)
	}
	return strings.Fields(out)[0]
}

// sharingHooks records the folder sharing hooks.
type sharingHooks struct {
	mu     sync.Mutex
	events []string
}

func (h *sharingHooks) note(ev string) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *sharingHooks) hooks() x2go.Hooks {
	return x2go.Hooks{
		SSHFSNotAvailable:         func(*x2go.Session) { h.note("sshfs-not-available") },
		ReverseForwardDenied:      func(_ *x2go.Session, port int, err error) { h.note(fmt.Sprint("rforward-denied ", port, err)) },
		SFTPClientFailed:          func(_ *x2go.Session, err error) { h.note("sftp-client-failed " + err.Error()) },
		FolderSharingNotAvailable: func(_ *x2go.Session, err error) { h.note("folder-sharing-not-available " + err.Error()) },
		FolderShareFailed:         func(_ *x2go.Session, f string, err error) { h.note("folder-share-failed " + f + " " + err.Error()) },
		PrintingNotAvailable:      func(_ *x2go.Session, err error) { h.note("printing-not-available " + err.Error()) },
		MimeBoxNotAvailable:       func(_ *x2go.Session, err error) { h.note("mimebox-not-available " + err.Error()) },
		ServiceFailed:             func(_ *x2go.Session, name string, err error) { h.note("service-failed " + name + " " + err.Error()) },
	}
}

func (h *sharingHooks) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// mountPointFor finds the server mount point of a shared local folder.
func mountPointFor(t *testing.T, mounts []string, local string) string {
	t.Helper()
	remote, err := protocol.MountablePath(local)
	if err != nil {
		t.Fatal(err)
	}
	for _, mp := range mounts {
		if strings.HasSuffix(mp, "/"+protocol.MountPointName(remote)) {
			return mp
		}
	}
	t.Fatalf("no mount point for %s among %q", local, mounts)
	return ""
}

// TestE2EFolderSharing: a folder with an awkward name shared at start is
// mounted on the server (x2golistmounts lists it); files cross both ways
// byte for byte; after suspend and resume it is mounted again; unshare
// removes the mount; a folder shared while the session runs is mounted.
func TestE2EFolderSharing(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	folder := filepath.Join(dir, `it's $HOME "x" ü`)
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 3<<20+17)
	rand.Read(payload)
	if err := os.WriteFile(filepath.Join(folder, "from-client.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}

	hooks := &sharingHooks{}
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.ShareFolders = []string{folder}
	o.Hooks = hooks.hooks()
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("session with a shared folder started in %v", time.Since(start))
	name := s.Name()
	if !s.IsMasterSession() {
		t.Error("the only session of the profile is not its master session")
	}
	shared, err := s.SharedFolders(ctx)
	if err != nil || !slices.Equal(shared, []string{folder}) {
		t.Fatalf("SharedFolders = %q, %v; hooks %q", shared, err, hooks.list())
	}
	mounts := serverMounts(t, lab, name)
	mp := mountPointFor(t, mounts, folder)
	t.Logf("x2golistmounts: %q", mounts)

	// Client → server, byte for byte.
	if got := serverSHA256(t, lab, mp+"/from-client.bin"); got != sha256Hex(payload) {
		t.Errorf("the server reads %s, want %s", got, sha256Hex(payload))
	}
	// Server → client, byte for byte.
	out, err := lab.ServerCommand(ctx, "head -c 2097171 /dev/urandom > "+protocol.Quote(mp+"/from-server.bin")+" && sha256sum "+protocol.Quote(mp+"/from-server.bin"))
	if err != nil {
		t.Fatalf("writing on the server: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(folder, "from-server.bin"))
	if err != nil || sha256Hex(b) != strings.Fields(out)[0] || len(b) != 2097171 {
		t.Errorf("the file written on the server: %d bytes, %v; digest %s vs %s", len(b), err, sha256Hex(b), strings.Fields(out)[0])
	}

	// Suspend: the server unmounts; resume: mounted again.
	if err := s.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	if m := serverMounts(t, lab, name); len(m) != 0 {
		t.Errorf("mounts after suspend: %q", m)
	}
	if err := s.Resume(ctx, name); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	mp = mountPointFor(t, serverMounts(t, lab, name), folder)
	if got := serverSHA256(t, lab, mp+"/from-client.bin"); got != sha256Hex(payload) {
		t.Errorf("after resume the server reads %s", got)
	}

	// A second folder shared while the session runs, then the first
	// unshared.
	second := filepath.Join(dir, "second")
	os.Mkdir(second, 0o755)
	os.WriteFile(filepath.Join(second, "note.txt"), []byte("second folder\n"), 0o644)
	if err := s.ShareLocalFolder(ctx, second); err != nil {
		t.Fatalf("ShareLocalFolder: %v", err)
	}
	mp2 := mountPointFor(t, serverMounts(t, lab, name), second)
	if out, err := lab.ServerCommand(ctx, "cat "+protocol.Quote(mp2+"/note.txt")); err != nil || out != "second folder\n" {
		t.Errorf("second folder on the server: %q %v", out, err)
	}
	if err := s.UnshareLocalFolder(ctx, folder); err != nil {
		t.Fatalf("UnshareLocalFolder: %v", err)
	}
	left := serverMounts(t, lab, name)
	if len(left) != 1 || left[0] != mp2 {
		t.Errorf("mounts after unsharing the first folder: %q", left)
	}
	if shared, err := s.SharedFolders(ctx); err != nil || !slices.Equal(shared, []string{second}) {
		t.Errorf("SharedFolders after unshare = %q, %v", shared, err)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if m := serverMounts(t, lab, name); len(m) != 0 {
		t.Errorf("mount records left after terminate: %q", m)
	}
	if ev := hooks.list(); len(ev) != 0 {
		t.Errorf("hooks: %q", ev)
	}
}

// TestE2ESharingJail speaks SFTP to the session's embedded server through
// the server-side end of the reverse forward, with the session's own key,
// as the server user's sshfs does, and tries to get out of the shared
// folder. Every attempt must fail with "permission denied" and change
// nothing outside.
func TestE2ESharingJail(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	os.WriteFile(secret, []byte("not for the server\n"), 0o644)
	folder := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "inside.txt"), []byte("inside\n"), 0o644)
	// Links already in the share that point out of it.
	os.Symlink(outside, filepath.Join(folder, "link-to-outside"))
	os.Symlink(secret, filepath.Join(folder, "link-to-secret"))
	os.Symlink("/proc/self/root", filepath.Join(folder, "link-to-proc-root"))
	os.Symlink("../../../../../../../../etc", filepath.Join(folder, "climbing-link"))

	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.ShareFolders = []string{folder}
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Disconnect()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv, port, err := x2go.SharingServerOf(s)
	if err != nil {
		t.Fatal(err)
	}
	key, err := srv.ClientPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The lab's server is this machine: its loopback port is the
	// server-side end of the reverse forward.
	nc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	hostKey := srv.HostKey()
	sc, chans, reqs, err := ssh.NewClientConn(nc, "127.0.0.1", &ssh.ClientConfig{
		User: srv.User(), Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
	})
	if err != nil {
		t.Fatalf("SSH to the embedded server through the forward: %v", err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	fs, err := sftp.NewClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	root, _ := protocol.MountablePath(folder)
	if b, err := readAll(fs, root+"/inside.txt"); err != nil || string(b) != "inside\n" {
		t.Fatalf("reading inside the share: %q %v", b, err)
	}

	attempts := []struct {
		what string
		try  func() error
	}{
		{"read ../ out of the share", func() error { _, err := readAll(fs, root+"/../../../../etc/passwd"); return err }},
		{"list the share's parent", func() error { _, err := fs.ReadDir(root + "/.."); return err }},
		{"read an absolute path outside", func() error { _, err := readAll(fs, "/etc/passwd"); return err }},
		{"read the secret by its absolute path", func() error { _, err := readAll(fs, secret); return err }},
		{"list /", func() error { _, err := fs.ReadDir("/"); return err }},
		{"read /proc/self/root/etc/passwd", func() error { _, err := readAll(fs, "/proc/self/root/etc/passwd"); return err }},
		{"create a symlink to /etc and read through it", func() error {
			if err := fs.Symlink("/etc", root+"/new-link"); err != nil {
				return err
			}
			_, err := readAll(fs, root+"/new-link/passwd")
			return err
		}},
		{"create a relative symlink that climbs out", func() error { return fs.Symlink("../../../../../../etc", root+"/new-climb") }},
		{"read through a symlink in the share to a folder outside", func() error { _, err := readAll(fs, root+"/link-to-outside/secret.txt"); return err }},
		{"read through a symlink in the share to a file outside", func() error { _, err := readAll(fs, root+"/link-to-secret"); return err }},
		{"write through a symlink in the share to a file outside", func() error {
			f, err := fs.OpenFile(root+"/link-to-secret", os.O_WRONLY|os.O_TRUNC)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("overwritten"))
			return err
		}},
		{"list through a symlink in the share to a folder outside", func() error { _, err := fs.ReadDir(root + "/link-to-outside"); return err }},
		{"read through a symlink in the share to /proc/self/root", func() error { _, err := readAll(fs, root+"/link-to-proc-root/etc/passwd"); return err }},
		{"read through a climbing relative symlink", func() error { _, err := readAll(fs, root+"/climbing-link/passwd"); return err }},
		{"hard link a file outside into the share", func() error { return fs.Link(secret, root+"/hardlink") }},
		{"hard link inside the share", func() error { return fs.Link(root+"/inside.txt", root+"/hardlink2") }},
		{"rename a file out of the share", func() error { return fs.Rename(root+"/inside.txt", outside+"/stolen.txt") }},
		{"posix-rename a file out of the share", func() error { return fs.PosixRename(root+"/inside.txt", "/tmp/stolen.txt") }},
		{"rename the share itself", func() error { return fs.Rename(root, root+"-moved") }},
		{"create a file outside", func() error {
			f, err := fs.Create(outside + "/planted.txt")
			if err == nil {
				f.Close()
			}
			return err
		}},
		{"remove the secret", func() error { return fs.Remove(secret) }},
		{"chmod outside", func() error { return fs.Chmod(outside, 0o777) }},
	}
	for _, a := range attempts {
		err := a.try()
		t.Logf("%-58s → %v", a.what, err)
		// pkg/sftp's client turns SSH_FX_PERMISSION_DENIED into
		// os.ErrPermission.
		if !errors.Is(err, os.ErrPermission) {
			t.Errorf("%s: got %v, want permission denied", a.what, err)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "not for the server\n" {
		t.Errorf("the secret outside changed: %q", b)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("files appeared outside the share: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(folder, "inside.txt")); err != nil {
		t.Errorf("inside.txt moved: %v", err)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
}

func readAll(fs *sftp.Client, p string) ([]byte, error) {
	f, err := fs.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

// TestE2EMasterSessionSharesFolders: of two sessions of one profile over
// one control session, only the first to run (the master) mounts the
// profile's folders; when it is suspended, the other one becomes the
// master and mounts them in its own session.
func TestE2EMasterSessionSharesFolders(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	defer lab.TerminateAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	folder := filepath.Join(t.TempDir(), "profile folder")
	os.Mkdir(folder, 0o755)
	o := sessionOptions(t, lab, x2go.Params{Command: "xterm"})
	o.ProfileName = "office"
	o.ShareFolders = []string{folder}
	first, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Disconnect()
	if err := first.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	o2 := o
	o2.ControlSession = first.ControlSession()
	second, err := x2go.NewSession(o2)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Disconnect()
	for _, s := range []*x2go.Session{first, second} {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !first.IsMasterSession() || second.IsMasterSession() {
		t.Fatalf("master: first %v, second %v; want the first", first.IsMasterSession(), second.IsMasterSession())
	}
	if m := serverMounts(t, lab, first.Name()); len(m) != 1 {
		t.Errorf("the master's mounts: %q", m)
	}
	if m := serverMounts(t, lab, second.Name()); len(m) != 0 {
		t.Errorf("the other session mounted the profile's folders too: %q", m)
	}
	if err := second.ShareLocalFolder(ctx, folder); !errors.Is(err, x2go.ErrNotMasterSession) {
		t.Errorf("sharing from the non-master session: %v, want ErrNotMasterSession", err)
	}

	if err := first.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	// The hand-over runs in the background: wait until the new master's
	// mount is done (x2gomountdirs has returned: SharedFolders reports it
	// and the server lists it).
	deadline := time.Now().Add(30 * time.Second)
	for {
		shared, err := second.SharedFolders(ctx)
		if err == nil && slices.Equal(shared, []string{folder}) && len(serverMounts(t, lab, second.Name())) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new master did not mount the folder: SharedFolders %q, %v; master: %v", shared, err, second.IsMasterSession())
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !second.IsMasterSession() {
		t.Error("the second session is not the master after the first was suspended")
	}
}
