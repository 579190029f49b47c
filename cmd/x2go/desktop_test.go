package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/protocol"
)

func TestLocaleLang(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"LANG": "de_DE.UTF-8"}, "de_DE.UTF-8"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR"}, "fr_FR"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR", "LC_ALL": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "POSIX"}, ""},
	} {
		if got := localeLang(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("localeLang(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// TestShareExitStatus: the desktop sharing failures have exit statuses and
// explanations of their own.
func TestShareExitStatus(t *testing.T) {
	denied := protocol.StartError("ACCESS DENIED\n", 8)
	for _, tc := range []struct {
		err  error
		code int
		hint string
	}{
		{fmt.Errorf("%w: alice@:51", x2go.ErrNoSuchDesktop), exitNoSession, "x2go desktops srv"},
		{fmt.Errorf("x2go: x2gostartagent: %w", denied), exitDenied, "runs no desktop sharing applet"},
		{&x2go.TimeoutError{Op: x2go.ErrListDesktopsTimeout, Limit: 20 * time.Second, Err: context.DeadlineExceeded}, exitError, "limit 20s"},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if got := explain(tc.err, &x2go.Options{Server: "srv"}); !strings.Contains(got, tc.hint) {
			t.Errorf("explain(%v) = %q, want %q in it", tc.err, got, tc.hint)
		}
	}
}

// TestShareDesktopUsage: a desktop that is not USER@:DISPLAY is a wrong
// command line, found before connecting anywhere.
func TestShareDesktopUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"x2go", "share-desktop", "nohost.invalid", "alice@51"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "USER@:DISPLAY") {
		t.Errorf("exit %d, stderr %q; want %d and the expected form", code, stderr.String(), exitUsage)
	}
}
