package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/protocol"
)

// shareDesktopCmd is x2go share-desktop: show a desktop of the server
// here, attended like x2go start.
func shareDesktopCmd(e *env, g *globalFlags) *cobra.Command {
	var cf connFlags
	var full, asJSON bool
	var link, pack string
	c := &cobra.Command{
		Use:   "share-desktop [user@]host[:port] USER@:DISPLAY",
		Short: "Show a desktop of the server here (desktop sharing)",
		Long: `Show the desktop USER@:DISPLAY of the server in a window on this computer:
one of your own X2Go desktop sessions, or another user's desktop when that
user offers it (x2goserver-desktopsharing's applet) and accepts; x2go waits
for the answer. x2go desktops lists the desktops you may share.

The window only shows the desktop unless --full-access is given: then your
keyboard and mouse work in it as well.

x2go stays with the shared desktop until the sharing ends and prints the
shadow session's name on standard output. Ctrl-C, SIGTERM and SIGHUP end the
sharing; so does the desktop's session ending.`,
		Example: `  x2go share-desktop alice@server.example.com alice@:51
  x2go share-desktop --full-access helpdesk@server.example.com bob@:52`,
		Args:              args(2, 2),
		ValidArgsFunction: completeTarget,
	}
	cf.register(c.Flags())
	c.Flags().BoolVar(&full, "full-access", false, "let your keyboard and mouse work on the desktop (default: view only)")
	c.Flags().StringVar(&link, "link", protocol.DefaultLink, "network speed the compression is tuned to: modem, isdn, adsl, wan, lan")
	c.Flags().StringVar(&pack, "pack", protocol.DefaultPack, "NX image compression method")
	c.Flags().BoolVar(&asJSON, "json", false, `print {"name": ..., "server": ..., "desktop": ...} on standard output once the desktop is shown`)
	c.RunE = func(cmd *cobra.Command, a []string) error {
		ctx := cmd.Context()
		desk, err := x2go.ParseDesktop(a[1])
		if err != nil {
			return usageErrorf("%q is not a desktop: want USER@:DISPLAY, as x2go desktops lists them", a[1])
		}
		conn, err := cf.options(e, g, a[0])
		if err != nil {
			return err
		}
		conn.opts.Params = x2go.Params{Link: link, Pack: pack, Env: childEnviron()}
		prog := &progress{w: e.stderr, tty: isTerminal(e.stderr), quiet: g.quiet}
		conn.opts.Hooks.Progress = prog.Progress
		prog.step(fmt.Sprintf("connecting to %s@%s", conn.opts.Username, a[0][strings.LastIndex(a[0], "@")+1:]))
		s, err := conn.connect(ctx)
		if err != nil {
			prog.done()
			return failed(err, &conn.opts)
		}
		defer s.Disconnect()
		mode := x2go.ViewOnly
		if full {
			mode = x2go.FullAccess
		}
		step := fmt.Sprintf("sharing %s (%s)", desk, mode)
		if desk.User != conn.opts.Username {
			step += fmt.Sprintf("; waiting for %s to accept", desk.User)
		}
		prog.step(step)
		if err := s.ShareDesktop(ctx, desk, mode); err != nil {
			prog.done()
			return failed(err, &conn.opts)
		}
		prog.done()
		if asJSON {
			writeJSON(e.stdout, map[string]any{"name": s.Name(), "server": s.ServerHostname(), "desktop": desk.String()})
		} else {
			fmt.Fprintln(e.stdout, s.Name())
		}
		r := &runner{s: s, say: plainNarrator{w: e.stderr, quiet: g.quiet}, terminateOnInterrupt: true}
		if code := r.attend(ctx); code != 0 {
			return &exitStatus{code}
		}
		return nil
	}
	return c
}

// pyhocaShareDesktop starts pyhoca-cli's -D: the desktop USER@DISPLAY in
// share mode 0 or 1. A desktop that is not there or a refusal is
// pyhoca-cli's desktop sharing failure (exit status 54, returned as
// code); other errors are returned for the caller to report.
func pyhocaShareDesktop(ctx context.Context, say pyhocaNarrator, s *x2go.Session, desktop string, shareMode int) (code int, err error) {
	say.log.Info("PyHocaCLI", "sharing X2Go session: "+desktop)
	desk, perr := x2go.ParseDesktop(desktop)
	if perr != nil {
		say.log.Error("PyHocaCLI", fmt.Sprintf("%s is not a desktop: want USER@:DISPLAY", desktop))
		return 54, nil
	}
	if desk.User != s.Options().Username {
		say.libLog.Notice("x2gosession-pylib", fmt.Sprintf("asking user %s to grant access to the desktop %s; this may take a while", desk.User, desk))
	}
	mode := x2go.ViewOnly
	if shareMode == 1 {
		mode = x2go.FullAccess
	}
	err = s.ShareDesktop(ctx, desk, mode)
	switch {
	case errors.Is(err, x2go.ErrNoSuchDesktop):
		say.log.Error("PyHocaCLI", fmt.Sprintf("the desktop %s is not available for sharing", desk))
		return 54, nil
	case errors.Is(err, x2go.ErrAccessDenied):
		say.log.Error("PyHocaCLI", fmt.Sprintf("user %s denied access to the desktop %s", desk.User, desk))
		return 54, nil
	}
	return 0, err
}
