package sharing

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/x2go-go/x2go/protocol"
)

// TestFileOperations drives every operation sshfs uses through pkg/sftp's
// client over a real SSH connection and checks the result on disk.
func TestFileOperations(t *testing.T) {
	srv, addr := startServer(t)
	dir := shareDir(t, srv, "/home/alice/Docs")
	c := dialSFTP(t, srv, addr)

	// Write, read back, stat.
	f, err := c.Create("/home/alice/Docs/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hello shared world")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil { // fsync@openssh.com, answered by the wire
		t.Fatalf("fsync: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "hello shared world" {
		t.Fatalf("on disk: %q", b)
	}
	r, err := c.Open("/home/alice/Docs/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != "hello shared world" {
		t.Fatalf("read back %q, %v", b, err)
	}
	fi, err := c.Stat("/home/alice/Docs/a.txt")
	if err != nil || fi.Size() != 18 || !fi.Mode().IsRegular() {
		t.Fatalf("stat: %v %v", fi, err)
	}
	if st, ok := fi.Sys().(*sftp.FileStat); !ok || st.UID != uint32(os.Getuid()) {
		t.Errorf("owner not sent: %#v", fi.Sys())
	}

	// Modes asked for at create and mkdir are honoured (the wire carries
	// them past the request server); setuid/setgid never get through.
	old := umask(0)
	defer umask(old)
	f, err = c.OpenFile("/home/alice/Docs/private", os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := c.Chmod("/home/alice/Docs/private", 0o4750); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "private")); st.Mode() != 0o750 {
		t.Errorf("chmod 4750 gave %v, want -rwxr-x--- (setuid dropped)", st.Mode())
	}
	if err := c.Mkdir("/home/alice/Docs/sub"); err != nil {
		t.Fatal(err)
	}
	if err := c.Chmod("/home/alice/Docs/sub", 0o700); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "sub")); st.Mode().Perm() != 0o700 {
		t.Errorf("sub mode %v", st.Mode())
	}

	// Rename (no replace), posix-rename (replace), symlink, readlink.
	writeFile(t, filepath.Join(dir, "b.txt"), "bee")
	if err := c.Rename("/home/alice/Docs/a.txt", "/home/alice/Docs/b.txt"); err == nil {
		t.Error("RENAME over an existing file succeeded")
	}
	if err := c.PosixRename("/home/alice/Docs/a.txt", "/home/alice/Docs/sub/c.txt"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub", "c.txt")); string(b) != "hello shared world" {
		t.Fatalf("after rename: %q", b)
	}
	if err := c.Symlink("sub/c.txt", "/home/alice/Docs/link"); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "link")); target != "sub/c.txt" {
		t.Errorf("symlink on disk points to %q", target)
	}
	// An absolute target inside the share is stored relative.
	if err := c.Symlink("/home/alice/Docs/b.txt", "/home/alice/Docs/sub/abs"); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "sub", "abs")); target != "../b.txt" {
		t.Errorf("absolute symlink stored as %q, want ../b.txt", target)
	}
	if target, err := c.ReadLink("/home/alice/Docs/link"); err != nil || target != "sub/c.txt" {
		t.Errorf("readlink: %q %v", target, err)
	}
	if b, err := readAll(c, "/home/alice/Docs/link"); err != nil || b != "hello shared world" {
		t.Errorf("read through an inside symlink: %q %v", b, err)
	}
	if fi, err := c.Lstat("/home/alice/Docs/link"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("lstat of symlink: %v %v", fi, err)
	}

	// Truncate and times (SETSTAT).
	if err := c.Truncate("/home/alice/Docs/b.txt", 1); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := c.Chtimes("/home/alice/Docs/b.txt", mt, mt); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "b.txt")); st.Size() != 1 || !st.ModTime().Equal(mt) {
		t.Errorf("after truncate/chtimes: size %d mtime %v", st.Size(), st.ModTime())
	}
	// Ownership: a no-op is fine, a change is refused.
	if err := c.Chown("/home/alice/Docs/b.txt", os.Getuid(), os.Getgid()); err != nil {
		t.Errorf("no-op chown: %v", err)
	}
	if err := c.Chown("/home/alice/Docs/b.txt", os.Getuid()+1, os.Getgid()); !isDenied(err) {
		t.Errorf("chown to another user: %v, want permission denied", err)
	}

	// Listing, statvfs, remove, rmdir.
	names := listNames(t, c, "/home/alice/Docs")
	if want := "b.txt link private sub"; strings.Join(names, " ") != want {
		t.Errorf("listing %v, want %s", names, want)
	}
	vfs, err := c.StatVFS("/home/alice/Docs")
	if err != nil || vfs.Bsize == 0 || vfs.Namemax == 0 {
		t.Errorf("statvfs: %+v %v", vfs, err)
	}
	if err := c.Remove("/home/alice/Docs/link"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveDirectory("/home/alice/Docs/sub"); err == nil {
		t.Error("rmdir of a non-empty directory succeeded")
	}
	if err := c.Remove("/home/alice/Docs/sub/c.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("/home/alice/Docs/sub/abs"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveDirectory("/home/alice/Docs/sub"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub")); !os.IsNotExist(err) {
		t.Errorf("sub still there: %v", err)
	}
	// "." and the directories above the share answer STAT with the
	// serving user as owner (sshfs's idmap=user), but cannot be listed.
	for _, p := range []string{".", "/", "/home", "/home/alice"} {
		fi, err := c.Stat(p)
		st, _ := fi.Sys().(*sftp.FileStat)
		if err != nil || !fi.IsDir() || st == nil || st.UID != uint32(os.Getuid()) || st.GID != uint32(os.Getgid()) {
			t.Errorf("stat %s: %v %+v %v", p, fi, st, err)
		}
	}
	if _, err := c.ReadDir("/home"); !isDenied(err) {
		t.Errorf("listing /home: %v, want permission denied", err)
	}
	if _, err := c.Stat("/home/bob"); !isDenied(err) {
		t.Errorf("stat /home/bob: %v, want permission denied", err)
	}
	if _, err := c.Stat("/home/alice/Docs/nothing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a missing file: %v, want not exist", err)
	}
}

// readAll reads a whole remote file.
func readAll(c *sftp.Client, name string) (string, error) {
	f, err := c.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

// listNames lists a remote directory, sorted.
func listNames(t testing.TB, c *sftp.Client, dir string) []string {
	t.Helper()
	infos, err := c.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir %s: %v", dir, err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	sort.Strings(names)
	return names
}

// TestAnyFolderName shares a folder whose name carries quotes, a dollar,
// blanks and non-ASCII letters, under the path protocol.MountablePath
// gives it, and uses it.
func TestAnyFolderName(t *testing.T) {
	srv, addr := startServer(t)
	local := filepath.Join(t.TempDir(), `it's $HOME "x" ü`)
	if err := os.Mkdir(local, 0o755); err != nil {
		t.Fatal(err)
	}
	remote, err := protocol.MountablePath(local)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local %q is offered as %q", local, remote)
	if err := srv.AddShare(remote, local); err != nil {
		t.Fatal(err)
	}
	c := dialSFTP(t, srv, addr)
	name := remote + `/file "with" $quotes' ü`
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("data"))
	f.Close()
	if b, err := os.ReadFile(filepath.Join(local, `file "with" $quotes' ü`)); err != nil || string(b) != "data" {
		t.Fatalf("on disk: %q %v", b, err)
	}
	if names := listNames(t, c, remote); len(names) != 1 || names[0] != `file "with" $quotes' ü` {
		t.Errorf("listing: %q", names)
	}
	// The real (unsanitised) path is not served.
	if _, err := c.Stat(local); err == nil && local != remote {
		t.Errorf("the local path %q is served too", local)
	}
}

// TestLargeDirectoryPaging lists a directory with more entries than one
// READDIR answer holds.
func TestLargeDirectoryPaging(t *testing.T) {
	srv, addr := startServer(t)
	dir := shareDir(t, srv, "/big")
	for i := 0; i < 1234; i++ {
		writeFile(t, filepath.Join(dir, "f"+strings.Repeat("x", i%7)+strconv.Itoa(i)), "")
	}
	c := dialSFTP(t, srv, addr)
	if n := len(listNames(t, c, "/big")); n != 1234 {
		t.Fatalf("listed %d entries, want 1234", n)
	}
}

// umask sets the process umask and returns the old one.
func umask(m int) int { return syscall.Umask(m) }

// TestReadOnlyShare refuses every change in a read-only share.
func TestReadOnlyShare(t *testing.T) {
	srv, addr := startServer(t)
	dir := shareDir(t, srv, "/ro", ReadOnly())
	writeFile(t, filepath.Join(dir, "f"), "keep")
	c := dialSFTP(t, srv, addr)
	if b, err := readAll(c, "/ro/f"); err != nil || b != "keep" {
		t.Fatalf("read: %q %v", b, err)
	}
	attempts := map[string]func() error{
		"create": func() error { _, err := c.Create("/ro/new"); return err },
		"open for writing": func() error {
			_, err := c.OpenFile("/ro/f", os.O_WRONLY)
			return err
		},
		"mkdir":    func() error { return c.Mkdir("/ro/d") },
		"remove":   func() error { return c.Remove("/ro/f") },
		"rename":   func() error { return c.PosixRename("/ro/f", "/ro/g") },
		"chmod":    func() error { return c.Chmod("/ro/f", 0o600) },
		"truncate": func() error { return c.Truncate("/ro/f", 0) },
		"symlink":  func() error { return c.Symlink("f", "/ro/l") },
	}
	for name, fn := range attempts {
		if err := fn(); !isDenied(err) {
			t.Errorf("%s in a read-only share: %v, want permission denied", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "keep" {
		t.Errorf("file changed: %q", b)
	}
	vfs, err := c.StatVFS("/ro")
	if err != nil || vfs.Flag&1 == 0 {
		t.Errorf("statvfs of a read-only share: flag %v, %v", vfs, err)
	}
}

// TestRemoveShareRevokes checks that RemoveShare closes open handles and
// refuses the path afterwards.
func TestRemoveShareRevokes(t *testing.T) {
	srv, addr := startServer(t)
	dir := shareDir(t, srv, "/s")
	writeFile(t, filepath.Join(dir, "f"), strings.Repeat("x", 100000))
	c := dialSFTP(t, srv, addr)
	f, err := c.Open("/s/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	if got := srv.Shares(); len(got) != 1 || got[0].Remote != "/s" || got[0].Local != dir {
		t.Errorf("Shares() = %+v", got)
	}
	if err := srv.RemoveShare("/s"); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveShare("/s"); !errors.Is(err, ErrNoShare) {
		t.Errorf("second RemoveShare: %v", err)
	}
	if _, err := f.ReadAt(buf, 50000); err == nil {
		t.Error("read on a handle of a removed share succeeded")
	}
	if _, err := c.Stat("/s/f"); !isDenied(err) {
		t.Errorf("stat after RemoveShare: %v, want permission denied", err)
	}
	if len(srv.Shares()) != 0 {
		t.Errorf("Shares() after removal: %v", srv.Shares())
	}
}

// TestAddShareErrors checks AddShare's validation.
func TestAddShareErrors(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeFile(t, file, "")
	for _, tc := range []struct{ remote, local string }{
		{"relative", dir}, {"/a/../b", dir}, {"/a/", dir}, {"", dir},
		{"/x", "relative"}, {"/x", file}, {"/x", filepath.Join(dir, "missing")}, {"/p", "/proc/self"},
	} {
		if err := srv.AddShare(tc.remote, tc.local); !errors.Is(err, ErrBadPath) {
			t.Errorf("AddShare(%q, %q) = %v, want ErrBadPath", tc.remote, tc.local, err)
		}
	}
	if err := srv.AddShare("/x", dir); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddShare("/x", dir); !errors.Is(err, ErrShareExists) {
		t.Errorf("duplicate AddShare: %v", err)
	}
	srv.Close()
	if err := srv.AddShare("/y", dir); !errors.Is(err, ErrClosed) {
		t.Errorf("AddShare after Close: %v", err)
	}
	if err := srv.ServeConn(context.Background(), nopConn{}); !errors.Is(err, ErrClosed) {
		t.Errorf("ServeConn after Close: %v", err)
	}
}

// nopConn is a net.Conn that is never used (ServeConn after Close).
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// TestRefusals checks that only the session key of the session user gets
// in, and that a logged-in client gets nothing but SFTP.
func TestRefusals(t *testing.T) {
	srv, addr := startServer(t)
	shareDir(t, srv, "/s")
	hostCheck := ssh.FixedHostKey(srv.HostKey())
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(otherKey)

	logins := map[string]*ssh.ClientConfig{
		"another key": {User: srv.User(), Auth: []ssh.AuthMethod{ssh.PublicKeys(otherSigner)}},
		"password":    {User: srv.User(), Auth: []ssh.AuthMethod{ssh.Password("secret")}},
		"keyboard-interactive": {User: srv.User(), Auth: []ssh.AuthMethod{ssh.KeyboardInteractive(
			func(string, string, []string, []bool) ([]string, error) { return nil, nil })}},
		"no authentication": {User: srv.User()},
		"another user":      {User: srv.User() + "x", Auth: []ssh.AuthMethod{ssh.PublicKeys(clientSigner(t, srv))}},
	}
	for name, cfg := range logins {
		cfg.HostKeyCallback = hostCheck
		cfg.Timeout = 10 * time.Second
		c, err := ssh.Dial("tcp", addr, cfg)
		t.Logf("login with %s: %v", name, err)
		if err == nil {
			c.Close()
			t.Errorf("login with %s succeeded", name)
		}
	}

	c := dialSSH(t, srv, addr)
	refused := func(what string, ok bool, err error) {
		t.Logf("%s: ok=%v err=%v", what, ok, err)
		if ok {
			t.Errorf("%s was accepted", what)
		}
	}
	for _, req := range []struct {
		typ     string
		payload []byte
	}{
		{"exec", ssh.Marshal(struct{ Cmd string }{"id"})},
		{"shell", nil},
		{"pty-req", ssh.Marshal(struct {
			Term         string
			W, H, PW, PH uint32
			Modes        string
		}{"xterm", 80, 24, 0, 0, ""})},
		{"env", ssh.Marshal(struct{ Name, Value string }{"LANG", "C"})},
		{"subsystem", ssh.Marshal(struct{ Name string }{"sftp-server"})},
		{"subsystem", ssh.Marshal(struct{ Name string }{"shell"})},
		{"auth-agent-req@openssh.com", nil},
		{"x11-req", ssh.Marshal(struct {
			Single        bool
			Proto, Cookie string
			Screen        uint32
		}{false, "MIT-MAGIC-COOKIE-1", "00", 0})},
	} {
		// A fresh connection each: only one session channel per connection.
		ch, reqs, err := dialSSH(t, srv, addr).OpenChannel("session", nil)
		if err != nil {
			t.Fatal(err)
		}
		go ssh.DiscardRequests(reqs)
		ok, err := ch.SendRequest(req.typ, true, req.payload)
		refused(fmt.Sprintf("%s %q", req.typ, req.payload), ok, err)
		ch.Close()
	}
	_, _, err := c.OpenChannel("direct-tcpip", ssh.Marshal(struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}{"127.0.0.1", 22, "127.0.0.1", 1234}))
	refused("direct-tcpip channel", err == nil, err)
	ok, _, err := c.SendRequest("tcpip-forward", true, ssh.Marshal(struct {
		Host string
		Port uint32
	}{"127.0.0.1", 0}))
	refused("tcpip-forward", ok, err)

}

// TestOneSessionPerConnection: the first session channel of a connection works, a
// second one is refused while SFTP runs on the first.
func TestOneSessionPerConnection(t *testing.T) {
	srv, addr := startServer(t)
	shareDir(t, srv, "/s")
	c := dialSSH(t, srv, addr)
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.Stat("/s"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.OpenChannel("session", nil); err == nil {
		t.Error("a second session channel was accepted")
	}
}

// TestCloseEndsEverything closes the server under a busy client.
func TestCloseEndsEverything(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f"), strings.Repeat("y", 1<<20))
	if err := srv.AddShare("/s", dir); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	c := dialSFTP(t, srv, l.Addr().String())
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := readAll(c, "/s/f"); err != nil {
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close: %v", err)
	}
	close(stop)
	<-readerDone
}

// TestKeyBundle checks the bundle's shape: it is what x2gomountdirs
// splits, the private part parses as the client key and the host part
// is the host key.
func TestKeyBundle(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b, err := srv.KeyBundle()
	if err != nil {
		t.Fatal(err)
	}
	priv, host, ok := bytes.Cut(b, []byte(protocol.KeyBundleMarker))
	if !ok {
		t.Fatal("no marker")
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signer.PublicKey().Marshal(), srv.ClientKey().Marshal()) {
		t.Error("private key in the bundle is not the client key")
	}
	if signer.PublicKey().Type() != ssh.KeyAlgoED25519 || srv.HostKey().Type() != ssh.KeyAlgoED25519 {
		t.Errorf("key types %s, %s", signer.PublicKey().Type(), srv.HostKey().Type())
	}
	hk, _, _, rest, err := ssh.ParseAuthorizedKey(host)
	if err != nil || len(rest) != 0 || !bytes.Equal(hk.Marshal(), srv.HostKey().Marshal()) {
		t.Errorf("host key part %q: %v", host, err)
	}
	if !bytes.HasPrefix(priv, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) || !bytes.HasSuffix(priv, []byte("-----END OPENSSH PRIVATE KEY-----\n")) {
		t.Errorf("private key part is not an OpenSSH key file:\n%s", priv)
	}
}

// TestOptions checks New's options.
func TestOptions(t *testing.T) {
	if _, err := New(WithUser("-x")); err == nil {
		t.Error("WithUser(-x) accepted")
	}
	if _, err := New(WithUser("a b")); err == nil {
		t.Error("WithUser(a b) accepted")
	}
	if _, err := New(WithHandshakeTimeout(0)); err == nil {
		t.Error("WithHandshakeTimeout(0) accepted")
	}
	_, hk, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(hk)
	srv, err := New(WithUser("alice"), WithHostKey(signer))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.User() != "alice" || !bytes.Equal(srv.HostKey().Marshal(), signer.PublicKey().Marshal()) {
		t.Error("options not applied")
	}
	if !protocol.ValidLoginName(defaultUser()) {
		t.Errorf("default user %q", defaultUser())
	}
}

// TestHandshakeTimeout: a peer that says nothing is dropped, also on a
// connection without deadlines (like those of a reverse port forward).
func TestHandshakeTimeout(t *testing.T) {
	srv, err := New(WithHandshakeTimeout(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(context.Background(), noDeadlineConn{a}) }()
	go io.Copy(io.Discard, b) // the server's version line
	select {
	case err := <-done:
		t.Logf("ServeConn: %v", err)
		if err == nil {
			t.Error("ServeConn returned nil for a silent peer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("silent peer not dropped")
	}
}

// noDeadlineConn refuses deadlines, as x/crypto's forwarded connections do.
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) SetDeadline(time.Time) error      { return errors.New("deadline not supported") }
func (noDeadlineConn) SetReadDeadline(time.Time) error  { return errors.New("deadline not supported") }
func (noDeadlineConn) SetWriteDeadline(time.Time) error { return errors.New("deadline not supported") }
