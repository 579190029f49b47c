package profile

import (
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kind is the type of a key's value, as python-x2go derives it from the
// key's built-in default.
type Kind int

// The kinds of values.
const (
	KindString  Kind = iota // text
	KindInt                 // decimal integer
	KindBool                // 1/yes/true/on or 0/no/false/off
	KindList                // comma-separated list of text
	KindExports             // the `export` key: folders to share, see Export
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "int"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	case KindExports:
		return "exports"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) article() string {
	switch k {
	case KindInt:
		return "an integer"
	case KindBool:
		return "a boolean"
	case KindList:
		return "a list"
	case KindExports:
		return "a folder list"
	}
	return "a string"
}

// KeySpec describes one key python-x2go knows: where it lives, its type and
// the default used when a file does not have it.
type KeySpec struct {
	Section string // settings and printing: the section; profiles: ""
	Name    string
	Kind    Kind
	// Default is a string, int, bool, []string or []Export by Kind. The
	// profile key `user` defaults to the local login name.
	Default any
}

// text renders the default the way String returns it for an absent key.
func (k KeySpec) text() string {
	switch v := k.Default.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case []string:
		return strings.Join(v, ", ")
	case []Export:
		return FormatExports(v)
	}
	return ""
}

// userDefault stands in the profile table for "the local login name".
type userDefault struct{}

// profileKeys are the session profile keys of python-x2go
// (X2GO_SESSIONPROFILE_DEFAULTS), in the order of the spec's table.
var profileKeys = []KeySpec{
	{"", "name", KindString, "NEW_PROFILE"},
	{"", "host", KindList, []string{"server.mydomain"}},
	{"", "user", KindString, userDefault{}},
	{"", "sshport", KindInt, 22},
	{"", "key", KindString, ""},
	{"", "autologin", KindBool, true},
	{"", "krblogin", KindBool, false},
	{"", "forwardsshagent", KindBool, false},
	{"", "uniquehostkeyaliases", KindBool, false},
	{"", "usesshproxy", KindBool, false},
	{"", "sshproxyhost", KindString, "proxyhost.mydomain"},
	{"", "sshproxyport", KindInt, 22},
	{"", "sshproxyuser", KindString, ""},
	{"", "sshproxykeyfile", KindString, ""},
	{"", "sshproxytype", KindString, "SSH"},
	{"", "sshproxysameuser", KindBool, false},
	{"", "sshproxysamepass", KindBool, false},
	{"", "sshproxyautologin", KindBool, true},
	{"", "command", KindString, "TERMINAL"},
	{"", "rootless", KindBool, true},
	{"", "published", KindBool, false},
	{"", "applications", KindList, []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"}},
	{"", "speed", KindInt, 2},
	{"", "pack", KindString, "16m-jpeg"},
	{"", "quality", KindInt, 9},
	{"", "fullscreen", KindBool, false},
	{"", "maxdim", KindBool, false},
	{"", "width", KindInt, 800},
	{"", "height", KindInt, 600},
	{"", "dpi", KindInt, 96},
	{"", "setdpi", KindBool, false},
	{"", "xinerama", KindBool, false},
	{"", "multidisp", KindBool, false},
	{"", "display", KindInt, 1},
	{"", "clipboard", KindString, "both"},
	{"", "usekbd", KindBool, true},
	{"", "layout", KindString, "us"},
	{"", "type", KindString, "pc105/us"},
	{"", "variant", KindString, ""},
	{"", "sound", KindBool, false},
	{"", "soundsystem", KindString, "pulse"},
	{"", "sndport", KindInt, 4713},
	{"", "startsoundsystem", KindBool, false},
	{"", "soundtunnel", KindBool, true},
	{"", "defsndport", KindBool, true},
	{"", "useexports", KindBool, true},
	{"", "export", KindExports, []Export(nil)},
	{"", "restoreexports", KindBool, false},
	{"", "fstunnel", KindBool, true},
	{"", "usemimebox", KindBool, false},
	{"", "mimeboxextensions", KindString, ""},
	{"", "mimeboxaction", KindString, "OPEN"},
	{"", "print", KindBool, false},
	{"", "useiconv", KindBool, false},
	{"", "iconvfrom", KindString, "UTF-8"},
	{"", "iconvto", KindString, "UTF-8"},
	{"", "rdpserver", KindString, ""},
	{"", "rdpoptions", KindString, "-u X2GO_USER -p X2GO_PASSWORD"},
	{"", "directrdp", KindBool, false},
	{"", "directrdpsettings", KindString, ""},
	{"", "rdpclient", KindString, "rdesktop"},
	{"", "rdpport", KindInt, 3389},
	{"", "xdmcpserver", KindString, "localhost"},
	{"", "kdrive", KindBool, false},
	{"", "setsessiontitle", KindBool, false},
	{"", "sessiontitle", KindString, ""},
	{"", "autoconnect", KindBool, false},
	{"", "autostart", KindBool, false},
	{"", "icon", KindString, ":icons/128x128/x2gosession.png"},
}

// settingsKeys are the keys of the `settings` file
// (X2GO_CLIENTSETTINGS_DEFAULTS).
var settingsKeys = []KeySpec{
	{"LDAP", "useldap", KindBool, false},
	{"LDAP", "port", KindInt, 389},
	{"LDAP", "server", KindString, "localhost"},
	{"LDAP", "port1", KindInt, 0},
	{"LDAP", "port2", KindInt, 0},
	{"General", "clientport", KindInt, 22},
	{"General", "autoresume", KindBool, true},
	{"Authorization", "newprofile", KindBool, true},
	{"Authorization", "suspend", KindBool, true},
	{"Authorization", "editprofile", KindBool, true},
	{"Authorization", "resume", KindBool, true},
	{"trayicon", "enabled", KindBool, true},
	{"trayicon", "mintotray", KindBool, true},
	{"trayicon", "noclose", KindBool, true},
	{"trayicon", "mincon", KindBool, true},
	{"trayicon", "maxdiscon", KindBool, true},
}

// printingKeys are the keys of the `printing` file
// (X2GO_CLIENTPRINTING_DEFAULTS).
var printingKeys = []KeySpec{
	{"General", "showdialog", KindBool, false},
	{"General", "pdfview", KindBool, true},
	{"print", "startcmd", KindBool, false},
	{"print", "command", KindString, "lpr"},
	{"print", "stdin", KindBool, false},
	{"print", "ps", KindBool, false},
	{"save", "folder", KindString, "PDF"},
	{"view", "open", KindBool, true},
	{"view", "command", KindString, "xdg-open"},
	{"CUPS", "defaultprinter", KindString, "PDF"},
}

// ProfileKeys lists every session profile key python-x2go knows, with its
// type and default. The `user` default is resolved to the local login name.
func ProfileKeys() []KeySpec { return resolved(profileKeys) }

// SettingsKeys lists the keys of the `settings` file with their sections,
// types and defaults.
func SettingsKeys() []KeySpec { return resolved(settingsKeys) }

// PrintingKeys lists the keys of the `printing` file with their sections,
// types and defaults.
func PrintingKeys() []KeySpec { return resolved(printingKeys) }

func resolved(specs []KeySpec) []KeySpec {
	out := slices.Clone(specs)
	for k := range out {
		out[k] = out[k].resolve()
	}
	return out
}

// resolve fills in dynamic defaults and copies slices so callers cannot
// change the tables.
func (k KeySpec) resolve() KeySpec {
	switch v := k.Default.(type) {
	case userDefault:
		k.Default = localUser()
	case []string:
		k.Default = slices.Clone(v)
	case []Export:
		k.Default = slices.Clone(v)
	}
	return k
}

// schema finds the spec of a key in a section.
type schema func(section, key string) (KeySpec, bool)

func tableSchema(specs []KeySpec) schema {
	m := make(map[[2]string]KeySpec, len(specs))
	for _, s := range specs {
		m[[2]string{s.Section, s.Name}] = s
	}
	return func(section, key string) (KeySpec, bool) {
		s, ok := m[[2]string{section, key}]
		if !ok {
			return KeySpec{}, false
		}
		return s.resolve(), true
	}
}

var profileSpecs = func() map[string]KeySpec {
	m := make(map[string]KeySpec, len(profileKeys))
	for _, s := range profileKeys {
		m[s.Name] = s
	}
	return m
}()

// sessionsSchema applies the profile table to every profile section.
func sessionsSchema(section, key string) (KeySpec, bool) {
	if !isProfileSection(section) {
		return KeySpec{}, false
	}
	s, ok := profileSpecs[key]
	if !ok {
		return KeySpec{}, false
	}
	return s.resolve(), true
}

var (
	localUserOnce sync.Once
	localUserName string
)

// localUser is the local login name the way Python's getpass.getuser()
// finds it: $LOGNAME, $USER, $LNAME, $USERNAME, then the password
// database.
func localUser() string {
	localUserOnce.Do(func() {
		for _, v := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
			if s := os.Getenv(v); s != "" {
				localUserName = s
				return
			}
		}
		if u, err := user.Current(); err == nil {
			localUserName = u.Username
		}
	})
	return localUserName
}
