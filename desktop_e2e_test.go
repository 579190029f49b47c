package x2go_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// startOwnerDesktop starts a desktop session (an xterm in it, no window
// manager) of the lab user, shown on the lab's client display, and
// returns it and its desktop as x2golistdesktops names it.
func startOwnerDesktop(t *testing.T, lab *testserver.Lab) (*x2go.Session, x2go.Desktop) {
	t.Helper()
	s := startLabSession(t, lab, x2go.Params{Command: "xterm", SessionType: "desktop"}, x2go.Hooks{})
	lab.WaitWindow(t, `"`+s.Title()+`"`, true, 30*time.Second)
	n, err := x2go.ParseSessionName(s.Name())
	if err != nil {
		t.Fatal(err)
	}
	return s, x2go.Desktop{User: lab.User, Display: ":" + strconv.Itoa(n.Display)}
}

// viewerSession returns a connected Session of user (lab.User over the
// connection of over, or lab.User2 with its own) for sharing desktops.
func viewerSession(t *testing.T, lab *testserver.Lab, over *x2go.Session, hooks x2go.Hooks) *x2go.Session {
	t.Helper()
	o := sessionOptions(t, lab, x2go.Params{})
	if over != nil {
		o.ControlSession = over.ControlSession()
	} else {
		o.Username, o.KeyFiles = lab.User2, []string{lab.Key2}
	}
	o.Hooks = hooks
	s, err := x2go.NewSession(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Disconnect() })
	return s
}

// windowID returns the id of the client display's window called title.
func windowID(t *testing.T, lab *testserver.Lab, title string) string {
	t.Helper()
	out, err := xcmd(lab, "xdotool", "search", "--name", "^"+regexp.QuoteMeta(title)+"$")
	if err != nil || len(strings.Fields(out)) == 0 {
		t.Fatalf("no window %q on the client display: %v %s", title, err, out)
	}
	return strings.Fields(out)[0]
}

// typeLine types line and Return into the window of the client display
// under the pointer at x,y of window wid, as a person would: the pointer
// goes there, then the keys (XTEST, to the focused window).
func typeLine(t *testing.T, lab *testserver.Lab, wid string, x, y int, line string) {
	t.Helper()
	for _, args := range [][]string{
		{"mousemove", "--window", wid, strconv.Itoa(x), strconv.Itoa(y)},
		{"windowfocus", "--sync", wid},
		{"type", "--delay", "30", line},
		{"key", "Return"},
	} {
		if out, err := xcmd(lab, "xdotool", args...); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
}

// windowShot saves one window of the client display as a PNG test
// artifact (a shadow window's own pixels are current; the root's may lag).
func windowShot(t *testing.T, lab *testserver.Lab, wid, name string) {
	t.Helper()
	file := screenshotPath(name)
	if out, err := xcmd(lab, "import", "-window", wid, file); err != nil {
		t.Fatalf("screenshot of window %s: %v %s", wid, err, out)
	}
	t.Logf("screenshot: %s", file)
}

// serverFileHas polls a file in the lab user's home for want during d.
func serverFileHas(lab *testserver.Lab, file, want string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	for end := time.Now().Add(d); ; {
		if out, _ := lab.ServerCommand(ctx, "cat ~/"+file+" 2>/dev/null"); strings.Contains(out, want) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shadowColours are the desktop backgrounds the shadow tests paint, one
// per share, so that each shadow window must show a change of its own.
var shadowColours = map[x2go.ShareMode][3]int{x2go.ViewOnly: {255, 0, 0}, x2go.FullAccess: {0, 0, 255}}

// showsDesktop paints the desktop's background (outside its xterm) in
// colour and waits until the shadow window wid shows it. The shadow window
// lies over the desktop's own window, so only the shadow agent can draw
// it there. (Without DAMAGE on the shadowed agent, the shadow agent
// copies what changes; an unchanged desktop may stay black in it.)
func showsDesktop(t *testing.T, lab *testserver.Lab, desk x2go.Desktop, wid string, colour [3]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	spec := fmt.Sprintf("#%02x%02x%02x", colour[0], colour[1], colour[2])
	if out, err := lab.ServerCommand(ctx, "DISPLAY="+desk.Display+" xsetroot -solid '"+spec+"'"); err != nil {
		t.Fatalf("xsetroot on %s: %v %s", desk, err, out)
	}
	near := func(a, b int) bool { return a-b < 40 && b-a < 40 }
	var got [3]int
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		got = windowPixel(t, lab, wid, 700, 600)
		if near(got[0], colour[0]) && near(got[1], colour[1]) && near(got[2], colour[2]) {
			return
		}
	}
	windowShot(t, lab, wid, "shadow-not-mirrored")
	t.Fatalf("the shadow window shows %v at (700,600), not the desktop's new background %v", got, colour)
}

// windowPixel returns the 8-bit RGB colour of the pixel at x,y of window
// wid on the client display.
func windowPixel(t *testing.T, lab *testserver.Lab, wid string, x, y int) [3]int {
	t.Helper()
	out, err := xcmd(lab, "import", "-window", wid, "-crop", fmt.Sprintf("1x1+%d+%d", x, y), "-depth", "8", "txt:-")
	if err != nil {
		t.Fatalf("import of window %s: %v %s", wid, err, out)
	}
	// "0,0: (254,0,0)  #FE0000  srgb(254,0,0)"
	m := regexp.MustCompile(`(?m)^0,0: \((\d+),(\d+),(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("import of window %s: no pixel in %q", wid, out)
	}
	var c [3]int
	for i := range c {
		c[i], _ = strconv.Atoi(m[i+1])
	}
	return c
}

// TestE2EShareOwnDesktop: the lab user's desktop session is offered for
// sharing; a desktop that is not there is refused before anything starts;
// shadowing the desktop view-only shows it in a new window whose input
// does not reach the desktop; with full access the same typing runs a
// command on the server.
func TestE2EShareOwnDesktop(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	ignore := goleak.IgnoreCurrent() // checked after the sessions' cleanup
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	owner, desk := startOwnerDesktop(t, lab)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	list, err := owner.ListDesktops(ctx)
	if err != nil || !slices.Contains(list, desk.String()) {
		t.Fatalf("ListDesktops = %q, %v; want %s among them", list, err, desk)
	}

	var mu sync.Mutex
	var noSuch []string
	viewer := viewerSession(t, lab, owner, x2go.Hooks{NoSuchDesktop: func(_ *x2go.Session, d string) {
		mu.Lock()
		defer mu.Unlock()
		noSuch = append(noSuch, d)
	}})
	before := lab.Sessions(t)
	missing := x2go.Desktop{User: lab.User, Display: ":99"}
	if err := viewer.ShareDesktop(ctx, missing, x2go.FullAccess); !errors.Is(err, x2go.ErrNoSuchDesktop) {
		t.Fatalf("ShareDesktop(%s) = %v, want ErrNoSuchDesktop", missing, err)
	}
	if after := lab.Sessions(t); len(after) != len(before) {
		t.Fatalf("sharing a missing desktop changed the server's sessions:\n%q\n%q", before, after)
	}
	mu.Lock()
	if len(noSuch) != 1 || noSuch[0] != missing.String() {
		t.Errorf("NoSuchDesktop hook: %q", noSuch)
	}
	mu.Unlock()

	for _, mode := range []x2go.ShareMode{x2go.ViewOnly, x2go.FullAccess} {
		if err := viewer.ShareDesktop(ctx, desk, mode); err != nil {
			t.Fatalf("ShareDesktop(%s, %s): %v", desk, mode, err)
		}
		name := viewer.Name()
		n, err := x2go.ParseSessionName(name)
		if err != nil || n.Type != "S" || n.ShareMode != int(mode) || n.ShadowUser != lab.User || n.ShadowDisplay != desk.Display {
			t.Fatalf("shadow session %s: %+v %v", name, n, err)
		}
		if si, err := viewer.SessionInfoByName(ctx, name); err != nil || si.Status != "R" {
			t.Fatalf("ListSessions does not list the shadow session %s as running: %+v %v", name, si, err)
		}
		lab.WaitWindow(t, `"`+viewer.Title()+`"`, true, 30*time.Second)
		wid := windowID(t, lab, viewer.Title())
		showsDesktop(t, lab, desk, wid, shadowColours[mode])

		// Over the shadow's copy of the desktop's xterm (top left).
		file := "shadow-" + mode.String() + ".txt"
		token := fmt.Sprintf("token-%d", time.Now().UnixNano())
		lab.ServerCommand(ctx, "rm -f ~/"+file)
		typeLine(t, lab, wid, 100, 100, "echo "+token+" > ~/"+file)
		reached := serverFileHas(lab, file, token, 3*time.Second)
		windowShot(t, lab, wid, "shadow-"+mode.String())
		switch {
		case mode == x2go.ViewOnly && reached:
			t.Fatal("input typed into a view-only shadow window reached the desktop")
		case mode == x2go.FullAccess && !reached:
			screenshot(t, lab, "shadow-full-access-typing-failed")
			t.Fatal("input typed into a full-access shadow window did not reach the desktop")
		}
		if err := viewer.Terminate(ctx); err != nil {
			t.Fatalf("Terminate the shadow session: %v", err)
		}
		lab.WaitWindow(t, `"`+viewer.Title()+`"`, false, 15*time.Second)
		if st := serverStatus(t, lab, name); st != "" {
			t.Fatalf("the terminated shadow session %s is still listed as %q", name, st)
		}
	}
	if st := serverStatus(t, lab, owner.Name()); st != "R" {
		t.Errorf("the shared desktop session is %q after the sharing, want R", st)
	}
}

// startSharingApplet starts x2goserver-desktopsharing's applet in the
// owner's desktop session, with desktop sharing on and no remembered
// answers, and waits for its socket: from then on the second lab user
// may ask to share the desktop, and the applet asks the owner in a dialog
// on the desktop. (The applet quits when its dialog closes, there being
// no system tray to keep it: one applet per request.)
func startSharingApplet(t *testing.T, lab *testserver.Lab, owner *x2go.Session, desk x2go.Desktop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	socket := "/tmp/x2godesktopsharing_@" + desk.User + "@" + desk.Display
	lock := "/tmp/x2godesktopsharing.lock_" + desk.User + "@" + desk.Display
	// Settings: the applet rewrites them when it ends; start clean.
	if out, err := lab.ServerCommand(ctx, "rm -f "+socket+" "+lock+
		" && mkdir -p ~/.x2godesktopsharing && printf '[General]\\nblacklist=\\nwhitelist=\\n' >~/.x2godesktopsharing/settings"); err != nil {
		t.Fatalf("preparing the applet: %v %s", err, out)
	}
	if err := owner.ExecPublishedApplication(ctx, "x2godesktopsharing --activate-desktop-sharing"); err != nil {
		t.Fatalf("starting the desktop sharing applet: %v", err)
	}
	for {
		if _, err := lab.ServerCommand(ctx, "test -S "+socket); err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the desktop sharing applet made no socket %s", socket)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// answerDialog waits for the applet's question "Accept user <requester>
// from host [...]?" on the owner's desktop and answers it as the owner
// would, on the client display where the desktop is shown: a click into
// the dialog, then Return (grant access, its default button) or Escape
// (deny). An answer that did not close the dialog (sent while it was
// still being drawn) is given again.
func answerDialog(t *testing.T, lab *testserver.Lab, owner *x2go.Session, desk x2go.Desktop, requester string, grant bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, shot := "Escape", "sharing-dialog-deny"
	if grant {
		key, shot = "Return", "sharing-dialog-grant"
	}
	// The dialog's title is "<requester> (<host>)"; its place on the
	// desktop comes from the desktop's own X server.
	re := regexp.MustCompile(`(0x[0-9a-f]+) "` + regexp.QuoteMeta(requester) + ` \([^)]*\)": \([^)]*\)\s+(\d+)x(\d+)\+(\d+)\+(\d+)`)
	display := "DISPLAY=" + desk.Display + " "
	answers := 0
	for {
		tree, err := lab.ServerCommand(ctx, display+"xwininfo -root -tree")
		if err != nil {
			t.Fatalf("xwininfo on %s: %v", desk, err)
		}
		m := re.FindStringSubmatch(tree)
		switch {
		case m == nil && answers > 0:
			return // answered: the dialog is gone
		case m == nil:
		case answers == 3:
			t.Fatalf("the sharing dialog on %s did not take the answer %s", desk, key)
		default:
			if info, _ := lab.ServerCommand(ctx, display+"xwininfo -id "+m[1]); !strings.Contains(info, "IsViewable") {
				break
			}
			if answers == 0 {
				screenshot(t, lab, shot)
			}
			w, _ := strconv.Atoi(m[2])
			x, _ := strconv.Atoi(m[4])
			y, _ := strconv.Atoi(m[5])
			wid := windowID(t, lab, owner.Title())
			for _, args := range [][]string{
				{"mousemove", "--window", wid, strconv.Itoa(x + w/2), strconv.Itoa(y + 12)},
				{"click", "1"},
				{"key", key},
			} {
				if out, err := xcmd(lab, "xdotool", args...); err != nil {
					t.Fatalf("xdotool %v: %v %s", args, err, out)
				}
				time.Sleep(200 * time.Millisecond)
			}
			answers++
			time.Sleep(time.Second)
		}
		if ctx.Err() != nil {
			t.Fatalf("no sharing dialog for %s on %s:\n%s", requester, desk, tree)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestE2EShareOtherUsersDesktop: the second lab user asks to share the
// first user's desktop; the first user's desktop sharing applet asks them
// on their desktop. Granted, the shadow window appears and mirrors the
// desktop; denied, ShareDesktop fails with ErrAccessDenied and the
// DesktopSharingDenied hook runs.
func TestE2EShareOtherUsersDesktop(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	ignore := goleak.IgnoreCurrent() // checked after the sessions' cleanup
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	owner, desk := startOwnerDesktop(t, lab)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var denied []string
	viewer := viewerSession(t, lab, nil, x2go.Hooks{DesktopSharingDenied: func(_ *x2go.Session, d string) {
		mu.Lock()
		defer mu.Unlock()
		denied = append(denied, d)
	}})
	startSharingApplet(t, lab, owner, desk)
	list, err := viewer.ListDesktops(ctx)
	if err != nil || !slices.Contains(list, desk.String()) {
		t.Fatalf("%s's ListDesktops = %q, %v; want %s, offered by its applet", lab.User2, list, err, desk)
	}

	// Granted.
	shared := make(chan error, 1)
	go func() { shared <- viewer.ShareDesktop(ctx, desk, x2go.ViewOnly) }()
	answerDialog(t, lab, owner, desk, lab.User2, true)
	if err := <-shared; err != nil {
		t.Fatalf("ShareDesktop after the owner granted access: %v", err)
	}
	name := viewer.Name()
	if n, err := x2go.ParseSessionName(name); err != nil || n.User != lab.User2 || n.ShadowUser != lab.User {
		t.Fatalf("shadow session %s: %+v %v", name, n, err)
	}
	sessions, err := viewer.ListSessions(ctx)
	if err != nil || !slices.ContainsFunc(sessions, func(si x2go.SessionInfo) bool { return si.Name == name && si.Status == "R" }) {
		t.Fatalf("%s's ListSessions = %+v, %v; want the running shadow session %s", lab.User2, sessions, err, name)
	}
	lab.WaitWindow(t, `"`+viewer.Title()+`"`, true, 30*time.Second)
	showsDesktop(t, lab, desk, windowID(t, lab, viewer.Title()), [3]int{0, 160, 0})
	windowShot(t, lab, windowID(t, lab, viewer.Title()), "shadow-other-user")
	// The shadow agent runs as the owner: x2goterminate-session of the
	// requester cannot signal it, yet it must end with the sharing.
	si, err := viewer.SessionInfoByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := viewer.Terminate(ctx); err != nil {
		t.Fatalf("Terminate the shadow session: %v", err)
	}
	lab.WaitWindow(t, `"`+viewer.Title()+`"`, false, 15*time.Second)
	for end := time.Now().Add(15 * time.Second); processAlive(si.AgentPID); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the shadow agent %d of %s still runs after Terminate", si.AgentPID, name)
		}
	}

	// Denied.
	startSharingApplet(t, lab, owner, desk)
	go func() { shared <- viewer.ShareDesktop(ctx, desk, x2go.FullAccess) }()
	answerDialog(t, lab, owner, desk, lab.User2, false)
	if err := <-shared; !errors.Is(err, x2go.ErrAccessDenied) {
		t.Fatalf("ShareDesktop after the owner denied access: %v, want ErrAccessDenied", err)
	}
	mu.Lock()
	if len(denied) != 1 || denied[0] != desk.String() {
		t.Errorf("DesktopSharingDenied hook: %q", denied)
	}
	mu.Unlock()
	if st := serverStatus(t, lab, owner.Name()); st != "R" {
		t.Errorf("the shared desktop session is %q after the sharing, want R", st)
	}
}
