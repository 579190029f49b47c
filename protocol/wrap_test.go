package protocol

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

const testID = "534334c2-e8f5-11f1-b1fc-02fc00000001"

func TestWrap(t *testing.T) {
	got := Wrap(testID, "echo $HOME")
	want := "echo X2GODATABEGIN:" + testID +
		"; PATH=/usr/local/bin:/usr/bin:/bin sh -c 'echo $HOME'; echo X2GODATAEND:" + testID + ":$?"
	if got != want {
		t.Errorf("Wrap:\n got %s\nwant %s", got, want)
	}
}

// runWrapped runs Wrap(id, cmd) the way an SSH server does (the login
// shell gets it as one string), with login-script noise printed first.
func runWrapped(t *testing.T, id, cmd, noise string) []byte {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", "printf '%s' "+Quote(noise)+"; "+Wrap(id, cmd)+"; echo logout noise").Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	return out
}

func TestWrapThroughShell(t *testing.T) {
	for _, tc := range []struct {
		name, cmd, noise, want string
		status                 int
	}{
		{"args", Join(append([]string{"printf", `%s\n`}, trickyArgs...)...), "motd\n",
			strings.Join(trickyArgs, "\n") + "\n", 0},
		{"quotes", `echo "it's" '$HOME' "\$x" ` + "`echo`", "", "it's $HOME $x\n", 0},
		{"no trailing newline", "printf foo", "noise without newline", "foo", 0},
		{"empty", "true", "", "", 0},
		{"empty line", "echo", "", "\n", 0},
		{"status", "echo out; exit 7", "", "out\n", 7},
		{"status 255", "exit 255", "", "", 255},
		{"newline in command", "echo a\necho b", "", "a\nb\n", 0},
		{"marker in output", "echo X2GODATAEND:" + testID + ":9", "", "X2GODATAEND:" + testID + ":9\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := runWrapped(t, testID, tc.cmd, tc.noise)
			out, status, err := Unwrap(testID, raw)
			if err != nil {
				t.Fatalf("Unwrap(%q): %v", raw, err)
			}
			if out != tc.want || status != tc.status {
				t.Errorf("got %q status %d, want %q status %d (raw %q)", out, status, tc.want, tc.status, raw)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	const id = testID
	for _, tc := range []struct {
		name, raw, want string
		status          int
	}{
		{"trace", "X2GODATABEGIN:" + id + "\n/home/x2gotest\nX2GODATAEND:" + id + ":0\n", "/home/x2gotest\n", 0},
		{"glued END", "X2GODATABEGIN:" + id + "\nfooX2GODATAEND:" + id + ":3\n", "foo", 3},
		{"END at EOF", "X2GODATABEGIN:" + id + "\nX2GODATAEND:" + id + ":0", "", 0},
		{"CRLF status", "X2GODATABEGIN:" + id + "\nx\nX2GODATAEND:" + id + ":1\r\nbye\n", "x\n", 1},
		{"noise", "Welcome!\nX2GODATABEGIN:" + id + "\nok\nX2GODATAEND:" + id + ":0\nbye\n", "ok\n", 0},
	} {
		out, status, err := Unwrap(id, []byte(tc.raw))
		if err != nil || out != tc.want || status != tc.status {
			t.Errorf("%s: got %q, %d, %v; want %q, %d", tc.name, out, status, err, tc.want, tc.status)
		}
	}
	for _, raw := range []string{
		"",
		"X2GODATABEGIN:" + id + "\nno end\n",
		"no begin\nX2GODATAEND:" + id + ":0\n",
		"X2GODATAEND:" + id + ":0\nX2GODATABEGIN:" + id + "\n",
		"X2GODATABEGIN:" + id + "\nX2GODATAEND:" + id + "\n",   // python's marker: no status
		"X2GODATABEGIN:" + id + "\nX2GODATAEND:" + id + ":x\n", // bad status
		"X2GODATABEGIN:" + id + "\nX2GODATAEND:" + id + ":256\n",
		"X2GODATABEGIN:other\nX2GODATAEND:other:0\n",
	} {
		_, _, err := Unwrap(id, []byte(raw))
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
			t.Errorf("Unwrap(%q): err = %v, want *ParseError", raw, err)
		}
	}
	if _, _, err := Unwrap("", []byte("X2GODATABEGIN:\nX2GODATAEND::0\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty id: %v", err)
	}
}

// TestUnwrapTrace unwraps every real answer of the trace (with our status
// suffix on the END marker) and checks it against python-x2go's rule.
func TestUnwrapTrace(t *testing.T) {
	for _, r := range loadTrace(t) {
		out := innerStdout(t, r)
		lines := strings.Split(r.Stdout, "\n")
		want := strings.Join(lines[1:len(lines)-2], "\n")
		if len(lines) > 3 {
			want += "\n"
		}
		if out != want {
			t.Errorf("%s: got %q, want %q", r.Cmd, out, want)
		}
	}
}
