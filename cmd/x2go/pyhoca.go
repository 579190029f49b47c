package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/pyhoca"
	"golang.org/x/term"
)

// pyhocaProfileName is the profile name pyhoca-cli gives sessions defined
// on the command line.
const pyhocaProfileName = "Pyhoca-Client_Session"

// runPyhoca is the pyhoca-cli compatible front end: pyhoca-cli's options,
// its stdout formats and its stderr log lines, with the intended exit
// codes (cli-pyhoca.md §7) instead of the always-0 of the original.
func runPyhoca(ctx context.Context, e *env, prog string, args []string) int {
	opt, err := pyhoca.Parse(args)
	var usageErr *pyhoca.UsageError
	switch {
	case errors.Is(err, pyhoca.ErrHelp):
		fmt.Fprint(e.stdout, pyhoca.Help(prog, pyhocaColumns(e)))
		return 0
	case errors.As(err, &usageErr):
		fmt.Fprint(e.stderr, pyhoca.Usage(prog, pyhocaColumns(e)))
		fmt.Fprintf(e.stderr, "%s: error: %s\n", prog, usageErr.Msg)
		return usageErr.Code
	case err != nil:
		fmt.Fprintf(e.stderr, "%s: error: %v\n", prog, err)
		return 1
	}
	opt.ApplySecrets(e.secrets)
	pid := os.Getpid()
	if opt.Version {
		fmt.Fprint(e.stderr, pyhoca.VersionText(prog, pid, version))
		return 0
	}
	if opt.ListCmdlineFeatures {
		for _, f := range pyhoca.CmdlineFeatures() {
			fmt.Fprintln(e.stdout, f)
		}
		return 0
	}
	appLevel, libLevel := opt.LogLevels()
	log := pyhoca.NewLogger(e.stderr, prog, pid, appLevel)
	libLog := log.WithLevel(libLevel)
	if err := pyhoca.Validate(opt, func(k string) (string, bool) {
		v := e.getenv(k)
		return v, v != ""
	}); err != nil {
		return pyhocaFail(log, err)
	}
	var profiles *pyhocaProfiles
	if opt.SessionProfile != "" || opt.ListProfiles {
		if profiles, err = openPyhocaProfiles(ctx, e, opt); err != nil {
			return pyhocaProfileError(e, prog, opt, err)
		}
		defer profiles.close()
		if opt.SessionProfile != "" {
			if _, err := profiles.sessions.Profile(opt.SessionProfile); err != nil {
				return pyhocaProfileError(e, prog, opt, err)
			}
		}
		if opt.ListProfiles {
			if err := listPyhocaProfiles(e, profiles); err != nil {
				return pyhocaFail(log, err)
			}
			return 0
		}
	}
	if opt.FromStdin {
		log.Error("PyHocaCLI", "--from-stdin is not supported by this client yet")
		return 31
	}
	log.Untagged(pyhoca.LevelNotice, "preparing requested X2Go session")
	log.Notice("PyHocaCLI", "preparing requested X2Go session")
	regName := pyhocaProfileName
	if opt.SessionProfile != "" {
		regName = opt.SessionProfile
	}
	libLog.Notice("x2gosessregistry-pylib", "registering X2Go session "+regName+"...")
	libLog.Notice("x2goclient-pylib", "initializing X2Go session...")

	o := x2go.Options{
		Server: opt.Server, Port: opt.RemoteSSHPort, Username: opt.Username,
		ForcePasswordAuth: opt.ForcePassword,
		// Unlike pyhoca-cli, -i is honoured; key discovery and the agent
		// are on as in pyhoca-cli's command-line sessions.
		LookForKeys: true, AllowAgent: true,
		AddToKnownHosts: opt.AddToKnownHosts,
		ForwardAgent:    opt.ForwardSSHAgent,
		ProfileName:     pyhocaProfileName,
		Logger:          libLog.Slog("x2gosession-pylib"),
		Params:          pyhocaParams(opt),
		// Like pyhoca-cli, a session without sound says so only to
		// those who asked for more than the default log level.
		Hooks: x2go.Hooks{SoundTunnelFailed: func(_ *x2go.Session, err error) {
			libLog.Info("x2goterminalsession-pylib", "the session runs without sound: "+err.Error())
		}},
	}
	if opt.SSHPrivKey != "" {
		o.KeyFiles = []string{opt.SSHPrivKey}
	}
	for _, f := range opt.ShareLocalFolders {
		if f = strings.TrimSpace(f); f != "" {
			o.ShareFolders = append(o.ShareFolders, f)
		}
	}
	if opt.Printing {
		pc, err := printingConfig(opt.PrintAction, opt.PDFViewCmd, opt.SaveToFolder, opt.Printer, opt.PrintCmd)
		if err != nil {
			log.Error("PyHocaCLI", err.Error())
			return 2
		}
		o.Printing = pc
	}
	var brokerSel *broker.Selection
	if opt.SessionProfile != "" {
		po, sel, err := pyhocaProfileOptions(ctx, profiles, opt, o)
		if err != nil {
			return pyhocaProfileError(e, prog, opt, err)
		}
		o, brokerSel = po, sel
	}
	// "maximize", from the command line or the profile, is this screen's
	// size (the server takes only WxH and fullscreen).
	if o.Params.Geometry == "maximize" {
		o.Params.Geometry = maximizeGeometry()
	}
	switch {
	case opt.PasswordFile != "":
		pw, err := readSecretFile(e, opt.PasswordFile)
		if err != nil {
			log.Error("PyHocaCLI", fmt.Sprintf("cannot read the password file %s: %v", opt.PasswordFile, err))
			return 1
		}
		o.Password, opt.Set["password"] = pw, true
	case opt.Set["password"]:
		o.Password = opt.Password
	case e.envPassword != "":
		o.Password, opt.Set["password"] = e.envPassword, true
	}
	o.Passphrase = opt.SSHPassphrase
	ask := &asker{disable: opt.NonInteractive}
	o.PassphrasePrompt = func(ctx context.Context, file string) (string, error) { return ask.ask(ctx, "Passphrase: ", true) }
	libLog.Notice("x2gocontrolsession-pylib", fmt.Sprintf("connecting to [%s]:%d", o.Server, o.Port))

	s, err := pyhocaConnect(ctx, ask, log, o, opt.AuthAttempts, opt.Set["password"])
	if err != nil {
		return pyhocaConnectFail(log, err, opt.AuthAttempts)
	}
	defer s.Disconnect()
	log.Notice("PyHocaCLI", "authentication has been successful")
	if ok, err := s.IsX2GoServer(ctx); err != nil || !ok {
		log.Error("PyHocaCLI", "It seems that you are connecting to an SSH server that has no X2Go Server installed. Aborting...")
		return 57
	}
	target := fmt.Sprintf("[%s]:%d", o.Server, o.Port)

	if opt.CleanSessions {
		log.Notice("PyHocaCLI", "cleaning up all running sessions from X2Go server: "+o.Server)
		if err := s.CleanSessions(ctx, false); err != nil {
			return pyhocaFail(log, err)
		}
	}
	switch opt.Action() {
	case "list-sessions":
		list, err := s.ListSessions(ctx)
		if err != nil {
			return pyhocaFail(log, err)
		}
		ip, port, _ := s.ServerPeerName()
		pyhoca.WriteSessionList(e.stdout, o.Server, ip, port, o.Username, list)
		return 0
	case "list-desktops":
		list, err := s.ListDesktops(ctx)
		if err != nil {
			return pyhocaFail(log, err)
		}
		ip, port, _ := s.ServerPeerName()
		pyhoca.WriteDesktopList(e.stdout, o.Server, ip, port, o.Username, list)
		return 0
	case "suspend", "terminate":
		terminate := opt.Action() == "terminate"
		name, code := opt.Suspend, 21
		if terminate {
			name, code = opt.Terminate, 22
		}
		return pyhocaEndSessions(ctx, log, s, name, terminate, code, target)
	}

	// new / resume / share: the process lives as long as the session.
	log.Notice("PyHocaCLI", "give the X2Go session some time to come up...")
	say := pyhocaNarrator{log: log, libLog: libLog, sharing: opt.ShareDesktop != ""}
	r := &runner{s: s, say: say, terminateOnInterrupt: opt.TerminateOnCtrlC || say.sharing}
	var startErr error
	switch {
	case say.sharing:
		code, err := pyhocaShareDesktop(ctx, say, s, opt.ShareDesktop, opt.ShareMode)
		if code != 0 {
			return code
		}
		startErr = err
	case opt.Resume != "":
		name, err := pickSession(ctx, s, opt.Resume)
		if err != nil {
			log.Error("PyHocaCLI", "requested session not available on X2Go server "+target)
			return 20
		}
		startErr = s.Resume(ctx, name)
	case opt.TryResume:
		list, err := s.ListSessions(ctx)
		if err != nil {
			return pyhocaFail(log, err)
		}
		if m := x2go.MatchingCommand(list, o.Params.Command); len(m) > 0 {
			startErr = s.Resume(ctx, m[0].Name)
		} else {
			startErr = s.Start(ctx)
		}
	case brokerSel != nil && brokerSel.Resume != nil:
		startErr = s.Resume(ctx, brokerSel.Resume.Name) // the broker's choice
	default:
		startErr = s.Start(ctx)
	}
	if startErr != nil {
		if errors.Is(startErr, x2go.ErrNoSuchCommand) {
			log.Error("PyHocaCLI", fmt.Sprintf("The remote X2Go Server does not know how to execute the command '%s'. Aborting...", o.Params.Command))
			return 255
		}
		return pyhocaFail(log, startErr)
	}
	return r.attend(ctx)
}

// pyhocaColumns is the terminal width the help and usage are wrapped to,
// found as Python's argparse finds it: $COLUMNS if it is a positive
// number, else the width of the terminal on stdout, else
// pyhoca.DefaultColumns.
func pyhocaColumns(e *env) int {
	if n, err := strconv.Atoi(strings.TrimSpace(e.getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := e.stdout.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return pyhoca.DefaultColumns
}

// pyhocaParams maps pyhoca-cli's NX options onto session parameters;
// runPyhoca resolves a geometry of "maximize".
func pyhocaParams(opt *pyhoca.Options) x2go.Params {
	return x2go.Params{
		Command: opt.Command, SessionType: opt.SessionType, Geometry: opt.Geometry,
		Link: opt.Link, Pack: opt.Pack, KbLayout: opt.KbdLayout, KbType: opt.KbdType,
		Xinerama: opt.Xinerama, Clipboard: opt.ClipboardMode, DPI: opt.DPI,
		Env: childEnviron(), SoundSystem: opt.Sound,
	}
}

// pyhocaConnect connects, asking for a password on the terminal when the
// server refuses the keys (pyhoca-cli's authentication loop).
func pyhocaConnect(ctx context.Context, ask *asker, log *pyhoca.Logger, o x2go.Options, attempts int, hasPassword bool) (*x2go.Session, error) {
	if attempts < 1 {
		attempts = 1
	}
	if o.ForcePasswordAuth && !hasPassword {
		pw, err := ask.ask(ctx, "Password: ", true)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", x2go.ErrNoAuthMethods, err)
		}
		o.Password = pw
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		s, err := x2go.NewSession(o)
		if err != nil {
			return nil, err
		}
		if err = s.Connect(ctx); err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, x2go.ErrAuthFailed) && !errors.Is(err, x2go.ErrNoAuthMethods) {
			return nil, err
		}
		if i+1 == attempts {
			break
		}
		pw, perr := ask.ask(ctx, "Password: ", true)
		if perr != nil {
			break // no terminal: nothing more to try
		}
		if pw == "" {
			log.Warn("PyHocaCLI", "empty password is not allowed")
			continue
		}
		o.Password, o.ForcePasswordAuth = pw, true
	}
	return nil, lastErr
}

// pyhocaConnectFail logs a failed connect and returns pyhoca-cli's
// intended exit status for it.
func pyhocaConnectFail(log *pyhoca.Logger, err error, attempts int) int {
	switch {
	case errors.Is(err, x2go.ErrHostKeyChanged), errors.Is(err, x2go.ErrHostKeyUnknown):
		log.Error("PyHocaCLI", "host key verification failed: "+err.Error())
		if errors.Is(err, x2go.ErrHostKeyUnknown) {
			log.Error("PyHocaCLI", "use --add-to-known-hosts to accept the key of a server you trust")
		}
		return 2
	case errors.Is(err, x2go.ErrAuthFailed), errors.Is(err, x2go.ErrNoAuthMethods),
		errors.Is(err, x2go.ErrPassphraseRequired), errors.Is(err, x2go.ErrBadPassphrase):
		log.Error("PyHocaCLI", "authentication failed: "+err.Error())
		if attempts > 1 {
			return 55
		}
		return 54
	case errors.Is(err, x2go.ErrConnect):
		log.Error("PyHocaCLI", err.Error())
		return 11
	case errors.Is(err, context.Canceled):
		return 130
	default:
		log.Error("PyHocaCLI", err.Error())
		return 253
	}
}

// pyhocaFail logs an error the way pyhoca-cli logs library exceptions.
func pyhocaFail(log *pyhoca.Logger, err error) int {
	var exitErr *pyhoca.ExitError
	if errors.As(err, &exitErr) {
		log.Untagged(pyhoca.LevelError, exitErr.Msg)
		return exitErr.Code
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	log.Error("PyHocaCLI", "X2GoSessionException occured:")
	log.Error("PyHocaCLI", "-> "+err.Error())
	if c := exitCode(err); c != 0 {
		return c
	}
	return 1
}

// pyhocaEndSessions suspends or terminates NAME or ALL (-S / -T).
func pyhocaEndSessions(ctx context.Context, log *pyhoca.Logger, s *x2go.Session, name string, terminate bool, notFound int, target string) int {
	verb := "suspended"
	if terminate {
		verb = "terminated"
	}
	_, err := endSessions(ctx, s, name, terminate, func(n string) {
		log.Notice("PyHocaCLI", fmt.Sprintf("X2Go session %s has been %s", n, verb))
	})
	if errors.Is(err, errNoMatch) {
		log.Error("PyHocaCLI", fmt.Sprintf("session %s not available on X2Go server %s", name, target))
		return notFound
	}
	if err != nil {
		return pyhocaFail(log, err)
	}
	return 0
}

// pickSession resolves NAME, NEWEST or OLDEST against the server's list.
func pickSession(ctx context.Context, s *x2go.Session, which string) (string, error) {
	list, err := s.ListSessions(ctx)
	if err != nil {
		return "", err
	}
	sorted := x2go.SortByTimestamp(list)
	switch strings.ToUpper(which) {
	case "NEWEST":
		if len(sorted) > 0 {
			return sorted[len(sorted)-1].Name, nil
		}
	case "OLDEST":
		if len(sorted) > 0 {
			return sorted[0].Name, nil
		}
	default:
		for _, si := range list {
			if si.Name == which {
				return which, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s", x2go.ErrNoSuchSession, which)
}

// maximizeGeometry resolves pyhoca-cli's "maximize": the local root
// window's size, else 1024x768.
func maximizeGeometry() string {
	out, err := runOutput("xwininfo", "-root")
	if err == nil {
		var w, h int
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(l, "Width:"); ok {
				w, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(l, "Height:"); ok {
				h, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if w > 0 && h > 0 {
			return fmt.Sprintf("%dx%d", w, h)
		}
	}
	return "1024x768"
}
