package sshconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixtureHome copies testdata/home into a fresh directory with modes ssh
// accepts (a checkout's may be group-writable) and returns it.
func fixtureHome(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("testdata/home", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/home", p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// fixtureOptions read the fixture home's config natively as user
// "tester" with home /home/tester.
func fixtureOptions(home string) Options {
	return Options{
		Mode:       Native,
		ConfigFile: filepath.Join(home, ".ssh", "config"),
		HomeDir:    "/home/tester",
		LocalUser:  "tester",
		Env:        []string{"HOME=" + home},
	}
}

func resolveFixture(t *testing.T, host string) Settings {
	t.Helper()
	s, err := Resolve(context.Background(), host, fixtureOptions(fixtureHome(t)))
	if err != nil {
		t.Fatalf("Resolve(%q): %v", host, err)
	}
	return s
}

var defaultKnownHosts = []string{"/home/tester/.ssh/known_hosts", "/home/tester/.ssh/known_hosts2"}

func TestResolveJumpChain(t *testing.T) {
	s := resolveFixture(t, "office")
	want := Settings{
		Host: "office", HostName: "office.office.example.org", User: "alice", Port: 2022,
		IdentityFiles:  []string{"/home/tester/.ssh/id_office", "/home/tester/keys/alice_office.office.example.org_2022"},
		IdentitiesOnly: true,
		ForwardAgent:   true,
		Jumps: []Hop{
			{Spec: "gateway", Settings: Settings{Host: "gateway", HostName: "gw.example.org", User: "gate", Port: 2022,
				UserKnownHostsFiles: []string{"/home/tester/.ssh/known_hosts_gw"}, StrictHostKeyChecking: StrictYes,
				ServerAliveInterval: 30 * time.Second}},
			{Spec: "bob@inner:2200", Settings: Settings{Host: "inner", HostName: "inner", User: "bob", Port: 2200,
				UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		},
		UserKnownHostsFiles: defaultKnownHosts,
		ServerAliveInterval: 2 * time.Minute,
		ConnectTimeout:      12 * time.Second,
	}
	checkSettings(t, "", s, want)
	if err := s.Direct(); err != nil {
		t.Errorf("Direct: %v", err)
	}
}

// checkSettings compares the fields the fixture tests care about; login
// switches, global known hosts and defaults of identity files are
// checked elsewhere.
func checkSettings(t *testing.T, prefix string, got, want Settings) {
	t.Helper()
	if !got.IdentityFilesDefault || want.IdentityFiles != nil {
		if !reflect.DeepEqual(got.IdentityFiles, want.IdentityFiles) {
			t.Errorf("%sIdentityFiles = %q, want %q", prefix, got.IdentityFiles, want.IdentityFiles)
		}
	}
	type view struct {
		Host, HostName, User        string
		Port                        int
		IdentitiesOnly              bool
		ProxyCommand                string
		UserKnownHostsFiles         []string
		Strict                      StrictHostKeyChecking
		HostKeyAlias                string
		ForwardAgent                bool
		ForwardAgentSocket          string
		ServerAlive, ConnectTimeout time.Duration
		Source                      Mode
	}
	v := func(s Settings) view {
		return view{s.Host, s.HostName, s.User, s.Port, s.IdentitiesOnly, s.ProxyCommand, s.UserKnownHostsFiles,
			s.StrictHostKeyChecking, s.HostKeyAlias, s.ForwardAgent, s.ForwardAgentSocket, s.ServerAliveInterval,
			s.ConnectTimeout, 0}
	}
	if g, w := v(got), v(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%ssettings\n got %+v\nwant %+v", prefix, g, w)
	}
	if len(got.Jumps) != len(want.Jumps) {
		t.Fatalf("%s%d jump hosts %+v, want %d", prefix, len(got.Jumps), got.Jumps, len(want.Jumps))
	}
	for i := range want.Jumps {
		if got.Jumps[i].Spec != want.Jumps[i].Spec {
			t.Errorf("%shop %d: spec %q, want %q", prefix, i, got.Jumps[i].Spec, want.Jumps[i].Spec)
		}
		checkSettings(t, prefix+"hop "+want.Jumps[i].Spec+": ", got.Jumps[i].Settings, want.Jumps[i].Settings)
	}
}

func TestResolveFixtureHosts(t *testing.T) {
	home := fixtureHome(t)
	opts := fixtureOptions(home)
	for _, tc := range []struct {
		host string
		want Settings
	}{
		{"legacy", Settings{Host: "legacy", HostName: "legacy", User: "default-user", Port: 22,
			ProxyCommand: "ssh -W %h:%p gateway", UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		{"laptop.lan", Settings{Host: "laptop.lan", HostName: "laptop.lan", User: "lanuser", Port: 22,
			StrictHostKeyChecking: StrictAcceptNew, UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		{"printer.lan", Settings{Host: "printer.lan", HostName: "printer.lan", User: "default-user", Port: 22,
			UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		// Match user sees the local user: User is not set yet there.
		{"build7", Settings{Host: "build7", HostName: "build7", User: "default-user", Port: 22, HostKeyAlias: "build-farm",
			UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		// Include reads conf.d in name order, not the dot file.
		{"team-a", Settings{Host: "team-a", HostName: "team-a.team.example.net", User: "team", Port: 2200,
			IdentityFiles:       []string{"/home/tester/.ssh/id_team"},
			UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
		{"Mixed.CASE", Settings{Host: "Mixed.CASE", HostName: "mixed.case", User: "default-user", Port: 22,
			UserKnownHostsFiles: defaultKnownHosts, ServerAliveInterval: 30 * time.Second}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			s, err := Resolve(context.Background(), tc.host, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkSettings(t, "", s, tc.want)
			if s.Source != Native {
				t.Errorf("Source = %v", s.Source)
			}
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	s, err := Resolve(context.Background(), "plain", Options{Mode: Native, ConfigFile: "none", HomeDir: "/h", LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Host: "plain", HostName: "plain", User: "me", Port: 22,
		IdentityFiles: []string{"/h/.ssh/id_rsa", "/h/.ssh/id_ecdsa", "/h/.ssh/id_ecdsa_sk", "/h/.ssh/id_ed25519",
			"/h/.ssh/id_ed25519_sk", "/h/.ssh/id_xmss", "/h/.ssh/id_dsa"},
		IdentityFilesDefault:         true,
		UserKnownHostsFiles:          []string{"/h/.ssh/known_hosts", "/h/.ssh/known_hosts2"},
		GlobalKnownHostsFiles:        []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"},
		ServerAliveCountMax:          3,
		PasswordAuthentication:       true,
		PubkeyAuthentication:         true,
		KbdInteractiveAuthentication: true,
		Source:                       Native,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", s, want)
	}
}

// TestCommandLineWins: Options.User and Port stand for ssh -l and -p.
func TestCommandLineWins(t *testing.T) {
	opts := fixtureOptions(fixtureHome(t))
	opts.User, opts.Port = "cli", 2345
	s, err := Resolve(context.Background(), "team-b", opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "cli" || s.Port != 2345 {
		t.Errorf("user %q port %d, want cli 2345", s.User, s.Port)
	}
}

// TestUserThenSystemFile: the user's file is read before the system's,
// and the first value wins across both.
func TestUserThenSystemFile(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user")
	system := filepath.Join(dir, "system")
	os.WriteFile(user, []byte("Host h\n  User from-user\n"), 0o600)
	os.WriteFile(system, []byte("Host *\n  User from-system\n  Port 2200\n  Include ~/x\n"), 0o644)
	opts := Options{Mode: Native, UserConfig: user, SystemConfig: system, HomeDir: dir, LocalUser: "me"}
	_, err := Resolve(context.Background(), "h", opts)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "bad include path") {
		t.Fatalf("~ in a system file's Include: %v, want a bad include path", err)
	}
	os.WriteFile(system, []byte("Host *\n  User from-system\n  Port 2200\n"), 0o644)
	s, err := Resolve(context.Background(), "h", opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "from-user" || s.Port != 2200 {
		t.Errorf("user %q port %d, want from-user 2200", s.User, s.Port)
	}
	// UseSSHG cannot be pointed at other files than ssh's own.
	opts.Mode = UseSSHG
	if _, err := Resolve(context.Background(), "h", opts); !errors.Is(err, ErrUnsupported) {
		t.Errorf("UseSSHG with custom files: %v, want ErrUnsupported", err)
	}
	// A user file others may write is refused, as ssh does.
	os.Chmod(user, 0o666)
	opts.Mode = Native
	if _, err := Resolve(context.Background(), "h", opts); !errors.Is(err, ErrBadConfig) {
		t.Errorf("world-writable user config: %v, want ErrBadConfig", err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, config string
		want         error
		line         int
	}{
		{"bad port", "Host *\n  Port banana\n", ErrBadConfig, 2},
		{"quotes", "User \"open\n", ErrBadConfig, 1},
		{"extra args", "\n\nUser a b\n", ErrBadConfig, 3},
		{"no argument", "HostName\n", ErrBadConfig, 1},
		{"empty match", "Match\n", ErrBadConfig, 1},
		{"match all combined", "Match all host x\n", ErrBadConfig, 1},
		{"bad jump", "ProxyJump user@\n", ErrBadConfig, 1},
		{"bad time", "ConnectTimeout 5x\n", ErrBadConfig, 1},
		{"bad flag", "ForwardAgent $not-a-name\n", ErrBadConfig, 1},
		{"none not alone", "UserKnownHostsFile a none\n", ErrBadConfig, 1},
		{"bad token", "Host *\n HostName %z\n", ErrBadConfig, 0},
		{"unknown keyword", "Frobnicate yes\n", ErrUnsupported, 1},
		{"match exec", "Match exec \"true\"\n  User x\n", ErrUnsupported, 1},
		{"match tagged", "Match tagged foo\n", ErrUnsupported, 1},
		{"canonicalize", "CanonicalizeHostname yes\n", ErrUnsupported, 0},
		{"jump loop", "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n", ErrBadConfig, 0},
		{"jump to itself", "ProxyJump a\n", ErrBadConfig, 0},
		{"inactive lines are checked too", "Host other\n  Port 99999\n", ErrBadConfig, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			os.WriteFile(p, []byte(tc.config), 0o644)
			_, err := Resolve(context.Background(), "a", Options{Mode: Native, ConfigFile: p, HomeDir: dir, LocalUser: "me"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ce *ConfigError
			var ue *UnsupportedError
			switch {
			case errors.As(err, &ce):
				if tc.line > 0 && (ce.Line != tc.line || ce.File != p) {
					t.Errorf("error at %s:%d, want line %d: %v", ce.File, ce.Line, tc.line, err)
				}
			case errors.As(err, &ue):
				if tc.line > 0 && ue.Line != tc.line {
					t.Errorf("error at line %d, want %d: %v", ue.Line, tc.line, err)
				}
			default:
				t.Errorf("error of type %T", err)
			}
		})
	}
}

// TestMatchExecSkipped: a Match exec after a failed criterion is never
// needed, so the native reader answers.
func TestMatchExecSkipped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config")
	os.WriteFile(p, []byte("Match host other exec \"exit 1\"\n  User never\n"), 0o644)
	s, err := Resolve(context.Background(), "a", Options{Mode: Native, ConfigFile: p, LocalUser: "me", HomeDir: "/h"})
	if err != nil || s.User != "me" {
		t.Fatalf("user %q err %v", s.User, err)
	}
	// Auto does not hand a Match exec that must run to ssh -G unasked.
	os.WriteFile(p, []byte("Match exec \"exit 0\"\n  User ran\n"), 0o644)
	if _, err := Resolve(context.Background(), "a", Options{ConfigFile: p, SSHPath: "/nonexistent/ssh"}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Auto with Match exec: %v, want ErrUnsupported", err)
	}
	// Nor a configuration it cannot read for another reason when a Match
	// exec appears anywhere, even after that reason or in a block that
	// does not apply: ssh -G would run it.
	os.WriteFile(p, []byte("Frobnicate yes\nHost other\n  Include /nonexistent\nMatch host zzz exec \"exit 0\"\n"), 0o644)
	var ue *UnsupportedError
	if _, err := Resolve(context.Background(), "a", Options{ConfigFile: p, SSHPath: "/nonexistent/ssh"}); !errors.As(err, &ue) || !ue.exec {
		t.Fatalf("Auto with an unknown keyword and a Match exec: %v, want a refusal", err)
	}
	os.WriteFile(p, []byte("Frobnicate yes\n"), 0o644)
	if _, err := Resolve(context.Background(), "a", Options{ConfigFile: p, SSHPath: "/nonexistent/ssh"}); !errors.Is(err, ErrSSH) {
		t.Fatalf("Auto with an unknown keyword: %v, want the ssh -G attempt", err)
	}
	os.WriteFile(p, []byte("Match exec \"exit 0\"\n  User ran\n"), 0o644)
	// With AllowExec it does (and here the ssh binary is missing).
	_, err = Resolve(context.Background(), "a", Options{ConfigFile: p, AllowExec: true, SSHPath: "/nonexistent/ssh"})
	var se *SSHError
	if !errors.Is(err, ErrSSH) || !errors.As(err, &se) {
		t.Fatalf("Auto with AllowExec: %v, want ErrSSH", err)
	}
}

func TestIncludeRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), mode)
		os.Chmod(p, mode)
		return p
	}
	opts := func(cfg string) Options {
		return Options{Mode: Native, ConfigFile: cfg, HomeDir: dir, LocalUser: "me", Env: []string{"HOME=" + dir}}
	}
	// An include loop ends at OpenSSH's depth limit.
	loop := write("loop", "Include "+filepath.Join(dir, "loop")+"\n", 0o644)
	if _, err := Resolve(context.Background(), "a", opts(loop)); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "recursive") {
		t.Errorf("include loop: %v", err)
	}
	// An included file others may write is refused.
	write("writable", "User w\n", 0o666)
	top := write("top", "Include "+filepath.Join(dir, "writable")+"\n", 0o644)
	if _, err := Resolve(context.Background(), "a", opts(top)); !errors.Is(err, ErrBadConfig) {
		t.Errorf("writable include: %v", err)
	}
	// Match lines in an included file do not change the includer's state;
	// an Include in an inactive block is read but never applies.
	write("inc", "Match host nothing\n  User no\n", 0o644)
	write("never", "Host *\n  Port 1111\n", 0o644)
	top = write("top2", "Host a\n  Include "+filepath.Join(dir, "inc")+"\n  User yes\nHost zzz\n  Include "+filepath.Join(dir, "never")+"\n", 0o644)
	s, err := Resolve(context.Background(), "a", opts(top))
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "yes" || s.Port != 22 {
		t.Errorf("user %q port %d, want yes 22", s.User, s.Port)
	}
	// A glob that matches nothing is no error.
	top = write("top3", "Include /nonexistent/*.conf\nUser fine\n", 0o644)
	if s, err := Resolve(context.Background(), "a", opts(top)); err != nil || s.User != "fine" {
		t.Errorf("empty glob: %q %v", s.User, err)
	}
	// A missing -F file is an error, as for ssh.
	if _, err := Resolve(context.Background(), "a", opts(filepath.Join(dir, "missing"))); !errors.Is(err, ErrBadConfig) {
		t.Errorf("missing config file: %v", err)
	}
}

func TestResolveContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Resolve(ctx, "a", Options{Mode: UseSSHG, ConfigFile: "none"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := Resolve(context.Background(), "", Options{}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("empty host: %v", err)
	}
	if _, err := Resolve(context.Background(), "-oProxyCommand=x", Options{Mode: UseSSHG, ConfigFile: "none"}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("host starting with '-': %v", err)
	}
}
