package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noTemps fails if a temporary file of the writer is left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestWriteKeepsModeAndReplacesContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions")
	if err := os.WriteFile(path, readFixture(t, "qt-sessions"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o640)
	s, err := LoadSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Profile("lab desktop")
	p.SetInt("sshport", 2022)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, s.Bytes()) {
		t.Error("file content is not what was written")
	}
	noTemps(t, dir)

	// Through a symlink, the file it points to is replaced and the link
	// stays.
	link := filepath.Join(dir, "link")
	os.Symlink("sessions", link)
	p.SetInt("sshport", 2023)
	if err := s.WriteFile(link); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	if got, _ := os.ReadFile(path); !bytes.Contains(got, []byte("sshport=2023\n")) {
		t.Error("link target not updated")
	}
	if s.File().Path() != link {
		t.Errorf("Path after WriteFile: %q", s.File().Path())
	}
}

// failingFile is a real temporary file whose Write, Sync or Chmod fails
// the way a full disk makes it fail.
type failingFile struct {
	*os.File
	failOn string
}

func (f *failingFile) Write(b []byte) (int, error) {
	if f.failOn == "write" {
		n, _ := f.File.Write(b[:len(b)/2])
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Write(b)
}

func (f *failingFile) Sync() error {
	if f.failOn == "sync" {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

func (f *failingFile) Chmod(m fs.FileMode) error {
	if f.failOn == "chmod" {
		return &fs.PathError{Op: "chmod", Path: f.Name(), Err: syscall.EPERM}
	}
	return f.File.Chmod(m)
}

func TestWriteFailureKeepsOriginal(t *testing.T) {
	for _, failOn := range []string{"write", "sync", "chmod"} {
		t.Run(failOn, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sessions")
			orig := readFixture(t, "handmade-sessions")
			os.WriteFile(path, orig, 0o600)
			s, _ := LoadSessions(path)
			s.Add("one more")

			saved := createTemp
			t.Cleanup(func() { createTemp = saved })
			createTemp = func(dir, pattern string) (tempFile, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				return &failingFile{f, failOn}, nil
			}
			err := s.Save()
			if err == nil {
				t.Fatal("no error")
			}
			if failOn == "write" && !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("error does not match ENOSPC: %v", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
				t.Error("original changed")
			}
			noTemps(t, dir)
		})
	}
}

// TestWriteFullDisk fills a real, tiny tmpfs: the new file does not fit,
// the old one must stay whole. It needs root to mount.
func TestWriteFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	path := filepath.Join(dir, "sessions")
	orig := readFixture(t, "qt-sessions") // 4 KiB, one tmpfs page
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	// More than the 12 KiB left beside it.
	s, _ := LoadSessions(path)
	for k := 0; len(s.Bytes()) <= 13<<10; k++ {
		if _, err := s.Add(fmt.Sprintf("filler %d", k)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Save()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Save on a full disk: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
		t.Error("original damaged by the failed write")
	}
	noTemps(t, dir)

	// A smaller change fits and goes through.
	s, _ = LoadSessions(path)
	p, _ := s.Profile("lab desktop")
	p.SetInt("sshport", 2022)
	if err := s.Save(); err != nil {
		t.Fatalf("Save that fits: %v", err)
	}
	noTemps(t, dir)
}

const crashHelperEnv = "X2GO_PROFILE_CRASH_HELPER"

// crashHelper runs in a child process: it writes two contents to the file
// in turn, as fast as it can, until it is killed.
func crashHelper() {
	path := os.Getenv(crashHelperEnv)
	a, b := crashContents()
	for i := 0; ; i++ {
		data := a
		if i%2 == 1 {
			data = b
		}
		if err := writeFileAtomic(path, data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if i == 0 {
			fmt.Println("started")
		}
	}
}

func crashContents() (a, b []byte) {
	a = bytes.Repeat([]byte("[a]\nkey=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"), 4096)
	b = bytes.Repeat([]byte("[b]\nkey=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"), 3000)
	return a, b
}

// TestWriteSurvivesKill kills a process in the middle of its writes, many
// times: the file must always hold one of the two contents in full.
func TestWriteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions")
	a, b := crashContents()
	os.WriteFile(path, a, 0o600)
	for round := range 15 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		if n, _ := out.Read(buf); !bytes.HasPrefix(buf[:n], []byte("started")) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: helper did not start: %s", round, stderr.String())
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("round %d: file holds %d bytes, neither content (%v)", round, len(got), err)
		}
	}
	// A kill mid-write leaves a temporary file (never the real one)
	// behind; at least one kill must have hit a write, else the test
	// proved nothing.
	ents, _ := os.ReadDir(dir)
	temps := 0
	for _, e := range ents {
		switch {
		case strings.HasPrefix(e.Name(), ".sessions.tmp-"):
			temps++
		case e.Name() != "sessions":
			t.Errorf("unexpected file %s", e.Name())
		}
	}
	if temps == 0 {
		t.Error("no kill interrupted a write")
	}
}
