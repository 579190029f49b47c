package protocol

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The builders below return the inner command line (before Wrap) for each
// x2goserver script. Every substituted value goes through Quote, so with
// ordinary values the line is byte-identical to python-x2go's (the tests
// check the strings of the lab trace), while unusual values can neither
// split into extra words nor be expanded by the shell. Values are
// validated first; a bad value gives an error wrapping ErrInvalidValue.

// ErrInvalidValue is matched (errors.Is) by the errors of the command
// builders when a value is not acceptable for the server.
var ErrInvalidValue = errors.New("invalid value for an x2goserver command")

// invalid builds a builder error naming the parameter.
func invalid(param, value, want string) error {
	return fmt.Errorf("x2go: %s %q is not %s: %w", param, value, want, ErrInvalidValue)
}

// ListSessionsCmd lists the user's sessions (server-protocol.md §6.5);
// withShadow adds x2golistshadowsessions, for servers with the feature
// X2GO_LIST_SHADOWSESSIONS. Parse the output with ParseSessionList.
func ListSessionsCmd(withShadow bool) string {
	if withShadow {
		return "export HOSTNAME && { x2golistsessions; x2golistshadowsessions; }"
	}
	return "export HOSTNAME && x2golistsessions"
}

// ListDesktopsCmd lists the desktops the user may shadow (§6.6); parse
// with ParseDesktops.
func ListDesktopsCmd() string { return "export HOSTNAME && x2golistdesktops" }

// ListMountsCmd lists the client folders mounted in session name (§6.7);
// parse with ParseMounts.
func ListMountsCmd(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return "export HOSTNAME && x2golistmounts " + Quote(name), nil
}

// SuspendCmd suspends session name (§6.13).
func SuspendCmd(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return "x2gosuspend-session " + Quote(name), nil
}

// TerminateCmd terminates session name (§6.14). The server does not
// unmount shared folders on terminate; send UmountSessionCmd first when
// the session had shares.
func TerminateCmd(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return "x2goterminate-session " + Quote(name), nil
}

// UmountSessionCmd unmounts the client folders of session name (§6.16):
// all of them when localPath is "", else only the folder shared from the
// client path localPath. The path is always single-quoted, as
// python-x2go does (properly escaped here).
func UmountSessionCmd(name, localPath string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	cmd := "export HOSTNAME && x2goumount-session " + Quote(name)
	if localPath == "" {
		return cmd, nil
	}
	if strings.ContainsAny(localPath, "\x00\n") {
		return "", invalid("local path", localPath, "a path without NUL or newline")
	}
	return cmd + " " + quoteAlways(localPath), nil
}

// FeatureListCmd lists the server's features (§6.2); parse with
// ParseFeatures.
func FeatureListCmd() string { return "which x2gofeaturelist >/dev/null && x2gofeaturelist" }

// VersionCmd lists the server's component versions (§6.1); parse with
// ParseVersions.
func VersionCmd() string { return "which x2goversion >/dev/null && x2goversion" }

// GetAppsCmd lists the published applications (§6.8); parse with
// ParseApplications.
func GetAppsCmd() string { return "which x2gogetapps >/dev/null && x2gogetapps" }

// HomeCmd prints the remote home directory (§6.4); its first word is it.
func HomeCmd() string { return "echo $HOME" }

// AliveCmd is the liveness check (§6.4): any answer means alive.
func AliveCmd() string { return "echo" }

// SSHFSCheckCmd asks whether the server can mount client folders: whether
// it has sshfs and fusermount. Parse the output with ParseSSHFSCheck.
func SSHFSCheckCmd() string {
	return "command -v sshfs >/dev/null && command -v fusermount >/dev/null && echo OK"
}

// ParseSSHFSCheck reports whether the output of SSHFSCheckCmd says the
// server can mount client folders: it must be exactly the line OK.
func ParseSSHFSCheck(out string) bool { return out == "OK\n" }

// StatCmd checks that path exists on the server (§6.4): non-empty output
// means it does. python-x2go sends `stat -tL "<path>"`; the shell removes
// those quotes, so sh runs the same argv as our `stat -tL <Quote(path)>`.
func StatCmd(p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", invalid("path", p, "a non-empty path")
	}
	return "stat -tL " + Quote(p), nil
}

// Desktop meta names and the generic command names the server maps
// itself (§6.10, §6.11).
var (
	desktopMetaNames = map[string]string{
		"IceWM":    "icewm",
		"KDE":      "startkde",
		"MATE":     "mate-session",
		"XFCE":     "xfce4-session",
		"LXDE":     "startlxde",
		"LXQt":     "startlxqt",
		"TRINITY":  "starttrinity",
		"CINNAMON": "cinnamon-session-cinnamon2d",
		"GNOME":    "gnome-session",
		"UNITY":    "unity",
	}
	genericCommands = []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"}
)

// DesktopCommand maps a desktop meta name (KDE, GNOME, XFCE, …) to the
// binary python-x2go runs for it (startkde, gnome-session, …); anything
// else is returned unchanged. Servers with the feature
// X2GO_SERVERSIDE_DESKTOPCOMMANDS map meta names themselves (and know
// newer binaries such as startplasma-x11), so clients should then send the
// meta name unchanged.
func DesktopCommand(meta string) string {
	if c, ok := desktopMetaNames[meta]; ok {
		return c
	}
	return meta
}

// isDesktopCommand reports whether cmd makes a desktop session (§6.10
// rule 3): XDMCP, a meta name or the basename of a mapped binary.
func isDesktopCommand(cmd string) bool {
	if cmd == "XDMCP" {
		return true
	}
	if _, ok := desktopMetaNames[cmd]; ok {
		return true
	}
	base := path.Base(firstWord(cmd))
	for _, bin := range desktopMetaNames {
		if base == bin {
			return true
		}
	}
	return false
}

// isRDPCommand reports whether cmd is an RDP client (§6.10 rule 2).
// python-x2go tests for the misspelt "xfreedrp"; the real "xfreerdp" is
// accepted too.
func isRDPCommand(cmd string) bool {
	return cmd == "RDP" || strings.HasPrefix(cmd, "rdesktop") ||
		strings.HasPrefix(cmd, "xfreerdp") || strings.HasPrefix(cmd, "xfreedrp")
}

// firstWord returns the first blank-separated word of s.
func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// SessionTypeFor derives the session type letter sent to x2gostartagent
// (§6.10), first matching rule wins: published mode with an empty or
// PUBLISHED command → P; an RDP client → D for fullscreen geometry, else
// R; XDMCP or a desktop (meta name or desktop binary) → desktop; else the
// requested type (desktop/D, application/rootless/R, shared/shadow/S,
// published/published_applications/P, kdrive/K; anything else R).
// Desktop becomes K when kdrive is set, else D.
func SessionTypeFor(command, requestedType string, published bool, geometry string, kdrive bool) string {
	desktop := func() string {
		if kdrive {
			return TypeKDrive
		}
		return TypeDesktop
	}
	switch {
	case published && (command == "" || command == "PUBLISHED"):
		return TypePublished
	case isRDPCommand(command):
		if geometry == "fullscreen" {
			return TypeDesktop
		}
		return TypeRootless
	case isDesktopCommand(command):
		return desktop()
	}
	switch strings.ToLower(requestedType) {
	case "desktop", "d":
		return desktop()
	case "kdrive", "k":
		return TypeKDrive
	case "shared", "shadow", "s":
		return TypeShadow
	case "published", "published_applications", "p":
		return TypePublished
	}
	return TypeRootless
}

// CommandProbeCmd returns the command that checks, before a start, that
// the session command exists on the server (§6.20; accepted ⇔ its output
// contains "OK"), and needsProbe=false for commands that are accepted
// without asking: the generic names (WWWBROWSER, MAILCLIENT, OFFICE,
// TERMINAL), desktop meta names, XDMCP (python-x2go wrongly probes it),
// shadow commands (containing XSHAD), PUBLISHED and the empty command.
// A command containing RDP is probed as rdesktop; an absolute path is
// also tested with test -x.
func CommandProbeCmd(cmd string) (probe string, needsProbe bool) {
	switch {
	case cmd == "", cmd == "PUBLISHED", cmd == "XDMCP", strings.Contains(cmd, "XSHAD"),
		slices.Contains(genericCommands, cmd):
		return "", false
	case desktopMetaNames[cmd] != "":
		return "", false
	case strings.Contains(cmd, "RDP"):
		cmd = "rdesktop"
	}
	word := firstWord(cmd)
	if word == "" {
		return "", false
	}
	probe = Join("which", path.Base(word)) + " && echo OK"
	if strings.HasPrefix(word, "/") {
		probe = Join("test", "-x", word) + " && " + probe
	}
	return probe, true
}

var (
	geometryRE = regexp.MustCompile(`^([0-9]{1,5}x[0-9]{1,5}|fullscreen)$`)
	keyboardRE = regexp.MustCompile(`^[A-Za-z0-9_/+,.-]*$`)
	cacheRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	xdmcpRE    = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	envKeyRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

	links = []string{"modem", "isdn", "adsl", "wan", "lan"}

	clipboardModes = []string{"both", "server", "client", "none"}

	soundSystems = []string{"pulse", "esd", "arts", "none"}

	// packMethods are the NX3 pack methods used as they are (§3).
	packMethods = strings.Fields(`nopack 8 64 256 512 4k 32k 64k 256k 2m 16m
		256-rdp 256-rdp-compressed 32k-rdp 32k-rdp-compressed 64k-rdp
		64k-rdp-compressed 16m-rdp 16m-rdp-compressed rfb-hextile rfb-tight
		rfb-tight-compressed 8-tight 64-tight 256-tight 512-tight 4k-tight
		32k-tight 64k-tight 256k-tight 2m-tight 16m-tight 64-jpeg 256-jpeg
		512-jpeg 4k-jpeg 32k-jpeg 64k-jpeg 256k-jpeg 2m-jpeg 64-png-jpeg
		256-png-jpeg 512-png-jpeg 4k-png-jpeg 32k-png-jpeg 64k-png-jpeg
		256k-png-jpeg 2m-png-jpeg 64-png 256-png 512-png 4k-png 32k-png
		64k-png 256k-png 2m-png`)

	// qualityPackMethods take a quality suffix -0 … -9 (§3).
	qualityPackMethods = strings.Fields(`8-jpeg 16m-jpeg 8-png-jpeg 16m-png-jpeg
		8-png 16m-png 16m-rgb 16m-rle`)
)

// Defaults of a session's parameters: what pyhoca-cli sends (seen in the
// lab trace). The start and resume builders use them for zero values, and
// the library, the CLI and the pyhoca-cli front end take them from here,
// so each default is written once.
const (
	DefaultCommand     = "TERMINAL"
	DefaultSoundSystem = "none"

	DefaultGeometry  = "800x600"
	DefaultLink      = "adsl"
	DefaultPack      = "16m-jpeg-9"
	DefaultCacheType = "unix-kde"
	DefaultDepth     = 24
	DefaultKbLayout  = "null"
	DefaultKbType    = "auto"
	DefaultClipboard = "both"
)

// ValidPack reports whether pack is an NX3 pack method the server
// accepts: a base method or a quality method with a -0 … -9 suffix.
func ValidPack(pack string) bool {
	if slices.Contains(packMethods, pack) {
		return true
	}
	i := strings.LastIndexByte(pack, '-')
	if i < 0 || len(pack)-i != 2 || pack[i+1] < '0' || pack[i+1] > '9' {
		return false
	}
	return slices.Contains(qualityPackMethods, pack[:i])
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// checkName validates a session name for a command line.
func checkName(name string) error {
	if !ValidSessionName(name) {
		return invalid("session name", name, "a valid X2Go session name")
	}
	return nil
}

// display parameters shared by start and resume, after defaults and
// validation.
type displayParams struct {
	geometry, link, pack, kbLayout, kbType, setKbd, clipboard string
}

// checkDisplay applies defaults to and validates the parameters that
// x2gostartagent and x2goresume-session share.
func checkDisplay(geometry, link, pack, kbLayout, kbType, clipboard string) (displayParams, error) {
	d := displayParams{
		geometry:  orDefault(geometry, DefaultGeometry),
		link:      orDefault(link, DefaultLink),
		pack:      orDefault(pack, DefaultPack),
		kbLayout:  orDefault(kbLayout, DefaultKbLayout),
		kbType:    orDefault(kbType, DefaultKbType),
		clipboard: orDefault(clipboard, DefaultClipboard),
		setKbd:    "1",
	}
	switch {
	case !geometryRE.MatchString(d.geometry):
		return d, invalid("geometry", d.geometry, "<width>x<height> or fullscreen")
	case !slices.Contains(links, d.link):
		return d, invalid("link", d.link, "one of modem, isdn, adsl, wan, lan")
	case !ValidPack(d.pack):
		return d, invalid("pack", d.pack, "an NX pack method")
	case !keyboardRE.MatchString(d.kbLayout):
		return d, invalid("keyboard layout", d.kbLayout, "a keyboard layout")
	case !keyboardRE.MatchString(d.kbType):
		return d, invalid("keyboard type", d.kbType, "a keyboard type")
	case !slices.Contains(clipboardModes, d.clipboard):
		return d, invalid("clipboard", d.clipboard, "one of both, server, client, none")
	}
	if d.kbType == "null/null" {
		d.setKbd = "0"
	}
	return d, nil
}

// StartParams are the values of a new session (§6.10). Zero values take
// the pyhoca-cli defaults (Default* constants): geometry 800x600, link
// adsl, pack 16m-jpeg-9, cache type unix-kde, depth 24, keyboard layout
// null, keyboard type auto, clipboard both. KbType "null/null" means "do
// not set the keyboard". DPI 0 and XDMCPServer "" are not sent.
type StartParams struct {
	Geometry    string // <W>x<H> or fullscreen
	Link        string // modem, isdn, adsl, wan, lan
	Pack        string // NX pack method, see ValidPack
	CacheType   string
	Depth       int
	KbLayout    string
	KbType      string
	SessionType string // D, K, R, S or P (see SessionTypeFor)
	Command     string // session command; for S the shadow command (ShadowCommand)
	Clipboard   string // both, server, client, none; not sent for S
	Xinerama    bool
	DPI         int
	XDMCPServer string
}

// StartAgentCmd builds the x2gostartagent call that starts a new session
// (§6.10); parse its output with ParseStartAgent and classify failures
// with StartError. The command argument is the basename of the first word
// of p.Command (as python-x2go's session names show it: the server only
// uses it to name the session; the full command goes to RunCommandCmd);
// for type S the shadow command is sent whole.
func StartAgentCmd(p StartParams) (string, error) {
	d, err := checkDisplay(p.Geometry, p.Link, p.Pack, p.KbLayout, p.KbType, p.Clipboard)
	if err != nil {
		return "", err
	}
	cache := orDefault(p.CacheType, DefaultCacheType)
	if !cacheRE.MatchString(cache) {
		return "", invalid("cache type", cache, "a cache type")
	}
	depth := p.Depth
	if depth == 0 {
		depth = DefaultDepth
	}
	if depth < 1 || depth > 32 {
		return "", invalid("depth", strconv.Itoa(depth), "a colour depth 1-32")
	}
	switch p.SessionType {
	case TypeDesktop, TypeRootless, TypeShadow, TypeKDrive, TypePublished:
	default:
		return "", invalid("session type", p.SessionType, "one of D, K, R, S, P")
	}
	if p.DPI < 0 {
		return "", invalid("dpi", strconv.Itoa(p.DPI), "a positive number")
	}
	if p.XDMCPServer != "" && !xdmcpRE.MatchString(p.XDMCPServer) {
		return "", invalid("XDMCP server", p.XDMCPServer, "a host name or address")
	}
	if hasControl(p.Command) {
		return "", invalid("command", p.Command, "a command without control characters")
	}
	command := p.Command
	if p.SessionType == TypePublished && command == "" {
		command = "PUBLISHED"
	}
	if p.SessionType == TypeShadow {
		if _, _, _, ok := splitShadowCommand(command); !ok {
			return "", invalid("shadow command", command, "<mode>XSHAD<owner>XSHAD<display>")
		}
	} else {
		command = path.Base(firstWord(command))
		if command == "." || command == "/" {
			return "", invalid("command", p.Command, "a command")
		}
	}

	var b strings.Builder
	b.WriteString("X2GO_XINERAMA=" + strconv.FormatBool(p.Xinerama) + " ")
	if p.DPI > 0 {
		b.WriteString("X2GODPI=" + strconv.Itoa(p.DPI) + " ")
	}
	if p.XDMCPServer != "" {
		b.WriteString("X2GOXDMCP=" + Quote(p.XDMCPServer) + " ")
	}
	args := []string{"x2gostartagent", d.geometry, d.link, d.pack,
		cache + "-depth_" + strconv.Itoa(depth), d.kbLayout, d.kbType, d.setKbd,
		p.SessionType, command}
	if p.SessionType != TypeShadow {
		args = append(args, d.clipboard)
	}
	b.WriteString(Join(args...))
	return b.String(), nil
}

// ShadowCommand builds the command of a shadow (desktop sharing) session
// for the desktop <owner>@:<display> as x2golistdesktops lists it:
// <mode>XSHAD<owner>XSHAD<display>, mode 1 for full access, 0 for view
// only. display is e.g. ":51" or ":51.0".
func ShadowCommand(fullAccess bool, owner, display string) (string, error) {
	mode := "0"
	if fullAccess {
		mode = "1"
	}
	if owner == "" || hasControl(owner) || strings.ContainsAny(owner, " |") {
		return "", invalid("desktop owner", owner, "a user name")
	}
	if !validDesktop("u@" + display) {
		return "", invalid("display", display, ":<display>[.<screen>]")
	}
	return mode + "XSHAD" + owner + "XSHAD" + display, nil
}

// ResumeParams are the values for resuming a session (§6.12); zero values
// take the same defaults as StartParams.
type ResumeParams struct {
	Geometry  string
	Link      string
	Pack      string
	KbLayout  string
	KbType    string
	Clipboard string
	Xinerama  bool
}

// ResumeCmd builds the x2goresume-session call for session name
// (§6.12); parse its output with ParseResume and classify failures with
// ResumeError. Xinerama is sent as Python's True/False.
func ResumeCmd(name string, p ResumeParams) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	d, err := checkDisplay(p.Geometry, p.Link, p.Pack, p.KbLayout, p.KbType, p.Clipboard)
	if err != nil {
		return "", err
	}
	xinerama := "False"
	if p.Xinerama {
		xinerama = "True"
	}
	return Join("x2goresume-session", name, d.geometry, d.link, d.pack, d.kbLayout,
		d.kbType, d.setKbd, d.clipboard, xinerama), nil
}

// RunParams are the values for running the session command in a new
// session (§6.11).
type RunParams struct {
	Display     int
	AgentPID    int
	Name        string
	SoundPort   int
	Command     string // after DesktopCommand mapping, if wanted
	SoundSystem string // pulse, esd, arts or none ("" = none)
	SessionType string // D, K, R, S or P
	// Env is put in front of the command as K=V assignments (sorted by
	// key), e.g. X2GO_SPOOLDIR, X2GO_MIMEBOX, PULSE_CLIENTCONFIG.
	Env map[string]string
}

// RunCommandCmd builds the detached x2goruncommand call that runs the
// session command once the agent is up (§6.11). Blanks in the command are
// replaced by the literal X2GO_SPACE_CHAR, which the server turns back
// into blanks. python-x2go wraps the command in double quotes ("xterm"),
// which the login shell removes again, so a command with $ or backticks
// is expanded there; here it goes through Quote instead (plain xterm),
// giving the server the same argument for ordinary commands.
func RunCommandCmd(p RunParams) (string, error) {
	if err := checkName(p.Name); err != nil {
		return "", err
	}
	switch {
	case p.Display < 0:
		return "", invalid("display", strconv.Itoa(p.Display), "a display number")
	case p.AgentPID <= 0:
		return "", invalid("agent PID", strconv.Itoa(p.AgentPID), "a PID")
	case p.SoundPort < 0 || p.SoundPort > 65535:
		return "", invalid("sound port", strconv.Itoa(p.SoundPort), "a port")
	case strings.TrimSpace(p.Command) == "" || hasControl(p.Command):
		return "", invalid("command", p.Command, "a command without control characters")
	}
	sound := orDefault(p.SoundSystem, DefaultSoundSystem)
	if !slices.Contains(soundSystems, sound) {
		return "", invalid("sound system", sound, "one of pulse, esd, arts, none")
	}
	switch p.SessionType {
	case TypeDesktop, TypeRootless, TypeShadow, TypeKDrive, TypePublished:
	default:
		return "", invalid("session type", p.SessionType, "one of D, K, R, S, P")
	}
	keys, err := envKeys(p.Env)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + Quote(p.Env[k]) + " ")
	}
	cmd := strings.ReplaceAll(p.Command, " ", "X2GO_SPACE_CHAR")
	b.WriteString(Join("setsid", "x2goruncommand", strconv.Itoa(p.Display), strconv.Itoa(p.AgentPID),
		p.Name, strconv.Itoa(p.SoundPort), cmd, sound, p.SessionType))
	b.WriteString(" 1>/dev/null 2>/dev/null & exit")
	return b.String(), nil
}

// envKeys returns the keys of env sorted, after checking that each is a
// variable name (values are quoted by the callers).
func envKeys(env map[string]string) ([]string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envKeyRE.MatchString(k) {
			return nil, invalid("environment variable", k, "a variable name")
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// ExecParams are the values of ExecPublishedCmd.
type ExecParams struct {
	Display int    // the session's display
	Name    string // the session's name, exported as X2GO_SESSION
	// Exec is the application's command line, e.g. a published menu
	// entry's Exec (MenuEntry.Exec).
	Exec string
	// Env is exported before the command (sorted by key), e.g.
	// X2GO_SPOOLDIR, X2GO_MIMEBOX, PULSE_CLIENTCONFIG.
	Env map[string]string
}

// ExecPublishedCmd builds the command that starts a published application
// detached inside a running session (python-x2go's
// exec_published_application, §6.9). python-x2go pastes the Exec line
// into the shell command unquoted; here it is handed to sh -c as one
// quoted argument, so the server runs the same command line while nothing
// in it can reach past it (a ';' or '&' stays inside the application's
// own shell).
func ExecPublishedCmd(p ExecParams) (string, error) {
	if err := checkName(p.Name); err != nil {
		return "", err
	}
	switch {
	case p.Display < 0:
		return "", invalid("display", strconv.Itoa(p.Display), "a display number")
	case strings.TrimSpace(p.Exec) == "" || hasControl(p.Exec):
		return "", invalid("application command", p.Exec, "a command without control characters")
	}
	keys, err := envKeys(p.Env)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("export " + k + "=" + Quote(p.Env[k]) + " && ")
	}
	b.WriteString("export DISPLAY=:" + strconv.Itoa(p.Display) + " && export X2GO_SESSION=" + Quote(p.Name) + " && ")
	b.WriteString(Join("setsid", "sh", "-c", p.Exec))
	b.WriteString(" 1>/dev/null 2>/dev/null & exit")
	return b.String(), nil
}
