package protocol

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// mustFn returns a helper that fails the test on a builder error.
func mustFn(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// TestCommandsAsInTrace checks the builders against command lines that the
// lab trace shows python-x2go sending, byte for byte.
func TestCommandsAsInTrace(t *testing.T) {
	const name = "x2gotest-51-1795627586_stRxterm_dp24"
	must := mustFn(t)
	probe, needs := CommandProbeCmd("xterm")
	for _, tc := range []struct{ got, want string }{
		{ListSessionsCmd(true), "export HOSTNAME && { x2golistsessions; x2golistshadowsessions; }"},
		{ListSessionsCmd(false), "export HOSTNAME && x2golistsessions"},
		{ListDesktopsCmd(), "export HOSTNAME && x2golistdesktops"},
		{must(ListMountsCmd("x2gotest-51-1795627646_stRxterm_dp24")), "export HOSTNAME && x2golistmounts x2gotest-51-1795627646_stRxterm_dp24"},
		{must(SuspendCmd(name)), "x2gosuspend-session " + name},
		{must(TerminateCmd("x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24")), "x2goterminate-session x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24"},
		{FeatureListCmd(), "which x2gofeaturelist >/dev/null && x2gofeaturelist"},
		{VersionCmd(), "which x2goversion >/dev/null && x2goversion"},
		{GetAppsCmd(), "which x2gogetapps >/dev/null && x2gogetapps"},
		{HomeCmd(), "echo $HOME"},
		{AliveCmd(), "echo"},
		{SSHFSCheckCmd(), "command -v sshfs >/dev/null && command -v fusermount >/dev/null && echo OK"},
		{probe + strconv.FormatBool(needs), "which xterm && echo OKtrue"},
		{must(StartAgentCmd(StartParams{SessionType: "R", Command: "xterm"})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 R xterm both"},
		{must(StartAgentCmd(StartParams{Geometry: "800x600", Link: "adsl", Pack: "16m-jpeg-9", CacheType: "unix-kde",
			Depth: 24, KbLayout: "null", KbType: "auto", SessionType: "D", Command: "xterm", Clipboard: "both"})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 D xterm both"},
		{must(StartAgentCmd(StartParams{KbLayout: "us", KbType: "pc105/us", SessionType: "R", Command: "xterm"})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 us pc105/us 1 R xterm both"},
		{must(StartAgentCmd(StartParams{KbLayout: "us", KbType: "pc105/us", SessionType: "P"})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 us pc105/us 1 P PUBLISHED both"},
		{must(StartAgentCmd(StartParams{SessionType: "S", Command: must(ShadowCommand(true, "x2gotest", ":51"))})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 S 1XSHADx2gotestXSHAD:51"},
		{must(ResumeCmd(name, ResumeParams{})),
			"x2goresume-session x2gotest-51-1795627586_stRxterm_dp24 800x600 adsl 16m-jpeg-9 null auto 1 both False"},
		// python-x2go sends "xterm" in double quotes, which the login shell
		// removes; x2goruncommand gets the same argument from plain xterm.
		{must(RunCommandCmd(RunParams{Display: 51, AgentPID: 17128, Name: name, SoundPort: 48177,
			Command: "xterm", SoundSystem: "none", SessionType: "R"})),
			"setsid x2goruncommand 51 17128 x2gotest-51-1795627586_stRxterm_dp24 48177 xterm none R 1>/dev/null 2>/dev/null & exit"},
		{must(RunCommandCmd(RunParams{Display: 51, AgentPID: 28927, Name: "x2gotest-51-1795627800_stRxterm_dp24",
			SoundPort: 40524, Command: "xterm", SessionType: "R",
			Env: map[string]string{"X2GO_SPOOLDIR": "/home/x2gotest/.x2go/C-x2gotest-51-1795627800_stRxterm_dp24/spool"}})),
			"X2GO_SPOOLDIR=/home/x2gotest/.x2go/C-x2gotest-51-1795627800_stRxterm_dp24/spool setsid x2goruncommand 51 28927 x2gotest-51-1795627800_stRxterm_dp24 40524 xterm none R 1>/dev/null 2>/dev/null & exit"},
		// python-x2go: stat -tL "/home/x2gotest"; sh runs the same argv.
		{must(StatCmd("/home/x2gotest")), "stat -tL /home/x2gotest"},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
}

// TestTraceCommandsRebuilt rebuilds every command of the trace that has a
// builder from the values in it and compares the bytes, allowing only the
// documented difference: python-x2go's double quotes.
func TestTraceCommandsRebuilt(t *testing.T) {
	built := 0
	for _, r := range loadTrace(t) {
		want := r.Cmd
		var got string
		var err error
		f := strings.Fields(r.Cmd)
		switch {
		case r.Cmd == ListSessionsCmd(true), r.Cmd == ListDesktopsCmd(), r.Cmd == FeatureListCmd(),
			r.Cmd == VersionCmd(), r.Cmd == HomeCmd(), r.Cmd == AliveCmd():
			got = r.Cmd
		case f[0] == "stat":
			got, err = StatCmd(strings.Trim(f[2], `"`))
			want = strings.ReplaceAll(r.Cmd, `"`, "")
		case f[0] == "which" && len(f) == 4 && f[3] == "OK":
			got, _ = CommandProbeCmd(f[1])
		case f[0] == "x2gosuspend-session":
			got, err = SuspendCmd(f[1])
		case f[0] == "x2goterminate-session":
			got, err = TerminateCmd(f[1])
		case strings.HasPrefix(r.Cmd, "export HOSTNAME && x2golistmounts "):
			got, err = ListMountsCmd(f[4])
		case f[0] == "x2goresume-session":
			got, err = ResumeCmd(f[1], ResumeParams{Geometry: f[2], Link: f[3], Pack: f[4], KbLayout: f[5],
				KbType: f[6], Clipboard: f[8], Xinerama: f[9] == "True"})
		case len(f) > 1 && f[1] == "x2gostartagent":
			depth, _ := strconv.Atoi(strings.TrimPrefix(f[5], "unix-kde-depth_"))
			p := StartParams{Xinerama: f[0] == "X2GO_XINERAMA=true", Geometry: f[2], Link: f[3], Pack: f[4],
				CacheType: "unix-kde", Depth: depth, KbLayout: f[6], KbType: f[7], SessionType: f[9], Command: f[10]}
			if len(f) > 11 {
				p.Clipboard = f[11]
			}
			got, err = StartAgentCmd(p)
		case strings.Contains(r.Cmd, "setsid x2goruncommand "):
			p := RunParams{Env: map[string]string{}}
			for len(f) > 0 && f[0] != "setsid" {
				k, v, _ := strings.Cut(f[0], "=")
				p.Env[k] = v
				f = f[1:]
			}
			p.Display, _ = strconv.Atoi(f[2])
			p.AgentPID, _ = strconv.Atoi(f[3])
			p.Name = f[4]
			p.SoundPort, _ = strconv.Atoi(f[5])
			p.Command, p.SoundSystem, p.SessionType = strings.Trim(f[6], `"`), f[7], f[8]
			got, err = RunCommandCmd(p)
			want = strings.Replace(r.Cmd, `"`+p.Command+`"`, p.Command, 1)
		default:
			continue // no builder here (fusermount, mountdirs, setxkbmap, pulse)
		}
		built++
		if err != nil || got != want {
			t.Errorf("rebuilding %s:\n got %s, %v\nwant %s", r.Cmd, got, err, want)
		}
	}
	if built < 240 {
		t.Errorf("only %d trace commands rebuilt", built)
	}
}

func TestCommandsQuoteValues(t *testing.T) {
	const name = "x2gotest-51-1795627586_stRxterm_dp24"
	must := mustFn(t)
	for _, tc := range []struct{ got, want string }{
		{must(UmountSessionCmd(name, "")), "export HOSTNAME && x2goumount-session " + name},
		{must(UmountSessionCmd(name, "/run/x2go-lab/share")), "export HOSTNAME && x2goumount-session " + name + " '/run/x2go-lab/share'"},
		{must(UmountSessionCmd(name, "/x/it's $(id)")), "export HOSTNAME && x2goumount-session " + name + ` '/x/it'\''s $(id)'`},
		{must(StatCmd("/home/a b")), "stat -tL '/home/a b'"},
		{must(StartAgentCmd(StartParams{SessionType: "R", Command: "/usr/bin/xterm -e top", Xinerama: true, DPI: 96,
			Geometry: "fullscreen", Link: "lan", Pack: "nopack", Depth: 16, KbType: "null/null", Clipboard: "none"})),
			"X2GO_XINERAMA=true X2GODPI=96 x2gostartagent fullscreen lan nopack unix-kde-depth_16 null null/null 0 R xterm none"},
		{must(StartAgentCmd(StartParams{SessionType: "D", Command: "XDMCP", XDMCPServer: "xdmcp.example.org"})),
			"X2GO_XINERAMA=false X2GOXDMCP=xdmcp.example.org x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 D XDMCP both"},
		{must(StartAgentCmd(StartParams{SessionType: "R", Command: "my$app;x"})),
			"X2GO_XINERAMA=false x2gostartagent 800x600 adsl 16m-jpeg-9 unix-kde-depth_24 null auto 1 R 'my$app;x' both"},
		{must(ResumeCmd(name, ResumeParams{Xinerama: true, Clipboard: "server", KbType: "null/null", Pack: "rfb-tight"})),
			"x2goresume-session " + name + " 800x600 adsl rfb-tight null null/null 0 server True"},
		{must(RunCommandCmd(RunParams{Display: 51, AgentPID: 1, Name: name, SoundPort: 2, Command: "xterm -T 'a b' $HOME",
			SoundSystem: "pulse", SessionType: "P", Env: map[string]string{"Z": "x y", "A": "", "PULSE_CLIENTCONFIG": "/p"}})),
			"A='' PULSE_CLIENTCONFIG=/p Z='x y' setsid x2goruncommand 51 1 " + name +
				` 2 'xtermX2GO_SPACE_CHAR-TX2GO_SPACE_CHAR'\''aX2GO_SPACE_CHARb'\''X2GO_SPACE_CHAR$HOME' pulse P 1>/dev/null 2>/dev/null & exit`},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
}

func TestCommandsRejectBadValues(t *testing.T) {
	const name = "x2gotest-51-1795627586_stRxterm_dp24"
	ok := StartParams{SessionType: "R", Command: "xterm"}
	start := func(f func(p *StartParams)) error {
		p := ok
		f(&p)
		_, err := StartAgentCmd(p)
		return err
	}
	resume := func(f func(p *ResumeParams)) error {
		var p ResumeParams
		f(&p)
		_, err := ResumeCmd(name, p)
		return err
	}
	run := func(f func(p *RunParams)) error {
		p := RunParams{Display: 51, AgentPID: 1, Name: name, SoundPort: 2, Command: "xterm", SessionType: "R"}
		f(&p)
		_, err := RunCommandCmd(p)
		return err
	}
	_, e1 := ListMountsCmd("bad;name")
	_, e2 := SuspendCmd("")
	_, e3 := TerminateCmd("x y")
	_, e4 := UmountSessionCmd(name, "a\nb")
	_, e5 := UmountSessionCmd("$(id)", "")
	_, e6 := StatCmd("")
	_, e7 := ResumeCmd("nope", ResumeParams{})
	_, e8 := ShadowCommand(true, "a b", ":51")
	_, e9 := ShadowCommand(false, "a", "51")
	for i, err := range []error{
		e1, e2, e3, e4, e5, e6, e7, e8, e9,
		start(func(p *StartParams) { p.Geometry = "800x600;reboot" }),
		start(func(p *StartParams) { p.Geometry = "maximize" }),
		start(func(p *StartParams) { p.Link = "fast" }),
		start(func(p *StartParams) { p.Pack = "16m-jpeg" }),
		start(func(p *StartParams) { p.Pack = "16m-jpeg-10" }),
		start(func(p *StartParams) { p.Pack = "nopack-9" }),
		start(func(p *StartParams) { p.KbLayout = "us de" }),
		start(func(p *StartParams) { p.KbType = "pc105/us'" }),
		start(func(p *StartParams) { p.Clipboard = "yes" }),
		start(func(p *StartParams) { p.CacheType = "a b" }),
		start(func(p *StartParams) { p.Depth = 33 }),
		start(func(p *StartParams) { p.DPI = -1 }),
		start(func(p *StartParams) { p.XDMCPServer = "host;x" }),
		start(func(p *StartParams) { p.SessionType = "X" }),
		start(func(p *StartParams) { p.SessionType = "" }),
		start(func(p *StartParams) { p.Command = "" }),
		start(func(p *StartParams) { p.Command = "x\ny" }),
		start(func(p *StartParams) { p.SessionType, p.Command = "S", "xterm" }),
		resume(func(p *ResumeParams) { p.Link = "LAN" }),
		resume(func(p *ResumeParams) { p.Clipboard = "0" }),
		run(func(p *RunParams) { p.Name = "x" }),
		run(func(p *RunParams) { p.AgentPID = 0 }),
		run(func(p *RunParams) { p.Display = -1 }),
		run(func(p *RunParams) { p.SoundPort = 70000 }),
		run(func(p *RunParams) { p.Command = " " }),
		run(func(p *RunParams) { p.Command = "a\nb" }),
		run(func(p *RunParams) { p.SoundSystem = "alsa" }),
		run(func(p *RunParams) { p.SessionType = "r" }),
		run(func(p *RunParams) { p.Env = map[string]string{"A B": "x"} }),
		run(func(p *RunParams) { p.Env = map[string]string{"A=1; B": "x"} }),
	} {
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("case %d: err = %v, want ErrInvalidValue", i, err)
		}
	}
}

func TestValidPack(t *testing.T) {
	for _, p := range []string{"nopack", "16m", "2m-png", "16m-jpeg-0", "16m-jpeg-9", "8-png-jpeg-5", "16m-rle-3", "rfb-tight-compressed"} {
		if !ValidPack(p) {
			t.Errorf("ValidPack(%q) = false", p)
		}
	}
	for _, p := range []string{"", "16m-jpeg", "16m-jpeg-", "16m-jpeg-x", "64-jpeg-5", "jpeg-9"} {
		if ValidPack(p) {
			t.Errorf("ValidPack(%q) = true", p)
		}
	}
}

func TestSessionTypeFor(t *testing.T) {
	for _, tc := range []struct {
		cmd, req  string
		published bool
		geometry  string
		kdrive    bool
		want      string
	}{
		{"", "application", true, "800x600", false, "P"},
		{"PUBLISHED", "desktop", true, "800x600", false, "P"},
		{"xterm", "application", true, "800x600", false, "R"},
		{"RDP", "desktop", false, "800x600", false, "R"},
		{"RDP", "application", false, "fullscreen", false, "D"},
		{"rdesktop -u x host", "desktop", false, "800x600", false, "R"},
		{"xfreerdp /v:host", "desktop", false, "fullscreen", false, "D"},
		{"XDMCP", "application", false, "800x600", false, "D"},
		{"KDE", "rootless", false, "800x600", false, "D"},
		{"GNOME", "R", false, "800x600", true, "K"},
		{"/usr/bin/startkde", "application", false, "800x600", false, "D"},
		{"xterm", "desktop", false, "800x600", false, "D"},
		{"xterm", "D", false, "800x600", true, "K"},
		{"xterm", "application", false, "800x600", false, "R"},
		{"xterm", "rootless", false, "800x600", false, "R"},
		{"xterm", "R", false, "800x600", false, "R"},
		{"1XSHADaXSHAD:51", "shadow", false, "800x600", false, "S"},
		{"1XSHADaXSHAD:51", "shared", false, "800x600", false, "S"},
		{"1XSHADaXSHAD:51", "S", false, "800x600", false, "S"},
		{"", "published_applications", false, "800x600", false, "P"},
		{"", "published", false, "800x600", false, "P"},
		{"xterm", "", false, "800x600", false, "R"},
		{"xterm", "kdrive", false, "800x600", false, "K"},
	} {
		if got := SessionTypeFor(tc.cmd, tc.req, tc.published, tc.geometry, tc.kdrive); got != tc.want {
			t.Errorf("SessionTypeFor(%q, %q, %v, %q, %v) = %q, want %q", tc.cmd, tc.req, tc.published, tc.geometry, tc.kdrive, got, tc.want)
		}
	}
}

func TestDesktopCommand(t *testing.T) {
	for in, want := range map[string]string{
		"IceWM": "icewm", "KDE": "startkde", "MATE": "mate-session", "XFCE": "xfce4-session", "LXDE": "startlxde",
		"LXQt": "startlxqt", "TRINITY": "starttrinity", "CINNAMON": "cinnamon-session-cinnamon2d",
		"GNOME": "gnome-session", "UNITY": "unity", "xterm": "xterm", "kde": "kde", "": "",
	} {
		if got := DesktopCommand(in); got != want {
			t.Errorf("DesktopCommand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandProbeCmd(t *testing.T) {
	for _, tc := range []struct {
		cmd, probe string
		needs      bool
	}{
		{"xterm", "which xterm && echo OK", true},
		{"xclock -digital", "which xclock && echo OK", true},
		{"/usr/bin/xterm -e top", "test -x /usr/bin/xterm && which xterm && echo OK", true},
		{"RDP", "which rdesktop && echo OK", true},
		{"my app's", "which my && echo OK", true},
		{"'quoted'", `which ''\''quoted'\''' && echo OK`, true},
		{"XDMCP", "", false},
		{"PUBLISHED", "", false},
		{"1XSHADx2gotestXSHAD:51", "", false},
		{"TERMINAL", "", false},
		{"WWWBROWSER", "", false},
		{"MAILCLIENT", "", false},
		{"OFFICE", "", false},
		{"KDE", "", false},
		{"LXQt", "", false},
		{"", "", false},
		{"   ", "", false},
	} {
		probe, needs := CommandProbeCmd(tc.cmd)
		if probe != tc.probe || needs != tc.needs {
			t.Errorf("CommandProbeCmd(%q) = %q, %v; want %q, %v", tc.cmd, probe, needs, tc.probe, tc.needs)
		}
	}
}

func TestExecPublishedCmd(t *testing.T) {
	const name = "x2gotest-51-1795627586_stPPUBLISHED_dp24"
	must := mustFn(t)
	for _, tc := range []struct{ got, want string }{
		{must(ExecPublishedCmd(ExecParams{Display: 51, Name: name, Exec: "xterm"})),
			"export DISPLAY=:51 && export X2GO_SESSION=" + name + " && setsid sh -c xterm 1>/dev/null 2>/dev/null & exit"},
		// A menu entry's command line stays one argument of sh -c: its ';'
		// and quotes cannot reach the outer shell.
		{must(ExecPublishedCmd(ExecParams{Display: 52, Name: name, Exec: `x-terminal-emulator -e 'top'; touch /tmp/x`,
			Env: map[string]string{"X2GO_SPOOLDIR": "/h/a b", "PULSE_CLIENTCONFIG": "/p"}})),
			"export PULSE_CLIENTCONFIG=/p && export X2GO_SPOOLDIR='/h/a b' && export DISPLAY=:52 && export X2GO_SESSION=" + name +
				` && setsid sh -c 'x-terminal-emulator -e '\''top'\''; touch /tmp/x' 1>/dev/null 2>/dev/null & exit`},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
	for _, bad := range []ExecParams{
		{Display: 51, Name: name, Exec: ""},
		{Display: 51, Name: name, Exec: "xterm\nrm -rf ~"},
		{Display: -1, Name: name, Exec: "xterm"},
		{Display: 51, Name: "bad name; id", Exec: "xterm"},
		{Display: 51, Name: name, Exec: "xterm", Env: map[string]string{"A;B": "x"}},
	} {
		if got, err := ExecPublishedCmd(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("ExecPublishedCmd(%+v) = %q, %v; want ErrInvalidValue", bad, got, err)
		}
	}
}

// TestParseSSHFSCheck: only the exact line OK says the server can mount.
func TestParseSSHFSCheck(t *testing.T) {
	for out, want := range map[string]bool{
		"OK\n": true, "": false, "OK": false, "OK\nOK\n": false, "noise OK\n": false, "not OK\n": false,
	} {
		if got := ParseSSHFSCheck(out); got != want {
			t.Errorf("ParseSSHFSCheck(%q) = %v, want %v", out, got, want)
		}
	}
}
