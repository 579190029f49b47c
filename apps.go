package x2go

import (
	"context"
	"fmt"
	"time"

	"github.com/x2go-go/x2go/protocol"
)

// MenuEntry is one entry of the published applications menu: its name
// and comment in the menu's language, its command line and its icon.
type MenuEntry = protocol.MenuEntry

// MenuTop is the menu category of entries shown at the top level: all of
// them when there are few (see PublishedApplications).
const MenuTop = protocol.MenuTop

// PublishedApplicationsText returns the published applications as the
// server sends them (x2gogetapps' output; python-x2go's very_raw form),
// read once per connection (see ControlSession.PublishedApplicationsText).
func (s *Session) PublishedApplicationsText(ctx context.Context) (string, error) {
	return s.ctrl.PublishedApplicationsText(ctx)
}

// RefreshPublishedApplications reads the published applications from the
// server again (python-x2go's refresh); the menu methods return the new
// ones afterwards.
func (s *Session) RefreshPublishedApplications(ctx context.Context) error {
	return s.ctrl.RefreshPublishedApplications(ctx)
}

// ExecPublishedApplication starts exec, the command line of a published
// application (a menu entry's Exec), detached inside the running session
// called name, which any client may be showing: its windows appear
// wherever that session is shown. The session must be listed as running;
// otherwise the error matches ErrNoSuchSession or ErrNoActiveSession. The
// command takes at most Options.Timeouts.Exec to return (it only starts
// the application); then it fails with a *TimeoutError matching
// ErrExecTimeout.
func (c *ControlSession) ExecPublishedApplication(ctx context.Context, name, exec string) error {
	si, err := c.SessionInfoByName(ctx, name)
	if err != nil {
		return err
	}
	if si.Status != protocol.StatusRunning {
		return fmt.Errorf("%w: %s is not running (status %s); an application can only start in a running session", ErrNoActiveSession, name, si.Status)
	}
	return c.execIn(ctx, name, si.Display, exec, nil, c.opts.Timeouts.Exec)
}

// execIn runs a published application's command in session name on
// display, with env added to its environment, bounded by limit.
func (c *ControlSession) execIn(ctx context.Context, name string, display int, exec string, env map[string]string, limit time.Duration) error {
	cmd, err := protocol.ExecPublishedCmd(protocol.ExecParams{Display: display, Name: name, Exec: exec, Env: env})
	if err != nil {
		return fmt.Errorf("x2go: %w", err)
	}
	ctrl, err := c.current()
	if err != nil {
		return err
	}
	_, err = bounded(ctx, limit, ErrExecTimeout, func(ctx context.Context) (string, error) {
		return ctrl.Exec(ctx, cmd)
	})
	return err
}
