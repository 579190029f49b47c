package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
)

// sharingFlags are the folder sharing, printing and MIME box options of
// x2go start and resume.
type sharingFlags struct {
	folders       []string
	allowSharing  bool
	printing      bool
	printAction   string
	pdfviewCmd    string
	saveToFolder  string
	printer       string
	printCmd      string
	mimebox       bool
	mimeboxAction string
	mimeboxExt    []string
	mimeboxSaveTo string
}

func (sf *sharingFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&sf.folders, "share", nil, "let the session use this local folder (repeatable; any folder name works)")
	fs.BoolVar(&sf.allowSharing, "allow-sharing", false, "allow sharing folders later with x2go share, without sharing any now")
	fs.BoolVar(&sf.printing, "printing", false, "print jobs of the session come to this computer (see --print-action)")
	fs.StringVar(&sf.printAction, "print-action", "", "what to do with a print job: PDFVIEW (default), PDFSAVE, PRINT, PRINTCMD or DIALOG; implies --printing")
	fs.StringVar(&sf.pdfviewCmd, "pdfview-cmd", "", "PDF viewer for PDFVIEW (default xdg-open)")
	fs.StringVar(&sf.saveToFolder, "save-to-folder", "", "folder for PDFSAVE (default ~/PDF)")
	fs.StringVar(&sf.printer, "printer", "", "CUPS queue for PRINT (default: the default printer)")
	fs.StringVar(&sf.printCmd, "print-cmd", "", "command for PRINTCMD, the PDF is added as its last argument (default lpr)")
	fs.BoolVar(&sf.mimebox, "mimebox", false, "files the session offers (the MIME box) come to this computer")
	fs.StringVar(&sf.mimeboxAction, "mimebox-action", "", "what to do with them: SAVEAS (default), OPEN or OPENWITH; implies --mimebox")
	fs.StringSliceVar(&sf.mimeboxExt, "mimebox-extensions", nil, "accept only files with these extensions (comma-separated)")
	fs.StringVar(&sf.mimeboxSaveTo, "mimebox-save-to", "", "folder for SAVEAS (default ~/Downloads)")
}

// apply puts the options into o.
func (sf *sharingFlags) apply(o *x2go.Options) error {
	o.ShareFolders = sf.folders
	o.AllowFolderSharing = sf.allowSharing
	if sf.printing || sf.printAction != "" {
		pc, err := printingConfig(sf.printAction, sf.pdfviewCmd, sf.saveToFolder, sf.printer, sf.printCmd)
		if err != nil {
			return err
		}
		o.Printing = pc
	}
	if sf.mimebox || sf.mimeboxAction != "" {
		mc := &mimebox.Config{Extensions: sf.mimeboxExt, SaveDir: sf.mimeboxSaveTo}
		if sf.mimeboxAction != "" {
			a, err := mimebox.ParseAction(sf.mimeboxAction)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			mc.Action = a
		}
		o.MimeBox = mc
	}
	return nil
}

// printingConfig turns the print options (pyhoca-cli's and ours) into the
// printing service's configuration.
func printingConfig(action, pdfviewCmd, saveToFolder, printer, printCmd string) (*printing.Config, error) {
	pc := &printing.Config{SaveDir: saveToFolder, Printer: printer}
	if action != "" {
		a, err := printing.ParseAction(action)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		pc.Action = a
	}
	if pdfviewCmd != "" {
		argv, err := printing.SplitCommand(pdfviewCmd)
		if err != nil {
			return nil, &usageError{msg: "--pdfview-cmd: " + err.Error()}
		}
		pc.Viewer = argv
	}
	if printCmd != "" {
		argv, err := printing.SplitCommand(printCmd)
		if err != nil {
			return nil, &usageError{msg: "--print-cmd: " + err.Error()}
		}
		pc.PrintCommand = argv
	}
	return pc, nil
}

// The control socket: an attending x2go (start, resume, pyhoca-cli) listens
// on <local session dir>/control, a Unix socket only its user can use, so
// that x2go share and unshare can change the folders of its running
// session; the embedded SFTP server lives in that process. One JSON request
// per connection, one JSON answer.

// controlRequest is a request on the control socket.
type controlRequest struct {
	Op     string `json:"op"` // share, unshare, list
	Folder string `json:"folder,omitempty"`
}

// controlReply is the answer.
type controlReply struct {
	Error   string   `json:"error,omitempty"`
	Folders []string `json:"folders,omitempty"`
}

// controlSocket returns the control socket's path for a session name:
// "control" in the session's local directory, which nxproxy uses too.
func controlSocket(sessionsRoot, name string) string {
	return filepath.Join(nxproxy.SessionDir(sessionsRoot, name), "control")
}

// defaultSessionsRoot is ~/.x2go, where the library keeps local session
// directories unless told otherwise.
func defaultSessionsRoot() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".x2go")
}

// folderSharer is what the control socket asks of a session.
type folderSharer interface {
	ShareLocalFolder(ctx context.Context, folder string) error
	UnshareLocalFolder(ctx context.Context, folder string) error
	SharedFolders(ctx context.Context) ([]string, error)
}

// serveControl serves s's control socket until ctx ends; the returned
// func stops it and waits.
func serveControl(ctx context.Context, s *x2go.Session) (stop func()) {
	return serveControlAt(ctx, filepath.Join(s.LocalSessionDir(), "control"), s)
}

// serveControlAt serves s on the Unix socket path, taking the path over
// from any process that served it before.
func serveControlAt(ctx context.Context, path string, s folderSharer) (stop func()) {
	os.Remove(path)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return func() {}
	}
	os.Chmod(path, 0o600)
	// A process resuming the session after this one suspended it puts its
	// own socket at the same path, possibly before this one is done. Close
	// must therefore not unlink by name, and stop removes the path only
	// while it is still this listener's socket.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	mine, _ := os.Stat(path)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveControlConn(ctx, s, c)
			}()
		}
	}()
	return func() {
		ln.Close()
		if now, err := os.Stat(path); err == nil && mine != nil && os.SameFile(mine, now) {
			os.Remove(path)
		}
		wg.Wait()
	}
}

func serveControlConn(ctx context.Context, s folderSharer, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	var req controlRequest
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var rep controlReply
	var err error
	switch req.Op {
	case "share":
		err = s.ShareLocalFolder(ctx, req.Folder)
	case "unshare":
		err = s.UnshareLocalFolder(ctx, req.Folder)
	case "list":
		rep.Folders, err = s.SharedFolders(ctx)
	default:
		err = fmt.Errorf("unknown request %q", req.Op)
	}
	if err != nil {
		rep.Error = err.Error()
	}
	json.NewEncoder(c).Encode(rep)
}

// askControl sends one request to the x2go process attending session name.
func askControl(ctx context.Context, name string, req controlRequest) (controlReply, error) {
	return askControlAt(ctx, controlSocket(defaultSessionsRoot(), name), name, req)
}

func askControlAt(ctx context.Context, path, name string, req controlRequest) (controlReply, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return controlReply{}, fmt.Errorf("no x2go process on this computer shows session %s (x2go start or resume must be running): %w", name, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return controlReply{}, err
	}
	var rep controlReply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return controlReply{}, fmt.Errorf("the x2go process showing %s did not answer: %w", name, err)
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

func shareCmd(e *env, g *globalFlags, op string) *cobra.Command {
	c := &cobra.Command{
		Use:   op + " SESSION FOLDER...",
		Short: map[string]string{"share": "Let a running session use local folders", "unshare": "Take shared folders away from a running session"}[op],
		Long: `The x2go process that shows the session (x2go start or resume, started with
--share or --allow-sharing) mounts the folders on the server, or unmounts them.
A folder shared this way is shared again when the session is resumed.`,
		Example: "  x2go " + op + " alice-51-1795627586_stRxterm_dp24 ~/Documents \"$HOME/My Files\"",
		Args:    args(2, -1),
		RunE: func(cmd *cobra.Command, a []string) error {
			for _, folder := range a[1:] {
				abs, err := filepath.Abs(folder)
				if err != nil {
					return err
				}
				if _, err := askControl(cmd.Context(), a[0], controlRequest{Op: op, Folder: abs}); err != nil {
					return fmt.Errorf("%s %s: %w", op, abs, err)
				}
				if !g.quiet {
					fmt.Fprintf(e.stderr, "x2go: %sd %s\n", op, abs)
				}
			}
			return nil
		},
	}
	return c
}

func sharedCmd(e *env, g *globalFlags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "shared SESSION",
		Short:   "List the local folders a running session uses",
		Long:    "List the local folders the server has mounted in the session, as the server itself lists them.",
		Example: "  x2go shared alice-51-1795627586_stRxterm_dp24",
		Args:    args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			rep, err := askControl(cmd.Context(), a[0], controlRequest{Op: "list"})
			if err != nil {
				return err
			}
			if asJSON {
				if rep.Folders == nil {
					rep.Folders = []string{}
				}
				return writeJSON(e.stdout, rep.Folders)
			}
			if len(rep.Folders) > 0 {
				fmt.Fprintln(e.stdout, strings.Join(rep.Folders, "\n"))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return c
}
