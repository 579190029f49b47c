package pyhoca

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseDefaults(t *testing.T) {
	o, err := Parse([]string{"h"})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultOptions()
	want.Server, want.Host, want.New = "h", "h", true
	want.Username = currentUser()
	want.PDFViewCmd = "xdg-open"
	want.Set = map[string]bool{"server": true}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got  %+v\nwant %+v", o, want)
	}
	if o.RemoteSSHPort != 22 || o.Command != "TERMINAL" || o.Sound != "pulse" || o.Geometry != "800x600" ||
		o.Link != "adsl" || o.SessionType != "application" || o.Pack != "16m-jpeg-9" || o.KbdType != "auto" ||
		o.KbdLayout != "null" || o.AuthAttempts != 3 || o.PrintAction != "PDFVIEW" || o.ShareMode != 0 {
		t.Fatalf("defaults differ from pyhoca-cli's: %+v", o)
	}
}

func TestParse(t *testing.T) {
	me := currentUser()
	tests := []struct {
		name  string
		args  []string
		check func(*Options) bool
	}{
		{"user@host", []string{"alice@srv"}, func(o *Options) bool {
			return o.Username == "alice" && o.Server == "srv" && o.Host == "srv" && o.Set["username"] && o.Set["server"]
		}},
		{"first @ splits", []string{"a@b@c"}, func(o *Options) bool { return o.Username == "a" && o.Server == "b@c" }},
		{"-u wins over user@", []string{"-u", "bob", "alice@srv"}, func(o *Options) bool { return o.Username == "bob" && o.Server == "srv" }},
		{"--server wins over host", []string{"--server", "s1", "alice@s2"}, func(o *Options) bool {
			return o.Server == "s1" && o.Host == "s2" && o.Username == "alice"
		}},
		{"local user", []string{"srv"}, func(o *Options) bool { return o.Username == me && !o.Set["username"] }},
		{"profile: no local user", []string{"-P", "prof"}, func(o *Options) bool {
			return o.Username == "" && o.SessionProfile == "prof" && o.New && o.Server == ""
		}},
		{"list profiles without server", []string{"--list-profiles"}, func(o *Options) bool { return o.ListProfiles && !o.New }},
		{"from-stdin without server", []string{"--from-stdin"}, func(o *Options) bool { return o.FromStdin && o.New }},
		{"new is default", []string{"srv", "--try-resume"}, func(o *Options) bool { return o.New && o.TryResume && o.Action() == "new" }},
		{"empty resume counts as none", []string{"srv", "-R", ""}, func(o *Options) bool { return o.New }},
		{"list", []string{"-L", "srv"}, func(o *Options) bool { return o.ListSessions && !o.New && o.Action() == "list-sessions" }},
		{"suspend all", []string{"-S", "ALL", "srv"}, func(o *Options) bool { return o.Suspend == "ALL" && o.Action() == "suspend" }},
		{"share", []string{"-D", "alice@:50", "--share-mode", "1", "srv"}, func(o *Options) bool {
			return o.ShareDesktop == "alice@:50" && o.ShareMode == 1 && o.Action() == "share-desktop"
		}},
		{"quality pack", []string{"--pack", "16m-png-0", "srv"}, func(o *Options) bool { return o.Pack == "16m-png-0" }},
		{"base pack", []string{"--pack", "nopack", "srv"}, func(o *Options) bool { return o.Pack == "nopack" }},
		{"print default", []string{"srv"}, func(o *Options) bool {
			return o.PrintAction == "PDFVIEW" && reflect.DeepEqual(o.PrintActionArgs(), map[string]string{"pdfview_cmd": "xdg-open"})
		}},
		{"save-to-folder selects PDFSAVE", []string{"--save-to-folder", "out", "srv"}, func(o *Options) bool {
			return o.PrintAction == "PDFSAVE" && reflect.DeepEqual(o.PrintActionArgs(), map[string]string{"save_to_folder": "out"})
		}},
		{"PDFSAVE default folder", []string{"--print-action", "PDFSAVE", "srv"}, func(o *Options) bool {
			return reflect.DeepEqual(o.PrintActionArgs(), map[string]string{"save_to_folder": "PDF"})
		}},
		{"printer selects PRINT", []string{"--printer", "lp1", "srv"}, func(o *Options) bool {
			return o.PrintAction == "PRINT" && reflect.DeepEqual(o.PrintActionArgs(), map[string]string{"printer": "lp1"})
		}},
		{"PRINT to default printer", []string{"--print-action", "PRINT", "srv"}, func(o *Options) bool { return len(o.PrintActionArgs()) == 0 }},
		{"PRINTCMD default", []string{"--print-action", "PRINTCMD", "srv"}, func(o *Options) bool {
			return reflect.DeepEqual(o.PrintActionArgs(), map[string]string{"print_cmd": "lpr"})
		}},
		{"DIALOG", []string{"--print-action", "DIALOG", "srv"}, func(o *Options) bool { return len(o.PrintActionArgs()) == 0 }},
		{"auth attempts", []string{"--auth-attempts", "7", "srv"}, func(o *Options) bool { return o.AuthAttempts == 7 }},
		{"auth attempts 0 -> 1", []string{"--auth-attempts", "0", "srv"}, func(o *Options) bool { return o.AuthAttempts == 1 }},
		{"auth attempts -5 -> 1", []string{"--auth-attempts=-5", "srv"}, func(o *Options) bool { return o.AuthAttempts == 1 }},
		{"port", []string{"-p2222", "srv"}, func(o *Options) bool { return o.RemoteSSHPort == 2222 && o.Set["remote_ssh_port"] }},
		{"--port wins", []string{"--port", "2200", "-p", "2222", "srv"}, func(o *Options) bool {
			return o.RemoteSSHPort == 2200 && o.Port == "2200" && o.Set["remote_ssh_port"]
		}},
		{"--ssh-key", []string{"--ssh-key", "k", "srv"}, func(o *Options) bool { return o.SSHPrivKey == "k" && o.Set["ssh_privkey"] }},
		{"--use-sound no", []string{"--use-sound", "no", "srv"}, func(o *Options) bool { return o.Sound == "none" && o.Set["sound"] }},
		{"--use-sound yes", []string{"--sound", "esd", "--use-sound", "yes", "srv"}, func(o *Options) bool { return o.Sound == "pulse" }},
		{"client-ssh-port ignored", []string{"--client-ssh-port", "x", "srv"}, func(o *Options) bool { return o.ClientSSHPort == "x" }},
		{"folders", []string{"-F", "a,b,,c", "srv"}, func(o *Options) bool {
			return reflect.DeepEqual(o.ShareLocalFolders, []string{"a", "b", "", "c"})
		}},
		{"layout without type is dropped", []string{"--kbd-layout", "DE", "srv"}, func(o *Options) bool { return o.KbdType == "auto" && o.KbdLayout == "null" }},
		{"keyboard lower-cased", []string{"--kbd-type", "PC105/DE", "--kbd-layout", "DE", "srv"}, func(o *Options) bool {
			return o.KbdType == "pc105/de" && o.KbdLayout == "de"
		}},
		{"layout auto", []string{"--kbd-type", "pc105/us", "--kbd-layout", "AUTO", "srv"}, func(o *Options) bool {
			return o.KbdType == "auto" && o.KbdLayout == "null"
		}},
		{"version stops", []string{"-V"}, func(o *Options) bool { return o.Version && !o.New }},
		{"flags", []string{"-xA", "--force-password", "--password", "pw", "--printing", "--clean-sessions", "--terminate-on-ctrl-c", "--add-to-known-hosts", "srv"}, func(o *Options) bool {
			return o.Xinerama && o.ForwardSSHAgent && o.ForcePassword && o.Password == "pw" && o.Printing && o.CleanSessions && o.TerminateOnCtrlC && o.AddToKnownHosts
		}},
		{"nx", []string{"-g", "fullscreen", "-q", "lan", "-t", "desktop", "-c", "xterm", "srv"}, func(o *Options) bool {
			return o.Geometry == "fullscreen" && o.Link == "lan" && o.SessionType == "desktop" && o.Command == "xterm" && o.Set["command"]
		}},
		{"broker", []string{"-B", "https://b/", "--broker-password", "x", "-P", "p"}, func(o *Options) bool {
			return o.BrokerURL == "https://b/" && o.BrokerPassword == "x"
		}},
		{"backends", []string{"--backend-proxy", "KDRIVE", "--backend-sessionprofiles", "FILE", "srv"}, func(o *Options) bool {
			return o.BackendProxy == "KDRIVE" && o.BackendSessionProfiles == "FILE"
		}},
		{"debug", []string{"-d", "--libdebug", "--libdebug-sftpxfer", "srv"}, func(o *Options) bool {
			app, lib := o.LogLevels()
			return o.Debug && o.LibDebug && o.LibDebugSFTPXfer && app == LevelDebug && lib == LevelDebug
		}},
		{"quiet", []string{"-d", "--quiet", "srv"}, func(o *Options) bool {
			app, lib := o.LogLevels()
			return app == LevelQuiet && lib == LevelQuiet
		}},
		{"default levels", []string{"srv"}, func(o *Options) bool {
			app, lib := o.LogLevels()
			return app == LevelNotice && lib == LevelNotice
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse(tt.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if !tt.check(o) {
				t.Fatalf("Parse(%q) = %+v", tt.args, o)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 1, "argument --server (or --session-profile) is required"},
		{[]string{"-L"}, 1, "argument --server (or --session-profile) is required"},
		{[]string{"-L", "-N", "h"}, 2, "modes --new, --resume, --share-desktop, --suspend, --terminate, --list-sessions, --list-desktops and --list-profiles are mutually exclusive"},
		{[]string{"-S", "a", "-T", "b", "h"}, 2, "modes --new"},
		{[]string{"-P", "p", "-L", "--list-desktops"}, 2, "mutually exclusive"},
		{[]string{"--pack", "foo", "h"}, 10, "unknown pack method 'foo'"},
		{[]string{"--pack", "16m-jpeg", "h"}, 10, "unknown pack method '16m-jpeg'"},
		{[]string{"--pack", "2m-png-1", "h"}, 10, "unknown pack method"},
		{[]string{"--pack", "16m-jpeg-10", "h"}, 10, "unknown pack method"},
		{[]string{"--printer", "a", "--print-cmd", "b", "h"}, 81, "--pdfviewer, --save-to-folder, --printer and --print-cmd options are mutually exclusive"},
		{[]string{"--pdfview-cmd", "a", "--save-to-folder", "b", "h"}, 81, "mutually exclusive"},
		{[]string{"--auth-attempts", "x", "h"}, 1, "value for cmd line argument --auth-attempts has to be of type integer"},
		{[]string{"--auth-attempts", "2.5", "h"}, 1, "has to be of type integer"},
		{[]string{"-p", "ssh", "h"}, 1, "--remote-ssh-port"},
		{[]string{"--port", "70000", "h"}, 1, "--remote-ssh-port"},
		{[]string{"--share-mode", "2", "h"}, 1, "--share-mode"},
		{[]string{"--sound", "alsa", "h"}, 2, "argument --sound: invalid choice: 'alsa' (choose from 'pulse', 'esd', 'none')"},
		{[]string{"--list", "h"}, 2, "ambiguous option: --list could match --list-sessions, --list-desktops, --list-profiles"},
		{[]string{"-R"}, 2, "argument -R/--resume: expected one argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := Parse(tt.args)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a *UsageError", err)
			}
			if ue.Code != tt.code || !strings.Contains(ue.Msg, tt.msg) {
				t.Fatalf("got code %d %q, want %d %q", ue.Code, ue.Msg, tt.code, tt.msg)
			}
		})
	}
	if _, err := Parse([]string{"srv", "--he"}); !errors.Is(err, ErrHelp) {
		t.Fatalf("--he: got %v, want ErrHelp", err)
	}
}

func TestValidPack(t *testing.T) {
	n := 0
	for _, p := range packBase {
		if !ValidPack(p) {
			t.Errorf("%q rejected", p)
		}
		n++
	}
	for _, p := range packQuality {
		if ValidPack(p) {
			t.Errorf("%q without quality accepted", p)
		}
		for q := '0'; q <= '9'; q++ {
			if !ValidPack(p + "-" + string(q)) {
				t.Errorf("%q rejected", p+"-"+string(q))
			}
			n++
		}
	}
	// python-x2go's pack_methods_nx3 has 56 base and 8*10 quality names.
	if n != 136 {
		t.Errorf("%d pack methods, want 136", n)
	}
	for _, p := range []string{"", "-9", "16m-jpeg-", "16m-jpeg-x", "64-jpeg-9", "NOPACK"} {
		if ValidPack(p) {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(vals map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
	}
	withDisplay := env(map[string]string{"DISPLAY": ":0"})
	tests := []struct {
		name string
		args []string
		env  func(string) (string, bool)
		code int // 0: no error
		msg  string
		exit bool // *ExitError instead of *UsageError
	}{
		{"key exists", []string{"-i", key, "srv"}, withDisplay, 0, "", false},
		{"key missing", []string{"-i", filepath.Join(dir, "nope"), "srv"}, withDisplay, 30, "SSH private key " + filepath.Join(dir, "nope") + " file does not exist.", false},
		{"key is a directory", []string{"--ssh-key", dir, "-L", "srv"}, withDisplay, 30, "file does not exist", false},
		{"no DISPLAY", []string{"srv"}, env(nil), 1, "the display environment variable is unset, can't go on without a DISPLAY...", true},
		{"empty DISPLAY", []string{"-R", "NEWEST", "srv"}, env(map[string]string{"DISPLAY": ""}), 1, "is unset", true},
		{"weird DISPLAY", []string{"-D", "a@:5", "srv"}, env(map[string]string{"DISPLAY": "foo"}), 1, "the display environment variable's value is weird (foo), can't go on with that...", true},
		{"weird screen", []string{"srv"}, env(map[string]string{"DISPLAY": ":0.x"}), 1, "weird", true},
		{"remote DISPLAY", []string{"srv"}, env(map[string]string{"DISPLAY": "localhost:10.0"}), 0, "", false},
		{"list needs no DISPLAY", []string{"-L", "srv"}, env(nil), 0, "", false},
		{"terminate needs no DISPLAY", []string{"-T", "ALL", "srv"}, env(nil), 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(o, tt.env)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var code int
			var msg string
			var ue *UsageError
			var ee *ExitError
			switch {
			case !tt.exit && errors.As(err, &ue):
				code, msg = ue.Code, ue.Msg
			case tt.exit && errors.As(err, &ee):
				code, msg = ee.Code, ee.Msg
			default:
				t.Fatalf("got %#v", err)
			}
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Fatalf("got %d %q, want %d %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}

func TestApplyStdinLogin(t *testing.T) {
	o, err := Parse([]string{"--from-stdin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.ApplyStdinLogin("alice srv.example:2222 xfce my  secret pw\n"); err != nil {
		t.Fatal(err)
	}
	if o.Username != "alice" || o.Server != "srv.example" || o.RemoteSSHPort != 2222 || o.Command != "XFCE" ||
		o.Password != "my secret pw" || o.Geometry != "fullscreen" || !o.Set["password"] {
		t.Fatalf("got %+v", o)
	}
	o, _ = Parse([]string{"--from-stdin"})
	if err := o.ApplyStdinLogin("bob host kde"); err != nil || o.Server != "host" || o.RemoteSSHPort != 22 || o.Password != "" {
		t.Fatalf("got %v %+v", err, o)
	}
	for _, bad := range []string{"", "bob host", "bob host:x kde pw"} {
		if err := o.ApplyStdinLogin(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseNewerOptions(t *testing.T) {
	o, err := Parse([]string{"--list-cmdline-features"})
	if err != nil || !o.ListCmdlineFeatures {
		t.Fatalf("--list-cmdline-features without a server: %+v, %v", o, err)
	}
	o, err = Parse([]string{"--non-interactive", "--ssh-passphrase", "pp", "--password-file", "-",
		"--clipboard-mode", "client", "--dpi", "144", "u@h"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.NonInteractive || o.SSHPassphrase != "pp" || !o.Set["ssh_passphrase"] || o.PasswordFile != "-" ||
		o.ClipboardMode != "client" || o.DPI != 144 || o.Server != "h" || o.Username != "u" {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range []string{"0", "-3", "many"} {
		_, err := Parse([]string{"--dpi", bad, "h"})
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Code != 1 {
			t.Errorf("--dpi %s: %v, want a usage error with code 1", bad, err)
		}
	}
}

func TestCmdlineFeatures(t *testing.T) {
	got := CmdlineFeatures()
	// The names front ends check (Remmina's X2Go plugin).
	for _, want := range []string{"USERNAME", "NON_INTERACTIVE", "PASSWORD", "AUTH_ATTEMPTS", "QUIET",
		"SSH_PRIVKEY", "SSH_PASSPHRASE", "REMOTE_SSH_PORT", "RESUME", "COMMAND", "KBD_LAYOUT", "KBD_TYPE",
		"GEOMETRY", "TERMINATE_ON_CTRL_C", "SOUND", "CLIPBOARD_MODE", "DPI", "TERMINATE", "LIST_CMDLINE_FEATURES"} {
		if !slices.Contains(got, want) {
			t.Errorf("CmdlineFeatures lacks %s: %v", want, got)
		}
	}
	// One name per option but -h, each the long spelling of an option.
	if len(got) != len(optSpecs)-1 {
		t.Errorf("%d names for %d options", len(got), len(optSpecs))
	}
	for _, name := range got {
		long := "--" + strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if _, ok := optIndex[long]; !ok {
			t.Errorf("%s names no option (%s)", name, long)
		}
	}
}

// TestEveryRecordedOptionIsAccepted gives every spelling of every option
// pyhoca-cli 0.6.1.2 has (the recorded table), and its shortest
// unambiguous long prefix, a value it accepts, and checks that the
// argument parser takes it as that option.
func TestEveryRecordedOptionIsAccepted(t *testing.T) {
	values := map[string]string{
		"remote_ssh_port": "2222", "port": "2222", "share_mode": "1", "auth_attempts": "2", "client_ssh_port": "22",
		"pack": "16m-jpeg-9", "print_action": "PDFSAVE", "geometry": "1024x768",
	}
	table := recordedOptionTable(t)
	if len(table) < 59 {
		t.Fatalf("the recorded table has %d options", len(table))
	}
	for _, o := range table {
		spec := optIndex[o.names[0]]
		if spec == nil || spec.newer {
			t.Errorf("%v: no such option of 0.6.1.2", o.names)
			continue
		}
		if spec.dest == "help" {
			continue
		}
		val := values[spec.dest]
		switch {
		case o.choices != nil:
			val = o.choices[len(o.choices)-1]
		case val == "":
			val = "v"
		}
		spellings := append([]string(nil), o.names...)
		long := o.names[len(o.names)-1]
		for n := 3; n < len(long); n++ { // the shortest prefix only 0.6.1.2's option has
			var hits int
			for _, name := range optOrder {
				if strings.HasPrefix(name, long[:n]) {
					hits++
				}
			}
			if hits == 1 {
				spellings = append(spellings, long[:n])
				break
			}
		}
		for _, name := range spellings {
			args := []string{name}
			if spec.value {
				args = append(args, val)
			}
			r, err := argparse(append(args, "h"))
			if err != nil {
				t.Errorf("%q: %v", args, err)
				continue
			}
			want := "true"
			if spec.value {
				want = val
			}
			if r.values[spec.dest] != want || r.host != "h" {
				t.Errorf("%q: parsed %v, want %s=%s", args, r.values, spec.dest, want)
			}
			if spec.value { // and as --opt=value / -oVALUE
				joined := name + "=" + val
				if !strings.HasPrefix(name, "--") {
					joined = name + val
				}
				if r, err := argparse([]string{joined, "h"}); err != nil || r.values[spec.dest] != val {
					t.Errorf("%q: %v, %v", joined, r, err)
				}
			}
		}
	}
}
