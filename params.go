package x2go

import (
	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/protocol"
)

// Params are the parameters of a new or resumed X2Go session (python-x2go's
// terminal parameters). The zero value of a field means its default, the
// protocol package's Default* constant (what pyhoca-cli sends).
type Params struct {
	// Command is the session command: a program (xterm), a desktop meta
	// name (KDE, XFCE, ...), a generic name (TERMINAL, WWWBROWSER), RDP,
	// XDMCP or PUBLISHED. Default TERMINAL.
	Command string
	// SessionType: "desktop"/"D", "application"/"rootless"/"R",
	// "published"/"P". Default: rootless, or desktop for desktop commands.
	SessionType string
	// Geometry: WxH or fullscreen (default 800x600).
	Geometry string
	// Link quality: modem, isdn, adsl, wan, lan (default adsl).
	Link string
	// Pack: NX compression method (default 16m-jpeg-9).
	Pack string
	// CacheType (default unix-kde) and colour Depth (default 24).
	CacheType string
	Depth     int
	// KbLayout (default null) and KbType (default auto).
	KbLayout string
	KbType   string
	// Clipboard: both, server, client, none (default both).
	Clipboard string
	// Xinerama enables multi-monitor support in the session.
	Xinerama bool
	// DPI, when > 0, sets the session's DPI.
	DPI int
	// XDMCPServer is the host queried by an XDMCP session.
	XDMCPServer string
	// SoundSystem: pulse, esd, arts or none (default none: this client
	// does not forward sound yet).
	SoundSystem string

	// NXProxy is the nxproxy binary (default /usr/bin/nxproxy).
	NXProxy string
	// SessionsRoot holds the local session directories S-<name> and is
	// nxproxy's NX_ROOT (default ~/.x2go).
	SessionsRoot string
	// Env is the environment of nxproxy; it must carry DISPLAY (and
	// XAUTHORITY for a cookie-protected display). Default: os.Environ().
	Env []string
}

// withDefaults fills in what the protocol builders do not default
// themselves; the rest stays zero and the builders use the protocol
// package's Default* values.
func (p Params) withDefaults() Params {
	if p.Command == "" {
		p.Command = protocol.DefaultCommand
	}
	if p.SoundSystem == "" {
		p.SoundSystem = protocol.DefaultSoundSystem
	}
	if p.NXProxy == "" {
		p.NXProxy = nxproxy.DefaultBinary
	}
	return p
}
