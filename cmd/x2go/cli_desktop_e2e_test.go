package main

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/testserver"
)

// TestE2ECLIShareDesktop: x2go desktops lists a desktop session; x2go
// share-desktop and pyhoca-cli -D show it in a window of their own until
// Ctrl-C ends the sharing; a desktop that is not there fails with each
// one's exit status and starts nothing.
func TestE2ECLIShareDesktop(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)

	owner := c.startX2Go(t, "start", "-i", lab.Key, "-t", "desktop", "-c", "xterm", c.target)
	name := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &owner.out, "is running")
	desk := lab.User + "@:" + strings.Split(name, "-")[1]

	r := c.exec(t, c.bin, "desktops", "--json", "-i", lab.Key, c.target)
	var desktops []string
	if err := json.Unmarshal([]byte(r.stdout), &desktops); r.code != 0 || err != nil || !strings.Contains(strings.Join(desktops, " "), desk) {
		t.Fatalf("x2go desktops --json: %d %v %s%s; want %s", r.code, err, r.stdout, r.stderr, desk)
	}
	missing := lab.User + "@:99"
	if r := c.exec(t, c.bin, "share-desktop", "-i", lab.Key, c.target, missing); r.code != exitNoSession || !strings.Contains(r.stderr, "x2go desktops") {
		t.Errorf("x2go share-desktop %s: exit %d, %s; want %d and a hint at x2go desktops", missing, r.code, r.stderr, exitNoSession)
	}
	conn := []string{"--server", lab.Host, "-p", strconv.Itoa(lab.Port), "-u", lab.User, "--ssh-privkey", lab.Key}
	if r := c.exec(t, c.bin, append([]string{"pyhoca-cli"}, append(conn, "-D", missing)...)...); r.code != 54 {
		t.Errorf("pyhoca-cli -D %s: exit %d, want 54:\n%s", missing, r.code, r.stderr)
	}
	waitStatuses(t, lab, "R", time.Second) // nothing was started

	share := c.startX2Go(t, "share-desktop", "--full-access", "-i", lab.Key, c.target, desk)
	waitOutput(t, &share.out, "Ctrl-C will terminate it")
	shadow := regexp.MustCompile(`(?m)^\S+_stS1XSHAD` + lab.User + `XSHAD\S+$`).FindString(share.out.String())
	if shadow == "" {
		t.Fatalf("x2go share-desktop printed %q, want a full-access shadow session's name", share.out.String())
	}
	lab.WaitWindow(t, `"X2GO-`+shadow+`"`, true, 30*time.Second)
	share.interrupt(t)
	waitOutput(t, &share.out, "x2go: "+shadow+" terminated")
	lab.WaitWindow(t, `"X2GO-`+shadow+`"`, false, 15*time.Second)

	a := c.startAttended(t, append(conn, "-D", desk, "--share-mode", "0")...)
	waitOutput(t, &a.out, "Press CTRL+C to end desktop sharing for this session...")
	lab.WaitWindow(t, "XSHAD"+lab.User+"XSHAD", true, 30*time.Second)
	a.interrupt(t)
	waitOutput(t, &a.out, "has been terminated")
	waitStatuses(t, lab, "R", 15*time.Second) // the desktop session, still running
	owner.interrupt(t)
}

// TestE2ECLIPublishedApps: x2go apps shows the published applications in
// the locale's language with their icons; --start opens one in the
// published applications session x2go start -t published shows.
func TestE2ECLIPublishedApps(t *testing.T) {
	lab := testserver.StartLocked(t)
	c := newCLILab(t, lab)

	r := c.exec(t, c.bin, "apps", "--json", "--lang", "de_DE", "-i", lab.Key, c.target)
	var menu map[string][]struct {
		Name, Comment, Exec string
		Icon                string `json:"icon_base64"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &menu); r.code != 0 || err != nil {
		t.Fatalf("x2go apps --json: %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	found := false
	for _, entries := range menu {
		for _, e := range entries {
			if e.Exec != "xterm -name x2go-lab-xterm" {
				continue
			}
			icon, err := base64.StdEncoding.DecodeString(e.Icon)
			if e.Name != "Labor-XTerm" || err != nil || !strings.HasPrefix(string(icon), "/* XPM */") {
				t.Errorf("the lab's entry in German: %q, icon %q %v", e.Name, icon[:min(len(icon), 9)], err)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("x2go apps --json lacks the lab's entry:\n%s", r.stdout)
	}
	c.env = append(c.env, "LC_ALL=fr_FR.UTF-8")
	if r := c.exec(t, c.bin, "apps", "-i", lab.Key, c.target); r.code != 0 || !strings.Contains(r.stdout, "XTerm du labo\txterm -name x2go-lab-xterm") {
		t.Errorf("x2go apps with LC_ALL=fr_FR.UTF-8: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := c.exec(t, c.bin, "apps", "--start", "Lab XTerm", "-i", lab.Key, c.target); r.code != exitNoSession || !strings.Contains(r.stderr, "x2go start -t published") {
		t.Errorf("x2go apps --start without a published session: %d %s", r.code, r.stderr)
	}

	provider := c.startX2Go(t, "start", "-t", "published", "-i", lab.Key, c.target)
	waitStatuses(t, lab, "R", time.Minute)
	waitOutput(t, &provider.out, "is running")
	// Any of the entry's names works, whatever the language.
	if r := c.exec(t, c.bin, "apps", "--start", "Labor-XTerm", "-i", lab.Key, c.target); r.code != 0 {
		t.Fatalf("x2go apps --start: %d %s%s", r.code, r.stdout, r.stderr)
	}
	lab.WaitWindow(t, `("x2go-lab-xterm" "XTerm")`, true, 30*time.Second)
	provider.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)
	lab.WaitWindow(t, `("x2go-lab-xterm" "XTerm")`, false, 15*time.Second)
}
