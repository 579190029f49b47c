//go:build linux

package sharing

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nameEntry is one entry of an SSH_FXP_NAME reply.
type nameEntry struct {
	name, long string
	attrs      []byte // the raw ATTRS
}

// parseName splits the payload of a NAME reply (after the type byte).
func parseName(t *testing.T, b []byte) (uint32, []nameEntry) {
	t.Helper()
	id, b, ok1 := getUint32(b)
	n, b, ok2 := getUint32(b)
	if !ok1 || !ok2 {
		t.Fatalf("short NAME reply")
	}
	var out []nameEntry
	for i := uint32(0); i < n; i++ {
		name, rest, ok1 := getString(b)
		long, rest, ok2 := getString(rest)
		flags, _, ok3 := getUint32(rest)
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("bad NAME entry %d", i)
		}
		size := 4
		for _, f := range []struct {
			bit uint32
			n   int
		}{{attrSize, 8}, {attrUIDGID, 8}, {attrPerm, 4}, {attrTimes, 8}} {
			if flags&f.bit != 0 {
				size += f.n
			}
		}
		if len(rest) < size {
			t.Fatalf("short attributes in NAME entry %d", i)
		}
		out = append(out, nameEntry{name: string(name), long: string(long), attrs: rest[:size]})
		b = rest[size:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes after the last NAME entry", len(b))
	}
	return id, out
}

// readdirAll sends READDIR on handle until SSH_FX_EOF and returns the
// entries and the number of entries in each reply.
func (r *rawSFTP) readdirAll(id *uint32, handle []byte) ([]nameEntry, []int) {
	r.t.Helper()
	var all []nameEntry
	var sizes []int
	for {
		*id++
		r.send(fxpReaddir, cat(u32(*id), str(string(handle))))
		typ, b := r.recv()
		if typ == fxpStatus {
			if got, code := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]); got != *id || code != fxEOF {
				r.t.Fatalf("READDIR %d: status %d for id %d", *id, code, got)
			}
			return all, sizes
		}
		if typ != fxpName {
			r.t.Fatalf("READDIR: packet type %d", typ)
		}
		if len(b)+1 > maxNameReply+600 {
			r.t.Errorf("NAME reply of %d bytes", len(b)+1)
		}
		got, entries := parseName(r.t, b)
		if got != *id {
			r.t.Fatalf("NAME for id %d, want %d", got, *id)
		}
		all = append(all, entries...)
		sizes = append(sizes, len(entries))
	}
}

// opendir sends OPENDIR and returns the handle (or fails the test).
func (r *rawSFTP) opendir(id uint32, p string) []byte {
	r.t.Helper()
	r.send(fxpOpendir, cat(u32(id), str(p)))
	typ, b := r.recv()
	if typ != fxpHandle || binary.BigEndian.Uint32(b) != id {
		r.t.Fatalf("OPENDIR %s: packet type %d %q", p, typ, b)
	}
	h, _, _ := getString(b[4:])
	return h
}

// TestWireReaddir lists directories through the wire's own READDIR
// answers: every entry once, large replies, the same attributes as
// pkg/sftp's LSTAT replies, long names as ls -ln prints them, EOF,
// closed and unknown handles, a refused OPENDIR, a removed share.
func TestWireReaddir(t *testing.T) {
	r, dir := startRaw(t)
	r.send(fxpInit, u32(3))
	if typ, _ := r.recv(); typ != fxpVersion {
		t.Fatalf("VERSION: %d", typ)
	}

	want := map[string]bool{}
	for i := 0; i < 700; i++ {
		name := fmt.Sprintf("f%d%s", i, strings.Repeat("x", i%40))
		writeFile(t, filepath.Join(dir, name), strings.Repeat("y", i))
		want[name] = true
	}
	special := []string{"sub", "link", "suid", "sticky", "fifo", "old", "future", "ünï cödé"}
	os.Mkdir(filepath.Join(dir, "sub"), 0o750)
	os.Symlink("f1x", filepath.Join(dir, "link"))
	writeFile(t, filepath.Join(dir, "suid"), "#!/bin/sh\n")
	os.Chmod(filepath.Join(dir, "suid"), 0o4754)
	os.Mkdir(filepath.Join(dir, "sticky"), 0o755)
	os.Chmod(filepath.Join(dir, "sticky"), 0o1777)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o640); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "old"), "old")
	os.Chtimes(filepath.Join(dir, "old"), time.Now(), time.Date(2001, 2, 3, 4, 5, 6, 0, time.Local))
	writeFile(t, filepath.Join(dir, "future"), "future")
	os.Chtimes(filepath.Join(dir, "future"), time.Now(), time.Now().Add(48*time.Hour))
	writeFile(t, filepath.Join(dir, "ünï cödé"), "x")
	for _, n := range special {
		want[n] = true
	}
	for i := 0; i < 150; i++ {
		writeFile(t, filepath.Join(dir, "sub", fmt.Sprintf("s%d", i)), "")
	}

	var id uint32 = 10
	// A refused OPENDIR first: the wire must stay in step with the
	// handler's OPENDIRs after it.
	r.send(fxpOpendir, cat(u32(id), str("/elsewhere")))
	if gotID, code := r.status(); gotID != id || code != 3 {
		t.Errorf("OPENDIR outside the shares: id %d code %d", gotID, code)
	}
	id++
	handle := r.opendir(id, "/s")
	entries, sizes := r.readdirAll(&id, handle)
	t.Logf("%d entries in %d replies: %v", len(entries), len(sizes), sizes)
	if len(sizes) < 2 || sizes[0] <= 100 {
		t.Errorf("reply sizes %v: want several, more than pkg/sftp's 100 entries each", sizes)
	}
	seen := map[string]nameEntry{}
	for _, e := range entries {
		if _, dup := seen[e.name]; dup {
			t.Errorf("%q listed twice", e.name)
		}
		seen[e.name] = e
	}
	for n := range want {
		if _, ok := seen[n]; !ok {
			t.Errorf("%q not listed", n)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d names, want %d", len(seen), len(want))
	}

	// The attributes are those pkg/sftp gives for LSTAT of the entry.
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		id++
		r.send(7, cat(u32(id), str("/s/"+n)))
		typ, b := r.recv()
		if typ != 105 || binary.BigEndian.Uint32(b) != id {
			t.Fatalf("LSTAT %s: packet type %d", n, typ)
		}
		if !bytes.Equal(b[4:], seen[n].attrs) {
			t.Errorf("%s: READDIR attributes %x, LSTAT %x", n, seen[n].attrs, b[4:])
		}
	}

	// Long names: the fields ls -lnd prints (C locale, same time zone).
	for _, n := range append(special, "f7xxxxxxx") {
		out, err := exec.Command("ls", "-lnd", filepath.Join(dir, n)).Output()
		if err != nil {
			t.Fatalf("ls: %v", err)
		}
		lsFields := strings.Fields(strings.TrimSpace(string(out)))
		ourFields := strings.Fields(seen[n].long)
		// ls adds "-> target" to symlinks and prints the whole local path.
		if len(lsFields) < 9 || len(ourFields) < 9 {
			t.Fatalf("%s: ls %q, ours %q", n, out, seen[n].long)
		}
		if strings.Join(lsFields[:8], " ") != strings.Join(ourFields[:8], " ") ||
			!strings.HasSuffix(seen[n].long, " "+n) {
			t.Errorf("%s: long name %q, ls -lnd says %q", n, seen[n].long, strings.TrimSpace(string(out)))
		}
	}

	// After EOF, EOF again; READDIR on an unknown handle and on a closed
	// one is refused (by pkg/sftp), never answered with names.
	id++
	r.send(fxpReaddir, cat(u32(id), str(string(handle))))
	if gotID, code := r.status(); gotID != id || code != fxEOF {
		t.Errorf("READDIR after EOF: id %d code %d", gotID, code)
	}
	id++
	r.send(fxpReaddir, cat(u32(id), str("no such handle")))
	if gotID, code := r.status(); gotID != id || code == fxOK || code == fxEOF {
		t.Errorf("READDIR of an unknown handle: id %d code %d", gotID, code)
	}
	id++
	r.send(fxpClose, cat(u32(id), str(string(handle))))
	if gotID, code := r.status(); gotID != id || code != fxOK {
		t.Errorf("CLOSE: id %d code %d", gotID, code)
	}
	id++
	r.send(fxpReaddir, cat(u32(id), str(string(handle))))
	if gotID, code := r.status(); gotID != id || code == fxOK || code == fxEOF {
		t.Errorf("READDIR of a closed handle: id %d code %d", gotID, code)
	}

	// A fresh OPENDIR of a subdirectory: still answered by the wire.
	id++
	sub := r.opendir(id, "/s/sub")
	id++
	r.send(fxpReaddir, cat(u32(id), str(string(sub))))
	typ, b := r.recv()
	if typ != fxpName {
		t.Fatalf("READDIR of /s/sub: packet type %d", typ)
	}
	if _, first := parseName(t, b); len(first) != 150 {
		t.Errorf("/s/sub: %d entries in the first reply, want all 150", len(first))
	}

	// The share goes while /s is listed part way (and more entries have
	// been read than given out): the rest is not given out, the handles
	// are refused (as every path outside the shares: permission denied).
	id++
	again := r.opendir(id, "/s")
	id++
	r.send(fxpReaddir, cat(u32(id), str(string(again))))
	if typ, _ := r.recv(); typ != fxpName {
		t.Fatalf("READDIR of /s: packet type %d", typ)
	}
	if err := r.srv.RemoveShare("/s"); err != nil {
		t.Fatal(err)
	}
	for _, h := range [][]byte{again, sub} {
		id++
		r.send(fxpReaddir, cat(u32(id), str(string(h))))
		if gotID, code := r.status(); gotID != id || code != 3 {
			t.Errorf("READDIR after RemoveShare: id %d code %d", gotID, code)
		}
	}
}

// TestLongName checks the ls -l text against fixed cases.
func TestLongName(t *testing.T) {
	now := time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		mode  os.FileMode
		size  int64
		mtime time.Time
		want  string
		posix uint32
	}{
		{0o644, 1234, now.Add(-time.Hour), "-rw-r--r--    1 1000     100          1234 Jun 15 11:00 n", 0o100644},
		{os.ModeDir | 0o755, 4096, now.AddDate(-1, 0, 0), "drwxr-xr-x    1 1000     100          4096 Jun 15  2023 n", 0o040755},
		{os.ModeSymlink | 0o777, 3, now.Add(time.Hour), "lrwxrwxrwx    1 1000     100             3 Jun 15  2024 n", 0o120777},
		{os.ModeSetuid | os.ModeSetgid | 0o755, 0, now, "-rwsr-sr-x    1 1000     100             0 Jun 15 12:00 n", 0o106755},
		{os.ModeSetuid | 0o644, 0, now, "-rwSr--r--    1 1000     100             0 Jun 15 12:00 n", 0o104644},
		{os.ModeDir | os.ModeSticky | 0o1777, 0, now, "drwxrwxrwt    1 1000     100             0 Jun 15 12:00 n", 0o041777},
		{os.ModeDir | os.ModeSticky | 0o770, 0, now, "drwxrwx--T    1 1000     100             0 Jun 15 12:00 n", 0o041770},
		{os.ModeNamedPipe | 0o600, 0, now, "prw-------    1 1000     100             0 Jun 15 12:00 n", 0o010600},
		{os.ModeSocket | 0o755, 0, now, "srwxr-xr-x    1 1000     100             0 Jun 15 12:00 n", 0o140755},
		{os.ModeDevice | os.ModeCharDevice | 0o666, 0, now, "crw-rw-rw-    1 1000     100             0 Jun 15 12:00 n", 0o020666},
		{os.ModeDevice | 0o660, 0, now, "brw-rw----    1 1000     100             0 Jun 15 12:00 n", 0o060660},
		{0o600, 123456789012, now.AddDate(0, -7, 0), "-rw-------    1 1000     100      123456789012 Nov 15  2023 n", 0o100600},
	} {
		fi := testInfo{mode: c.mode, size: c.size, mtime: c.mtime.In(time.UTC)}
		if got := string(appendLongName(nil, fi, now)); got != c.want {
			t.Errorf("%v: %q, want %q", c.mode, got, c.want)
		}
		if got := posixMode(c.mode); got != c.posix {
			t.Errorf("posixMode(%v) = %o, want %o", c.mode, got, c.posix)
		}
	}
}

// testInfo is a FileInfo with an owner, for TestLongName.
type testInfo struct {
	mode  os.FileMode
	size  int64
	mtime time.Time
}

func (fi testInfo) Name() string       { return "n" }
func (fi testInfo) Size() int64        { return fi.size }
func (fi testInfo) Mode() os.FileMode  { return fi.mode }
func (fi testInfo) ModTime() time.Time { return fi.mtime }
func (fi testInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi testInfo) Sys() any           { return nil }
func (fi testInfo) Uid() uint32        { return 1000 }
func (fi testInfo) Gid() uint32        { return 100 }

// TestDirListerListAt pages through a directory with pkg/sftp's ListAt,
// which serves READDIR if the wire does not.
func TestDirListerListAt(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := shareDir(t, srv, "/s")
	for i := 0; i < 300; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprint(i)), "")
	}
	h := &handlers{shares: &srv.shares, log: srv.log}
	l, err := h.opendir("/s")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := map[string]bool{}
	var off int64
	for {
		page := make([]os.FileInfo, 7)
		n, err := l.ListAt(page, off)
		for _, fi := range page[:n] {
			if seen[fi.Name()] {
				t.Errorf("%s twice", fi.Name())
			}
			seen[fi.Name()] = true
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil || n != len(page) {
			t.Fatalf("ListAt at %d: %d entries, %v", off, n, err)
		}
	}
	if len(seen) != 300 {
		t.Errorf("%d entries, want 300", len(seen))
	}
	if _, err := l.ListAt(make([]os.FileInfo, 1), 3); err == nil || err == io.EOF {
		t.Errorf("ListAt at an old offset: %v", err)
	}
}

// BenchmarkReadDir lists a directory of 10,000 files with pkg/sftp's
// client over SSH.
func BenchmarkReadDir(b *testing.B) {
	srv, addr := startServer(b)
	dir := shareDir(b, srv, "/s")
	for i := 0; i < 10000; i++ {
		writeFile(b, filepath.Join(dir, fmt.Sprintf("file-%05d.txt", i)), "")
	}
	c := dialSFTP(b, srv, addr)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fis, err := c.ReadDir("/s"); err != nil || len(fis) != 10000 {
			b.Fatal(len(fis), err)
		}
	}
}
