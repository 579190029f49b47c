package x2go

import (
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/internal/sound"
)

var (
	// ErrNoPulseAudio: no local PulseAudio accepts the session's sound
	// (Params.PulseServer).
	ErrNoPulseAudio = sound.ErrNoPulseAudio
	// ErrNoPulseCookie: the local PulseAudio's cookie was not found
	// (Params.PulseCookie), so the session's sound could not authenticate.
	ErrNoPulseCookie = sound.ErrNoCookie
	// ErrSoundUnsupported: the sound system is not one this client
	// forwards (esd, arts); the session runs without sound here.
	ErrSoundUnsupported = sound.ErrUnsupported
	// ErrSoundSetup: the PulseAudio client configuration or the cookie
	// could not be written into the session directory on the server.
	ErrSoundSetup = sound.ErrSetup
)

// soundService returns the sound forward for p.SoundSystem, nil for none;
// p are the session's Params with their defaults and Env filled in.
func (s *Session) soundService(p Params) service.Service {
	if p.SoundSystem == "none" {
		return nil
	}
	s.sound = sound.New(sound.Config{
		System: p.SoundSystem,
		Local:  sound.LocalConfig{Server: p.PulseServer, CookieFile: p.PulseCookie, Env: p.Env},
		Home:   s.ctrl.RemoteHome,
		Hooks: sound.Hooks{
			ForwardDenied: func(port int, err error) {
				if h := s.hooks.ReverseForwardDenied; h != nil {
					h(s, port, err)
				}
			},
		},
		Logger: s.log,
	})
	return s.sound
}

// soundEnv is what a program started in the running session needs to
// play its sound here (PULSE_CLIENTCONFIG), nil without a sound forward.
func (s *Session) soundEnv() map[string]string {
	if s.sound == nil {
		return nil
	}
	if f := s.sound.Current(); f != nil {
		return f.SessionEnv()
	}
	return nil
}

// LocalPulseAudio reports whether a PulseAudio (or PipeWire's PulseAudio
// server) seems to run on this computer for a process with environment
// env (nil: this process's): $PULSE_SERVER names a TCP server, or the
// PulseAudio socket exists. It asks nothing and starts nothing, so a CLI
// can choose "pulse" or "none" for Params.SoundSystem by it.
func LocalPulseAudio(env []string) bool { return sound.Running(env) }
