package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/sshconn"
)

// Exit statuses of the subcommands (listed in x2go --help). They are the
// numbers pyhoca-cli means to give where it has one.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitHostKey     = 3
	exitConnect     = 11
	exitNoSession   = 20
	exitAuth        = 54
	exitNotX2Go     = 57
	exitDenied      = 58
	exitInterrupted = 130
	exitNoCommand   = 255
)

// exitStatusHelp is the table x2go --help shows.
const exitStatusHelp = `Exit status:
  0    done (start/resume: the session was suspended or terminated)
  1    the server or the session failed
  2    wrong command line
  3    the server's host key is unknown or has changed
  11   the server cannot be reached
  20   no such session, or no such desktop to share
  54   the login was refused
  57   the server has no X2Go server installed
  58   the desktop's owner refused to share it
  130  interrupted
  255  the server cannot run the session command`

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// exitCode maps an error to the subcommands' exit status.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, x2go.ErrHostKeyChanged), errors.Is(err, x2go.ErrHostKeyUnknown):
		return exitHostKey
	case errors.Is(err, x2go.ErrAuthFailed), errors.Is(err, x2go.ErrNoAuthMethods),
		errors.Is(err, x2go.ErrPassphraseRequired), errors.Is(err, x2go.ErrBadPassphrase):
		return exitAuth
	case errors.Is(err, x2go.ErrConnect):
		return exitConnect
	case errors.Is(err, x2go.ErrNotX2GoServer):
		return exitNotX2Go
	case errors.Is(err, x2go.ErrNoSuchSession), errors.Is(err, x2go.ErrNoSuchDesktop):
		return exitNoSession
	case errors.Is(err, x2go.ErrAccessDenied):
		return exitDenied
	case errors.Is(err, x2go.ErrNoSuchCommand):
		return exitNoCommand
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		return exitError
	}
}

// explain turns an error into one line that says what happened and what
// to do about it. o are the options of the connection (nil if none).
func explain(err error, o *x2go.Options) string {
	var hk *x2go.HostKeyError
	var ae *x2go.AuthError
	var kf *sshconn.KeyFileError
	var ce *sshconn.ConnectError
	var se *x2go.ServerError
	where := "the server"
	if o != nil {
		where = o.Server
	}
	switch {
	case errors.As(err, &hk) && hk.Changed:
		return fmt.Sprintf("the host key of %s has CHANGED: it offers %s %s, known_hosts (%s) has another. "+
			"Someone may be in the middle of the connection; if the server's key really changed, remove the old one with: ssh-keygen -R '%s'",
			hk.Host, hk.KeyType, hk.Fingerprint, strings.Join(hk.Known, ", "), hk.Host)
	case errors.As(err, &hk):
		return fmt.Sprintf("the host key of %s is not known (%s %s); if that is the server's key, "+
			"run again with --add-to-known-hosts, or on a terminal, to accept it", hk.Host, hk.KeyType, hk.Fingerprint)
	case errors.As(err, &kf) && (errors.Is(err, x2go.ErrPassphraseRequired) || errors.Is(err, x2go.ErrBadPassphrase)):
		what := "is encrypted"
		if errors.Is(err, x2go.ErrBadPassphrase) {
			what = "did not open with the passphrase given"
		}
		return fmt.Sprintf("the private key %s %s; give its passphrase with --passphrase-file, or run on a terminal to be asked", kf.File, what)
	case errors.As(err, &ae):
		return fmt.Sprintf("%s@%s refused the login (tried: %s); give a key with -i, a password with --password-file or %s, or check the user name (-u)",
			ae.User, ae.Addr, strings.Join(ae.Methods, ", "), passwordEnv)
	case errors.Is(err, x2go.ErrNoAuthMethods):
		return fmt.Sprintf("nothing to log in to %s with: no key in ~/.ssh, no SSH agent and no password; give a key with -i or a password with --password-file or %s", where, passwordEnv)
	case errors.As(err, &ce):
		return fmt.Sprintf("cannot reach the SSH server at %s: %v; check the host name, the port (-p) and that sshd runs there", ce.Addr, ce.Err)
	case errors.Is(err, x2go.ErrConnect):
		return fmt.Sprintf("cannot reach the SSH server %s: %v; check the host name, the port (-p) and that sshd runs there", where, err)
	case errors.Is(err, x2go.ErrNotX2GoServer):
		return fmt.Sprintf("%s has no X2Go server installed; install the x2goserver package there (x2go check %s tells more)", where, where)
	case errors.Is(err, x2go.ErrNoSuchCommand):
		return fmt.Sprintf("%v; install the program on the server, or name another with -c", err)
	case errors.Is(err, x2go.ErrNoSuchDesktop):
		return fmt.Sprintf("%v; x2go desktops %s lists the desktops you may share", err, where)
	case errors.Is(err, x2go.ErrAccessDenied):
		return fmt.Sprintf("%v: its owner refused, or runs no desktop sharing applet (x2godesktopsharing) that could ask them", err)
	case errors.Is(err, x2go.ErrTimeout):
		return fmt.Sprintf("%v; %s may be overloaded, try again later", err, where)
	case errors.Is(err, x2go.ErrSessionLimit):
		return fmt.Sprintf("%s allows you no more sessions; resume one (x2go resume), or end one (x2go terminate)", where)
	case errors.As(err, &se):
		return fmt.Sprintf("%v; x2go check %s may tell why", err, where)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return err.Error()
}
