package x2go

import (
	"github.com/x2go-go/x2go/internal/nxproxy"
	"github.com/x2go-go/x2go/internal/term"
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
	// SoundSystem: pulse, esd, arts or none (default none). With pulse
	// the session's sound is forwarded to the local PulseAudio (see
	// PulseServer); esd and arts are only passed on to the server, which
	// sets ESPEAKER or ARTS_SERVER for the session, and fail here with
	// ErrSoundUnsupported (Hooks.SoundTunnelFailed).
	SoundSystem string
	// PulseServer is the host:port of the local PulseAudio's
	// native-protocol TCP listener the session's sound goes to (an X2Go
	// Client profile's sndport is 127.0.0.1:<sndport>). Default: a TCP
	// server in $PULSE_SERVER; else, when a PulseAudio (or PipeWire's
	// PulseAudio server) runs here, its TCP listener, or one loaded for
	// the session with pactl on a free loopback port (cookie
	// authentication only) and unloaded after it; else 127.0.0.1:4713.
	PulseServer string
	// PulseCookie is the local PulseAudio's cookie file, copied into the
	// session directory on the server. Default: $PULSE_COOKIE,
	// ~/.config/pulse/cookie, ~/.pulse-cookie (PulseAudio's own order;
	// python-x2go looks at the last one first).
	PulseCookie string

	// NXProxy is the nxproxy binary (default /usr/bin/nxproxy).
	NXProxy string
	// SessionsRoot holds the local session directories S-<name> and is
	// nxproxy's NX_ROOT (default ~/.x2go).
	SessionsRoot string
	// Env is the environment of nxproxy; it must carry DISPLAY (and
	// XAUTHORITY for a cookie-protected display). The local PulseAudio is
	// looked for in it too (PULSE_SERVER, PULSE_COOKIE, XDG_RUNTIME_DIR,
	// HOME) and pactl runs with it. Default: os.Environ().
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

// startParams returns what the terminal session needs to start a session
// of type sessType running command with these Params.
func (p Params) startParams(sessType, command string) term.StartParams {
	return term.StartParams{
		Agent: protocol.StartParams{
			Geometry: p.Geometry, Link: p.Link, Pack: p.Pack, CacheType: p.CacheType, Depth: p.Depth,
			KbLayout: p.KbLayout, KbType: p.KbType, SessionType: sessType, Command: command,
			Clipboard: p.Clipboard, Xinerama: p.Xinerama, DPI: p.DPI, XDMCPServer: p.XDMCPServer,
		},
		SoundSystem: p.SoundSystem,
	}
}
