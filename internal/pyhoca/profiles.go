package pyhoca

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/x2go-go/x2go/profile"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Session profiles for --list-profiles: x2goclient's sessions file
// (profiles-and-settings.md §1, §2) read as python-x2go reads it, and
// printed as pyhoca-cli prints it, Python's pprint layout included.

// pyValue is a profile value with its Python type: bool, int, string,
// []string or an ordered folder map (export).
type pyValue any

// folderMap is python-x2go's parsed export value: folder → mount at once.
type folderMap struct {
	keys []string
	on   map[string]bool
}

// profileDefaults are python-x2go's defaults of the profile keys; a key's
// type is its default's.
func profileDefaults(localUser string) map[string]pyValue {
	return map[string]pyValue{
		"applications": []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"},
		"autoconnect":  false, "autologin": true, "autostart": false,
		"clipboard": "both", "command": "TERMINAL", "defsndport": true,
		"directrdp": false, "directrdpsettings": "", "display": 1, "dpi": 96,
		"export": "{}", "forwardsshagent": false, "fstunnel": true, "fullscreen": false,
		"height": 600, "host": []string{"server.mydomain"},
		"icon": ":icons/128x128/x2gosession.png", "iconvfrom": "UTF-8", "iconvto": "UTF-8",
		"kdrive": false, "key": "", "krblogin": false, "layout": "us", "maxdim": false,
		"mimeboxaction": "OPEN", "mimeboxextensions": "", "multidisp": false,
		"name": "NEW_PROFILE", "pack": "16m-jpeg", "print": false, "published": false,
		"quality": 9, "rdpclient": "rdesktop", "rdpoptions": "-u X2GO_USER -p X2GO_PASSWORD",
		"rdpport": 3389, "rdpserver": "", "restoreexports": false, "rootless": true,
		"sessiontitle": "", "setdpi": false, "setsessiontitle": false, "sndport": 4713,
		"sound": false, "soundsystem": "pulse", "soundtunnel": true, "speed": 2, "sshport": 22,
		"sshproxyautologin": true, "sshproxyhost": "proxyhost.mydomain", "sshproxykeyfile": "",
		"sshproxyport": 22, "sshproxysamepass": false, "sshproxysameuser": false,
		"sshproxytype": "SSH", "sshproxyuser": "", "startsoundsystem": false,
		"type": "pc105/us", "uniquehostkeyaliases": false, "useexports": true,
		"useiconv": false, "usekbd": true, "usemimebox": false, "user": localUser,
		"usesshproxy": false, "variant": "", "width": 800, "xdmcpserver": "localhost",
		"xinerama": false,
	}
}

// Profile is one section of the sessions file: its ID and its keys as
// written, in file order.
type Profile struct {
	ID   string
	Keys []string
	Raw  map[string]string
}

// ReadProfiles reads a sessions file (INI, key=value, one section per
// profile); sections named none or containing "embedded" are not
// profiles, as in python-x2go. A missing file has no profiles.
func ReadProfiles(path string) ([]Profile, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Profile
	var cur *Profile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			out = append(out, Profile{ID: line[1 : len(line)-1], Raw: map[string]string{}})
			cur = &out[len(out)-1]
		case cur != nil:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v, ok = strings.Cut(line, ":")
			}
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if _, seen := cur.Raw[k]; !seen {
				cur.Keys = append(cur.Keys, k)
			}
			cur.Raw[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(p Profile) bool {
		return p.ID == "none" || strings.Contains(p.ID, "embedded")
	}), nil
}

// Config returns the profile's configuration with python-x2go's types:
// every default key, overridden by the file's values (converted to the
// default's type), plus the file's other keys as strings.
func (p Profile) Config(localUser string) map[string]pyValue {
	cfg := profileDefaults(localUser)
	for _, k := range p.Keys {
		cfg[k] = convert(cfg[k], p.Raw[k])
	}
	cfg["export"] = parseExport(fmt.Sprint(cfg["export"]))
	return cfg
}

// convert reads raw as a value of def's type; what does not read stays a
// string, as in Python.
func convert(def pyValue, raw string) pyValue {
	switch def.(type) {
	case bool:
		switch strings.ToLower(raw) {
		case "1", "yes", "true", "on":
			return true
		case "0", "no", "false", "off":
			return false
		}
	case int:
		if n, err := strconv.Atoi(raw); err == nil {
			return n
		}
	case []string:
		v := strings.TrimSpace(raw)
		if strings.Contains(v, ",") {
			parts := strings.Split(v, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts
		}
		return []string{v}
	}
	return raw
}

// parseExport reads the export value: optionally quoted, entries
// separated by ';' (or ','), each <path>:<0|1>; no flag means 1.
func parseExport(v string) folderMap {
	v = strings.Trim(v, `"`)
	m := folderMap{on: map[string]bool{}}
	for _, e := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		path, on := e, true
		if i := strings.LastIndexByte(e, ':'); i >= 0 && (e[i+1:] == "0" || e[i+1:] == "1") {
			path, on = e[:i], e[i+1:] == "1"
		}
		if _, seen := m.on[path]; !seen {
			m.keys = append(m.keys, path)
		}
		m.on[path] = on
	}
	return m
}

// DerivedParams turns a profile configuration into python-x2go's session
// parameters (profiles-and-settings.md §2).
func DerivedParams(cfg map[string]pyValue) map[string]pyValue {
	b := func(k string) bool { v, _ := cfg[k].(bool); return v }
	s := func(k string) string { return fmt.Sprint(cfg[k]) }
	d := map[string]pyValue{
		"allow_agent": b("autologin"), "look_for_keys": b("autologin"),
		"allow_mimebox": b("usemimebox"), "allow_share_local_folders": b("useexports"),
		"applications": cfg["applications"], "auto_connect": b("autoconnect"),
		"auto_start_or_resume": b("autostart"), "client_encoding": cfg["iconvfrom"],
		"clipboard": cfg["clipboard"], "convert_encoding": b("useiconv"),
		"forward_sshagent": b("forwardsshagent"), "kdrive": b("kdrive"),
		"key_filename": cfg["key"], "mimebox_extensions": cfg["mimeboxextensions"],
		"port": cfg["sshport"], "printing": b("print"), "profile_name": cfg["name"],
		"published_applications": b("published"), "rdp_options": cfg["rdpoptions"],
		"rdp_server": cfg["rdpserver"], "restore_shared_local_folders": b("restoreexports"),
		"server": cfg["host"], "server_encoding": cfg["iconvto"], "session_title": cfg["sessiontitle"],
		"set_session_title": b("setsessiontitle"), "snd_port": cfg["sndport"],
		"sshproxy_allow_agent": b("sshproxyautologin"), "sshproxy_look_for_keys": b("sshproxyautologin"),
		"sshproxy_host": cfg["sshproxyhost"], "sshproxy_key_filename": cfg["sshproxykeyfile"],
		"sshproxy_port": cfg["sshproxyport"], "sshproxy_user": cfg["sshproxyuser"],
		"unique_hostkey_aliases": b("uniquehostkeyaliases"), "use_sshproxy": b("usesshproxy"),
		"username": cfg["user"], "xdmcp_server": cfg["xdmcpserver"], "xinerama": b("xinerama"),
	}
	cmd := s("command")
	if cmd == "XFCE4" {
		cmd = "XFCE"
	}
	d["cmd"] = cmd
	switch {
	case b("fullscreen"):
		d["geometry"] = "fullscreen"
	case b("maxdim"):
		d["geometry"] = "maximize"
	default:
		d["geometry"] = s("width") + "x" + s("height")
	}
	orNull := func(v, null string) string {
		if v == "" {
			return null
		}
		return v
	}
	d["kblayout"], d["kbtype"], d["kbvariant"] = orNull(s("layout"), "null"), orNull(s("type"), "null/null"), orNull(s("variant"), "null")
	if !b("usekbd") {
		d["kblayout"], d["kbtype"], d["kbvariant"] = "null", "null/null", "null"
	}
	links := []string{"modem", "isdn", "adsl", "wan", "lan"}
	if n, ok := cfg["speed"].(int); ok && n >= 0 && n < len(links) {
		d["link"] = links[n]
	} else {
		d["link"] = strings.ToLower(s("speed"))
	}
	action := s("mimeboxaction")
	if action != "OPEN" && action != "OPENWITH" && action != "SAVEAS" {
		action = "OPEN"
	}
	d["mimebox_action"] = action
	d["pack"] = s("pack")
	if q, ok := cfg["quality"].(int); !ok || q != 0 {
		d["pack"] = s("pack") + "-" + s("quality")
	}
	d["session_type"] = "desktop"
	if b("rootless") {
		d["session_type"] = "application"
	}
	d["share_local_folders"] = append([]string{}, cfg["export"].(folderMap).keys...)
	d["snd_system"] = "none"
	if b("sound") {
		d["snd_system"] = cfg["soundsystem"]
	}
	if b("setdpi") {
		d["dpi"] = cfg["dpi"]
	}
	if b("sshproxysameuser") {
		d["sshproxy_user"] = cfg["user"]
	}
	if b("sshproxysamepass") {
		d["sshproxy_reuse_authinfo"] = true
		d["sshproxy_key_filename"] = cfg["key"]
	}
	if tunnel, ok := cfg["sshproxytunnel"].(string); ok && b("usesshproxy") && !strings.HasPrefix(tunnel, "DEPRECATED") {
		if f := strings.Split(tunnel, ":"); len(f) >= 2 {
			d["server"] = f[len(f)-2]
			if n, err := strconv.Atoi(f[len(f)-1]); err == nil {
				d["port"] = n
			}
		}
	}
	return d
}

// WriteProfileList writes pyhoca-cli's --list-profiles output
// (cli-pyhoca.md §8): the sessions file, then per profile its ID, name,
// configuration and derived session parameters as Python's pprint shows
// them.
// localUser is the default of the profiles' user key ("": this process's
// user).
func WriteProfileList(w io.Writer, sessionsFile, localUser string, profiles []Profile) error {
	if localUser == "" {
		localUser = currentUser()
	}
	var b bytes.Buffer
	writeTitle(&b, "Available X2Go session profiles")
	fmt.Fprintf(&b, "configuration files: [%s]\n", pyRepr(sessionsFile))
	fmt.Fprintf(&b, "user configuration file: %s\n\n", sessionsFile)
	writeProfiles(&b, localUser, profiles)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteBrokerProfileList writes pyhoca-cli's --list-profiles output for
// the profiles of a session broker: the header names the broker's URL
// (without credentials) instead of files.
func WriteBrokerProfileList(w io.Writer, brokerURL, localUser string, profiles []Profile) error {
	if localUser == "" {
		localUser = currentUser()
	}
	var b bytes.Buffer
	writeTitle(&b, "Available X2Go session profiles")
	fmt.Fprintf(&b, "X2Go Session Broker URL: %s\n\n", brokerURL)
	writeProfiles(&b, localUser, profiles)
	_, err := w.Write(b.Bytes())
	return err
}

// ProfilesFrom turns session profiles read by package profile (a
// broker's, say) into the raw form the lists print.
func ProfilesFrom(ss *profile.Sessions) []Profile {
	var out []Profile
	for _, p := range ss.Profiles() {
		pr := Profile{ID: p.ID(), Raw: map[string]string{}}
		for _, k := range p.Keys() {
			pr.Keys = append(pr.Keys, k)
			pr.Raw[k] = p.String(k)
		}
		out = append(out, pr)
	}
	return out
}

// writeProfiles writes each profile's ID, name, configuration and derived
// session parameters.
func writeProfiles(b *bytes.Buffer, localUser string, profiles []Profile) {
	for _, p := range profiles {
		cfg := p.Config(localUser)
		fmt.Fprintf(b, "Profile ID: %s\n", p.ID)
		fmt.Fprintf(b, "Profile Name: %s\n", cfg["name"])
		b.WriteString("Profile Configuration:\n")
		b.WriteString(pprint(cfg))
		b.WriteString("\nDerived session parameters:\n")
		b.WriteString(pprint(DerivedParams(cfg)))
		b.WriteString("\n\n")
	}
}

// writeTitle writes an empty line, title and its underline.
func writeTitle(b *bytes.Buffer, title string) {
	b.WriteString("\n" + title + "\n" + strings.Repeat("=", len(title)) + "\n")
}

// pprintWidth is Python pprint's default width.
const pprintWidth = 80

// pprint formats a dict as Python's pprint.pformat does (width 80,
// indent 1, keys sorted), for the value types of profiles.
func pprint(m map[string]pyValue) string {
	var b strings.Builder
	pformat(&b, m, 0, 0, 0)
	return b.String()
}

// repr is Python's repr of v.
func repr(v pyValue) string {
	switch v := v.(type) {
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(v)
	case string:
		return pyRepr(v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = pyRepr(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case folderMap:
		keys := slices.Sorted(slices.Values(v.keys))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + repr(v.on[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]pyValue:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + repr(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return pyRepr(fmt.Sprint(v))
}

// pformat is pprint's _format: the repr if it fits, else the container
// broken over lines.
func pformat(b *strings.Builder, v pyValue, indent, allowance, level int) {
	rep := repr(v)
	if len([]rune(rep)) <= pprintWidth-indent-allowance {
		b.WriteString(rep)
		return
	}
	level++
	switch v := v.(type) {
	case map[string]pyValue:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("{")
		indent++
		for i, k := range keys {
			last := i == len(keys)-1
			kr := pyRepr(k)
			b.WriteString(kr + ": ")
			a := 1
			if last {
				a = allowance + 1
			}
			pformat(b, v[k], indent+len([]rune(kr))+2, a, level)
			if !last {
				b.WriteString(",\n" + strings.Repeat(" ", indent))
			}
		}
		b.WriteString("}")
	case folderMap:
		m := map[string]pyValue{}
		for _, k := range v.keys {
			m[k] = v.on[k]
		}
		pformat(b, m, indent, allowance, level-1)
	case []string:
		b.WriteString("[")
		indent++
		for i, s := range v {
			if i > 0 {
				b.WriteString(",\n" + strings.Repeat(" ", indent))
			}
			a := 1
			if i == len(v)-1 {
				a = allowance + 1
			}
			pformat(b, s, indent, a, level)
		}
		b.WriteString("]")
	case string:
		pformatString(b, v, indent, allowance, level)
	default:
		b.WriteString(rep)
	}
}

var wordAndSpace = regexp.MustCompile(`\S*\s*`)

// pformatString is pprint's _pprint_str: a long string as adjacent
// literals split after blanks, one per line.
func pformatString(b *strings.Builder, s string, indent, allowance, level int) {
	if level == 1 {
		indent++
		allowance++
	}
	var chunks []string
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	maxWidth := pprintWidth - indent
	for i, line := range lines {
		maxWidth1 := maxWidth
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if len([]rune(pyRepr(line))) <= maxWidth1 {
			chunks = append(chunks, pyRepr(line))
			continue
		}
		parts := wordAndSpace.FindAllString(line, -1)
		maxWidth2, current := maxWidth, ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if len([]rune(pyRepr(candidate))) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, pyRepr(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, pyRepr(current))
		}
	}
	if len(chunks) == 1 {
		b.WriteString(chunks[0])
		return
	}
	if level == 1 {
		b.WriteString("(")
	}
	b.WriteString(strings.Join(chunks, "\n"+strings.Repeat(" ", indent)))
	if level == 1 {
		b.WriteString(")")
	}
}
