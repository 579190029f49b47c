package protocol_test

import (
	"fmt"

	"github.com/x2go-go/x2go/protocol"
)

// ExampleParseSessionList parses a real x2golistsessions answer.
func ExampleParseSessionList() {
	out := "32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n"
	sessions, err := protocol.ParseSessionList(out)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sessions {
		name, _ := protocol.ParseSessionName(s.Name)
		fmt.Printf("%s on :%d status %s, graphics port %d, type %s running %s\n",
			s.Name, s.Display, s.Status, s.GraphicsPort, name.Type, name.Command)
	}
	// Output:
	// x2gotest-51-1795627896_stRxterm_dp24 on :51 status S, graphics port 48202, type R running xterm
}

// ExampleWrap shows a command built, quoted, wrapped, and its answer
// unwrapped again (the answer here is what the server would print).
func ExampleWrap() {
	cmd, _ := protocol.SuspendCmd("x2gotest-51-1795627586_stRxterm_dp24")
	fmt.Println(protocol.Wrap("534334c2-e8f5-11f1-b1fc-02fc00000001", cmd))
	fmt.Println(protocol.Join("stat", "-tL", "/home/it's me"))

	stdout := []byte("Welcome to vm!\n" +
		"X2GODATABEGIN:534334c2-e8f5-11f1-b1fc-02fc00000001\n" +
		"/home/x2gotest\n" +
		"X2GODATAEND:534334c2-e8f5-11f1-b1fc-02fc00000001:0\n")
	out, status, err := protocol.Unwrap("534334c2-e8f5-11f1-b1fc-02fc00000001", stdout)
	fmt.Printf("%q %d %v\n", out, status, err)
	// Output:
	// echo X2GODATABEGIN:534334c2-e8f5-11f1-b1fc-02fc00000001; PATH=/usr/local/bin:/usr/bin:/bin sh -c 'x2gosuspend-session x2gotest-51-1795627586_stRxterm_dp24'; echo X2GODATAEND:534334c2-e8f5-11f1-b1fc-02fc00000001:$?
	// stat -tL '/home/it'\''s me'
	// "/home/x2gotest\n" 0 <nil>
}

// ExampleQuote shows which values stay as they are.
func ExampleQuote() {
	fmt.Println(protocol.Quote("pc105/us"))
	fmt.Println(protocol.Quote("$(reboot)"))
	fmt.Println(protocol.Quote(""))
	// Output:
	// pc105/us
	// '$(reboot)'
	// ''
}
