package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// The tests in this file check this package against the two programs
// whose files it reads and writes: python-x2go (Debian's python3-x2go, the
// library pyhoca-cli uses) and Qt's QSettings (through Debian's
// python3-pyqt5, the same Qt 5.15 X2Go Client links). They run Debian's
// /usr/bin/python3 and fail, not skip, when it or a module is missing,
// except under -short.

const debianPython = "/usr/bin/python3"

// runPython runs a Python script with the given arguments in an empty
// home directory and returns its standard output.
func runPython(t *testing.T, module, script string, args ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Python")
	}
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("%s is needed for this test: %v", debianPython, err)
	}
	check := exec.Command(debianPython, "-c", "import "+module)
	if out, err := check.CombinedOutput(); err != nil {
		pkg := map[string]string{"x2go": "python3-x2go", "PyQt5.QtCore": "python3-pyqt5"}[module]
		t.Fatalf("Python module %s is missing (apt-get install %s): %v: %s", module, pkg, err, out)
	}
	cmd := exec.Command(debianPython, append([]string{"-c", script}, args...)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "QT_QPA_PLATFORM=offscreen")
	cmd.Dir = home
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return out
}

// pythonX2GoScript prints, for every profile of the sessions file given
// as argument, what python-x2go makes of it: the option values
// (get_profile_config) and the session parameters (to_session_params).
const pythonX2GoScript = `
import json, sys
from x2go.backends.profiles.file import X2GoSessionProfiles
p = X2GoSessionProfiles(config_files=[sys.argv[1]])
out = {}
for pid in p.profile_ids:
    cfg = p.get_profile_config(profile_id=pid)
    if isinstance(cfg.get('export'), dict):
        cfg['export'] = [[k, v] for k, v in cfg['export'].items()]
    out[pid] = {'config': cfg, 'params': p.to_session_params(profile_id=pid)}
print(json.dumps(out))
`

type pyProfile struct {
	Config map[string]any `json:"config"`
	Params map[string]any `json:"params"`
}

func pythonReads(t *testing.T, data []byte) map[string]pyProfile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sessions")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := runPython(t, "x2go", pythonX2GoScript, path)
	var res map[string]pyProfile
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	return res
}

// plainRaw reports whether a value text means the same to Qt and to
// python-x2go: no quotes, escapes or Qt type tags, which python-x2go does
// not undo.
func plainRaw(raw string) bool {
	return !strings.ContainsAny(raw, `"\%`) && !strings.HasPrefix(raw, "@")
}

// asJSON converts a Go value to what encoding/json makes of the Python
// equivalent, for comparison.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// ourPythonParams renders SessionParams under python-x2go's parameter
// names, as to_session_params would.
func ourPythonParams(sp SessionParams, setDPI bool) map[string]any {
	m := map[string]any{
		"profile_name": sp.ProfileName, "server": sp.Hosts, "port": sp.Port, "username": sp.User,
		"key_filename": sp.KeyFile, "look_for_keys": sp.LookForKeys,
		"forward_sshagent": sp.ForwardSSHAgent, "unique_hostkey_aliases": sp.UniqueHostKeyAliases,
		"use_sshproxy": sp.UseSSHProxy, "sshproxy_host": sp.SSHProxyHost, "sshproxy_port": sp.SSHProxyPort,
		"sshproxy_user": sp.SSHProxyUser, "sshproxy_key_filename": sp.SSHProxyKeyFile,
		"sshproxy_look_for_keys": sp.SSHProxyLookForKeys, "cmd": sp.Command,
		"session_type": sp.SessionType, "published_applications": sp.PublishedApplications,
		"applications": sp.Applications, "link": sp.Link, "pack": sp.Pack, "geometry": sp.Geometry,
		"xinerama": sp.Xinerama, "clipboard": sp.Clipboard, "kbtype": sp.KbdType, "kblayout": sp.KbdLayout,
		"kbvariant": sp.KbdVariant, "snd_system": sp.SoundSystem, "snd_port": sp.SoundPort,
		"allow_share_local_folders": sp.AllowShareLocalFolders, "share_local_folders": sp.ShareLocalFolders,
		"restore_shared_local_folders": sp.RestoreSharedLocalFolders, "allow_mimebox": sp.AllowMimebox,
		"mimebox_extensions": strings.Join(sp.MimeboxExtensions, ","), "mimebox_action": sp.MimeboxAction,
		"printing": sp.Printing, "convert_encoding": sp.ConvertEncoding, "client_encoding": sp.ClientEncoding,
		"server_encoding": sp.ServerEncoding, "rdp_server": sp.RDPServer, "rdp_options": sp.RDPOptions,
		"xdmcp_server": sp.XDMCPServer, "kdrive": sp.KDrive, "set_session_title": sp.SetSessionTitle,
		"session_title": sp.SessionTitle, "auto_connect": sp.AutoConnect, "auto_start_or_resume": sp.AutoStartOrResume,
	}
	if sp.ShareLocalFolders == nil {
		m["share_local_folders"] = []string{}
	}
	if setDPI {
		m["dpi"] = sp.DPI
	}
	// python-x2go adds these only when true.
	if sp.SSHProxyReuseAuthInfo {
		m["sshproxy_reuse_authinfo"] = true
	}
	if sp.AllowAgent {
		m["allow_agent"] = true
	}
	if sp.SSHProxyAllowAgent {
		m["sshproxy_allow_agent"] = true
	}
	return m
}

// paramSources names the profile keys each python-x2go session parameter
// is made from; a parameter is compared only if all of them are plain.
var paramSources = map[string][]string{
	"profile_name": {"name"}, "server": {"host"}, "port": {"sshport"}, "username": {"user"},
	"key_filename": {"key"}, "look_for_keys": {"autologin"}, "allow_agent": {"autologin"},
	"forward_sshagent": {"forwardsshagent"}, "unique_hostkey_aliases": {"uniquehostkeyaliases"},
	"use_sshproxy": {"usesshproxy"}, "sshproxy_host": {"sshproxyhost"}, "sshproxy_port": {"sshproxyport"},
	"sshproxy_user": {"sshproxyuser", "user", "sshproxysameuser"}, "sshproxy_key_filename": {"sshproxykeyfile", "key", "sshproxysamepass"},
	"sshproxy_look_for_keys": {"sshproxyautologin"}, "sshproxy_allow_agent": {"sshproxyautologin"},
	"sshproxy_reuse_authinfo": {"sshproxysamepass"},
	"cmd":                     {"command"}, "session_type": {"rootless"}, "published_applications": {"published"},
	"applications": {"applications"}, "link": {"speed"}, "pack": {"pack", "quality"},
	"geometry": {"fullscreen", "maxdim", "width", "height"}, "dpi": {"dpi", "setdpi"},
	"xinerama": {"xinerama"}, "clipboard": {"clipboard"},
	"kbtype": {"type", "usekbd"}, "kblayout": {"layout", "usekbd"}, "kbvariant": {"variant", "usekbd"},
	"snd_system": {"soundsystem", "sound"}, "snd_port": {"sndport"},
	"allow_share_local_folders": {"useexports"}, "share_local_folders": {"export"},
	"restore_shared_local_folders": {"restoreexports"}, "allow_mimebox": {"usemimebox"},
	"mimebox_extensions": {"mimeboxextensions"}, "mimebox_action": {"mimeboxaction"},
	"printing": {"print"}, "convert_encoding": {"useiconv"}, "client_encoding": {"iconvfrom"},
	"server_encoding": {"iconvto"}, "rdp_server": {"rdpserver"}, "rdp_options": {"rdpoptions"},
	"xdmcp_server": {"xdmcpserver"}, "kdrive": {"kdrive"}, "set_session_title": {"setsessiontitle"},
	"session_title": {"sessiontitle"}, "auto_connect": {"autoconnect"}, "auto_start_or_resume": {"autostart"},
}

// compareWithPython checks every profile of data against python-x2go's
// reading: each option whose text both read the same way, and the
// session parameters.
func compareWithPython(t *testing.T, data []byte) {
	t.Helper()
	s, err := ParseSessions(data)
	if err != nil {
		t.Fatal(err)
	}
	py := pythonReads(t, data)
	if got, want := len(s.Profiles()), len(py); got != want {
		t.Errorf("%d profiles, python-x2go sees %d", got, want)
	}
	compared := 0
	for _, p := range s.Profiles() {
		// python-x2go does not undo Qt's escaping of section names.
		pp, ok := py[escapeKey(p.ID())]
		if !ok {
			t.Errorf("python-x2go does not see profile %s", p.ID())
			continue
		}
		for key, pv := range pp.Config {
			if raw, present := p.Raw(key); present && !plainRaw(raw) {
				continue
			}
			v, err := p.Option(key)
			if err != nil {
				t.Errorf("%s %s: %v", p.ID(), key, err)
				continue
			}
			if key == "export" {
				var pairs [][]any
				for _, e := range v.([]Export) {
					pairs = append(pairs, []any{e.Path, e.Mount})
				}
				v = pairs
				if pairs == nil {
					v = []any{}
				}
			}
			if got := asJSON(t, v); !reflect.DeepEqual(got, pv) {
				t.Errorf("%s %s: we read %#v, python-x2go %#v", p.ID(), key, got, pv)
			}
			compared++
		}
		sp, err := p.Params()
		if err != nil {
			t.Errorf("%s: %v", p.ID(), err)
			continue
		}
		setDPI, _ := p.Bool("setdpi")
		ours := asJSON(t, ourPythonParams(sp, setDPI)).(map[string]any)
		if ext, ok := pp.Params["mimebox_extensions"].(string); ok {
			// python-x2go 3 leaves the list unsplit; compare its parts.
			var parts []string
			for _, e := range strings.Split(ext, ",") {
				if e = strings.TrimSpace(e); e != "" {
					parts = append(parts, e)
				}
			}
			pp.Params["mimebox_extensions"] = strings.Join(parts, ",")
		}
		for k := range pp.Params {
			if _, ok := paramSources[k]; !ok {
				t.Errorf("%s: python-x2go parameter %s has no field", p.ID(), k)
			}
		}
	params:
		for k, v := range ours {
			for _, src := range paramSources[k] {
				if raw, present := p.Raw(src); present && !plainRaw(raw) {
					continue params
				}
			}
			if !reflect.DeepEqual(v, pp.Params[k]) {
				t.Errorf("%s: parameter %s: ours %#v, python-x2go %#v", p.ID(), k, v, pp.Params[k])
			}
		}
	}
	if len(py) > 0 && compared == 0 {
		t.Error("no option compared")
	}
}

func TestPythonX2GoReadsFixturesLikeUs(t *testing.T) {
	// handmade-sessions has a '%' value, which python-x2go cannot read
	// (configparser interpolation); the others are compared in full.
	for _, name := range []string{"lab/sessions", "qt-sessions", "python-x2go-sessions"} {
		t.Run(name, func(t *testing.T) { compareWithPython(t, readFixture(t, name)) })
	}
}

func TestPythonX2GoReadsWhatWeWrite(t *testing.T) {
	s := NewSessions()
	p, _ := s.AddWithID("20250101000000001", "go desktop")
	p.SetList("host", []string{"one.example", "two.example"})
	p.SetString("user", "gopher")
	p.SetInt("sshport", 2222)
	p.SetString("command", "XFCE4")
	p.SetBool("rootless", false)
	p.SetBool("fullscreen", true)
	p.SetInt("speed", 0)
	p.SetExports([]Export{{"/home/gopher/a b", true}, {"/srv", false}})
	p.SetBool("usemimebox", true)
	p.SetString("mimeboxextensions", "pdf")
	p.SetBool("usesshproxy", true)
	p.SetString("sshproxyhost", "gw.example:2022")
	p.SetBool("sshproxysameuser", true)
	p.SetBool("sshproxysamepass", true)
	p.SetBool("setdpi", true)
	p.SetInt("dpi", 144)
	p.SetBool("usekbd", false)
	q, _ := s.Add("go app")
	q.SetBool("published", true)
	q.SetInt("quality", 0)
	q.SetString("type", "")
	q.SetString("x-unknown", "kept")
	compareWithPython(t, s.Bytes())
}

// qtReadScript prints every key QSettings reads from the file given as
// argument: its group/key, and its value typed as Qt returns it.
const qtReadScript = `
import json, sys
from PyQt5.QtCore import QSettings, QByteArray
s = QSettings(sys.argv[1], QSettings.IniFormat)
out = {}
for k in s.allKeys():
    v = s.value(k)
    if v is None:
        out[k] = {'t': 'null'}
    elif isinstance(v, list):
        if all(x is None or isinstance(x, (str, QByteArray)) for x in v):
            out[k] = {'t': 'list', 'v': [bytes(x).decode('latin1') if isinstance(x, QByteArray) else x for x in v]}
        else:
            out[k] = {'t': 'other'}
    elif isinstance(v, QByteArray):
        out[k] = {'t': 'bytes', 'v': bytes(v).decode('latin1')}
    elif isinstance(v, str):
        out[k] = {'t': 'str', 'v': v}
    else:
        out[k] = {'t': 'other'}
print(json.dumps(out))
`

type qtValue struct {
	T string          `json:"t"`
	V json.RawMessage `json:"v"`
}

func qtReads(t *testing.T, data []byte) map[string]qtValue {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file.ini")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := runPython(t, "PyQt5.QtCore", qtReadScript, path)
	var res map[string]qtValue
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	return res
}

// compareWithQt checks that every key of f decodes as QSettings decodes
// it, and that both see the same keys. Qt's own types (@Rect(…) and the
// like) are left out.
func compareWithQt(t *testing.T, f *File, qt map[string]qtValue) {
	t.Helper()
	seen := map[string]bool{}
	for _, sec := range f.Sections() {
		for _, key := range f.Section(sec).Keys() {
			qkey := sec + "/" + key
			if strings.EqualFold(sec, "general") || sec == "" {
				qkey = key
			}
			seen[qkey] = true
			l, _, _ := f.lookup(sec, key)
			v := decodeValue(l.raw[l.eq+1:l.end], true)
			q, ok := qt[qkey]
			if !ok {
				t.Errorf("Qt does not see key %q", qkey)
				continue
			}
			var got any
			switch {
			case v.null:
				got = nil
			case v.isList:
				got = v.elems
			default:
				got = v.elems[0]
			}
			var want any
			switch q.T {
			case "null":
			case "list":
				var l []string
				json.Unmarshal(q.V, &l)
				want = l
			case "str", "bytes":
				var s string
				json.Unmarshal(q.V, &s)
				want = s
			default:
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("key %q (%q): we read %#v, Qt %#v", qkey, l.raw, got, want)
			}
		}
	}
	for k := range qt {
		if !seen[k] {
			t.Errorf("Qt sees key %q, we do not", k)
		}
	}
}

func TestQtReadsFixturesLikeUs(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			f, _ := Parse(data)
			compareWithQt(t, f, qtReads(t, data))
		})
	}
}

// randomText makes strings from the characters that matter to Qt's
// escaping.
func randomText(r *rand.Rand) string {
	alphabet := []rune{'a', 'b', 'x', 'F', '0', '7', '9', ' ', ' ', '\t', '\n', '\r', 0, 1, 0x1f, 0x7f, '"', '\\',
		',', ';', '=', '@', '%', '/', '#', '[', ']', '(', ')', 'é', 'ß', '€', '😀', '\u00a0', 'x'}
	n := r.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// qtWriteScript writes the values of a JSON object {key: string or list}
// with QSettings into the file given as argument.
const qtWriteScript = `
import json, sys
from PyQt5.QtCore import QSettings, QVariant, QMetaType
values = json.load(open(sys.argv[2]))
s = QSettings(sys.argv[1], QSettings.IniFormat)
for k, v in values.items():
    if isinstance(v, list):
        q = QVariant(v)
        q.convert(QMetaType.QStringList)
        s.setValue('p/' + k, q)
    else:
        s.setValue('p/' + k, v)
s.sync()
`

func TestQtAgreesOnRandomValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, uint64(os.Getpid())))
	values := map[string]any{}
	for k := range 400 {
		key := fmt.Sprintf("k%03d", k)
		if k%4 == 0 {
			var l []string
			for range r.IntN(4) {
				l = append(l, randomText(r))
			}
			values[key] = l
		} else {
			values[key] = randomText(r)
		}
	}

	// Qt writes them; our encoding must be byte for byte the same.
	dir := t.TempDir()
	in := filepath.Join(dir, "values.json")
	js, _ := json.Marshal(values)
	os.WriteFile(in, js, 0o600)
	qtFile := filepath.Join(dir, "qt.ini")
	runPython(t, "PyQt5.QtCore", qtWriteScript, qtFile, in)
	qtData, err := os.ReadFile(qtFile)
	if err != nil {
		t.Fatal(err)
	}
	qf, err := Parse(qtData)
	if err != nil {
		t.Fatalf("reading Qt's file: %v", err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var want string
		switch v := values[k].(type) {
		case string:
			want = encodeString(v)
		case []string:
			want = encodeList(v)
			if len(v) == 1 {
				// A one-element QStringList is written as its element.
				want = escapeText(variantText(v[0]))
			}
		}
		if got, _ := qf.Section("p").Raw(k); got != want {
			t.Errorf("%s = %q: Qt wrote %q, we write %q", k, values[k], got, want)
		}
	}

	// We write them; Qt must read back the values, and so must we.
	f := &File{}
	sec := f.Section("p")
	for _, k := range keys {
		switch v := values[k].(type) {
		case string:
			sec.SetString(k, v)
		case []string:
			sec.SetList(k, v)
		}
	}
	qt := qtReads(t, f.Bytes())
	for _, k := range keys {
		q := qt["p/"+k]
		var got any
		switch q.T {
		case "null":
			got = []string(nil)
		case "list":
			var l []string
			json.Unmarshal(q.V, &l)
			got = l
		case "str":
			var s string
			json.Unmarshal(q.V, &s)
			got = s
			if _, isList := values[k].([]string); isList {
				got = []string{s}
			}
		}
		if want := values[k]; !reflect.DeepEqual(got, want) && !(isEmptyList(want) && isEmptyList(got)) {
			t.Errorf("%s: wrote %q, Qt read %q (%s)", k, want, got, q.T)
		}
		var ours any = sec.String(k)
		if l, isList := values[k].([]string); isList {
			ours = sec.List(k)
			if len(l) == 1 && l[0] == "" {
				ours = []string{""} // an empty value reads as an empty list
			}
		}
		if want := values[k]; !reflect.DeepEqual(ours, want) && !(isEmptyList(want) && isEmptyList(ours)) {
			t.Errorf("%s: wrote %q, we read %q", k, want, ours)
		}
	}
}

func isEmptyList(v any) bool {
	l, ok := v.([]string)
	return ok && len(l) == 0
}

// TestQtAgreesOnRandomText feeds Qt and us the same random value texts
// (not necessarily ones Qt would write) and compares what both read.
func TestQtAgreesOnRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(2, uint64(os.Getpid())))
	alphabet := []string{`\`, `\\`, `"`, `,`, `;`, ` `, "\t", "a", "x", "0", "7", "F", "@", "=", "(", ")",
		`\x`, `\0`, `\n`, `\"`, `\q`, "@Invalid()", "@@", "@String(", "@ByteArray(", "%", "#"}
	var b bytes.Buffer
	b.WriteString("[s]\n")
	for k := 0; k < 1500; k++ {
		var v strings.Builder
		for range r.IntN(10) {
			v.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		text := v.String()
		// A trailing backslash would continue the line, an open quote run
		// on to the next one (Qt) or be reported (here): keep lines apart.
		if n := len(text) - len(strings.TrimRight(text, `\`)); n%2 == 1 {
			text += "x"
		}
		if _, errs := parseLines([]byte("k="+text+"\n"), 1); len(errs) > 0 {
			continue
		}
		if !utf8.ValidString(text) {
			continue
		}
		fmt.Fprintf(&b, "k%04d=%s\n", k, text)
	}
	f, err := Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	compareWithQt(t, f, qtReads(t, b.Bytes()))
	if n := len(f.Section("s").Keys()); n < 1000 {
		t.Errorf("only %d keys compared", n)
	}
}

// TestQtReadsOurEdits edits the hand-made fixture the way a user of this
// package would and checks that Qt reads the result as we do.
func TestQtReadsOurEdits(t *testing.T) {
	s := loadFixtureSessions(t, "handmade-sessions")
	p, _ := s.Profile("lab desktop")
	p.SetString("name", "lab, desk = 1; \"main\"")
	p.SetList("applications", []string{"a, b", "@c", ""})
	p.SetExports([]Export{{"/home/ä/x", true}})
	q, _ := s.Add("fresh")
	q.SetString("sessiontitle", "\ttab\x00nul")
	s.Remove("python style")
	f, _ := Parse(s.Bytes())
	compareWithQt(t, f, qtReads(t, s.Bytes()))
	if !slices.Contains(f.Sections(), q.ID()) {
		t.Error("added profile missing")
	}
}
