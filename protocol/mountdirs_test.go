package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// labMountDirs is one x2gomountdirs run of testdata/x2gomountdirs-lab.json.
type labMountDirs struct {
	Cmd    string `json:"cmd"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// loadLabMountDirs reads the x2gomountdirs outputs captured in the lab
// (testdata/README.md).
func loadLabMountDirs(t testing.TB) []labMountDirs {
	t.Helper()
	b, err := os.ReadFile("testdata/x2gomountdirs-lab.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []labMountDirs
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	return recs
}

// TestMountDirsCmdTrace rebuilds python-x2go's two x2gomountdirs commands
// of the lab trace (a user folder and the print spool) byte for byte.
func TestMountDirsCmdTrace(t *testing.T) {
	recs := traceWithPrefix(t, "export HOSTNAME && x2gomountdirs ")
	if len(recs) != 2 {
		t.Fatalf("%d trace records", len(recs))
	}
	want := []MountDirsParams{
		{Session: "x2gotest-51-1795627765_stRxterm_dp24", User: "root", KeyFile: "/home/x2gotest/.x2go/ssh/key.z27096",
			Path: "/run/x2go-lab/share", Kind: MountFolder, Port: 54429},
		{Session: "x2gotest-51-1795627800_stRxterm_dp24", User: "root", KeyFile: "/home/x2gotest/.x2go/ssh/key.z28927",
			Path: "/run/x2go-lab/client-home/.x2go/S-x2gotest-51-1795627800_stRxterm_dp24/spool", Kind: MountPrintSpool, Port: 40525},
	}
	for i, r := range recs {
		got, err := MountDirsCmd(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if got != r.Cmd {
			t.Errorf("command\n got %s\nwant %s", got, r.Cmd)
		}
	}
	if p, _ := KeyFilePath("/home/x2gotest", 27096); p != want[0].KeyFile {
		t.Errorf("KeyFilePath = %q", p)
	}
}

// TestParseMountDirsTrace parses python-x2go's two successful mounts.
func TestParseMountDirsTrace(t *testing.T) {
	recs := traceWithPrefix(t, "export HOSTNAME && x2gomountdirs ")
	want := []MountDirsResult{
		{Dirs: "/run/x2go-lab/share__REVERSESSH_PORT__54429", Port: 54429, Host: "127.0.0.1", User: "root",
			Mounts: []MountedDir{{Dir: "/run/x2go-lab/share", MountPoint: "<TMP>/.x2go-x2gotest/media/disk/_run_x2go-lab_share"}}},
		{Dirs: "/run/x2go-lab/client-home/.x2go/S-x2gotest-51-1795627800_stRxterm_dp24/spool__PRINT_SPOOL___REVERSESSH_PORT__40525",
			Port: 40525, Host: "127.0.0.1", User: "root",
			Mounts: []MountedDir{{Dir: "/run/x2go-lab/client-home/.x2go/S-x2gotest-51-1795627800_stRxterm_dp24/spool",
				MountPoint: "<TMP>/.x2go-x2gotest/spool/C-x2gotest-51-1795627800_stRxterm_dp24"}}},
	}
	for i, r := range recs {
		got, err := ParseMountDirs(innerStdout(t, r), r.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if !equalResult(got, want[i]) {
			t.Errorf("parsed\n got %+v\nwant %+v", got, want[i])
		}
	}
	if got := "<TMP>/.x2go-x2gotest/" + MountPoint(MountFolder, "", "/run/x2go-lab/share"); got != want[0].Mounts[0].MountPoint {
		t.Errorf("MountPoint: %s", got)
	}
	if got := "<TMP>/.x2go-x2gotest/" + MountPoint(MountPrintSpool, "x2gotest-51-1795627800_stRxterm_dp24", ""); got != want[1].Mounts[0].MountPoint {
		t.Errorf("MountPoint spool: %s", got)
	}
}

func equalResult(a, b MountDirsResult) bool {
	if a.Dirs != b.Dirs || a.Port != b.Port || a.Host != b.Host || a.User != b.User || len(a.Mounts) != len(b.Mounts) {
		return false
	}
	for i := range a.Mounts {
		if a.Mounts[i] != b.Mounts[i] {
			return false
		}
	}
	return true
}

// TestParseMountDirsLab parses the outputs of x2goserver 4.1.0.3's
// x2gomountdirs captured with this package's builder and the sharing
// server: a folder named `it's $HOME "x" ü`, the same folder again, the
// print spool, sshfs failing twice, and no sshfs on the server.
func TestParseMountDirsLab(t *testing.T) {
	recs := loadLabMountDirs(t)
	wantErr := []error{nil, ErrAlreadyMounted, nil, ErrMountFailed, ErrMountFailed, ErrNoSSHFS}
	for i, r := range recs {
		res, err := ParseMountDirs(r.Stdout, r.Stderr)
		t.Logf("%s\n=> %+v, %v", r.Cmd, res, err)
		if !errors.Is(err, wantErr[i]) || (wantErr[i] == nil) != (err == nil) {
			t.Errorf("record %d: error %v, want %v", i, err, wantErr[i])
			continue
		}
		var se *ServerError
		if err != nil && (!errors.As(err, &se) || !errors.Is(err, ErrServerCommand) || se.Command != "x2gomountdirs") {
			t.Errorf("record %d: error %#v is not a *ServerError", i, err)
		}
		if err != nil {
			continue
		}
		if len(res.Mounts) != 1 || res.Host != "127.0.0.1" || res.User != "root" || res.Port == 0 {
			t.Errorf("record %d: %+v", i, res)
			continue
		}
		dir := res.Mounts[0].Dir
		if !strings.HasPrefix(res.Dirs, dir) {
			t.Errorf("record %d: dir %q not in %q", i, dir, res.Dirs)
		}
		// The mount point is where MountPoint says.
		session := strings.Fields(r.Cmd)[5]
		kind := MountFolder
		if strings.Contains(res.Dirs, "__PRINT_SPOOL_") {
			kind = MountPrintSpool
		}
		if want := "/tmp/.x2go-x2gotest/" + MountPoint(kind, session, dir); res.Mounts[0].MountPoint != want {
			t.Errorf("record %d: mount point %q, want %q", i, res.Mounts[0].MountPoint, want)
		}
	}
	if !strings.Contains(recs[0].Stdout, `it's _HOME _x_ ü`) {
		t.Error("record 0 is not the odd folder name")
	}
}

// TestParseMountDirsMalformed feeds output of the wrong shape.
func TestParseMountDirsMalformed(t *testing.T) {
	good := loadLabMountDirs(t)[0].Stdout
	for _, out := range []string{
		"",
		"dirs:/x\n",
		strings.Replace(good, "ssh port:", "ssh-port:", 1),
		strings.Replace(good, "Host:", "host:", 1),
		strings.Replace(good, "ssh port:", "ssh port:x", 1),
		good + "something else\n",
		"dirs:/x\nssh port:1\nHost:h\nUser:u\nfname: /home/u/Desktop/x\n",
	} {
		_, err := ParseMountDirs(out, "")
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseMountDirs(%q) = %v, want a *ParseError", out, err)
		}
	}
	// Header only and nothing on stderr: the script stopped early.
	if _, err := ParseMountDirs("dirs:/x__REVERSESSH_PORT__1\nssh port:1\nHost:127.0.0.1\nUser:u\n", "Died at /usr/bin/x2gomountdirs line 9.\n"); !errors.Is(err, ErrMountFailed) {
		t.Errorf("no mount line: %v", err)
	}
}

// TestMountablePath checks the renaming rules.
func TestMountablePath(t *testing.T) {
	for in, want := range map[string]string{
		"/run/x2go-lab/share":                "/run/x2go-lab/share",
		"/home/alice/My Docs":                "/home/alice/My Docs",
		"/home/alice//x/./y/../z/":           "/home/alice/x/z",
		`/tmp/it's $HOME "x" ü`:              `/tmp/it's _HOME _x_ ü`,
		"/a:b/c`d`\\e~f":                     "/a_b/c_d__e_f",
		"/photos (2019) [best] {x} a+b|c*?^": "/photos _2019_ _best_ _x_ a_b_c___",
		"/ctl\x01\n\x7f/x":                   "/ctl___/x",
		"/bad\xff\xfeutf8/ü€😀":               "/bad__utf8/ü€😀",
		"/x__REVERSESSH_PORT__1":             "/x_-REVERSESSH_PORT__1",
		"/x__PRINT_SPOOL_":                   "/x_-PRINT_SPOOL_",
		"/x__MIMEBOX_SPOOL_/y__SSH_PORT__z":  "/x_-MIMEBOX_SPOOL_/y_-SSH_PORT__z",
		"/x___PRINT_SPOOL_":                  "/x__-PRINT_SPOOL_",
		"/ok;&<>#!%,=@'.-_":                  "/ok;&<>#!%,=@'.-_",
	} {
		got, err := MountablePath(in)
		if err != nil || got != want {
			t.Errorf("MountablePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "relative", "./x", "/nul\x00"} {
		if _, err := MountablePath(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("MountablePath(%q): %v", bad, err)
		}
	}
	long := "/" + strings.Repeat("verylongdirectoryname/", 20) + "Ünïcödé folder name that is long " + strings.Repeat("é", 80)
	got, err := MountablePath(long)
	if err != nil || len(got) > maxMountablePath || !strings.HasPrefix(got, "/x2go-") || !utf8.ValidString(got) {
		t.Errorf("long path gives %q (%d bytes), %v", got, len(got), err)
	}
	if again, _ := MountablePath(long); again != got {
		t.Error("long path result not stable")
	}
	if other, _ := MountablePath(long + "x"); other == got {
		t.Error("two long paths give the same name")
	}
}

// TestMountPointName mirrors x2gomountdirs' renaming.
func TestMountPointName(t *testing.T) {
	for in, want := range map[string]string{
		"/run/x2go-lab/share":         "_run_x2go-lab_share",
		"/home/alice/My Docs":         "_home_alice_My_Docs",
		`/tmp/it's _HOME _x_ ü`:       `_tmp_it's__HOME__x__ü`,
		"~_cygdrive_c/x~y":            "c_xy",
		"/windrive/~_windrive_C/data": "_windrive_C_data",
	} {
		if got := MountPointName(in); got != want {
			t.Errorf("MountPointName(%q) = %q, want %q", in, got, want)
		}
	}
	if MountPoint(MountMIMEBox, "s", "/x") != "mimebox/C-s" {
		t.Error("MountPoint mimebox")
	}
}

// TestMountDirsCmd checks quoting and validation.
func TestMountDirsCmd(t *testing.T) {
	p := MountDirsParams{Session: "x2gotest-51-1795627765_stRxterm_dp24", User: "alice", KeyFile: "/home/u/.x2go/ssh/key.z1",
		Path: `/tmp/it's _HOME _x_ ü`, Kind: MountMIMEBox, Port: 1234, Iconv: "modules=iconv,from_code=UTF-8,to_code=ISO-8859-1"}
	got, err := MountDirsCmd(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `export X2GO_ICONV=modules=iconv,from_code=UTF-8,to_code=ISO-8859-1 && export HOSTNAME && x2gomountdirs dir x2gotest-51-1795627765_stRxterm_dp24 'alice' /home/u/.x2go/ssh/key.z1 '/tmp/it'\''s _HOME _x_ ü__MIMEBOX_SPOOL___REVERSESSH_PORT__1234';  rm -f /home/u/.x2go/ssh/key.z1 /home/u/.x2go/ssh/key.z1.ident`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for name, mod := range map[string]func(*MountDirsParams){
		"session":  func(p *MountDirsParams) { p.Session = "x; rm -rf ~" },
		"user":     func(p *MountDirsParams) { p.User = `a"b` },
		"user -":   func(p *MountDirsParams) { p.User = "-oProxyCommand=x" },
		"key file": func(p *MountDirsParams) { p.KeyFile = "/home/a b/key" },
		"key rel":  func(p *MountDirsParams) { p.KeyFile = "key" },
		"path":     func(p *MountDirsParams) { p.Path = `/x"y` },
		"path rel": func(p *MountDirsParams) { p.Path = "x" },
		"marker":   func(p *MountDirsParams) { p.Path = "/x__PRINT_SPOOL_" },
		"colon":    func(p *MountDirsParams) { p.Path = "/a:b" },
		"port":     func(p *MountDirsParams) { p.Port = 0 },
		"port big": func(p *MountDirsParams) { p.Port = 65536 },
		"kind":     func(p *MountDirsParams) { p.Kind = 7 },
		"iconv":    func(p *MountDirsParams) { p.Iconv = "x y" },
	} {
		q := p
		mod(&q)
		if _, err := MountDirsCmd(q); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v, want ErrInvalidValue", name, err)
		}
	}
	if _, err := KeyFilePath("relative", 1); !errors.Is(err, ErrInvalidValue) {
		t.Error("KeyFilePath(relative)")
	}
	if _, err := KeyFilePath("/home/a b", 1); !errors.Is(err, ErrInvalidValue) {
		t.Error("KeyFilePath(home with blank)")
	}
}

// TestKeyBundle checks the bundle layout and its refusals.
func TestKeyBundle(t *testing.T) {
	priv := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----")
	b, err := KeyBundle(priv, "ssh-ed25519 AAAAC3Nz comment\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n----BEGIN RSA IDENTITY----ssh-ed25519 AAAAC3Nz comment\n"
	if string(b) != want {
		t.Errorf("bundle %q", b)
	}
	// What x2gomountdirs does with it: split at the marker.
	key, ident, _ := bytes.Cut(b, []byte(KeyBundleMarker))
	if !bytes.HasSuffix(key, []byte("-----END OPENSSH PRIVATE KEY-----\n")) || string(ident) != "ssh-ed25519 AAAAC3Nz comment\n" {
		t.Errorf("split: %q / %q", key, ident)
	}
	for name, tc := range map[string]struct {
		priv []byte
		host string
	}{
		"not PEM":          {[]byte("ssh-ed25519 AAAA"), "ssh-ed25519 AAAA"},
		"marker in key":    {[]byte("-----BEGIN X-----\n----BEGIN RSA IDENTITY----\n-----END X-----\n"), "ssh-ed25519 AAAA"},
		"host key 1 field": {priv, "ssh-ed25519"},
		"host key 2 lines": {priv, "ssh-ed25519 AAAA\nssh-rsa BBBB"},
	} {
		if _, err := KeyBundle(tc.priv, tc.host); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseMountDirs checks that the parser never panics and fails only
// with the documented error types.
func FuzzParseMountDirs(f *testing.F) {
	for _, r := range loadLabMountDirs(f) {
		f.Add(r.Stdout, r.Stderr)
	}
	seedTraceMountDirs(f)
	f.Fuzz(func(t *testing.T, stdout, stderr string) {
		res, err := ParseMountDirs(stdout, stderr)
		var pe *ParseError
		var se *ServerError
		if err != nil && !errors.As(err, &pe) && !errors.As(err, &se) {
			t.Fatalf("error %#v", err)
		}
		if err == nil && len(res.Mounts) == 0 {
			t.Fatal("success without a mount")
		}
	})
}

// seedTraceMountDirs adds python-x2go's mounts of the lab trace.
func seedTraceMountDirs(f *testing.F) {
	for _, r := range loadTrace(f) {
		if strings.HasPrefix(r.Cmd, "export HOSTNAME && x2gomountdirs ") {
			f.Add(innerStdout(f, r), r.Stderr)
		}
	}
}

// FuzzMountablePath checks the properties MountDirsCmd relies on: the
// result is stable, free of what the server scripts cannot carry, and
// accepted by MountDirsCmd.
func FuzzMountablePath(f *testing.F) {
	for _, s := range []string{"/run/x2go-lab/share", `/tmp/it's $HOME "x" ü`, "/x__PRINT_SPOOL_", "/a:b\n", "/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := MountablePath(in)
		if err != nil {
			return
		}
		again, err := MountablePath(got)
		if err != nil || again != got {
			t.Fatalf("not stable: %q -> %q -> %q", in, got, again)
		}
		if strings.ContainsAny(got, ":\"$`\\~|*?+^()[]{}\x00\n") || !utf8.ValidString(got) || len(got) > maxMountablePath {
			t.Fatalf("unsafe result %q", got)
		}
		for _, m := range []string{reversePortMarker, sshPortMarker, printSpoolMarker, mimeBoxMarker} {
			if strings.Contains(got, m) {
				t.Fatalf("marker left in %q", got)
			}
		}
		if _, err := MountDirsCmd(MountDirsParams{Session: "u-51-1795627765_stRxterm_dp24", User: "u", KeyFile: "/k",
			Path: got, Port: 1}); err != nil {
			t.Fatalf("MountDirsCmd refuses %q: %v", got, err)
		}
	})
}

// TestSessionRCDir: <home>/.x2go/C-<name>, whether or not home ends in a
// slash.
func TestSessionRCDir(t *testing.T) {
	const name = "x2gotest-51-1795627800_stRxterm_dp24"
	for home, want := range map[string]string{
		"/home/x2gotest":  "/home/x2gotest/.x2go/C-" + name,
		"/home/x2gotest/": "/home/x2gotest/.x2go/C-" + name,
		"/":               "/.x2go/C-" + name,
	} {
		if got := SessionRCDir(home, name); got != want {
			t.Errorf("SessionRCDir(%q) = %q, want %q", home, got, want)
		}
	}
}
