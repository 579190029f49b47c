package protocol

import (
	"errors"
	"strings"
	"testing"
)

// specList is the real listing of server-protocol.md §5: a suspended and a
// running session, a blank line, then a desktop and its shadow session.
const specList = `32283|x2gotest-51-1795627896_stRxterm_dp24|51|vm|S|2026-11-25T17:31:36|39ed8a3200a10b011df468acc8dc54dc|127.0.0.1|48202|48203|2026-11-25T17:31:49|x2gotest|39|48204|-1|-1
1182|x2gotest-52-1795627925_stRxclock_dp24|52|vm|R|2026-11-25T17:32:05|cb2169c6eeddea3e55a04b7d4ef1b185|127.0.0.1|52482|52483|2026-11-25T17:32:08|x2gotest|10|52484|-1|-1

23924|x2gotest-51-1795627705_stDxterm_dp24|51|vm|R|2026-11-25T17:28:26|199e4705db4ce67020ae6d7c1338e20b|127.0.0.1|47286|47287|2026-11-25T17:28:28|x2gotest|31|47288|-1|-1
25285|x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24|52|vm|R|2026-11-25T17:28:45|3b3459c8be39216787cf99dfd41b727b|127.0.0.1|38994|38995|2026-11-25T17:28:47|x2gotest|12|38996
`

func TestParseSessionList(t *testing.T) {
	list, skipped := ParseSessionList(specList)
	if skipped != nil {
		t.Fatal(skipped)
	}
	if len(list) != 4 {
		t.Fatalf("%d sessions, want 4", len(list))
	}
	want0 := SessionInfo{AgentPID: 32283, Name: "x2gotest-51-1795627896_stRxterm_dp24", Display: 51,
		Hostname: "vm", Status: "S", CreatedAt: "2026-11-25T17:31:36", Cookie: "39ed8a3200a10b011df468acc8dc54dc",
		ClientIP: "127.0.0.1", GraphicsPort: 48202, SoundPort: 48203, LastChangeAt: "2026-11-25T17:31:49",
		Username: "x2gotest", AgeSeconds: 39, SSHFSPort: 48204, TekiCtrlPort: -1, TekiDataPort: -1}
	if list[0] != want0 {
		t.Errorf("line 1:\n got %+v\nwant %+v", list[0], want0)
	}
	shadow := list[3]
	if shadow.Name != "x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24" || shadow.SSHFSPort != 38996 ||
		shadow.TekiCtrlPort != -1 || shadow.TekiDataPort != -1 || shadow.AgeSeconds != 12 {
		t.Errorf("shadow line: %+v", shadow)
	}
	if list[0].Line() != strings.Split(specList, "\n")[0] {
		t.Errorf("Line() = %q", list[0].Line())
	}
	if l, skipped := ParseSessionList(""); skipped != nil || l != nil {
		t.Errorf("empty: %v, %v", l, skipped)
	}
	teki := strings.Replace(strings.Split(specList, "\n")[0], "|-1|-1", "|48205|48206", 1)
	if l, skipped := ParseSessionList(teki); skipped != nil || l[0].TekiCtrlPort != 48205 || l[0].TekiDataPort != 48206 {
		t.Errorf("telekinesis: %+v, %v", l, skipped)
	}
}

// TestParseSessionListTrace parses every listing answer of the trace.
func TestParseSessionListTrace(t *testing.T) {
	n := 0
	for _, r := range traceWithPrefix(t, "export HOSTNAME && { x2golistsessions") {
		out := innerStdout(t, r)
		list, skipped := ParseSessionList(out)
		if skipped != nil {
			t.Fatalf("%v", skipped)
		}
		if len(list) != strings.Count(out, "\n") {
			t.Errorf("%d sessions from %q", len(list), out)
		}
		for _, s := range list {
			if s.Hostname != "vm" || s.Username != "x2gotest" || s.ClientIP != "127.0.0.1" || len(s.Cookie) != 32 {
				t.Errorf("odd session %+v", s)
			}
			n++
		}
	}
	if n < 40 {
		t.Errorf("only %d session lines in the trace", n)
	}
}

// TestParseSessionListSkipsBadLines: a malformed line is reported and
// skipped; the good sessions around it are kept, and the report carries
// no cookie.
func TestParseSessionListSkipsBadLines(t *testing.T) {
	good := strings.Split(specList, "\n")[0]
	f := strings.Split(good, "|")
	with := func(i int, v string) string {
		g := append([]string(nil), f...)
		g[i] = v
		return strings.Join(g, "|")
	}
	for _, bad := range []string{
		"garbage",
		strings.Join(f[:15], "|"),
		good + "|x",
		with(0, "x"), with(0, "-1"), with(1, "not a name"), with(2, ""), with(4, "X"),
		with(8, "0"), with(8, "65536"), with(9, "+5"), with(12, "1e3"), with(13, "-1"),
		with(14, "-2"), with(15, "x"),
	} {
		list, skipped := ParseSessionList(good + "\n" + bad + "\n" + good + "\n")
		if len(list) != 2 || list[0].Line() != good || list[1].Line() != good {
			t.Errorf("%q: kept %d sessions, want the 2 good ones", bad, len(list))
		}
		if len(skipped) != 1 || skipped[0].Line != 2 || !errors.Is(skipped[0], ErrMalformed) {
			t.Errorf("%q: skipped = %v, want one *ParseError on line 2", bad, skipped)
			continue
		}
		if msg := skipped[0].Error(); strings.Contains(msg, f[6]) {
			t.Errorf("%q: the report shows the session cookie: %s", bad, msg)
		}
	}
}

// creatingLine is a real x2golistsessions line, captured on the lab while
// another client's x2gostartagent was setting the session up.
const creatingLine = "|x2gotest-51-1795658434_stRxterm_dp24|51|vm|R|2026-11-26T02:00:34|||||2026-11-26T02:00:34|x2gotest|1|||"

func TestParseSessionListCreating(t *testing.T) {
	list, skipped := ParseSessionList(strings.Split(specList, "\n")[0] + "\n" + creatingLine + "\n")
	if skipped != nil {
		t.Fatal(skipped)
	}
	if len(list) != 2 || list[0].Creating() {
		t.Fatalf("got %+v", list)
	}
	want := SessionInfo{Name: "x2gotest-51-1795658434_stRxterm_dp24", Display: 51, Hostname: "vm", Status: "R",
		CreatedAt: "2026-11-26T02:00:34", LastChangeAt: "2026-11-26T02:00:34", Username: "x2gotest",
		AgeSeconds: 1, TekiCtrlPort: -1, TekiDataPort: -1}
	if list[1] != want || !list[1].Creating() {
		t.Errorf("session in creation:\n got %+v\nwant %+v", list[1], want)
	}
	if got := list[1].Line(); got != creatingLine {
		t.Errorf("Line() = %q, want %q", got, creatingLine)
	}
	// Without a PID nothing else of the agent may be there: a half
	// line is malformed, not a session in creation.
	for _, bad := range []string{
		strings.Replace(creatingLine, "R|2026-11-26T02:00:34||", "R|2026-11-26T02:00:34|39ed8a3200a10b011df468acc8dc54dc|", 1),
		strings.Replace(creatingLine, "|x2gotest|1|||", "|x2gotest|1|48204||", 1),
		"0" + creatingLine,
	} {
		if list, skipped := ParseSessionList(bad); len(list) != 0 || len(skipped) != 1 || !errors.Is(skipped[0], ErrMalformed) {
			t.Errorf("ParseSessionList(%q) = %v, %v; want the line skipped as malformed", bad, list, skipped)
		}
	}
}
