package main

import (
	"net"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// TestEndSessionsBothFrontEnds: x2go suspend|terminate and pyhoca-cli's
// -S|-T end NAME or ALL, and each says in its own way when no session has
// the name.
func TestEndSessionsBothFrontEnds(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server's cleanup
	const name = "x2gotest-51-1795627896_stRxterm_dp24"
	line := "32283|" + name + "|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1\n"
	s := fakesshd.New(t, fakesshd.Standard().With("x2golistsessions", fakesshd.Output(line)))
	_, port, _ := net.SplitHostPort(s.Addr())
	t.Setenv("HOME", t.TempDir()) // pyhoca-cli's --add-to-known-hosts writes there
	t.Setenv("SSH_AUTH_SOCK", "")
	pw := &env{envPassword: s.Password()}

	cli := []string{"x2go", "suspend", "-p", port, "--known-hosts", s.KnownHostsFile(t), "x2gotest@127.0.0.1"}
	out, errOut, code := runIn(t, pw, append(cli, "nosuch")...)
	if code == 0 || out != "" || !strings.Contains(errOut, ": nosuch (x2go list shows your sessions)") {
		t.Errorf("x2go suspend nosuch: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = runIn(t, pw, append(cli, "ALL")...)
	if code != 0 || out != name+"\n" || errOut != "" {
		t.Errorf("x2go suspend ALL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	ph := []string{"pyhoca-cli", "--server", "127.0.0.1", "-p", port, "-u", "x2gotest", "--add-to-known-hosts"}
	_, errOut, code = runIn(t, pw, append(ph, "-T", "nosuch")...)
	if want := "session nosuch not available on X2Go server [127.0.0.1]:" + port; code != 22 || !strings.Contains(errOut, want) {
		t.Errorf("pyhoca-cli -T nosuch: exit %d, stderr %q; want exit 22 and %q", code, errOut, want)
	}
	_, errOut, code = runIn(t, pw, append(ph, "-S", "ALL")...)
	if want := "X2Go session " + name + " has been suspended"; code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("pyhoca-cli -S ALL: exit %d, stderr %q; want exit 0 and %q", code, errOut, want)
	}
}
