package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// sharerOf answers the control socket's list request with its folders.
type sharerOf []string

func (f sharerOf) ShareLocalFolder(context.Context, string) error   { return nil }
func (f sharerOf) UnshareLocalFolder(context.Context, string) error { return nil }
func (f sharerOf) SharedFolders(context.Context) ([]string, error) {
	return f, nil
}

// TestControlSocketHandOver: the process that resumes a session takes the
// control socket over while the process that suspended it may still be on
// its way out. The old process stopping must leave the new socket alone
// (it removed it by name once, and x2go shared then found no process).
func TestControlSocketHandOver(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "control")
	stopOld := serveControlAt(ctx, path, sharerOf{"/old"})
	stopNew := serveControlAt(ctx, path, sharerOf{"/new"})
	defer stopNew()
	stopOld()
	rep, err := askControlAt(ctx, path, "s", controlRequest{Op: "list"})
	if err != nil {
		t.Fatalf("after the old process stopped: %v", err)
	}
	if !slices.Equal(rep.Folders, []string{"/new"}) {
		t.Errorf("answered by %v, want the new process", rep.Folders)
	}
	stopNew()
	if _, err := askControlAt(ctx, path, "s", controlRequest{Op: "list"}); err == nil {
		t.Errorf("the socket still answers after its process stopped")
	}
}
