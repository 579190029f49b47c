//go:build linux

package sharing

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// resolvers runs fn once with openat2 (if the kernel has it) and once
// with the element-by-element walker.
func resolvers(t *testing.T, fn func(t *testing.T)) {
	t.Run("openat2", func(t *testing.T) {
		probeOpenat2(unix.AT_FDCWD)
		if openat2State.Load() != 1 {
			t.Skip("this kernel has no openat2")
		}
		fn(t)
	})
	t.Run("walk", func(t *testing.T) {
		forceWalk.Store(true)
		defer forceWalk.Store(false)
		fn(t)
	})
}

// snapshot records every name, mode, size, mtime and content hash under
// dir, to prove that nothing outside the share changed.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v %d %d", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestEscapeAttempts walks a list of ways to reach files outside the
// share and checks that each is refused with SSH_FX_PERMISSION_DENIED and
// that nothing outside was read or changed.
func TestEscapeAttempts(t *testing.T) {
	resolvers(t, testEscapeAttempts)
}

func testEscapeAttempts(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	share := filepath.Join(base, "share")
	for _, d := range []string{outside, filepath.Join(outside, "dir"), share, filepath.Join(share, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "TOP SECRET outside the share"
	writeFile(t, filepath.Join(outside, "secret"), secret)
	writeFile(t, filepath.Join(outside, "dir", "secret"), secret)
	writeFile(t, filepath.Join(share, "ok.txt"), "inside")
	// Symlinks already in the share, pointing out in every way.
	links := map[string]string{
		"abs-file":   filepath.Join(outside, "secret"),
		"abs-dir":    filepath.Join(outside, "dir"),
		"rel-file":   "../outside/secret",
		"rel-dir":    "../outside/dir",
		"sub/deep":   "../../outside/secret",
		"proc-root":  "/proc/self/root",
		"proc-cwd":   "/proc/self/cwd",
		"chain-a":    "chain-b",
		"chain-b":    "sub/../../outside/secret",
		"dangling":   filepath.Join(outside, "created-through-link"),
		"dot-dot":    "..",
		"etc-passwd": "/etc/passwd",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(share, name)); err != nil {
			t.Fatal(err)
		}
	}
	// A hard link made locally before sharing: a real second name of the
	// file, which the jail cannot tell from any other file (see doc.go).
	if err := os.Link(filepath.Join(outside, "dir", "secret"), filepath.Join(share, "hardlink")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, outside)

	srv, addr := startServer(t)
	if err := srv.AddShare("/share", share); err != nil {
		t.Fatal(err)
	}
	c := dialSFTP(t, srv, addr)

	read := func(p string) func() error {
		return func() error {
			b, err := readAll(c, p)
			if err == nil && strings.Contains(b, "SECRET") {
				t.Errorf("READ THE SECRET through %s", p)
			}
			return err
		}
	}
	stat := func(p string) func() error { return func() error { _, err := c.Stat(p); return err } }
	list := func(p string) func() error { return func() error { _, err := c.ReadDir(p); return err } }
	write := func(p string) func() error {
		return func() error {
			f, err := c.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
			if err != nil {
				return err
			}
			_, err = f.Write([]byte("overwritten"))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
	}
	outsideSecret := filepath.Join(outside, "secret")
	attempts := []struct {
		name string
		fn   func() error
	}{
		{"read /share/../outside/secret", read("/share/../outside/secret")},
		{"read with the local absolute path", read(outsideSecret)},
		{"read /etc/passwd", read("/etc/passwd")},
		{"read /proc/self/root" + outsideSecret, read("/proc/self/root" + outsideSecret)},
		{"read //share/../../outside/secret", read("//share/../../outside/secret")},
		{"read share/../outside/secret (relative)", read("share/../outside/secret")},
		{"lstat " + base, func() error { _, err := c.Lstat(base); return err }},
		{"list /", list("/")},
		{"list /share/..", list("/share/..")},
		{"list " + base, list(base)},
		{"read through symlink abs-file", read("/share/abs-file")},
		{"stat through symlink abs-file", stat("/share/abs-file")},
		{"read through symlink rel-file", read("/share/rel-file")},
		{"read through symlink sub/deep", read("/share/sub/deep")},
		{"read through symlink chain chain-a -> chain-b -> out", read("/share/chain-a")},
		{"read through symlink etc-passwd", read("/share/etc-passwd")},
		{"list symlink to outside dir abs-dir", list("/share/abs-dir")},
		{"descend symlink to outside dir abs-dir/secret", read("/share/abs-dir/secret")},
		{"descend symlink to outside dir rel-dir/secret", read("/share/rel-dir/secret")},
		{"descend proc-root" + outsideSecret, read("/share/proc-root" + outsideSecret)},
		{"descend proc-cwd/secret", read("/share/proc-cwd/secret")},
		{"list symlink dot-dot", list("/share/dot-dot")},
		{"read dot-dot/outside/secret", read("/share/dot-dot/outside/secret")},
		{"write through symlink abs-file (truncate)", write("/share/abs-file")},
		{"write through symlink rel-file", write("/share/rel-file")},
		{"create through dangling symlink to outside", write("/share/dangling")},
		{"write /share/../outside/new", write("/share/../outside/new")},
		{"chmod through symlink abs-file", func() error { return c.Chmod("/share/abs-file", 0o777) }},
		{"truncate through symlink rel-file", func() error { return c.Truncate("/share/rel-file", 0) }},
		{"chtimes through symlink abs-dir", func() error {
			return c.Chtimes("/share/abs-dir", time.Unix(0, 0), time.Unix(0, 0))
		}},
		{"statvfs through symlink abs-dir", func() error { _, err := c.StatVFS("/share/abs-dir"); return err }},
		{"mkdir in symlinked outside dir", func() error { return c.Mkdir("/share/abs-dir/new") }},
		{"mkdir /share/../outside/new", func() error { return c.Mkdir("/share/../outside/new") }},
		{"remove in symlinked outside dir", func() error { return c.Remove("/share/rel-dir/secret") }},
		{"remove the share root", func() error { return c.Remove("/share") }},
		{"rmdir the share root", func() error { return c.RemoveDirectory("/share") }},
		{"rename the share root", func() error { return c.PosixRename("/share", "/share2") }},
		{"rename a file out of the share", func() error { return c.Rename("/share/ok.txt", "/outside/ok.txt") }},
		{"posix-rename a file out (local path)", func() error {
			return c.PosixRename("/share/ok.txt", filepath.Join(outside, "ok.txt"))
		}},
		{"rename into a symlinked outside dir", func() error { return c.PosixRename("/share/ok.txt", "/share/abs-dir/ok.txt") }},
		{"rename a file in from outside", func() error { return c.Rename(outsideSecret, "/share/stolen") }},
		{"symlink created inside -> absolute outside", func() error { return c.Symlink(outsideSecret, "/share/new-abs") }},
		{"symlink created inside -> ../outside", func() error { return c.Symlink("../outside/secret", "/share/new-rel") }},
		{"symlink created inside -> sub/../../outside", func() error { return c.Symlink("sub/../../outside/secret", "/share/new-rel2") }},
		{"symlink created inside -> /proc/self/root", func() error { return c.Symlink("/proc/self/root", "/share/new-proc") }},
		{"hard link of an inside file", func() error { return c.Link("/share/ok.txt", "/share/hl") }},
		{"hard link of an outside file into the share", func() error { return c.Link(outsideSecret, "/share/hl2") }},
		{"read a path with NUL and ..", read("/share/ok.txt\x00/../../outside/secret")},
	}
	for _, a := range attempts {
		err := a.fn()
		t.Logf("%-55s -> %v", a.name, err)
		if !isDenied(err) {
			t.Errorf("%s: got %v, want permission denied", a.name, err)
		}
	}
	// Nothing was created in the share by the refused symlink/link/rename
	// attempts, and nothing outside changed.
	for _, n := range []string{"new-abs", "new-rel", "new-rel2", "new-proc", "hl", "hl2", "stolen"} {
		if _, err := os.Lstat(filepath.Join(share, n)); !os.IsNotExist(err) {
			t.Errorf("%s exists in the share after a refused request", n)
		}
	}
	if after := snapshot(t, outside); after != before {
		t.Errorf("outside changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := os.Lstat(filepath.Join(outside, "created-through-link")); !os.IsNotExist(err) {
		t.Error("a file was created outside through a dangling symlink")
	}
	// "/" answers STAT with made-up attributes (sshfs's idmap=user needs
	// them), not those of the real root directory.
	if fi, err := c.Stat("/"); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o555 || fi.ModTime().Unix() != 0 || fi.Size() != 0 {
		t.Errorf("stat /: %v %v", fi, err)
	}
	// Still working: the inside file, a relative symlink that stays inside.
	if b, err := readAll(c, "/share/ok.txt"); err != nil || b != "inside" {
		t.Errorf("inside file: %q %v", b, err)
	}
	if err := c.Symlink("../ok.txt", "/share/sub/up"); err != nil {
		t.Errorf("symlink sub/up -> ../ok.txt: %v", err)
	} else if b, err := readAll(c, "/share/sub/up"); err != nil || b != "inside" {
		t.Errorf("read via sub/up: %q %v", b, err)
	}
	// The existing hard link is served (documented limitation): it is
	// the same file, not a path out of the share.
	b, err := readAll(c, "/share/hardlink")
	t.Logf("read of a pre-existing hard link to an outside file: %q %v (served: a hard link is the file itself)", b, err)
	if fi, err := c.Lstat("/share/abs-file"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("lstat of a symlink pointing out must show the link itself: %v %v", fi, err)
	}
	if target, err := c.ReadLink("/share/abs-file"); err != nil || target != outsideSecret {
		t.Errorf("readlink of abs-file: %q %v", target, err)
	}
}

// TestEscapeRace swaps a directory inside the share with a symlink to an
// outside directory holding a file of the same name while a client keeps
// reading that name: a check-then-open server would sometimes read the
// outside file; the jail must never.
func TestEscapeRace(t *testing.T) {
	resolvers(t, testEscapeRace)
}

func testEscapeRace(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	share := filepath.Join(base, "share")
	os.Mkdir(outside, 0o755)
	os.Mkdir(share, 0o755)
	writeFile(t, filepath.Join(outside, "f"), "SECRET")
	real := filepath.Join(share, "d")
	os.Mkdir(real, 0o755)
	writeFile(t, filepath.Join(real, "f"), "inside")

	srv, addr := startServer(t)
	if err := srv.AddShare("/share", share); err != nil {
		t.Fatal(err)
	}
	c := dialSFTP(t, srv, addr)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tmpLink := filepath.Join(share, "d.link")
		tmpDir := filepath.Join(share, "d.dir")
		for {
			select {
			case <-stop:
				return
			default:
			}
			// d is a real directory, then (atomically) a symlink out, and back.
			os.Symlink(outside, tmpLink)
			os.Rename(real, tmpDir)
			os.Rename(tmpLink, real)
			os.Rename(real, tmpLink)
			os.Rename(tmpDir, real)
			os.Remove(tmpLink)
		}
	}()
	run := 1500 * time.Millisecond
	if testing.Short() {
		run = 300 * time.Millisecond
	}
	deadline := time.Now().Add(run)
	var reads, inside, refused int
	for time.Now().Before(deadline) {
		f, err := c.Open("/share/d/f")
		reads++
		if err != nil {
			refused++
			continue
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if bytes.Contains(b, []byte("SECRET")) {
			t.Fatal("read the outside file through a swapped-in symlink")
		}
		inside++
	}
	close(stop)
	wg.Wait()
	t.Logf("%d reads during the swaps: %d of the inside file, %d refused or not found", reads, inside, refused)
	if inside == 0 {
		t.Error("no read succeeded; the race test did not exercise anything")
	}
}

// TestWalkerSemantics checks the fallback walker directly against the
// kernel's own RESOLVE_BENEATH on a tree of tricky links.
func TestWalkerSemantics(t *testing.T) {
	probeOpenat2(unix.AT_FDCWD)
	if openat2State.Load() != 1 {
		t.Skip("needs openat2 to compare with")
	}
	dir := t.TempDir()
	for _, d := range []string{"a", "a/b", "c"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	writeFile(t, filepath.Join(dir, "a/b/f"), "f")
	for name, target := range map[string]string{
		"a/up": "..", "a/b/upup": "../..", "a/b/out": "../../..", "loop1": "loop2", "loop2": "loop1",
		"c/tof": "../a/b/f", "self": ".", "empty-ish": "./", "abs": "/", "c/dot": "./../c",
	} {
		os.Symlink(target, filepath.Join(dir, name))
	}
	root, err := openRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.close()
	paths := []string{"", "a", "a/b/f", "a/up/a/b/f", "a/b/upup/c/tof", "a/b/out", "a/b/out/x", "loop1",
		"c/tof", "self/self/a/b/f", "empty-ish/a", "abs", "abs/etc", "c/dot/tof", "a/b/f/x", "missing", "a/missing/x"}
	for _, p := range paths {
		for _, flags := range []int{unix.O_PATH, unix.O_RDONLY, unix.O_RDONLY | unix.O_DIRECTORY} {
			kfd, kerr := openBeneath(root.fd, p, flags, 0)
			wfd, werr := walkOpen(root.fd, p, flags, 0)
			same := (kerr == nil) == (werr == nil)
			if kerr == nil && werr == nil {
				var ks, ws unix.Stat_t
				unix.Fstat(kfd, &ks)
				unix.Fstat(wfd, &ws)
				same = ks.Ino == ws.Ino && ks.Dev == ws.Dev
			} else if kerr != nil && werr != nil {
				same = kerr == werr
			}
			if kfd >= 0 {
				unix.Close(kfd)
			}
			if wfd >= 0 {
				unix.Close(wfd)
			}
			if !same {
				t.Errorf("%q flags %#x: openat2 %v, walker %v", p, flags, kerr, werr)
			}
		}
	}
}
