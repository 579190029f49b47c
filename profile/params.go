package profile

import (
	"fmt"
	"strconv"
	"strings"
)

// SessionParams is what a session needs from a profile: the result of
// python-x2go's profile-to-session-parameter conversion, one field per
// parameter (python-x2go's name in the comment). Keys python-x2go ignores
// (krblogin, sshproxytype, multidisp, display, startsoundsystem,
// soundtunnel, defsndport, directrdp, directrdpsettings, rdpclient,
// rdpport, fstunnel, icon) have no field.
type SessionParams struct {
	ProfileID   string
	ProfileName string // profile_name

	// Server is the first of Hosts. python-x2go picks one of the hosts at
	// random when it registers the session; a caller that wants that can
	// pick from Hosts.
	Server string   // server
	Hosts  []string // the `host` list
	Port   int      // port
	User   string   // username
	// KeyFile is the private key file as written, "~" not expanded.
	KeyFile              string // key_filename
	LookForKeys          bool   // look_for_keys
	AllowAgent           bool   // allow_agent (set when LookForKeys)
	ForwardSSHAgent      bool   // forward_sshagent
	UniqueHostKeyAliases bool   // unique_hostkey_aliases

	UseSSHProxy           bool   // use_sshproxy
	SSHProxyHost          string // sshproxy_host (may be host:port)
	SSHProxyPort          int    // sshproxy_port
	SSHProxyUser          string // sshproxy_user (User when sshproxysameuser)
	SSHProxyKeyFile       string // sshproxy_key_filename (KeyFile when sshproxysamepass)
	SSHProxyLookForKeys   bool   // sshproxy_look_for_keys
	SSHProxyAllowAgent    bool   // sshproxy_allow_agent (set when SSHProxyLookForKeys)
	SSHProxyReuseAuthInfo bool   // sshproxy_reuse_authinfo (sshproxysamepass)

	Command               string   // cmd (XFCE4 becomes XFCE)
	SessionType           string   // session_type: "application" (rootless) or "desktop"
	PublishedApplications bool     // published_applications
	Applications          []string // applications (informational)
	Link                  string   // link: modem, isdn, adsl, wan or lan
	Pack                  string   // pack, with "-<quality>" appended unless quality is 0
	Geometry              string   // geometry: "fullscreen", "maximize" or "<w>x<h>"
	DPI                   int      // dpi, 0 unless setdpi
	Xinerama              bool     // xinerama
	Clipboard             string   // clipboard: both, server, client or none
	KbdType               string   // kbtype ("null/null" when not set or usekbd is off)
	KbdLayout             string   // kblayout ("null" likewise)
	KbdVariant            string   // kbvariant ("null" likewise)
	SoundSystem           string   // snd_system: pulse, esd, arts, or none when sound is off
	SoundPort             int      // snd_port

	AllowShareLocalFolders    bool     // allow_share_local_folders
	ShareLocalFolders         []string // share_local_folders: every path of `export`
	Exports                   []Export // the `export` entries with their mount flags
	RestoreSharedLocalFolders bool     // restore_shared_local_folders
	AllowMimebox              bool     // allow_mimebox
	// MimeboxExtensions is the comma-separated `mimeboxextensions` split
	// into its parts (python-x2go 3 leaves it as one string by mistake).
	MimeboxExtensions []string // mimebox_extensions
	MimeboxAction     string   // mimebox_action: OPEN, OPENWITH or SAVEAS
	Printing          bool     // printing

	ConvertEncoding bool   // convert_encoding
	ClientEncoding  string // client_encoding
	ServerEncoding  string // server_encoding

	RDPServer   string // rdp_server
	RDPOptions  string // rdp_options
	XDMCPServer string // xdmcp_server
	KDrive      bool   // kdrive

	SetSessionTitle   bool   // set_session_title
	SessionTitle      string // session_title
	AutoConnect       bool   // auto_connect
	AutoStartOrResume bool   // auto_start_or_resume
}

// linkNames are the names of the `speed` values 0 to 4.
var linkNames = []string{"modem", "isdn", "adsl", "wan", "lan"}

// Params converts the profile into session parameters the way python-x2go
// does (see SessionParams). A value of the wrong type (say sshport=abc)
// gives its *ValueError; the first one found is returned.
func (p *Profile) Params() (SessionParams, error) {
	var firstErr error
	b := func(key string) bool {
		v, err := p.Bool(key)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	}
	n := func(key string) int {
		v, err := p.Int(key)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	}
	str := p.String
	sp := SessionParams{
		ProfileID:             p.ID(),
		ProfileName:           str("name"),
		Hosts:                 p.List("host"),
		Port:                  n("sshport"),
		User:                  str("user"),
		KeyFile:               str("key"),
		LookForKeys:           b("autologin"),
		ForwardSSHAgent:       b("forwardsshagent"),
		UniqueHostKeyAliases:  b("uniquehostkeyaliases"),
		UseSSHProxy:           b("usesshproxy"),
		SSHProxyHost:          str("sshproxyhost"),
		SSHProxyPort:          n("sshproxyport"),
		SSHProxyUser:          str("sshproxyuser"),
		SSHProxyKeyFile:       str("sshproxykeyfile"),
		SSHProxyLookForKeys:   b("sshproxyautologin"),
		Command:               str("command"),
		PublishedApplications: b("published"),
		Applications:          p.List("applications"),
		Pack:                  str("pack"),
		Xinerama:              b("xinerama"),
		Clipboard:             str("clipboard"),
		KbdType:               str("type"),
		KbdLayout:             str("layout"),
		KbdVariant:            str("variant"),
		SoundSystem:           str("soundsystem"),
		SoundPort:             n("sndport"),

		AllowShareLocalFolders:    b("useexports"),
		Exports:                   p.Exports(),
		RestoreSharedLocalFolders: b("restoreexports"),
		AllowMimebox:              b("usemimebox"),
		MimeboxAction:             str("mimeboxaction"),
		Printing:                  b("print"),

		ConvertEncoding: b("useiconv"),
		ClientEncoding:  str("iconvfrom"),
		ServerEncoding:  str("iconvto"),

		RDPServer:   str("rdpserver"),
		RDPOptions:  str("rdpoptions"),
		XDMCPServer: str("xdmcpserver"),
		KDrive:      b("kdrive"),

		SetSessionTitle:   b("setsessiontitle"),
		SessionTitle:      str("sessiontitle"),
		AutoConnect:       b("autoconnect"),
		AutoStartOrResume: b("autostart"),
	}
	if len(sp.Hosts) > 0 {
		sp.Server = sp.Hosts[0]
	}
	sp.AllowAgent = sp.LookForKeys
	sp.SSHProxyAllowAgent = sp.SSHProxyLookForKeys

	if sp.Command == "XFCE4" {
		sp.Command = "XFCE"
	}
	sp.SessionType = "desktop"
	if b("rootless") {
		sp.SessionType = "application"
	}

	// speed is an int key, but a broker may hand out names: numbers 0-4
	// map to link names, anything else is lower-cased and used as is.
	speed := strings.ToLower(strings.TrimSpace(str("speed")))
	if k, err := strconv.Atoi(speed); err == nil && k >= 0 && k < len(linkNames) {
		speed = linkNames[k]
	}
	sp.Link = speed

	if q := n("quality"); q != 0 {
		sp.Pack = fmt.Sprintf("%s-%d", sp.Pack, q)
	}

	switch {
	case b("fullscreen"):
		sp.Geometry = "fullscreen"
	case b("maxdim"):
		sp.Geometry = "maximize"
	default:
		sp.Geometry = fmt.Sprintf("%dx%d", n("width"), n("height"))
	}
	if b("setdpi") {
		sp.DPI = n("dpi")
	}

	if !b("usekbd") {
		sp.KbdType, sp.KbdLayout, sp.KbdVariant = "null/null", "null", "null"
	}
	if strings.TrimSpace(sp.KbdType) == "" {
		sp.KbdType = "null/null"
	}
	if strings.TrimSpace(sp.KbdLayout) == "" {
		sp.KbdLayout = "null"
	}
	if strings.TrimSpace(sp.KbdVariant) == "" {
		sp.KbdVariant = "null"
	}

	if !b("sound") {
		sp.SoundSystem = "none"
	}

	for _, e := range sp.Exports {
		sp.ShareLocalFolders = append(sp.ShareLocalFolders, e.Path)
	}
	for _, e := range strings.Split(str("mimeboxextensions"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			sp.MimeboxExtensions = append(sp.MimeboxExtensions, e)
		}
	}
	switch sp.MimeboxAction {
	case "OPEN", "OPENWITH", "SAVEAS":
	default:
		sp.MimeboxAction = "OPEN"
	}

	if b("sshproxysameuser") {
		sp.SSHProxyUser = sp.User
	}
	if b("sshproxysamepass") {
		sp.SSHProxyReuseAuthInfo = true
		sp.SSHProxyKeyFile = sp.KeyFile
	}

	// A profile of python-x2go 0.2.1 kept the real server in
	// sshproxytunnel ([localport:]host:port) while host named the proxy.
	if sp.UseSSHProxy && p.Has("sshproxytunnel") {
		if t := str("sshproxytunnel"); !strings.HasPrefix(t, "DEPRECATED") {
			f := strings.Split(t, ":")
			port, err := strconv.Atoi(strings.TrimSpace(f[len(f)-1]))
			if len(f) < 2 || err != nil {
				if firstErr == nil {
					firstErr = &ValueError{Path: p.f.path, Section: p.name, Key: "sshproxytunnel",
						Line: p.Line("sshproxytunnel"), Want: KindString, Form: "[localport:]host:port"}
				}
			} else {
				sp.Server, sp.Port = f[len(f)-2], port
			}
		}
	}
	if firstErr != nil {
		return SessionParams{}, firstErr
	}
	return sp, nil
}
