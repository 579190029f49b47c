package profile

import (
	"reflect"
	"testing"
)

func TestParamsFromQtProfiles(t *testing.T) {
	s := loadFixtureSessions(t, "qt-sessions")
	want := map[string]SessionParams{
		"lab desktop": {
			ProfileID: "20240101123456789", ProfileName: "lab desktop",
			Server: "127.0.0.1", Hosts: []string{"127.0.0.1"}, Port: 2222, User: "x2gotest",
			KeyFile: "~/.ssh/id_ed25519", LookForKeys: true, AllowAgent: true,
			SSHProxyHost: "", SSHProxyPort: 22,
			Command: "XFCE", SessionType: "desktop",
			Applications: []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"},
			Link:         "lan", Pack: "16m-jpeg-9", Geometry: "1024x768", DPI: 120,
			Clipboard: "both", KbdType: "pc105/de", KbdLayout: "de", KbdVariant: "nodeadkeys",
			SoundSystem: "pulse", SoundPort: 4713,
			AllowShareLocalFolders: true,
			ShareLocalFolders:      []string{"/home/alice/Documents", "/tmp/share"},
			Exports:                []Export{{"/home/alice/Documents", true}, {"/tmp/share", false}},
			MimeboxAction:          "OPEN", Printing: true,
			ClientEncoding: "ISO8859-1", ServerEncoding: "UTF-8",
			XDMCPServer: "localhost",
		},
		"work/servers/alpha, beta": {
			ProfileID: "20240215093000123", ProfileName: "work/servers/alpha, beta",
			Server: "alpha.example.org", Hosts: []string{"alpha.example.org"}, Port: 22, User: "bob",
			UseSSHProxy: true, SSHProxyHost: "jump.example.org:2200", SSHProxyPort: 22, SSHProxyUser: "bob-jump",
			SSHProxyKeyFile: "/home/bob/.ssh/jump key", SSHProxyLookForKeys: true, SSHProxyAllowAgent: true,
			Command: "TERMINAL", SessionType: "application", PublishedApplications: true,
			Applications: []string{"TERMINAL", "firefox --private-window", `xterm -e "top"`},
			Link:         "adsl", Pack: "64k-tight", Geometry: "maximize",
			Clipboard: "server", KbdType: "auto", KbdLayout: "us", KbdVariant: "null",
			SoundSystem: "none", SoundPort: 4713,
			AllowShareLocalFolders: true, MimeboxAction: "OPEN",
			ClientEncoding: "ISO8859-1", ServerEncoding: "UTF-8",
			XDMCPServer: "localhost",
		},
		`Grüße "quoted" @home`: {
			ProfileID: "{3f2a6c1e-0b7d-4c2e-9a51-6d0f1e2b3c4d}", ProfileName: `Grüße "quoted" @home`,
			Server: "win.example.com", Hosts: []string{"win.example.com"}, Port: 22, User: "carol",
			SSHProxyPort: 22,
			Command:      "RDP", SessionType: "desktop", Applications: []string{},
			Link: "adsl", Pack: "16m-jpeg-9", Geometry: "fullscreen",
			Clipboard: "none", KbdType: "null/null", KbdLayout: "null", KbdVariant: "null",
			SoundSystem: "pulse", SoundPort: 4713,
			AllowShareLocalFolders: true,
			ShareLocalFolders:      []string{"/home/carol/My Files"},
			Exports:                []Export{{"/home/carol/My Files", true}},
			MimeboxAction:          "OPEN", Printing: true,
			ClientEncoding: "ISO8859-1", ServerEncoding: "UTF-8",
			RDPServer: "win.example.com", RDPOptions: "-u X2GO_USER -p X2GO_PASSWORD",
			XDMCPServer: "localhost",
		},
	}
	for name, w := range want {
		p, err := s.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Params()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
		}
	}
}

func TestParamsRules(t *testing.T) {
	s, err := ParseSessions([]byte(`[p]
name=rules
host=a.example, b.example
user=alice
key=~/.ssh/k
command=XFCE4
speed=LAN
quality=0
usekbd=true
type=
layout=
variant=
sshproxysameuser=true
sshproxysamepass=true
usesshproxy=true
sshproxytunnel=localhost:22:real.example:2022
usemimebox=true
mimeboxextensions=pdf, odt,,txt
mimeboxaction=delete
setdpi=false
dpi=200
[q]
name=tunnel-deprecated
usesshproxy=true
sshproxytunnel=DEPRECATED
[r]
name=tunnel-broken
usesshproxy=true
sshproxytunnel=nonsense
`))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Profile("rules")
	sp, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	check("Command", sp.Command, "XFCE")
	check("Link", sp.Link, "lan")
	check("Pack", sp.Pack, "16m-jpeg")
	check("kbd", []string{sp.KbdType, sp.KbdLayout, sp.KbdVariant}, []string{"null/null", "null", "null"})
	check("SSHProxyUser", sp.SSHProxyUser, "alice")
	check("SSHProxyKeyFile", sp.SSHProxyKeyFile, "~/.ssh/k")
	check("SSHProxyReuseAuthInfo", sp.SSHProxyReuseAuthInfo, true)
	check("Server", sp.Server, "real.example")
	check("Port", sp.Port, 2022)
	check("Hosts", sp.Hosts, []string{"a.example", "b.example"})
	check("MimeboxExtensions", sp.MimeboxExtensions, []string{"pdf", "odt", "txt"})
	check("MimeboxAction", sp.MimeboxAction, "OPEN")
	check("DPI", sp.DPI, 0)
	check("Geometry", sp.Geometry, "800x600")

	q, _ := s.Profile("tunnel-deprecated")
	sq, err := q.Params()
	check("deprecated tunnel", []any{sq.Server, sq.Port, err}, []any{"server.mydomain", 22, nil})

	r, _ := s.Profile("tunnel-broken")
	var ve *ValueError
	if _, err := r.Params(); !asValueError(err, &ve) || ve.Key != "sshproxytunnel" || ve.Line != 29 {
		t.Errorf("broken sshproxytunnel: %v", err)
	}

	// An empty profile is all defaults.
	e := NewSessions()
	ep, _ := e.AddWithID("1", "defaults")
	sp, err = ep.Params()
	if err != nil {
		t.Fatal(err)
	}
	check("defaults", []any{sp.Server, sp.Port, sp.LookForKeys, sp.AllowAgent, sp.SessionType, sp.Link, sp.Pack, sp.Geometry, sp.SoundSystem, sp.KbdType, sp.User},
		[]any{"server.mydomain", 22, true, true, "application", "adsl", "16m-jpeg-9", "800x600", "none", "pc105/us", localUser()})
}

func asValueError(err error, ve **ValueError) bool {
	v, ok := err.(*ValueError)
	*ve = v
	return ok
}
