package broker_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/profile"
)

func parse(d broker.Dialect, task broker.Task, data []byte) (*broker.Answer, error) {
	if d == broker.DialectJSON {
		return broker.ParseJSON(task, data)
	}
	return broker.ParsePlain(task, data)
}

// The listings of the real broker, in both dialects and from the SSH
// broker, give the same profiles.
func TestParseListings(t *testing.T) {
	for _, c := range []struct {
		name    string
		dialect broker.Dialect
		user    string // what BROKER_USER became
		ids     []string
	}{
		{"json-list", broker.DialectJSON, "test", []string{"desk", "failover", "lab", "pool"}},
		{"plain-list", broker.DialectPlain, "test", []string{"desk", "failover", "lab", "pool"}},
		{"json-list-other-user", broker.DialectJSON, "jacques", []string{"desk", "failover", "lab", "pool", "staff"}},
		{"plain-list-other-user", broker.DialectPlain, "jacques", []string{"desk", "failover", "lab", "pool", "staff"}},
		{"ssh-list", broker.DialectPlain, "x2gotest", []string{"desk", "failover", "lab", "pool"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ans, err := parse(c.dialect, broker.TaskList, answer(t, c.name))
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.AuthID) != 36 {
				t.Errorf("AuthID %q is not a UUID", ans.AuthID)
			}
			if got := ids(ans.Profiles); !reflect.DeepEqual(got, c.ids) {
				t.Fatalf("profiles %v, want %v", got, c.ids)
			}
			ps := params(t, ans.Profiles)
			lab, desk, pool := ps["lab"], ps["desk"], ps["pool"]
			if lab.ProfileName != "Lab server" || lab.User != c.user || lab.Port != 2222 ||
				lab.Command != "TERMINAL" || lab.SessionType != "application" || !reflect.DeepEqual(lab.Hosts, []string{"lab"}) {
				t.Errorf("lab: %+v", lab)
			}
			if desk.ProfileName != "Büro-Desktop" || desk.User != "x2gotest" || desk.Command != "XFCE" ||
				desk.SessionType != "desktop" || desk.Server != "127.0.0.1" {
				t.Errorf("desk: %+v", desk)
			}
			if !reflect.DeepEqual(pool.Hosts, []string{"pool-a", "pool-b"}) || pool.ProfileName != "Load-balanced pool" {
				t.Errorf("pool: %+v", pool)
			}
			// Broker defaults that differ from python-x2go's.
			if !lab.Printing || lab.SoundSystem != "pulse" || lab.KbdType != "auto" || !lab.Xinerama {
				t.Errorf("lab, broker defaults: %+v", lab)
			}
			p, _ := ans.Profiles.ProfileByID("desk")
			if got := p.String("key"); got != "<will-be-exchanged-during-session-selection>" {
				t.Errorf("desk key = %q", got)
			}
			if ok, err := p.Bool("autologin"); !ok || err != nil {
				t.Errorf("desk autologin = %v, %v", ok, err)
			}
		})
	}
}

// Both dialects carry the same profiles: every session parameter agrees.
func TestParseListingsAgree(t *testing.T) {
	for _, suffix := range []string{"", "-other-user"} {
		j, err := broker.ParseJSON(broker.TaskList, answer(t, "json-list"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		p, err := broker.ParsePlain(broker.TaskList, answer(t, "plain-list"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		pj, pp := params(t, j.Profiles), params(t, p.Profiles)
		if !reflect.DeepEqual(pj, pp) {
			for id := range pj {
				if !reflect.DeepEqual(pj[id], pp[id]) {
					t.Errorf("profile %s:\nJSON  %+v\nplain %+v", id, pj[id], pp[id])
				}
			}
		}
	}
}

func TestParseSelections(t *testing.T) {
	for _, c := range []struct {
		name, server string
		port         int
		key, pubOK   bool
		resume       string
	}{
		{"json-select-lab", "127.0.0.1", 2222, false, false, ""},
		{"plain-select-lab", "127.0.0.1", 2222, false, false, ""},
		{"json-select-failover", "127.0.0.1", 2222, false, false, ""},
		{"plain-select-failover", "127.0.0.1", 2222, false, false, ""},
		{"json-select-pool", "127.0.0.2", 2222, false, false, ""},
		{"plain-select-pool", "127.0.0.2", 2222, false, false, ""},
		{"ssh-select-pool", "127.0.0.1", 2222, false, false, ""},
		{"ssh-select-lab-cookie", "127.0.0.1", 2222, false, false, ""},
		{"json-select-desk", "127.0.0.1", 2222, true, false, ""},
		{"plain-select-desk", "127.0.0.1", 2222, true, false, ""},
		{"ssh-select-desk", "127.0.0.1", 2222, true, false, ""},
		{"json-select-desk-pubkey", "127.0.0.1", 2222, false, true, ""},
		{"json-select-no-such-profile", "no-server-available", 22, false, false, ""},
		{"plain-select-no-such-profile", "no-server-available", 22, false, false, ""},
		{"ssh-select-no-such-profile", "no-server-available", 22, false, false, ""},
		{"../constructed/plain-select-resume", "127.0.0.1", 2222, false, false, "x2gotest-51-1795627896_stRxterm_dp24"},
		{"../constructed/json-select-resume", "127.0.0.1", 2222, false, false, "x2gotest-51-1795627896_stRxterm_dp24"},
	} {
		t.Run(filepath.Base(c.name), func(t *testing.T) {
			d := broker.DialectPlain
			if strings.HasPrefix(filepath.Base(c.name), "json") {
				d = broker.DialectJSON
			}
			ans, err := parse(d, broker.TaskSelect, answer(t, c.name))
			if err != nil {
				t.Fatal(err)
			}
			s := ans.Selection
			if s.Server != c.server || s.Port != c.port || (s.PrivateKey != nil) != c.key || s.PublicKeyAccepted != c.pubOK {
				t.Fatalf("selection %#v", *s)
			}
			if ans.AuthID == "" {
				t.Error("no AuthID")
			}
			if c.key {
				k, err := s.Signer()
				if err != nil || k.PublicKey().Type() != "ssh-rsa" {
					t.Errorf("Signer: %v, %v", k, err)
				}
				for _, text := range []string{s.String(), fmt.Sprintf("%v %+v %#v", *s, *s, *s), fmt.Sprint(s)} {
					if strings.Contains(text, "PRIVATE KEY") || strings.Contains(text, string(s.PrivateKey[40:60])) {
						t.Errorf("the private key is printed: %s", text)
					}
				}
			}
			if c.resume != "" {
				if s.Resume == nil || s.Resume.Name != c.resume || s.Resume.Status != "S" || s.Resume.Hostname != "vm" {
					t.Errorf("Resume = %+v", s.Resume)
				}
			} else if s.Resume != nil {
				t.Errorf("Resume = %+v", s.Resume)
			}
		})
	}
}

func TestParseAuth(t *testing.T) {
	for _, name := range []string{"json-auth", "plain-auth"} {
		d := broker.DialectPlain
		if strings.HasPrefix(name, "json") {
			d = broker.DialectJSON
		}
		ans, err := parse(d, broker.TaskAuth, answer(t, name))
		if err != nil || len(ans.AuthID) != 36 || ans.Profiles != nil || ans.Selection != nil {
			t.Errorf("%s: %+v, %v", name, ans, err)
		}
	}
}

// What the broker says when it refuses: an HTML page with HTTP 401 (the
// client looks at the status first) or, for a used-up cookie over SSH,
// nothing at all.
func TestParseRefused(t *testing.T) {
	for _, name := range []string{"plain-list-refused", "ssh-select-refused-cookie"} {
		ans, err := broker.ParsePlain(broker.TaskList, answer(t, name))
		if ans != nil || !errors.Is(err, broker.ErrAuthFailed) {
			t.Errorf("%s: %+v, %v", name, ans, err)
		}
	}
	_, err := broker.ParseJSON(broker.TaskList, answer(t, "json-list-refused"))
	if !errors.Is(err, broker.ErrMalformed) {
		t.Errorf("HTML as JSON: %v", err)
	}
	_, err = broker.ParseJSON(broker.TaskList, []byte(`{"auth-status": "Access denied", "task": "listprofiles", "profiles": {}}`))
	if !errors.Is(err, broker.ErrAuthFailed) {
		t.Errorf("auth-status denied: %v", err)
	}
}

// Broken answers, made from real ones, are reported with the line or field.
func TestParseMalformed(t *testing.T) {
	plainList := string(answer(t, "plain-list"))
	plainDesk := string(answer(t, "plain-select-desk"))
	plainLab := string(answer(t, "plain-select-lab"))
	jsonLab := string(answer(t, "json-select-lab"))
	jsonList := string(answer(t, "json-list"))
	for _, c := range []struct {
		name    string
		dialect broker.Dialect
		task    broker.Task
		data    string
		line    int
		field   string
	}{
		{"plain list cut short", broker.DialectPlain, broker.TaskList, strings.Split(plainList, "[lab]")[0], 3, "START_USER_SESSIONS"},
		{"plain select without SERVER", broker.DialectPlain, broker.TaskSelect, strings.Replace(plainLab, "SERVER:", "SERVR:", 1), 0, "SERVER"},
		{"plain select bad port", broker.DialectPlain, broker.TaskSelect, strings.Replace(plainLab, ":2222", ":22x22", 1), 3, "SERVER"},
		{"plain select port 0", broker.DialectPlain, broker.TaskSelect, strings.Replace(plainLab, ":2222", ":0", 1), 3, "SERVER"},
		{"plain select empty server", broker.DialectPlain, broker.TaskSelect, strings.Replace(plainLab, "127.0.0.1", "", 1), 3, "SERVER"},
		{"plain key without end", broker.DialectPlain, broker.TaskSelect, strings.Split(plainDesk, "-----END")[0], 4, "private key"},
		{"plain key damaged", broker.DialectPlain, broker.TaskSelect, strings.Replace(plainDesk, "MII", "MIX", 1), 4, "private key"},
		{"plain bad SESSION_INFO", broker.DialectPlain, broker.TaskSelect, plainLab + "SESSION_INFO:x|y|z\n", 4, "SESSION_INFO"},
		{"plain bad profile line", broker.DialectPlain, broker.TaskList, strings.Replace(plainList, "[lab]", "[lab", 1), 0, ""},
		{"json syntax", broker.DialectJSON, broker.TaskSelect, strings.Replace(jsonLab, `"port":`, `"port"`, 1), 5, ""},
		{"json port", broker.DialectJSON, broker.TaskSelect, strings.Replace(jsonLab, `"2222"`, `"two"`, 1), 0, "selected_session.port"},
		{"json port type", broker.DialectJSON, broker.TaskSelect, strings.Replace(jsonLab, `"2222"`, `[2222]`, 1), 0, "selected_session.port"},
		{"json server type", broker.DialectJSON, broker.TaskSelect, strings.Replace(jsonLab, `"127.0.0.1"`, `17`, 1), 0, "selected_session.server"},
		{"json no server", broker.DialectJSON, broker.TaskSelect, strings.Replace(jsonLab, `"server"`, `"host"`, 1), 0, "selected_session.server"},
		{"json wrong task", broker.DialectJSON, broker.TaskList, jsonLab, 0, "task"},
		{"json profile value object", broker.DialectJSON, broker.TaskList, strings.Replace(jsonList, `"name": "Lab server"`, `"name": {"x": 1}`, 1), 0, "profiles.lab.name"},
		{"json empty", broker.DialectJSON, broker.TaskList, "", 0, ""},
		{"json not an object", broker.DialectJSON, broker.TaskList, "[]", 1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ans, err := parse(c.dialect, c.task, []byte(c.data))
			var me *broker.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, broker.ErrMalformed) {
				t.Fatalf("got %+v, %v; want a *MalformedError", ans, err)
			}
			if c.line != 0 && me.Line != c.line || c.field != "" && me.Field != c.field {
				t.Errorf("line %d field %q, want line %d field %q (%v)", me.Line, me.Field, c.line, c.field, err)
			}
			if strings.Contains(err.Error(), "MII") {
				t.Errorf("error quotes the answer: %v", err)
			}
		})
	}
}

// A listing with one bad profile still gives the others, and the cookie.
func TestParsePartialListing(t *testing.T) {
	data := strings.Replace(string(answer(t, "json-list")), `"sshport": 2222`, `"sshport": {"a": 1}`, 1)
	ans, err := broker.ParseJSON(broker.TaskList, []byte(data))
	if !errors.Is(err, broker.ErrMalformed) || ans == nil || ans.AuthID == "" {
		t.Fatalf("%+v, %v", ans, err)
	}
	if got := ids(ans.Profiles); !reflect.DeepEqual(got, []string{"failover", "lab", "pool"}) {
		t.Errorf("profiles %v", got)
	}
	plain := strings.Replace(string(answer(t, "plain-list")), "[lab]", "[lab", 1)
	ans, err = broker.ParsePlain(broker.TaskList, []byte(plain))
	var me *broker.MalformedError
	if !errors.As(err, &me) || ans == nil || len(ans.Profiles.Profiles()) < 3 {
		t.Fatalf("%+v, %v", ans, err)
	}
	var se *profile.SyntaxError
	if !errors.As(err, &se) || me.Line != 83 {
		t.Errorf("line %d, %v; want line 83 of the answer", me.Line, err)
	}
}

// Plain-text variants a broker may send: CRLF line breaks, <br> for line
// breaks in the listing, bracketed IPv6 addresses, no port, no profiles.
func TestParsePlainVariants(t *testing.T) {
	crlf := strings.ReplaceAll(string(answer(t, "plain-list")), "\n", "\r\n")
	a, err := broker.ParsePlain(broker.TaskList, []byte(crlf))
	if err != nil || len(a.Profiles.Profiles()) != 4 {
		t.Errorf("CRLF: %v", err)
	}
	br := "AUTHID:x\nAccess granted\nSTART_USER_SESSIONS\n[p1]<br>name=One<br>host=h1\n\n[p2]<br>name=Two\nEND_USER_SESSIONS\n"
	a, err = broker.ParsePlain(broker.TaskList, []byte(br))
	if err != nil || !reflect.DeepEqual(ids(a.Profiles), []string{"p1", "p2"}) {
		t.Fatalf("<br>: %v", err)
	}
	if p, _ := a.Profiles.ProfileByID("p1"); p.Name() != "One" || p.String("host") != "h1" {
		t.Errorf("<br>: p1 %q %q", p.Name(), p.String("host"))
	}
	a, err = broker.ParsePlain(broker.TaskList, []byte("Access granted\n"))
	if err != nil || a.AuthID != "" || len(a.Profiles.Profiles()) != 0 {
		t.Errorf("no profiles: %+v %v", a, err)
	}
	for in, want := range map[string]string{
		"SERVER:[2001:db8::1]:2022": "[2001:db8::1]:2022",
		"SERVER:[2001:db8::1]":      "[2001:db8::1]:22",
		"SERVER:2001:db8::1:2022":   "[2001:db8::1]:2022",
		"SERVER:x2go.example.org":   "x2go.example.org:22",
		"SERVER: host:22 ":          "host:22",
	} {
		a, err := broker.ParsePlain(broker.TaskSelect, []byte("Access granted\n"+in+"\n"))
		if err != nil || a.Selection.Addr() != want {
			t.Errorf("%s: %v, %v; want %s", in, a, err, want)
		}
	}
}

// A pre-shared cookie file as X2Go Client and x2gobroker read it.
func TestReadAuthIDFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "authid")
	os.WriteFile(p, []byte("# the cookie\n\n  0b8f7f9e-8f77-4c1e-a7b3-3a4c1e0d2f11 comment\nsecond\n"), 0o600)
	if id, err := broker.ReadAuthIDFile(p); err != nil || id != "0b8f7f9e-8f77-4c1e-a7b3-3a4c1e0d2f11" {
		t.Errorf("%q, %v", id, err)
	}
	os.WriteFile(p, []byte("# nothing\n"), 0o600)
	if _, err := broker.ReadAuthIDFile(p); !errors.Is(err, broker.ErrConfig) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := broker.ReadAuthIDFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
