package x2go_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
	"github.com/x2go-go/x2go/profile"
)

func loadFixture(t *testing.T, name string) *profile.Sessions {
	t.Helper()
	ss, err := profile.LoadSessions(filepath.Join("profile", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func profileOptions(t *testing.T, ss *profile.Sessions, name string, base x2go.Options, pr *profile.Printing) x2go.Options {
	t.Helper()
	p, err := ss.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	o, err := x2go.ProfileOptions(base, sp, pr)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestProfileOptionsDesktop: a profile X2Go Client wrote (Qt's format)
// reaches the session: connection, session parameters, folders to share
// and printing; what the profile does not speak of stays as the base has
// it.
func TestProfileOptionsDesktop(t *testing.T) {
	home, _ := os.UserHomeDir()
	base := x2go.Options{
		KnownHostsFiles: []string{"/tmp/kh"}, AddToKnownHosts: true,
		Params: x2go.Params{NXProxy: "/opt/nxproxy", SessionsRoot: "/tmp/s"},
	}
	o := profileOptions(t, loadFixture(t, "qt-sessions"), "lab desktop", base, nil)
	want := x2go.Options{
		Server: "127.0.0.1", Port: 2222, Username: "x2gotest", ProfileName: "lab desktop",
		KeyFiles:    []string{filepath.Join(home, ".ssh/id_ed25519")},
		LookForKeys: true, AllowAgent: true,
		KnownHostsFiles: []string{"/tmp/kh"}, AddToKnownHosts: true,
		Params: x2go.Params{
			Command: "XFCE", SessionType: "desktop", Geometry: "1024x768", Link: "lan", Pack: "16m-jpeg-9",
			DPI: 120, KbLayout: "de", KbType: "pc105/de", Clipboard: "both", SoundSystem: "pulse",
			NXProxy: "/opt/nxproxy", SessionsRoot: "/tmp/s",
		},
		ShareFolders: []string{"/home/alice/Documents"}, AllowFolderSharing: true,
	}
	if o.Printing == nil || o.Printing.Action != printing.PDFView {
		t.Fatalf("print=true: Printing %+v, want PDF view (python-x2go's default)", o.Printing)
	}
	o.Printing = nil
	if !optionsEqual(o, want) {
		t.Fatalf("options\n got %+v\nwant %+v", o, want)
	}
}

func optionsEqual(a, b x2go.Options) bool {
	return a.Server == b.Server && a.Port == b.Port && a.Username == b.Username && a.ProfileName == b.ProfileName &&
		slices.Equal(a.KeyFiles, b.KeyFiles) && a.LookForKeys == b.LookForKeys && a.AllowAgent == b.AllowAgent &&
		a.ForwardAgent == b.ForwardAgent && a.HostKeyAlias == b.HostKeyAlias &&
		slices.Equal(a.KnownHostsFiles, b.KnownHostsFiles) && a.AddToKnownHosts == b.AddToKnownHosts &&
		a.Params.Command == b.Params.Command && a.Params.SessionType == b.Params.SessionType &&
		a.Params.Geometry == b.Params.Geometry && a.Params.Link == b.Params.Link && a.Params.Pack == b.Params.Pack &&
		a.Params.DPI == b.Params.DPI && a.Params.KbLayout == b.Params.KbLayout && a.Params.KbType == b.Params.KbType &&
		a.Params.Clipboard == b.Params.Clipboard && a.Params.SoundSystem == b.Params.SoundSystem &&
		a.Params.XDMCPServer == b.Params.XDMCPServer && a.Params.Xinerama == b.Params.Xinerama &&
		a.Params.NXProxy == b.Params.NXProxy && a.Params.SessionsRoot == b.Params.SessionsRoot &&
		slices.Equal(a.ShareFolders, b.ShareFolders) && a.AllowFolderSharing == b.AllowFolderSharing &&
		(a.Jump == nil) == (b.Jump == nil) && (a.Printing == nil) == (b.Printing == nil) && (a.MimeBox == nil) == (b.MimeBox == nil)
}

// TestProfileOptionsSSHProxy: a profile with an SSH proxy ("host:port"
// in sshproxyhost) gets a jump host with the proxy's own user and key;
// published applications make the command PUBLISHED.
func TestProfileOptionsSSHProxy(t *testing.T) {
	o := profileOptions(t, loadFixture(t, "qt-sessions"), "work/servers/alpha, beta", x2go.Options{}, nil)
	j := o.Jump
	if j == nil || j.Host != "jump.example.org" || j.Port != 2200 || j.Username != "bob-jump" ||
		!slices.Equal(j.KeyFiles, []string{"/home/bob/.ssh/jump key"}) || !j.LookForKeys || !j.AllowAgent || j.ReuseAuth {
		t.Fatalf("jump host %+v", j)
	}
	if o.Server != "alpha.example.org" || o.Username != "bob" || o.LookForKeys || o.KeyFiles != nil {
		t.Fatalf("server %s user %s look-for-keys %v keys %v", o.Server, o.Username, o.LookForKeys, o.KeyFiles)
	}
	p := o.Params
	if p.Command != "PUBLISHED" || p.SessionType != "published" || p.Geometry != "maximize" || p.Pack != "64k-tight" ||
		p.Clipboard != "server" || p.SoundSystem != "none" {
		t.Fatalf("params %+v", p)
	}
	if o.Printing != nil || o.ShareFolders != nil || o.AllowFolderSharing {
		t.Fatalf("printing %v, folders %v (%v): the profile asks for neither", o.Printing, o.ShareFolders, o.AllowFolderSharing)
	}
}

// TestProfileOptionsKeys: python-x2go's other options: same user and
// credentials for the proxy, host key alias, agent forwarding, the MIME
// box, the printing file's action, and a proxy with a bad port.
func TestProfileOptionsKeys(t *testing.T) {
	ss := profile.NewSessions()
	p, err := ss.Add("many options")
	if err != nil {
		t.Fatal(err)
	}
	p.SetString("host", "srv.example.org")
	p.SetString("user", "carol")
	p.SetString("key", "/keys/carol")
	p.SetBool("autologin", false)
	p.SetBool("usesshproxy", true)
	p.SetString("sshproxyhost", "gw1.example.org, gw2.example.org")
	p.SetInt("sshproxyport", 2022)
	p.SetBool("sshproxysameuser", true)
	p.SetBool("sshproxysamepass", true)
	p.SetBool("uniquehostkeyaliases", true)
	p.SetBool("forwardsshagent", true)
	p.SetBool("usemimebox", true)
	p.SetString("mimeboxextensions", "pdf, odt")
	p.SetString("mimeboxaction", "SAVEAS")
	p.SetBool("print", true)
	p.SetBool("useexports", false)
	p.SetExports([]profile.Export{{Path: "/srv/a", Mount: true}})
	pr, err := profile.ParsePrinting([]byte("[General]\npdfview=true\n[view]\nopen=false\n[save]\nfolder=Prints\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := profileOptions(t, ss, "many options", x2go.Options{}, pr)
	j := o.Jump
	if j == nil || j.Host != "gw1.example.org" || j.Port != 2022 || j.Username != "carol" || !j.ReuseAuth ||
		!slices.Equal(j.KeyFiles, []string{"/keys/carol"}) {
		t.Fatalf("jump host %+v", j)
	}
	if o.HostKeyAlias != p.ID() || !o.ForwardAgent || o.LookForKeys || o.AllowAgent {
		t.Fatalf("alias %q (want %q), forward agent %v, look for keys %v, agent %v", o.HostKeyAlias, p.ID(), o.ForwardAgent, o.LookForKeys, o.AllowAgent)
	}
	if m := o.MimeBox; m == nil || m.Action != mimebox.SaveAs || !slices.Equal(m.Extensions, []string{"pdf", "odt"}) {
		t.Fatalf("MIME box %+v", o.MimeBox)
	}
	if pc := o.Printing; pc == nil || pc.Action != printing.PDFSave || pc.SaveDir != "Prints" {
		t.Fatalf("printing %+v, want PDFSAVE to Prints", o.Printing)
	}
	if o.AllowFolderSharing || o.ShareFolders != nil {
		t.Fatalf("useexports=false: folders %v", o.ShareFolders)
	}

	p.SetString("sshproxyhost", "gw.example.org:notaport")
	sp, err := p.Params()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x2go.ProfileOptions(x2go.Options{}, sp, nil); !errors.Is(err, x2go.ErrConfig) {
		t.Fatalf("bad proxy port: %v, want ErrConfig", err)
	}
}
