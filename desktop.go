package x2go

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/x2go-go/x2go/protocol"
)

// ShareMode says what a shared desktop lets its viewer do.
type ShareMode int

const (
	// ViewOnly shows the desktop; keyboard and mouse input stay with the
	// viewer (python-x2go's share mode 0).
	ViewOnly ShareMode = 0
	// FullAccess also passes the viewer's keyboard and mouse input to
	// the desktop (share mode 1).
	FullAccess ShareMode = 1
)

// String returns "view-only" or "full-access".
func (m ShareMode) String() string {
	if m == FullAccess {
		return "full-access"
	}
	return "view-only"
}

// Desktop is an X desktop on the server that may be shared: its owner and
// its display, as x2golistdesktops names it (owner@:display).
type Desktop struct {
	// User owns the desktop. Another user's desktop can be shared only
	// when its owner runs the desktop sharing applet
	// (x2goserver-desktopsharing) and accepts.
	User string
	// Display is the desktop's X display, ":51" or ":51.0" (a bare "51"
	// is read as ":51").
	Display string
}

// ParseDesktop reads a desktop named as x2golistdesktops names it,
// user@:display[.screen].
func ParseDesktop(s string) (Desktop, error) {
	user, display, err := protocol.SplitDesktop(s)
	if err != nil {
		return Desktop{}, fmt.Errorf("x2go: %w", err)
	}
	return Desktop{User: user, Display: display}, nil
}

// String returns the desktop as x2golistdesktops names it.
func (d Desktop) String() string {
	disp := d.Display
	if !strings.HasPrefix(disp, ":") {
		disp = ":" + disp
	}
	return d.User + "@" + disp
}

// listDesktops is ListDesktops: the control session's, and the hook.
func (s *Session) listDesktops(ctx context.Context) ([]string, error) {
	list, err := s.ctrl.ListDesktops(ctx)
	if errors.Is(err, ErrListDesktopsTimeout) && s.hooks.ListDesktopsTimeout != nil {
		s.hooks.ListDesktopsTimeout(s)
	}
	return list, err
}

// ShareDesktop starts a desktop sharing (shadow) session of desktop and
// shows it on the local display (python-x2go's share_desktop): a window
// mirroring the desktop, view-only or with full access. Like Start, it
// returns once the shadow session runs; Wait, Suspend and Terminate apply
// to it.
//
// The desktop must be one the server offers (ListDesktops; "alice@:51"
// also matches the listed "alice@:51.0"); otherwise ShareDesktop calls
// Hooks.NoSuchDesktop and fails with ErrNoSuchDesktop, and nothing is
// started on the server. Another user's desktop is shared only when its
// owner accepts, which may take a while (ctx bounds the wait); a refusal
// calls Hooks.DesktopSharingDenied and fails with an error matching
// ErrAccessDenied. A desktop that went away during the start gives an
// error matching ErrDesktopGone.
//
// The shadow session is listed among the user's sessions. Its agent runs
// as the desktop's owner, so for another user's desktop the server's
// terminate script cannot stop it; Terminate still ends the sharing, as
// the agent ends when its graphics connection goes, and the server drops
// the listing a few seconds later (x2gocleansessions).
func (s *Session) ShareDesktop(ctx context.Context, desktop Desktop, mode ShareMode) error {
	want := desktop.String()
	owner, display, err := protocol.SplitDesktop(want)
	if err != nil {
		return s.term.Fail(fmt.Errorf("x2go: %w", err))
	}
	list, err := s.listDesktops(ctx)
	if err != nil {
		return s.term.Fail(err)
	}
	listed := want
	if !protocol.HasDesktop(list, want) {
		s.term.FailProgress()
		if h := s.hooks.NoSuchDesktop; h != nil {
			h(s, want)
		}
		return fmt.Errorf("%w: %s is not among the desktops %s offers for sharing", ErrNoSuchDesktop, want, s.ctrl.Server())
	}
	if !slices.Contains(list, want) { // listed as <desktop>.0: share what is listed
		listed, display = want+".0", display+".0"
	}
	command, err := protocol.ShadowCommand(mode == FullAccess, owner, display)
	if err != nil {
		return s.term.Fail(fmt.Errorf("x2go: %w", err))
	}
	if owner != s.ctrl.Username() {
		s.log.Info("waiting for the desktop's owner to accept sharing", "desktop", listed, "owner", owner)
	}
	sp := s.opts.Params.withDefaults().startParams(protocol.TypeShadow, command)
	// A shadow session takes neither a clipboard mode nor an XDMCP server.
	sp.Agent.Clipboard, sp.Agent.XDMCPServer = "", ""
	err = s.term.Start(ctx, sp)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrAccessDenied):
		if h := s.hooks.DesktopSharingDenied; h != nil {
			h(s, listed)
		}
		return err
	case errors.Is(err, ErrSessionLimit) || ctx.Err() != nil:
		return err
	}
	if s.desktopGone(ctx, listed) {
		return fmt.Errorf("%w: %s: %w", ErrDesktopGone, listed, err)
	}
	return err
}

// desktopGone reports whether the server no longer offers desktop, asked
// after a failed start (briefly: the caller's start already failed).
func (s *Session) desktopGone(ctx context.Context, desktop string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := s.ctrl.ListDesktops(ctx)
	return err == nil && !slices.Contains(list, desktop)
}
