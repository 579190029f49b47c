// Package pyhoca holds the pure parts of the pyhoca-cli compatible front end
// of the x2go CLI: pyhoca-cli's command line (argparse semantics and the
// processing rules of its parseargs()), its usage block, its log line format
// and the exact stdout formats of its list modes, and a --help text of our
// own in argparse's layout that describes this client's behaviour.
//
// Scripts and Remmina's X2Go plugin drive pyhoca-cli; with this package the
// Go CLI accepts the same command lines and prints the same output, so they
// can switch without changes. Nothing here connects anywhere; the only file
// system access is Validate's private key check.
package pyhoca

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/x2go-go/x2go/protocol"
)

// Defaults of pyhoca-cli 0.6.1.2 (and python-x2go) used by Parse. The
// session parameters come from the protocol package, where each default
// is written once; the rest are pyhoca-cli's own (its sound default is
// pulse where the library's is none).
const (
	DefaultCommand      = protocol.DefaultCommand
	DefaultPort         = 22
	DefaultSound        = "pulse"
	DefaultGeometry     = protocol.DefaultGeometry
	DefaultLink         = protocol.DefaultLink
	DefaultSessionType  = "application"
	DefaultPack         = protocol.DefaultPack
	DefaultKbdType      = protocol.DefaultKbType
	DefaultKbdLayout    = protocol.DefaultKbLayout
	DefaultAuthAttempts = 3
	DefaultPrintAction  = "PDFVIEW"
	DefaultPDFViewCmd   = "xdg-open" // python-x2go DEFAULT_PDFVIEW_CMD
	DefaultPDFSaveDir   = "PDF"      // python-x2go DEFAULT_PDFSAVE_LOCATION
	DefaultPrintCmd     = "lpr"      // python-x2go DEFAULT_PRINTCMD_CMD
)

// ErrHelp is returned by Parse for -h/--help: the caller prints Help and
// exits 0, as argparse does.
var ErrHelp = errors.New("pyhoca: help requested")

// UsageError is a command-line error. pyhoca-cli prints the usage block,
// then "<prog>: error: <Msg>" on stderr and exits with Code (2 for argparse
// errors, the codes of cli-pyhoca.md §7 for the checks after parsing).
type UsageError struct {
	Code int
	Msg  string
}

// Error returns the message without the "<prog>: error: " prefix.
func (e *UsageError) Error() string { return e.Msg }

// ExitError is an error pyhoca-cli reports as an untagged ERROR log line
// ("<prog>[<pid>] ERROR: <Msg>", see Logger.Untagged) without the usage
// block, then exits with Code. Validate returns it for a missing or
// malformed DISPLAY.
type ExitError struct {
	Code int
	Msg  string
}

// Error returns the message.
func (e *ExitError) Error() string { return e.Msg }

// Options is pyhoca-cli's parsed and processed command line. Every option
// of cli-pyhoca.md §2 has a field; Set records which ones were given, so
// that profile mode (-P) overrides only those.
type Options struct {
	// Server is --server, else the positional host (without its user@).
	Server string
	// Host is the positional [user@]host without the user part.
	Host string
	// SessionProfile is -P/--session-profile.
	SessionProfile string

	// Actions. After Parse exactly one of New, Resume, ShareDesktop,
	// Suspend, Terminate, ListSessions, ListDesktops, ListProfiles is set
	// (New when none was given), unless only --from-stdin is used.
	New          bool   // -N/--new
	TryResume    bool   // --try-resume
	Resume       string // -R/--resume SESSION_NAME (NEWEST, OLDEST)
	ShareDesktop string // -D/--share-desktop USER@DISPLAY
	Suspend      string // -S/--suspend SESSION_NAME (ALL)
	Terminate    string // -T/--terminate SESSION_NAME (ALL)
	ListSessions bool   // -L/--list-sessions
	ListDesktops bool   // --list-desktops
	ListProfiles bool   // --list-profiles
	FromStdin    bool   // --from-stdin (see ApplyStdinLogin)

	// Debug options.
	Debug            bool // -d/--debug
	Quiet            bool // --quiet
	LibDebug         bool // --libdebug
	LibDebugSFTPXfer bool // --libdebug-sftpxfer
	Version          bool // -V/--version: Parse stops processing when set

	// X2Go and SSH options.
	Command           string   // -c/--command
	Username          string   // -l/-u/--username, user@ of the host, else the local user (not in profile mode)
	Password          string   // --password (given iff Set["password"])
	ForcePassword     bool     // --force-password
	RemoteSSHPort     int      // -p/--remote-ssh-port, --port
	SSHPrivKey        string   // -i/-k/--ssh-privkey, --ssh-key
	AddToKnownHosts   bool     // --add-to-known-hosts
	ForwardSSHAgent   bool     // -A/--forward-sshagent
	Sound             string   // --sound pulse|esd|none, --use-sound yes|no
	Printing          bool     // --printing
	ShareMode         int      // --share-mode 0|1
	ShareLocalFolders []string // -F, split on ',' verbatim (empty items kept)
	CleanSessions     bool     // --clean-sessions
	TerminateOnCtrlC  bool     // --terminate-on-ctrl-c
	AuthAttempts      int      // --auth-attempts, at least 1

	// Print options. Parse resolves the action and fills in the default
	// argument of the selected action (see PrintActionArgs).
	PrintAction  string // --print-action PDFVIEW|PDFSAVE|PRINT|PRINTCMD|DIALOG
	PDFViewCmd   string // --pdfview-cmd
	SaveToFolder string // --save-to-folder
	Printer      string // --printer ("" = CUPS default printer)
	PrintCmd     string // --print-cmd

	// Broker options.
	BrokerURL      string // -B/--broker-url
	BrokerPassword string // --broker-password

	// NX options.
	Geometry    string // -g/--geometry WxH|fullscreen|maximize
	Xinerama    bool   // -x/--xinerama
	Link        string // -q/--link
	SessionType string // -t/--session-type desktop|application
	Pack        string // --pack
	KbdType     string // --kbd-type, lower-cased and normalised
	KbdLayout   string // --kbd-layout, lower-cased and normalised

	// Backend options of python-x2go: validated against pyhoca-cli's
	// choices and stored, without meaning for this client.
	BackendControlSession    string
	BackendTerminalSession   string
	BackendServerSessionInfo string
	BackendServerSessionList string
	BackendProxy             string
	BackendSessionProfiles   string
	BackendClientSettings    string
	BackendClientPrinting    string

	// Options of newer pyhoca-cli versions, which front ends such as
	// Remmina probe for with --list-cmdline-features, and this client's
	// own --password-file.
	ListCmdlineFeatures bool   // --list-cmdline-features: Parse stops processing when set
	NonInteractive      bool   // --non-interactive: never prompt
	SSHPassphrase       string // --ssh-passphrase (given iff Set["ssh_passphrase"])
	PasswordFile        string // --password-file: read the password from this file ("-" = stdin)
	ClipboardMode       string // --clipboard-mode both|server|client|none ("" = the default, both)
	DPI                 int    // --dpi, > 0 when given

	// Compatibility options as given; Parse maps --port, --ssh-key and
	// --use-sound onto RemoteSSHPort, SSHPrivKey and Sound.
	Port          string // --port
	SSHKey        string // --ssh-key
	UseSound      string // --use-sound yes|no
	ClientSSHPort string // --client-ssh-port (ignored)

	// Set holds pyhoca-cli's argparse dest names ("remote_ssh_port",
	// "ssh_privkey", "sound", "server", "username", ...) of the options
	// given on the command line. Values that Parse derives from another
	// option are marked too: the positional host sets "server" (and
	// "username" for user@host), --port sets "remote_ssh_port", --ssh-key
	// "ssh_privkey", --use-sound "sound".
	Set map[string]bool
}

// DefaultOptions returns pyhoca-cli's defaults, with no action and no
// server; Parse starts from them.
func DefaultOptions() *Options {
	return &Options{
		Command:       DefaultCommand,
		RemoteSSHPort: DefaultPort,
		Sound:         DefaultSound,
		AuthAttempts:  DefaultAuthAttempts,
		PrintAction:   DefaultPrintAction,
		Geometry:      DefaultGeometry,
		Link:          DefaultLink,
		SessionType:   DefaultSessionType,
		Pack:          DefaultPack,
		KbdType:       DefaultKbdType,
		KbdLayout:     DefaultKbdLayout,
		Set:           map[string]bool{},
	}
}

// currentUser is the local login name used when no username is given.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"LOGNAME", "USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// Parse parses pyhoca-cli's command line (without the program name) with
// argparse semantics and applies pyhoca-cli's processing rules
// (cli-pyhoca.md §3 steps 3-5 and 7): user@host splitting, the local user
// as default username, the server requirement, exclusive actions with
// --new as default, pack validation, print, compatibility and keyboard
// options. It returns ErrHelp for -h/--help and a *UsageError otherwise;
// with -V/--version it returns at once with Version set. File system and
// environment checks are left to Validate.
func Parse(args []string) (*Options, error) {
	raw, err := argparse(args)
	if err != nil {
		return nil, err
	}
	o := DefaultOptions()
	for _, dest := range raw.order {
		if err := o.store(dest, raw.values[dest]); err != nil {
			return nil, err
		}
	}
	if o.Version || o.ListCmdlineFeatures {
		return o, nil
	}

	if raw.hasHost {
		host := raw.host
		if u, h, ok := strings.Cut(host, "@"); ok {
			host = h
			if !o.Set["username"] || o.Username == "" {
				o.Username = u
				o.Set["username"] = true
			}
		}
		o.Host = host
		if o.Server == "" && host != "" {
			o.Server = host
			o.Set["server"] = true
		}
	}
	if !o.Set["username"] && o.SessionProfile == "" {
		o.Username = currentUser()
	}

	if o.SessionProfile == "" && !o.ListProfiles && o.Server == "" && !o.FromStdin {
		return nil, &UsageError{Code: 1, Msg: "argument --server (or --session-profile) is required"}
	}
	switch n := o.actionCount(); {
	case n > 1:
		return nil, &UsageError{Code: 2, Msg: "modes --new, --resume, --share-desktop, --suspend, --terminate, --list-sessions, --list-desktops and --list-profiles are mutually exclusive"}
	case n == 0:
		o.New = true
	}
	if !ValidPack(o.Pack) {
		return nil, &UsageError{Code: 10, Msg: fmt.Sprintf("unknown pack method '%s'", o.Pack)}
	}

	if err := o.resolvePrintAction(); err != nil {
		return nil, err
	}

	if o.Set["use_sound"] {
		switch o.UseSound {
		case "yes":
			o.Sound = "pulse"
		case "no":
			o.Sound = "none"
		}
		o.Set["sound"] = true
	}
	if o.Set["ssh_key"] {
		o.SSHPrivKey = o.SSHKey
		o.Set["ssh_privkey"] = true
	}
	port := strconv.Itoa(DefaultPort)
	if v, ok := raw.values["remote_ssh_port"]; ok {
		port = v
	}
	if o.Set["port"] {
		port = o.Port
		o.Set["remote_ssh_port"] = true
	}
	if o.Set["share_local_folders"] {
		o.ShareLocalFolders = strings.Split(raw.values["share_local_folders"], ",")
	}

	if v, ok := raw.values["auth_attempts"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, &UsageError{Code: 1, Msg: "value for cmd line argument --auth-attempts has to be of type integer"}
		}
		o.AuthAttempts = max(n, 1)
	}
	if v, ok := raw.values["dpi"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return nil, &UsageError{Code: 1, Msg: "value for cmd line argument --dpi has to be a positive integer"}
		}
		o.DPI = n
	}
	p, err := strconv.Atoi(strings.TrimSpace(port))
	if err != nil || p < 1 || p > 65535 {
		return nil, &UsageError{Code: 1, Msg: "value for cmd line argument --remote-ssh-port has to be a port number (1-65535)"}
	}
	o.RemoteSSHPort = p
	if v, ok := raw.values["share_mode"]; ok {
		switch strings.TrimSpace(v) {
		case "0":
			o.ShareMode = 0
		case "1":
			o.ShareMode = 1
		default:
			return nil, &UsageError{Code: 1, Msg: "value for cmd line argument --share-mode has to be 0 or 1"}
		}
	}

	o.KbdType = strings.ToLower(o.KbdType)
	o.KbdLayout = strings.ToLower(o.KbdLayout)
	if o.KbdLayout == "auto" {
		o.KbdType = "auto"
	}
	if o.KbdType == "auto" {
		o.KbdLayout = "null"
	}
	return o, nil
}

// store assigns one argparse value to its field and marks it in Set.
// Integer options are converted later, in pyhoca-cli's order.
func (o *Options) store(dest, v string) error {
	flag := v == "true"
	o.Set[dest] = true
	switch dest {
	case "server":
		o.Server = v
	case "command":
		o.Command = v
	case "username":
		o.Username = v
	case "password":
		o.Password = v
	case "force_password":
		o.ForcePassword = flag
	case "remote_ssh_port", "share_mode", "auth_attempts", "share_local_folders":
		// converted by Parse
	case "ssh_privkey":
		o.SSHPrivKey = v
	case "add_to_known_hosts":
		o.AddToKnownHosts = flag
	case "sound":
		o.Sound = v
	case "printing":
		o.Printing = flag
	case "clean_sessions":
		o.CleanSessions = flag
	case "terminate_on_ctrl_c":
		o.TerminateOnCtrlC = flag
	case "forward_sshagent":
		o.ForwardSSHAgent = flag
	case "print_action":
		o.PrintAction = v
	case "pdfview_cmd":
		o.PDFViewCmd = v
	case "save_to_folder":
		o.SaveToFolder = v
	case "printer":
		o.Printer = v
	case "print_cmd":
		o.PrintCmd = v
	case "broker_url":
		o.BrokerURL = v
	case "broker_password":
		o.BrokerPassword = v
	case "new":
		o.New = flag
	case "try_resume":
		o.TryResume = flag
	case "resume":
		o.Resume = v
	case "share_desktop":
		o.ShareDesktop = v
	case "suspend":
		o.Suspend = v
	case "terminate":
		o.Terminate = v
	case "list_sessions":
		o.ListSessions = flag
	case "list_desktops":
		o.ListDesktops = flag
	case "list_profiles":
		o.ListProfiles = flag
	case "session_profile":
		o.SessionProfile = v
	case "from_stdin":
		o.FromStdin = flag
	case "debug":
		o.Debug = flag
	case "quiet":
		o.Quiet = flag
	case "libdebug":
		o.LibDebug = flag
	case "libdebug_sftpxfer":
		o.LibDebugSFTPXfer = flag
	case "version":
		o.Version = flag
	case "geometry":
		o.Geometry = v
	case "xinerama":
		o.Xinerama = flag
	case "link":
		o.Link = v
	case "session_type":
		o.SessionType = v
	case "pack":
		o.Pack = v
	case "kbd_type":
		o.KbdType = v
	case "kbd_layout":
		o.KbdLayout = v
	case "backend_controlsession":
		o.BackendControlSession = v
	case "backend_terminalsession":
		o.BackendTerminalSession = v
	case "backend_serversessioninfo":
		o.BackendServerSessionInfo = v
	case "backend_serversessionlist":
		o.BackendServerSessionList = v
	case "backend_proxy":
		o.BackendProxy = v
	case "backend_sessionprofiles":
		o.BackendSessionProfiles = v
	case "backend_clientsettings":
		o.BackendClientSettings = v
	case "backend_clientprinting":
		o.BackendClientPrinting = v
	case "port":
		o.Port = v
	case "ssh_key":
		o.SSHKey = v
	case "use_sound":
		o.UseSound = v
	case "client_ssh_port":
		o.ClientSSHPort = v
	case "list_cmdline_features":
		o.ListCmdlineFeatures = flag
	case "non_interactive":
		o.NonInteractive = flag
	case "ssh_passphrase":
		o.SSHPassphrase = v
	case "password_file":
		o.PasswordFile = v
	case "clipboard_mode":
		o.ClipboardMode = v
	case "dpi":
		// converted by Parse
	default:
		return fmt.Errorf("pyhoca: internal error: unhandled option %q", dest)
	}
	return nil
}

// CmdlineFeatures returns the names --list-cmdline-features prints, one
// per option this front end accepts, in the order of the help: the
// option's long spelling without its dashes, upper-cased, dashes turned
// into underscores (--terminate-on-ctrl-c is TERMINATE_ON_CTRL_C). Front
// ends such as Remmina pass an option only if its name is listed.
func CmdlineFeatures() []string {
	var out []string
	for i := range optSpecs {
		s := &optSpecs[i]
		if s.dest == "help" {
			continue
		}
		long := s.names[len(s.names)-1]
		out = append(out, strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(long, "--"), "-", "_")))
	}
	return out
}

// actionCount counts the given actions as pyhoca-cli does (an empty
// session name counts as not given).
func (o *Options) actionCount() int {
	n := 0
	for _, b := range []bool{o.New, o.Resume != "", o.ShareDesktop != "", o.Suspend != "", o.Terminate != "", o.ListSessions, o.ListDesktops, o.ListProfiles} {
		if b {
			n++
		}
	}
	return n
}

// resolvePrintAction applies cli-pyhoca.md §2.5: at most one of the four
// destination options, which selects its action; the selected action's
// argument gets its default.
func (o *Options) resolvePrintAction() error {
	given := 0
	for _, v := range []string{o.PDFViewCmd, o.SaveToFolder, o.Printer, o.PrintCmd} {
		if v != "" {
			given++
		}
	}
	if given > 1 {
		return &UsageError{Code: 81, Msg: "--pdfviewer, --save-to-folder, --printer and --print-cmd options are mutually exclusive"}
	}
	switch {
	case o.PDFViewCmd != "":
		o.PrintAction = "PDFVIEW"
	case o.SaveToFolder != "":
		o.PrintAction = "PDFSAVE"
	case o.Printer != "":
		o.PrintAction = "PRINT"
	case o.PrintCmd != "":
		o.PrintAction = "PRINTCMD"
	}
	switch o.PrintAction {
	case "PDFVIEW":
		if o.PDFViewCmd == "" {
			o.PDFViewCmd = DefaultPDFViewCmd
		}
	case "PDFSAVE":
		if o.SaveToFolder == "" {
			o.SaveToFolder = DefaultPDFSaveDir
		}
	case "PRINTCMD":
		if o.PrintCmd == "" {
			o.PrintCmd = DefaultPrintCmd
		}
	}
	return nil
}

// PrintActionArgs returns the print action's arguments as python-x2go
// takes them: {"pdfview_cmd": ...}, {"save_to_folder": ...}, {"printer":
// ...} or {"print_cmd": ...}; empty for DIALOG and for PRINT to the CUPS
// default printer.
func (o *Options) PrintActionArgs() map[string]string {
	switch {
	case o.PDFViewCmd != "":
		return map[string]string{"pdfview_cmd": o.PDFViewCmd}
	case o.SaveToFolder != "":
		return map[string]string{"save_to_folder": o.SaveToFolder}
	case o.Printer != "":
		return map[string]string{"printer": o.Printer}
	case o.PrintCmd != "":
		return map[string]string{"print_cmd": o.PrintCmd}
	}
	return map[string]string{}
}

// Action returns the long option name of the requested action: "new",
// "resume", "share-desktop", "suspend", "terminate", "list-sessions",
// "list-desktops" or "list-profiles"; "" if none is set.
func (o *Options) Action() string {
	switch {
	case o.ListProfiles:
		return "list-profiles"
	case o.ListSessions:
		return "list-sessions"
	case o.ListDesktops:
		return "list-desktops"
	case o.Resume != "":
		return "resume"
	case o.ShareDesktop != "":
		return "share-desktop"
	case o.Suspend != "":
		return "suspend"
	case o.Terminate != "":
		return "terminate"
	case o.New:
		return "new"
	}
	return ""
}

// NeedsDisplay reports whether the action starts, resumes or shares a
// session and therefore needs a local X display.
func (o *Options) NeedsDisplay() bool {
	return o.New || o.Resume != "" || o.ShareDesktop != ""
}

// LogLevels returns the levels of pyhoca-cli's two loggers: app for the
// application's own (PyHocaCLI and untagged) messages, raised to DEBUG by
// -d/--debug, and lib for the library's, raised by --libdebug; --quiet
// silences both.
func (o *Options) LogLevels() (app, lib Level) {
	app, lib = LevelNotice, LevelNotice
	if o.Debug {
		app = LevelDebug
	}
	if o.LibDebug {
		lib = LevelDebug
	}
	if o.Quiet {
		app, lib = LevelQuiet, LevelQuiet
	}
	return app, lib
}

// packBase and packQuality are python-x2go's NX3 pack methods
// (server-protocol.md §3): the base names, and the names that need a
// quality suffix -0 ... -9.
var (
	packBase = []string{
		"nopack", "8", "64", "256", "512", "4k", "32k", "64k", "256k", "2m", "16m",
		"256-rdp", "256-rdp-compressed", "32k-rdp", "32k-rdp-compressed", "64k-rdp",
		"64k-rdp-compressed", "16m-rdp", "16m-rdp-compressed",
		"rfb-hextile", "rfb-tight", "rfb-tight-compressed",
		"8-tight", "64-tight", "256-tight", "512-tight", "4k-tight", "32k-tight",
		"64k-tight", "256k-tight", "2m-tight", "16m-tight",
		"64-jpeg", "256-jpeg", "512-jpeg", "4k-jpeg", "32k-jpeg", "64k-jpeg", "256k-jpeg", "2m-jpeg",
		"64-png-jpeg", "256-png-jpeg", "512-png-jpeg", "4k-png-jpeg", "32k-png-jpeg", "64k-png-jpeg", "256k-png-jpeg", "2m-png-jpeg",
		"64-png", "256-png", "512-png", "4k-png", "32k-png", "64k-png", "256k-png", "2m-png",
	}
	packQuality = []string{
		"8-jpeg", "16m-jpeg", "8-png-jpeg", "16m-png-jpeg", "8-png", "16m-png", "16m-rgb", "16m-rle",
	}
)

// ValidPack reports whether name is an NX3 pack method python-x2go
// accepts: a base method, or a quality method with a suffix -0 ... -9
// ("16m-jpeg-9").
func ValidPack(name string) bool {
	if slices.Contains(packBase, name) {
		return true
	}
	if len(name) < 3 || name[len(name)-2] != '-' || name[len(name)-1] < '0' || name[len(name)-1] > '9' {
		return false
	}
	return slices.Contains(packQuality, name[:len(name)-2])
}

// displayPattern is the DISPLAY syntax pyhoca-cli requires.
var displayPattern = regexp.MustCompile(`^.*:[0-9]+(|\.[0-9]+)$`)

// Validate runs pyhoca-cli's checks that depend on the file system and the
// environment: a private key given with -i/--ssh-privkey/--ssh-key must be
// an existing file (*UsageError, exit 30), and, for actions that start,
// resume or share a session, DISPLAY must be set and look like
// "[host]:N[.S]" (*ExitError, exit 1). lookupEnv defaults to os.LookupEnv.
func Validate(opt *Options, lookupEnv func(key string) (string, bool)) error {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	if opt.SSHPrivKey != "" {
		fi, err := os.Stat(opt.SSHPrivKey)
		if err != nil || !fi.Mode().IsRegular() {
			return &UsageError{Code: 30, Msg: fmt.Sprintf("SSH private key %s file does not exist.", opt.SSHPrivKey)}
		}
	}
	if !opt.NeedsDisplay() {
		return nil
	}
	display, _ := lookupEnv("DISPLAY")
	if display == "" {
		return &ExitError{Code: 1, Msg: "the display environment variable is unset, can't go on without a DISPLAY..."}
	}
	if !displayPattern.MatchString(display) {
		return &ExitError{Code: 1, Msg: fmt.Sprintf("the display environment variable's value is weird (%s), can't go on with that...", display)}
	}
	return nil
}

// ApplyStdinLogin applies one line of --from-stdin login data (LightDM
// remote login, cli-pyhoca.md §5): "<username> <host[:port]> <command>
// <password...>". The password is the rest of the line joined with single
// blanks; a port after the last ':' of the host is split off; the command
// is upper-cased and the geometry forced to fullscreen.
func (o *Options) ApplyStdinLogin(line string) error {
	f := strings.Fields(line)
	if len(f) < 3 {
		return &UsageError{Code: 1, Msg: "malformed login data on stdin (expected <username> <host[:port]> <command> <password>)"}
	}
	server := f[1]
	if i := strings.LastIndexByte(server, ':'); i >= 0 {
		p, err := strconv.Atoi(server[i+1:])
		if err != nil || p < 1 || p > 65535 {
			return &UsageError{Code: 1, Msg: "malformed login data on stdin (bad SSH port)"}
		}
		o.RemoteSSHPort = p
		server = server[:i]
		o.Set["remote_ssh_port"] = true
	}
	o.Username, o.Server, o.Command = f[0], server, strings.ToUpper(f[2])
	o.Password = strings.Join(f[3:], " ")
	o.Geometry = "fullscreen"
	for _, k := range []string{"username", "server", "command", "password", "geometry"} {
		o.Set[k] = true
	}
	return nil
}
