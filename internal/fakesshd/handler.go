package fakesshd

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Handler answers one command. cmd is the inner command, as sh -c on the
// server would receive it (the marker wrapper and its quoting removed).
// A handler may be called concurrently: the client runs commands on
// several channels at once.
type Handler func(cmd string) Reply

// Reply says how the server answers a command. The zero value is a command
// that printed nothing and exited 0.
type Reply struct {
	// Stdout is what the command prints; it is sent between the markers,
	// exactly as the real wrapper's output: X2GODATABEGIN:<id>\n, Stdout,
	// X2GODATAEND:<id>:<Status>\n (on the same line as the last output
	// when Stdout does not end with a newline).
	Stdout string
	// Stderr is sent on the stderr stream, unfiltered.
	Stderr string
	// Status is the command's exit status, as the END marker reports it.
	// The channel's own exit status is always 0 (the wrapper's last echo).
	Status int

	// Noise is printed before the BEGIN marker, as a chatty login script
	// (.bashrc) does.
	Noise string
	// NoEndMarker leaves out the END marker: the shell died half way, or
	// the command's output was cut short.
	NoEndMarker bool
	// NoMarkers leaves out both markers: garbage transport, e.g. a login
	// shell that does not run the command at all.
	NoMarkers bool
	// Raw, if set, is sent verbatim as stdout instead of the wrapped form.
	Raw string

	// ReadInput reads the command's standard input to its end before
	// answering (as cat > file does); Server.Inputs returns what came.
	ReadInput bool

	// Delay waits this long before answering.
	Delay time.Duration
	// Hang never answers; the channel stays open until the client closes
	// it or the connection ends.
	Hang bool
	// Drop closes the whole connection (without an SSH disconnect) after
	// sending the BEGIN marker and Stdout: the link died mid-command.
	Drop bool
}

// Output is a successful reply printing stdout.
func Output(stdout string) Reply { return Reply{Stdout: stdout} }

// Fail is a reply with exit status status and stderr text stderr.
func Fail(status int, stderr string) Reply { return Reply{Status: status, Stderr: stderr} }

// Canned answers of the lab's x2goserver 4.1.0.3 (server-protocol.md).
const (
	// Home is the login user's home directory on the fake server.
	Home = "/home/x2gotest"
	// FeatureList is the real 13-line x2gofeaturelist output (§4).
	FeatureList = "X2GO_PRINTING\n" +
		"X2GOAGENT_RANDRXINERAMA\n" +
		"X2GO_XSESSION\n" +
		"X2GO_LIST_DESKTOPS\n" +
		"X2GO_MOUNTDIRS\n" +
		"X2GO_UMOUNTSESSION_ALL\n" +
		"X2GO_UMOUNTSESSION_ONLYPATH\n" +
		"X2GO_PUBLISHED_APPLICATIONS\n" +
		"X2GO_SERVERSIDE_DESKTOPCOMMANDS\n" +
		"X2GO_SET_KEYBOARD\n" +
		"X2GO_LIST_SHADOWSESSIONS\n" +
		"X2GO_MOUNT_UNCPATHS\n" +
		"X2GO_CLIPBOARD_MODES\n"
	// Versions is the real x2goversion output (§6.1).
	Versions = "x2goserver: 4.1.0.3\n" +
		"x2goserver-common: 4.1.0.3\n" +
		"x2goserver-printing: 4.1.0.3\n" +
		"x2goserver-x2goagent: 3.5.99.26\n" +
		"x2goserver-xsession: 4.1.0.3\n"
	// StartAgent is a real x2gostartagent output (§6.10).
	StartAgent = "51\n" +
		"f1847cec37ed2687bd03f475f4753b71\n" +
		"17128\n" +
		"x2gotest-51-1795627586_stRxterm_dp24\n" +
		"48176\n" +
		"48177\n" +
		"48178\n"
	// Resume is a real x2goresume-session output (§6.12).
	Resume = "gr_port=48176\nsound_port=48177\nfs_port=48178\n"
	// ResumeStderr is the harmless noise of every real resume.
	ResumeStderr = "Died at /usr/lib/x2go/x2gormport line 34.\nDied at /usr/lib/x2go/x2gormport line 34.\n"
	// Stat is the real `stat -tL <home>` line (§6.4).
	Stat = Home + " 4096 8 41ed 1001 1001 fe00 794732 4 0 0 1795627300 1795627576 1795627576 1795625718 4096\n"
)

// Standard returns a handler that answers like a healthy x2goserver
// 4.1.0.3 with no sessions: the home check, x2gofeaturelist, x2goversion,
// empty session, desktop and mount lists, command probes that find the
// command, a successful x2gostartagent and x2goresume-session, and empty
// successful suspend, terminate, run and mount commands. Anything else
// fails as an unknown command (status 127). Combine it with With or
// Override to change single answers.
func Standard() Handler {
	return standard
}

func standard(cmd string) Reply {
	has := func(s string) bool { return strings.Contains(cmd, s) }
	switch {
	case has("X2GO_HOME_OK"): // echo "$HOME" && test -d "$HOME" && echo X2GO_HOME_OK
		return Output(Home + "\nX2GO_HOME_OK\n")
	case has("x2gofeaturelist"):
		return Output(FeatureList)
	case has("x2goversion"):
		return Output(Versions)
	case has("x2golistsessions"), has("x2golistshadowsessions"),
		has("x2golistdesktops"), has("x2golistmounts"), has("x2gogetapps"):
		return Output("")
	case has("x2gostartagent"):
		return Output(StartAgent)
	case has("x2goresume-session"):
		return Reply{Stdout: Resume, Stderr: ResumeStderr}
	case has("x2gosuspend-session"), has("x2goterminate-session"), has("x2goruncommand"),
		has("x2goumount-session"), has("x2gomountdirs"):
		return Output("")
	case strings.HasPrefix(cmd, "which ") && strings.HasSuffix(cmd, " && echo OK"),
		strings.HasPrefix(cmd, "test -x ") && strings.HasSuffix(cmd, " && echo OK"):
		name := cmd[strings.Index(cmd, "which ")+len("which "):]
		name = strings.Trim(strings.Fields(name)[0], `'"`)
		return Output("/usr/bin/" + name + "\nOK\n")
	case cmd == "which fusermount":
		return Output("/usr/bin/fusermount\n")
	case cmd == "echo $HOME", cmd == `echo "$HOME"`:
		return Output(Home + "\n")
	case cmd == "echo":
		return Output("\n")
	case strings.HasPrefix(cmd, "stat -tL "):
		return Output(Stat)
	}
	word := cmd
	if f := strings.Fields(cmd); len(f) > 0 {
		word = f[0]
	}
	return Fail(127, "sh: 1: "+word+": not found\n")
}

// With returns a handler that answers every command containing substr
// with r and passes the others to h. The latest With wins.
func (h Handler) With(substr string, r Reply) Handler {
	return h.WithFunc(substr, func(string) Reply { return r })
}

// WithFunc is With with a handler for the matching commands.
func (h Handler) WithFunc(substr string, f Handler) Handler {
	return func(cmd string) Reply {
		if strings.Contains(cmd, substr) {
			return f(cmd)
		}
		return h(cmd)
	}
}

// Override returns a handler that answers a command containing one of
// the keys of replies with that reply, and passes the others to base (nil:
// Standard()). When several keys match, the longest wins (then the
// alphabetically first), so the choice does not depend on map order.
func Override(base Handler, replies map[string]Reply) Handler {
	if base == nil {
		base = Standard()
	}
	keys := make([]string, 0, len(replies))
	for k := range replies {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return func(cmd string) Reply {
		for _, k := range keys {
			if strings.Contains(cmd, k) {
				return replies[k]
			}
		}
		return base(cmd)
	}
}
