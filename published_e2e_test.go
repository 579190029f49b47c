package x2go_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// TestE2EPublishedApplicationsSession starts a published-applications
// provider session (type P), which shows nothing by itself, reads the menu
// (the lab's own entry with its icon and German name), then starts the
// menu's XTerm entry in it: the xterm's window appears on the client
// display, goes away when the session is suspended and comes back when it
// is resumed; terminating the suspended session removes its local session
// directory.
func TestE2EPublishedApplicationsSession(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })

	s := startLabSession(t, lab, x2go.Params{SessionType: "published"}, x2go.Hooks{})
	name := s.Name()
	if n, err := x2go.ParseSessionName(name); err != nil || n.Type != "P" || n.Command != "PUBLISHED" {
		t.Fatalf("session %s is not a published-applications session: %+v %v", name, n, err)
	}
	if st := serverStatus(t, lab, name); st != "R" {
		t.Fatalf("server lists %s as %q, want R", name, st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	menu, err := s.PublishedApplications(ctx, "de_DE.UTF-8", 0)
	if err != nil {
		t.Fatal(err)
	}
	var labXterm x2go.MenuEntry
	for _, entries := range menu {
		for _, e := range entries {
			if e.Exec == "xterm -name x2go-lab-xterm" {
				labXterm = e
			}
		}
	}
	if labXterm.Name != "Labor-XTerm" || !strings.HasPrefix(labXterm.Comment, "Ein vom") || !bytes.HasPrefix(labXterm.Icon, []byte("/* XPM */")) {
		t.Fatalf("the lab's published xterm in German: %q %q, icon %d bytes %q", labXterm.Name, labXterm.Comment, len(labXterm.Icon), labXterm.Icon[:min(len(labXterm.Icon), 9)])
	}
	var xterm string
	for _, entries := range menu {
		for _, e := range entries {
			if e.Name == "XTerm" {
				xterm = e.Exec
			}
		}
	}
	if xterm == "" {
		t.Fatalf("no XTerm entry in the published menu: %+v", menu)
	}

	const xtermWindow = `("xterm" "XTerm")`
	lab.WaitWindow(t, xtermWindow, false, 5*time.Second) // nothing shown before
	if err := s.ExecPublishedApplication(ctx, xterm); err != nil {
		t.Fatalf("ExecPublishedApplication(%q): %v", xterm, err)
	}
	took := lab.WaitWindow(t, xtermWindow, true, 30*time.Second)
	t.Logf("published %q mapped its window %v after the call", xterm, took)
	screenshot(t, lab, "published-xterm")

	dir := s.LocalSessionDir()
	if err := s.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	if st := serverStatus(t, lab, name); st != "S" {
		t.Fatalf("server lists %s as %q after suspend, want S", name, st)
	}
	lab.WaitWindow(t, xtermWindow, false, 15*time.Second)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("local session dir of the suspended session: %v", err)
	}
	// Resumed like any session: the application is still there.
	if err := s.Resume(ctx, name); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	lab.WaitWindow(t, xtermWindow, true, 30*time.Second)
	if st := serverStatus(t, lab, name); st != "R" {
		t.Fatalf("server lists %s as %q after resume, want R", name, st)
	}
	// Suspended again, then terminated without showing it again: the local
	// session directory must go all the same.
	if err := s.Suspend(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if st := serverStatus(t, lab, name); st != "" {
		t.Fatalf("server still lists %s as %q after terminate", name, st)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("local session dir %s not removed by Terminate: %v", dir, err)
	}
	if err := s.ExecPublishedApplication(ctx, xterm); err == nil {
		t.Error("ExecPublishedApplication after terminate succeeded")
	}
}
