package x2go_test

import (
	"fmt"
	"os"

	"github.com/x2go-go/x2go"
)

// Sound from the session plays here when a PulseAudio runs on this
// computer; otherwise the session is started without sound.
func ExampleLocalPulseAudio() {
	p := x2go.Params{Command: "xterm", SoundSystem: "none"}
	if x2go.LocalPulseAudio(nil) {
		p.SoundSystem = "pulse"
	}
	s, err := x2go.NewSession(x2go.Options{
		Server: "x2go.example.org", Username: "alice", LookForKeys: true,
		Params: p,
		Hooks: x2go.Hooks{
			SoundTunnelFailed: func(s *x2go.Session, err error) {
				fmt.Fprintln(os.Stderr, "the session has no sound here:", err)
			},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer s.Close()
	// s.Connect(ctx), s.Start(ctx), ...
}

// A PulseAudio that already listens on TCP (module-native-protocol-tcp
// on port 4713, say) is named outright; the client then loads nothing
// into it.
func ExampleParams_pulseServer() {
	p := x2go.Params{
		Command:     "xterm",
		SoundSystem: "pulse",
		PulseServer: "127.0.0.1:4713",
		PulseCookie: os.ExpandEnv("$HOME/.config/pulse/cookie"),
	}
	fmt.Println(p.SoundSystem, p.PulseServer)
	// Output: pulse 127.0.0.1:4713
}
