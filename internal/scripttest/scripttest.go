// Package scripttest provides a shell script for tests to run in place
// of an external program (a viewer, lp, an opener): it records how it was
// called and keeps a copy of the file it was given.
package scripttest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Recorder is a shell script that records each call: its arguments
// (NUL-separated, calls separated by \x1e) and a copy of its last
// argument, the file it was handed.
type Recorder struct {
	Path string // the script, to run in place of the program
	dir  string
}

// NewRecorder writes a recording script into a new temporary directory.
// After recording, the script runs the shell line extra (if any) and
// exits with exitCode.
func NewRecorder(t testing.TB, exitCode int, extra string) *Recorder {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "record.sh")
	body := "#!/bin/sh\n" +
		"for a in \"$@\"; do printf '%s\\0' \"$a\"; done >> '" + dir + "/calls'\n" +
		"printf '\\036' >> '" + dir + "/calls'\n" +
		"for last in \"$@\"; do :; done\n" +
		"n=$(ls '" + dir + "' | grep -c '^seen-')\n" +
		"cp -- \"$last\" '" + dir + "/seen-'$n\n" +
		extra + "\n" +
		"exit " + strconv.Itoa(exitCode) + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Recorder{Path: script, dir: dir}
}

// Calls returns the argument lists of all calls so far, oldest first.
func (r *Recorder) Calls(t testing.TB) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "calls"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, call := range strings.Split(strings.TrimSuffix(string(b), "\x1e"), "\x1e") {
		out = append(out, strings.Split(strings.TrimSuffix(call, "\x00"), "\x00"))
	}
	return out
}

// Seen returns the content of the file handed to the n-th call (from 0).
func (r *Recorder) Seen(t testing.TB, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "seen-"+strconv.Itoa(n)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
