package printing

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/x2go-go/x2go/internal/spoolfs"
)

// perform runs the action for a claimed job. The returned Result names the
// action that ran (or failed), also on error.
func (w *Watcher) perform(ctx context.Context, job Job) (Result, error) {
	dec := Decision{Action: w.cfg.Action}
	if dec.Action == Dialog {
		d, err := w.cfg.Dialog(ctx, job)
		if err != nil {
			return Result{Action: Dialog}, err
		}
		switch d.Action {
		case PDFView, PDFSave, Print, PrintCmd, Discard:
		default:
			return Result{Action: Dialog}, fmt.Errorf("%w: the dialog chose %v", ErrNoDialog, d.Action)
		}
		if err := checkPrinter(d.Printer); err != nil {
			return Result{Action: Dialog}, err
		}
		dec = d
	}
	res := Result{Action: dec.Action}
	stem := spoolfs.SanitizeName(job.Title, DefaultTitle)

	switch dec.Action {
	case Discard:
		return res, nil

	case PDFSave:
		dir := w.saveDir
		if dec.SaveDir != "" {
			var err error
			if dir, err = spoolfs.ExpandHome(dec.SaveDir); err != nil {
				return res, err
			}
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return res, err
		}
		out, err := spoolfs.CopyUnique(job.PDF, dir, stem, ".pdf", 0o600)
		if err != nil {
			return res, err
		}
		res.Output = out
		return res, nil
	}

	// The commands get a copy named after the title, as python-x2go does,
	// so a viewer's window and a CUPS job show a meaningful name.
	cp, err := spoolfs.CopyUnique(job.PDF, w.copies, stem, ".pdf", 0o600)
	if err != nil {
		return res, err
	}
	res.Output = cp
	var argv []string
	switch dec.Action {
	case PDFView:
		argv = append(w.viewerArgv(), cp)
	case Print:
		printer := dec.Printer
		if printer == "" {
			printer = w.cfg.Printer
		}
		argv = []string{w.cfg.LP}
		if printer != "" {
			argv = append(argv, "-d", printer)
		}
		argv = append(argv, "-t", jobName(job.Title), cp)
	case PrintCmd:
		argv = append(append([]string(nil), w.cfg.PrintCommand...), cp)
	}
	w.log.Debug("running print command", "job", job.ID, "argv", argv)
	if err := spoolfs.Run(ctx, argv, w.cfg.Env); err != nil {
		os.Remove(cp)
		return res, err
	}
	w.keepCopy(cp)
	return res, nil
}

// viewerArgv is the configured viewer, or xdg-open if the configured
// viewer's program is not installed (python-x2go falls back the same way).
func (w *Watcher) viewerArgv() []string {
	argv := append([]string(nil), w.cfg.Viewer...)
	if argv[0] != DefaultViewer {
		if _, err := exec.LookPath(argv[0]); err != nil {
			w.log.Warn("PDF viewer not found, using "+DefaultViewer, "viewer", argv[0])
			return []string{DefaultViewer}
		}
	}
	return argv
}

// jobName turns the untrusted title into a CUPS job name: control
// characters become blanks, the length is bounded.
func jobName(title string) string {
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, title)
	s = strings.TrimSpace(s)
	if len(s) > 255 {
		s = strings.ToValidUTF8(s[:255], "")
	}
	if s == "" {
		s = DefaultTitle
	}
	return s
}
