package profile

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func loadFixtureSessions(t *testing.T, name string) *Sessions {
	t.Helper()
	s, err := ParseSessions(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func profileIDs(s *Sessions) []string {
	var ids []string
	for _, p := range s.Profiles() {
		ids = append(ids, p.ID())
	}
	return ids
}

func TestLabFiles(t *testing.T) {
	// The lab's sessions file, as pyhoca-cli left it, is empty.
	s := loadFixtureSessions(t, "lab/sessions")
	if len(s.Profiles()) != 0 {
		t.Errorf("profiles in the lab's empty file: %v", profileIDs(s))
	}
	st, err := ParseSettings(readFixture(t, "lab/settings"))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Sections(); !slices.Equal(got, []string{"LDAP", "General", "Authorization", "trayicon"}) {
		t.Errorf("settings sections %q", got)
	}
	for _, k := range SettingsKeys() {
		sec := st.Section(k.Section)
		if !sec.Has(k.Name) {
			t.Errorf("settings: [%s] %s missing", k.Section, k.Name)
		}
		got, err := sec.Value(k.Name)
		if err != nil || !reflect.DeepEqual(got, k.Default) {
			t.Errorf("settings: [%s] %s = %#v, %v; python-x2go wrote its default %#v", k.Section, k.Name, got, err, k.Default)
		}
	}
	pr, err := ParsePrinting(readFixture(t, "lab/printing"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range PrintingKeys() {
		got, err := pr.Section(k.Section).Value(k.Name)
		if err != nil || !reflect.DeepEqual(got, k.Default) {
			t.Errorf("printing: [%s] %s = %#v, %v; want %#v", k.Section, k.Name, got, err, k.Default)
		}
	}
	a, err := pr.Action(true)
	if err != nil || a != (PrintSetup{PrintPDFView, "xdg-open"}) {
		t.Errorf("lab print action %+v, %v", a, err)
	}
}

func TestQtWrittenProfiles(t *testing.T) {
	s := loadFixtureSessions(t, "qt-sessions")
	if got := profileIDs(s); !slices.Equal(got, []string{"20240101123456789", "20240215093000123", "{3f2a6c1e-0b7d-4c2e-9a51-6d0f1e2b3c4d}"}) {
		t.Fatalf("IDs %q", got)
	}
	var names []string
	for _, p := range s.Profiles() {
		names = append(names, p.Name())
	}
	if !slices.Equal(names, []string{"lab desktop", "work/servers/alpha, beta", `Grüße "quoted" @home`}) {
		t.Errorf("names %q", names)
	}

	p, _ := s.ProfileByID("20240101123456789")
	if got := p.Exports(); !reflect.DeepEqual(got, []Export{{"/home/alice/Documents", true}, {"/tmp/share", false}}) {
		t.Errorf("exports %+v", got)
	}
	if n, err := p.Int("sshport"); n != 2222 || err != nil {
		t.Errorf("sshport %d %v", n, err)
	}
	if b, err := p.Bool("autologin"); !b || err != nil {
		t.Errorf("autologin %v %v", b, err)
	}
	if got := p.List("host"); !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Errorf("host %q", got)
	}
	// Keys X2Go Client writes and python-x2go does not know are kept and
	// readable as text.
	if v, err := p.Option("krbdelegation"); v != "false" || err != nil {
		t.Errorf("unknown key: %#v %v", v, err)
	}
	// Keys the file lacks get python-x2go's defaults.
	if v, err := p.Option("usemimebox"); v != false || err != nil {
		t.Errorf("default usemimebox: %#v %v", v, err)
	}
	if v, err := p.Option("mimeboxaction"); v != "OPEN" || err != nil {
		t.Errorf("default mimeboxaction: %#v %v", v, err)
	}
	if _, err := p.Option("no-such-option"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing unknown option: %v", err)
	}

	p, _ = s.Profile("work/servers/alpha, beta")
	if got := p.List("applications"); !slices.Equal(got, []string{"TERMINAL", "firefox --private-window", `xterm -e "top"`}) {
		t.Errorf("applications %q", got)
	}
	if got := p.String("sshproxykeyfile"); got != "/home/bob/.ssh/jump key" {
		t.Errorf("sshproxykeyfile %q", got)
	}

	p, err := s.Profile(`Grüße "quoted" @home`)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.List("applications"); got == nil || len(got) != 0 || !p.IsNull("applications") {
		t.Errorf("@Invalid() list: %q", got)
	}
	if got := p.Exports(); !reflect.DeepEqual(got, []Export{{"/home/carol/My Files", true}}) {
		t.Errorf("exports %+v", got)
	}
}

func TestPythonWrittenProfiles(t *testing.T) {
	s := loadFixtureSessions(t, "python-x2go-sessions")
	p, err := s.Profile("python desktop")
	if err != nil {
		t.Fatal(err)
	}
	// python-x2go's IDs are 20 digits (its format has a bug); opaque here.
	if p.ID() != "20261126121124758549" {
		t.Errorf("ID %q", p.ID())
	}
	if got := p.List("host"); !slices.Equal(got, []string{"lab.example.net", "lab2.example.net"}) {
		t.Errorf("host %q", got)
	}
	if got := p.List("applications"); !slices.Equal(got, []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"}) {
		t.Errorf("applications %q", got)
	}
	if got := p.String("mimeboxextensions"); got != "pdf,odt" {
		t.Errorf("mimeboxextensions %q", got)
	}
	if b, err := p.Bool("rootless"); b || err != nil {
		t.Errorf("rootless %v %v", b, err)
	}
	if got := p.Exports(); !reflect.DeepEqual(got, []Export{{"/home/x2gotest/share", true}, {"/srv/data", false}}) {
		t.Errorf("exports %+v", got)
	}
}

func TestHandmadeProfiles(t *testing.T) {
	s := loadFixtureSessions(t, "handmade-sessions")
	// [embedded] is kept but is no profile. The other tool's section
	// counts as one, as it does for python-x2go and X2Go Client: only
	// none, embedded and General are excluded by name.
	if got := profileIDs(s); !slices.Equal(got, []string{"20240101123456789", "20240215093000123", "x-tool:window-state", "20240301000000000"}) {
		t.Errorf("IDs %q", got)
	}
	if !s.File().HasSection("embedded") || s.File().Section("embedded").String("command") != "startkde" {
		t.Error("[embedded] not readable through File")
	}
	p, _ := s.Profile("lab desktop")
	for key, want := range map[string]string{
		"x-custom-note":   "kept by other tools",
		"sessiontitle":    `Lab "desk", floor 2`,
		"rdpoptions":      "-u X2GO_USER -p X2GO_PASSWORD -g 90%",
		"sshproxykeyfile": "",
		"icon":            `C:\Users\alice\x2go.png`,
	} {
		if got := p.String(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !p.IsNull("sshproxykeyfile") || p.IsNull("icon") {
		t.Error("IsNull")
	}
	if raw, _ := p.Raw("sessiontitle"); raw != `"Lab \"desk\", floor 2"` {
		t.Errorf("raw %q", raw)
	}
	q, _ := s.Profile("work/servers/alpha, beta")
	if got := q.String("sessiontitle"); got != "Grüße €" {
		t.Errorf("escaped title %q", got)
	}
	if got := q.List("applications"); !slices.Equal(got, []string{"TERMINAL", "firefox --private-window", `xterm -e "top"`}) {
		t.Errorf("applications %q", got)
	}
	w, _ := s.Profile("x-tool:window-state")
	if w.String("geometry") != "@Rect(10 20 800 600)" || w.String("lastused") != "\x00\x01\x02" {
		t.Errorf("Qt variant forms: %q %q", w.String("geometry"), w.String("lastused"))
	}
	py, _ := s.Profile("python style")
	if got := py.List("host"); !slices.Equal(got, []string{"py.example.net", "py2.example.net"}) {
		t.Errorf("host %q", got)
	}
	if b, _ := py.Bool("usekbd"); b {
		t.Error("usekbd = 0 read as true")
	}
}

func TestTypedErrors(t *testing.T) {
	s, err := ParseSessions([]byte("[1]\nname=x\nsshport=twenty-two\nsound=maybe\nrootless=\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Profile("x")
	_, err = p.Int("sshport")
	var ve *ValueError
	if !errors.As(err, &ve) || !errors.Is(err, ErrBadValue) || ve.Line != 3 || ve.Key != "sshport" || ve.Want != KindInt {
		t.Errorf("Int error %#v", err)
	}
	if strings.Contains(err.Error(), "twenty") {
		t.Errorf("the value leaked into the message: %v", err)
	}
	if _, err := p.Bool("sound"); !errors.As(err, &ve) || ve.Line != 4 {
		t.Errorf("Bool error %v", err)
	}
	if _, err := p.Bool("rootless"); !errors.As(err, &ve) || ve.Line != 5 {
		t.Errorf("empty Bool error %v", err)
	}
	if _, err := p.Params(); !errors.As(err, &ve) || ve.Key != "sshport" {
		t.Errorf("Params error %v", err)
	}
}

func TestLookupAndEdit(t *testing.T) {
	s := loadFixtureSessions(t, "qt-sessions")
	// Name first, then ID.
	if p, err := s.Profile("20240101123456789"); err != nil || p.Name() != "lab desktop" {
		t.Errorf("by ID: %v %v", p, err)
	}
	if _, err := s.Profile("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, ok := s.ProfileByID("none"); ok {
		t.Error("[none] is not a profile")
	}

	p, err := s.AddWithID("20250505050505050", "added")
	if err != nil {
		t.Fatal(err)
	}
	if p.String("user") != localUser() || p.String("name") != "added" {
		t.Errorf("new profile: user %q name %q", p.String("user"), p.String("name"))
	}
	keys := p.Keys()
	if len(keys) != len(profileKeys) || !slices.IsSorted(keys) {
		t.Errorf("new profile keys (want all, sorted): %q", keys)
	}
	if raw, _ := p.Raw("autologin"); raw != "true" {
		t.Errorf("new bools are written as X2Go Client does: %q", raw)
	}
	if raw, _ := p.Raw("applications"); raw != "WWWBROWSER, MAILCLIENT, OFFICE, TERMINAL" {
		t.Errorf("applications written as %q", raw)
	}
	if _, err := s.AddWithID("20250505050505050", "other"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate ID: %v", err)
	}
	for _, id := range []string{"none", "embedded", "General", "a/b", ""} {
		if _, err := s.AddWithID(id, "other"); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ID %q: %v", id, err)
		}
	}
	if _, err := s.Add("added"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := s.Add(""); !errors.Is(err, ErrInvalidName) {
		t.Errorf("empty name: %v", err)
	}
	q, err := s.Add("second")
	if err != nil || len(q.ID()) != 17 || q.ID() == p.ID() {
		t.Fatalf("Add: %v %v", q, err)
	}

	if err := s.Rename("added", "lab desktop"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto a taken name: %v", err)
	}
	if err := s.Rename("added", ""); !errors.Is(err, ErrInvalidName) {
		t.Errorf("rename to empty: %v", err)
	}
	if err := s.Rename("added", "renamed, with comma"); err != nil {
		t.Fatal(err)
	}
	if raw, _ := p.Raw("name"); raw != `"renamed, with comma"` {
		t.Errorf("renamed name written as %q", raw)
	}
	if err := s.ChangeID("renamed, with comma", "20250606060606060"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Profile("20250606060606060"); err != nil || r.Name() != "renamed, with comma" {
		t.Errorf("after ChangeID: %v %v", r, err)
	}
	if err := s.ChangeID("second", "20250606060606060"); !errors.Is(err, ErrExists) {
		t.Errorf("ChangeID onto a taken ID: %v", err)
	}

	// Two profiles with one name: a name look-up is ambiguous, the IDs work.
	if err := s.Rename("second", "twin"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("lab desktop", "twin"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename to a taken name: %v", err)
	}
	s.File().Section("20240101123456789").SetString("name", "twin")
	if _, err := s.Profile("twin"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous name: %v", err)
	}
	if len(s.ProfilesByName("twin")) != 2 {
		t.Error("ProfilesByName")
	}

	if err := s.Remove("20250606060606060"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.ProfileByID("20250606060606060"); ok {
		t.Error("removed profile still there")
	}
	if err := s.Remove("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove unknown: %v", err)
	}

	// Whatever was done, the result reads back to the same profiles.
	again, err := ParseSessions(s.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(profileIDs(again), profileIDs(s)) {
		t.Errorf("IDs after re-read %q, want %q", profileIDs(again), profileIDs(s))
	}
}

func TestExportsFormat(t *testing.T) {
	for in, want := range map[string][]Export{
		"/a:1;/b:0;":          {{"/a", true}, {"/b", false}},
		`"/a:1;/b:0;"`:        {{"/a", true}, {"/b", false}},
		"/a,/b:0":             {{"/a", true}, {"/b", false}},
		"":                    nil,
		";;":                  nil,
		"/a:1;/a:0;/c:1":      {{"/a", false}, {"/c", true}},
		`C:\Users\x:1;`:       {{`C:\Users\x`, true}},
		"/with:colon:0;/x:2;": {{"/with:colon", false}, {"/x:2", true}},
	} {
		if got := ParseExports(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseExports(%q) = %+v, want %+v", in, got, want)
		}
	}
	e := []Export{{"/home/a b", true}, {"/srv", false}}
	if got := FormatExports(e); got != "/home/a b:1;/srv:0;" {
		t.Errorf("FormatExports %q", got)
	}
	s := NewSessions()
	p, _ := s.AddWithID("1", "x")
	p.SetExports(e)
	if raw, _ := p.Raw("export"); raw != `"/home/a b:1;/srv:0;"` {
		t.Errorf("export written as %q", raw)
	}
	if got := p.Exports(); !reflect.DeepEqual(got, e) {
		t.Errorf("exports read back %+v", got)
	}
	p.SetExports(nil)
	if raw, _ := p.Raw("export"); raw != "" {
		t.Errorf("empty export written as %q", raw)
	}
}

func TestFillDefaults(t *testing.T) {
	st, _ := ParseSettings(nil)
	st.FillDefaults()
	lab := readFixture(t, "lab/settings")
	again, err := ParseSettings(st.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Same sections, keys and values as python-x2go's own fresh file,
	// written in X2Go Client's style.
	labSt, _ := ParseSettings(lab)
	for _, k := range SettingsKeys() {
		a, _ := again.Section(k.Section).Value(k.Name)
		b, _ := labSt.Section(k.Section).Value(k.Name)
		if !again.Section(k.Section).Has(k.Name) || !reflect.DeepEqual(a, b) {
			t.Errorf("[%s] %s: %#v vs %#v", k.Section, k.Name, a, b)
		}
	}
	if !slices.Equal(again.Sections(), labSt.Sections()) {
		t.Errorf("sections %q vs %q", again.Sections(), labSt.Sections())
	}
	// Filling a complete file changes nothing.
	labSt.FillDefaults()
	if string(labSt.Bytes()) != string(lab) {
		t.Error("FillDefaults changed a complete file")
	}

	s := loadFixtureSessions(t, "handmade-sessions")
	s.File().FillDefaults()
	for _, p := range s.Profiles() {
		for _, k := range profileKeys {
			if !p.Has(k.Name) {
				t.Errorf("%s lacks %s", p.ID(), k.Name)
			}
		}
	}
}

func TestPrintAction(t *testing.T) {
	pr, _ := ParsePrinting(readFixture(t, "lab/printing"))
	orig := string(pr.Bytes())
	for _, c := range []struct {
		set  PrintSetup
		want PrintSetup
	}{
		{PrintSetup{PrintPDFSave, "Documents/PDF"}, PrintSetup{PrintPDFSave, "Documents/PDF"}},
		{PrintSetup{PrintCUPS, "Office-Laser"}, PrintSetup{PrintCUPS, "Office-Laser"}},
		{PrintSetup{PrintCommand, "lpr -P x"}, PrintSetup{PrintCommand, "lpr -P x"}},
		{PrintSetup{PrintPDFView, ""}, PrintSetup{PrintPDFView, "xdg-open"}},
		{PrintSetup{Action: PrintDialog}, PrintSetup{Action: PrintDialog}},
	} {
		pr.SetAction(c.set)
		got, err := pr.Action(true)
		if err != nil || got != c.want {
			t.Errorf("after SetAction(%v): %v, %v", c.set, got, err)
		}
	}
	// Without a dialog the flags below showdialog decide.
	if got, _ := pr.Action(false); got.Action != PrintPDFView {
		t.Errorf("no dialog: %v", got)
	}
	// python-x2go's 1/0 style is kept.
	if !strings.Contains(string(pr.Bytes()), "showdialog = 1\n") || orig == string(pr.Bytes()) {
		t.Errorf("printing file after SetAction:\n%s", pr.Bytes())
	}
	if PrintCommand.String() != "PRINTCMD" || PrintAction(9).String() != "PrintAction(9)" {
		t.Error("PrintAction.String")
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"20250505050505050", "a b", "none2", "Embedded", "generals", "é"} {
		if err := CheckID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", "none", "embedded", "General", "GENERAL", "a/b", `a\b`} {
		if err := CheckID(id); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: %v", id, err)
		}
	}
}
