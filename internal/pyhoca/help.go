package pyhoca

import (
	"fmt"
	"strings"

	"github.com/x2go-go/x2go/protocol"
)

// DefaultColumns is the terminal width Usage and Help assume when the
// caller knows none, as Python's argparse does.
const DefaultColumns = 80

// textWidth is the width argparse fills for a terminal of columns
// columns: two less than the terminal.
func textWidth(columns int) int {
	if columns <= 0 {
		columns = DefaultColumns
	}
	return columns - 2
}

// Usage returns the usage block of the pyhoca-cli front end for program
// name prog in a terminal of columns columns (<= 0: DefaultColumns),
// ending in a newline. It is printed before "<prog>: error: <message>" on
// command-line errors and starts Help.
//
// The block is interface, not prose: wrappers read the option list from
// it, so it is laid out exactly as pyhoca-cli 0.6.1.2's argparse lays out
// its own at the same width (same order, placeholders and line breaks);
// the newer options are therefore not in it (Help lists them).
func Usage(prog string, columns int) string {
	const prefix = "usage: "
	width := textWidth(columns)
	var opts []string
	for i := range optSpecs {
		s := &optSpecs[i]
		if s.newer {
			continue
		}
		part := s.names[0]
		if s.value {
			part += " " + s.metavarText()
		}
		opts = append(opts, "["+part+"]")
	}
	pos := []string{"[host]"}

	oneLine := strings.Join(append(append([]string{prog}, opts...), pos...), " ")
	if len(prefix)+len(oneLine) <= width {
		return prefix + oneLine + "\n"
	}
	var lines []string
	if float64(len(prefix)+len(prog)) <= 0.75*float64(width) {
		indent := strings.Repeat(" ", len(prefix)+len(prog)+1)
		lines = wrapParts(append([]string{prog}, opts...), indent, len(prefix), width)
		lines = append(lines, wrapParts(pos, indent, -1, width)...)
	} else {
		indent := strings.Repeat(" ", len(prefix))
		lines = wrapParts(append(opts, pos...), indent, -1, width)
		if len(lines) > 1 {
			lines = wrapParts(opts, indent, -1, width)
			lines = append(lines, wrapParts(pos, indent, -1, width)...)
		}
		lines = append([]string{prog}, lines...)
	}
	return prefix + strings.Join(lines, "\n") + "\n"
}

// metavarText is the argument placeholder of usage and help: the metavar,
// else {a,b,c} for choices, else the upper-cased dest.
func (s *optSpec) metavarText() string {
	switch {
	case s.metavar != "":
		return s.metavar
	case s.choices != nil:
		return "{" + strings.Join(s.choices, ",") + "}"
	}
	return strings.ToUpper(s.dest)
}

// invocation is how the help lists an option: every option string, each
// followed by the placeholder if the option takes an argument.
func (s *optSpec) invocation() string {
	parts := make([]string, len(s.names))
	for i, n := range s.names {
		parts[i] = n
		if s.value {
			parts[i] += " " + s.metavarText()
		}
	}
	return strings.Join(parts, ", ")
}

// wrapParts fills lines of width with the usage parts, the way argparse
// does: each line but the first is prefixed with indent; with prefixLen
// >= 0 the first line starts after a prefix of that length and carries no
// indent. A part never breaks.
func wrapParts(parts []string, indent string, prefixLen, width int) []string {
	var lines []string
	var line []string
	lineLen := len(indent) - 1
	if prefixLen >= 0 {
		lineLen = prefixLen - 1
	}
	for _, p := range parts {
		if lineLen+1+len(p) > width && len(line) > 0 {
			lines = append(lines, indent+strings.Join(line, " "))
			line = nil
			lineLen = len(indent) - 1
		}
		line = append(line, p)
		lineLen += len(p) + 1
	}
	if len(line) > 0 {
		lines = append(lines, indent+strings.Join(line, " "))
	}
	if prefixLen >= 0 && len(lines) > 0 {
		lines[0] = lines[0][len(indent):]
	}
	return lines
}

// fill wraps text to lines of at most width characters (a longer word
// keeps a line of its own), each prefixed with indent. Runs of white
// space count as one blank.
func fill(text string, width int, indent string) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(indent)+len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, indent+line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, indent+line)
	}
	return lines
}

// Help returns the --help text of the pyhoca-cli front end for program
// name prog in a terminal of columns columns (<= 0: DefaultColumns). The
// layout is argparse's: the usage block, a description, titled groups of
// options with their explanations from column 24 (less in narrow
// terminals), and closing notes. The option strings, placeholders and
// defaults are pyhoca-cli 0.6.1.2's; the words are this project's and
// describe what this client does, including where it differs from
// pyhoca-cli.
func Help(prog string, columns int) string {
	width := textWidth(columns)
	var b strings.Builder
	b.WriteString(Usage(prog, columns))
	for _, p := range helpDescription {
		b.WriteString("\n")
		writeLines(&b, fill(p, width, ""))
	}

	// argparse's layout: the explanation column is two past the longest
	// invocation, but at most 24 and at most width-20.
	maxInvocation := 0
	for _, sec := range helpSections {
		for _, e := range sec.entries {
			maxInvocation = max(maxInvocation, len(e.invocation()))
		}
	}
	helpPos := min(maxInvocation+4, 24, max(width-20, 4))
	textCol := max(width-helpPos, 11)
	for _, sec := range helpSections {
		b.WriteString("\n" + sec.title + ":\n")
		for _, e := range sec.entries {
			inv := e.invocation()
			text := fill(e.text, textCol, "")
			if len(text) == 0 {
				text = []string{""}
			}
			if len(inv) <= helpPos-4 {
				b.WriteString("  " + inv + strings.Repeat(" ", helpPos-2-len(inv)) + text[0] + "\n")
			} else {
				b.WriteString("  " + inv + "\n")
				b.WriteString(strings.Repeat(" ", helpPos) + text[0] + "\n")
			}
			for _, l := range text[1:] {
				b.WriteString(strings.Repeat(" ", helpPos) + l + "\n")
			}
		}
	}

	b.WriteString("\n")
	writeLines(&b, fill(packNote, width, ""))
	writeLines(&b, fill(strings.Join(PackMethods(), " "), width, "  "))
	return b.String()
}

// writeLines writes lines, each ending in a newline.
func writeLines(b *strings.Builder, lines []string) {
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
}

// PackMethods returns the NX compression methods --pack accepts, the
// plain ones first; "-N" stands for a quality digit 0 to 9 (see
// ValidPack).
func PackMethods() []string {
	out := append([]string(nil), packBase...)
	for _, q := range packQuality {
		out = append(out, q+"-N")
	}
	return out
}

// helpEntry is one item of the help: an option, named by its first
// option string, or the positional "host", and what it does.
type helpEntry struct {
	opt  string
	text string
}

// invocation is the entry's left column.
func (e helpEntry) invocation() string {
	if s, ok := optIndex[e.opt]; ok {
		return s.invocation()
	}
	return e.opt
}

// helpSection is a titled group of help entries.
type helpSection struct {
	title   string
	entries []helpEntry
}

// helpDescription are the paragraphs between the usage block and the
// option groups.
var helpDescription = []string{
	`Starts, resumes, lists, suspends and terminates X2Go sessions. This is
	the pyhoca-cli front end of x2go-go, an X2Go client written in Go: it
	takes the command line of pyhoca-cli 0.6.1.2 and prints its lists and
	log lines the same way, so that scripts and programs made for
	pyhoca-cli work with it.`,
	`It differs where that is safer or clearer: a server whose host key is
	not known yet is refused unless --add-to-known-hosts is given, and a
	failure ends with a non-zero exit status. The option marked "not
	supported yet" is accepted and checked, and ends the program with the
	exit status given.`,
}

// packNote introduces the list of --pack methods at the end of the help.
const packNote = `Methods for --pack (-N: a quality digit from 0 to 9):`

// defaultNote is how the help names an option's default.
func defaultNote(v any) string { return fmt.Sprintf("(default: %v)", v) }

// helpSections is the body of the help. Every option of optSpecs appears
// exactly once (TestHelpListsEveryOption).
var helpSections = []helpSection{
	{title: "connection and login", entries: []helpEntry{
		{"host", `the X2Go server as [user@]host; --server wins over host, and
			-l over the user@ part`},
		{"--server", `name or address of the X2Go server`},
		{"-p", `the server's SSH port ` + defaultNote(DefaultPort)},
		{"-l", `login name on the server (default: the user@ part of host,
			else your local login name)`},
		{"--password", `login password. Other users of this computer can
			read a command line; this client removes the password from its
			own at once, but --password-file, the X2GO_SSH_PASSWORD
			environment variable or the password prompt never show it at all`},
		{"--force-password", `log in with a password only, trying no keys;
			asks for the password unless --password is given`},
		{"-i", `private key file to try first; the SSH agent's keys and the
			~/.ssh/id_* files are tried after it (the file must exist)`},
		{"--auth-attempts", `how many times to try to log in; after a
			refused login you are asked for a password ` + defaultNote(DefaultAuthAttempts)},
		{"--add-to-known-hosts", `trust a server whose host key is not known
			yet and add the key to ~/.ssh/known_hosts. Without this option
			such a server is refused, where pyhoca-cli would trust it
			on first use. A changed host key is refused in any case`},
		{"-A", `let programs on the server use the SSH agent of this
			computer (agent forwarding, as ssh -A does)`},
	}},
	{title: "what to do (one of these; --new if none is given)", entries: []helpEntry{
		{"-N", `start a new session`},
		{"--try-resume", `with --new: if one of your sessions runs the same
			command, resume that one instead`},
		{"-R", `resume the session SESSION_NAME, or your NEWEST or OLDEST
			one; a session shown by another client is taken over`},
		{"-D", `join the desktop USER@DISPLAY that --list-desktops shows;
			when it is another user's, that user is asked to allow it (a
			refusal, or a desktop that is not there, ends with status 54)`},
		{"-S", `suspend the session SESSION_NAME, or ALL of your sessions`},
		{"-T", `terminate the session SESSION_NAME, or ALL of your sessions`},
		{"-L", `print your sessions on the server`},
		{"--list-desktops", `print the desktops on the server that you may
			join`},
		{"--list-profiles", `print the session profiles saved in
			~/.x2goclient/sessions, or offered by the broker of -B, and the
			session settings each gives`},
		{"-P", `take the server and the session settings from the session
			profile of this name (from ~/.x2goclient/sessions, or from the
			broker of -B); options given on the command line override the
			profile's (no such profile: status 31)`},
		{"--from-stdin", `read "<user> <host[:port]> <command> <password>"
			from standard input, the way LightDM's remote login passes it
			(not supported yet: exits with status 31)`},
	}},
	{title: "session", entries: []helpEntry{
		{"-c", `what to run: a program, a desktop name such as KDE or XFCE, or
			a generic name such as TERMINAL or WWWBROWSER ` + defaultNote(DefaultCommand)},
		{"-t", `desktop shows a whole desktop in one window, application
			only the program's own windows; desktop commands always get a
			desktop ` + defaultNote(DefaultSessionType)},
		{"-g", `window size as WIDTHxHEIGHT, fullscreen, or maximize for the
			size of this screen ` + defaultNote(DefaultGeometry)},
		{"-x", `let the session span several monitors (Xinerama)`},
		{"-q", `speed of the network link; NX tunes its compression to it
			` + defaultNote(DefaultLink)},
		{"--pack", `NX image compression, one of the methods listed at the
			end ` + defaultNote(DefaultPack)},
		{"--kbd-type", `keyboard model such as pc105/us; auto lets the
			session take over this computer's keyboard ` + defaultNote(DefaultKbdType)},
		{"--kbd-layout", `keyboard layout such as us or de; null sets none,
			auto works like --kbd-type auto ` + defaultNote(DefaultKbdLayout)},
		{"--clean-sessions", `first terminate all your sessions on the
			server, except those providing published applications`},
		{"--terminate-on-ctrl-c", `make Ctrl-C terminate the session; without
			it, Ctrl-C suspends the session`},
		{"--sound", `what becomes of the session's sound: pulse plays it on
			this computer through its PulseAudio, none leaves it off, esd
			only tells the server (this client cannot carry EsounD sound)
			` + defaultNote(DefaultSound)},
		{"--printing", `let the session print on this computer; what happens
			to a print job is set with the printing options below`},
		{"-F", `local folders the session may use, separated by commas; the
			server mounts them through the SSH connection, and sees nothing
			of this computer but them`},
		{"--share-mode", `for -D: 0 to watch the desktop, 1 to work on it
			too`},
	}},
	{title: "printing (with --printing)", entries: []helpEntry{
		{"--print-action", `what to do with a print job from the session
			` + defaultNote(DefaultPrintAction) + `; each of the four options below selects its
			action, and only one of them may be given`},
		{"--pdfview-cmd", `show print jobs as PDF with this program
			` + defaultNote(DefaultPDFViewCmd) + `; selects PDFVIEW`},
		{"--save-to-folder", `store print jobs as PDF files in this folder
			` + defaultNote(DefaultPDFSaveDir) + `; selects PDFSAVE`},
		{"--printer", `send print jobs to this CUPS queue (default: the CUPS
			default queue); selects PRINT`},
		{"--print-cmd", `hand print jobs to this command ` + defaultNote(DefaultPrintCmd) + `;
			selects PRINTCMD`},
	}},
	{title: "session broker", entries: []helpEntry{
		{"-B", `take the session profiles of -P and --list-profiles from the
			X2Go session broker at this URL (http://, https:// or ssh://)
			instead of ~/.x2goclient/sessions`},
		{"--broker-password", `password for the session broker`},
	}},
	{title: "messages and information", entries: []helpEntry{
		{"-h", `print this help, then exit`},
		{"-V", `print the version on standard error, then exit`},
		{"-d", `log this front end's debug messages too`},
		{"--libdebug", `log the session library's debug messages too`},
		{"--libdebug-sftpxfer", `accepted; this client never logs the
			content of shared files`},
		{"--quiet", `log nothing, even with -d or --libdebug`},
	}},
	{title: "python-x2go backends (accepted for compatibility, no effect)", entries: []helpEntry{
		{"--backend-controlsession", `default or PLAIN`},
		{"--backend-terminalsession", `default or PLAIN`},
		{"--backend-serversessioninfo", `default or PLAIN`},
		{"--backend-serversessionlist", `default or PLAIN`},
		{"--backend-proxy", `default, NX3 or KDRIVE`},
		{"--backend-sessionprofiles", `FILE or GCONF`},
		{"--backend-clientsettings", `FILE or GCONF`},
		{"--backend-clientprinting", `FILE or GCONF`},
	}},
	{title: "newer options (later pyhoca-cli versions, and this client's own)", entries: []helpEntry{
		{"--list-cmdline-features", `print the name of every option this
			client takes, one per line (TERMINATE_ON_CTRL_C for
			--terminate-on-ctrl-c), then exit; front ends ask this before
			passing newer options`},
		{"--non-interactive", `never ask for anything on the terminal (password,
			passphrase): fail instead`},
		{"--password-file", `read the login password from the first line of
			FILE, or of standard input for -; the safe way to hand over a
			password`},
		{"--ssh-passphrase", `passphrase of the private key (removed from the
			command line like --password)`},
		{"--clipboard-mode", `which side may hand clipboard contents to the
			other: both, server, client or none ` + defaultNote(protocol.DefaultClipboard)},
		{"--dpi", `screen resolution of the session in dots per inch`},
	}},
	{title: "older spellings", entries: []helpEntry{
		{"--port", `same as -p`},
		{"--ssh-key", `same as -i`},
		{"--use-sound", `yes means --sound pulse, no means --sound none`},
		{"--client-ssh-port", `no effect: x2goclient's local SSH port, which
			this client does not need`},
	}},
}
