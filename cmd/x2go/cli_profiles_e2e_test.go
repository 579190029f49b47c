package main

// End-to-end tests of session profiles and brokers in the CLI: pyhoca-cli's
// -P with X2Go Client's sessions file and with the real x2gobroker (-B,
// --broker-password), --list-profiles of a broker compared with Debian's
// pyhoca-cli, and x2go list --all-profiles over the lab's two sshds.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/brokertest"
	"github.com/x2go-go/x2go/internal/testserver"
	"go.uber.org/goleak"
)

// profilesLab is a cliLab whose HOME holds the sessions file of the
// Client's tests (testdata/client/sessions) with one more profile, on the
// lab's second sshd.
func profilesLab(t *testing.T, lab *testserver.Lab) *cliLab {
	t.Helper()
	c := newCLILab(t, lab)
	file := filepath.Join(c.home, ".x2goclient", "sessions")
	b, err := os.ReadFile("../../testdata/client/sessions")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.exec(t, c.bin, "profiles", "add", "second sshd", fmt.Sprintf("%s@%s:%d", lab.User, lab.Host, lab.KbdIntPort),
		"--set", "autologin=false", "--set", "command=xterm")
	if r.code != 0 {
		t.Fatalf("profiles add: %d %s%s", r.code, r.stdout, r.stderr)
	}
	return c
}

// hostLine is the line of pyhoca-cli's -L output that names the server.
var hostLine = regexp.MustCompile(`(?m)^Host: \S+ - \[([^\]]+)\]:(\d+)$`)

// TestE2EPyhocaProfiles: -P takes the server, user and session options
// from the sessions file (with -i for the key): -L lists there, -N starts
// an xterm whose window appears, Ctrl-C suspends it; an unknown profile
// ends with pyhoca-cli's error and status 31. x2go list --all-profiles
// lists the servers of every profile at once, the one that cannot be
// reached in a line of its own.
func TestE2EPyhocaProfiles(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	lab.TerminateAll(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	t.Cleanup(func() { lab.TerminateAll(t) })
	c := profilesLab(t, lab)
	const name = `lab, xterm "e2e"`
	pw := filepath.Join(c.home, "pw")
	if err := os.WriteFile(pw, []byte(lab.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := c.exec(t, c.link, "-P", name, "-i", lab.Key, "-L")
	if m := hostLine.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[2] != strconv.Itoa(lab.Port) {
		t.Fatalf("-P -L: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "registering X2Go session "+name+"...") {
		t.Errorf("the log does not name the profile:\n%s", r.stderr)
	}
	r = c.exec(t, c.link, "-P", "second sshd", "--password-file", pw, "-L")
	if m := hostLine.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[2] != strconv.Itoa(lab.KbdIntPort) {
		t.Fatalf("-P on the second sshd: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	a := c.startAttended(t, "-P", name, "-i", lab.Key)
	sname := waitStatuses(t, lab, "R", time.Minute)[0]
	waitOutput(t, &a.out, "Press CTRL+C to suspend the running session...")
	lab.WaitWindow(t, `"X2GO-`+sname+`"`, true, 30*time.Second)
	if !strings.Contains(sname, "_stRxterm_") {
		t.Errorf("session %s: not the profile's rootless xterm", sname)
	}
	a.interrupt(t)
	waitStatuses(t, lab, "S", 30*time.Second)

	r = c.exec(t, c.link, "-P", "no such profile", "-L")
	if r.code != 31 || !strings.Contains(r.stderr, "pyhoca-cli: error: no such session profile of name: no such profile") {
		t.Fatalf("unknown profile: exit %d, stderr %q", r.code, r.stderr)
	}

	// All profiles at once: the lab's two sshds list the suspended
	// session, the office profile's server cannot be reached.
	r = c.exec(t, c.bin, "list", "--all-profiles", "-i", lab.Key, "--password-file", pw, "--timeout", "5s", "--json")
	var rows []struct {
		Server   string
		Port     int
		Sessions []sessionJSON
		Error    string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != exitError || len(rows) != 3 {
		t.Fatalf("list --all-profiles: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	// In the file's order: the lab, the office, the second sshd.
	for i, port := range map[int]int{0: lab.Port, 2: lab.KbdIntPort} {
		if rows[i].Port != port || rows[i].Error != "" || len(rows[i].Sessions) != 1 || rows[i].Sessions[0].Name != sname {
			t.Errorf("row %d: %+v", i, rows[i])
		}
	}
	if rows[1].Server != "Büro (Desk)" || rows[1].Error == "" {
		t.Errorf("the office profile: %+v", rows[1])
	}
	// Both sshds are one X2Go server: the session is terminated through
	// one of them (or both, when their lists came first).
	r = c.exec(t, c.bin, "terminate", "--all-profiles", "-i", lab.Key, "--password-file", pw, "--timeout", "5s", "ALL")
	if r.code != exitError || !strings.Contains(r.stdout, sname) || !regexp.MustCompile(`(?m)^Büro \(Desk\) +error: `).MatchString(r.stdout) {
		t.Fatalf("terminate --all-profiles: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitStatuses(t, lab, "", 30*time.Second)
}

// TestE2EPyhocaBroker: with the real x2gobroker, --list-profiles prints
// what Debian's pyhoca-cli prints for the same broker, and -P of the pool
// profile lists the sessions on whichever of the lab's two sshds the
// broker chose: both get chosen.
func TestE2EPyhocaBroker(t *testing.T) {
	lab := testserver.Start(t)
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	srv := brokertest.Start(t, brokertest.Options{
		Host: lab.Host, Port: lab.Port, SecondHost: lab.Host, SecondPort: lab.KbdIntPort, ServerUser: lab.User,
	})
	c := newCLILab(t, lab)
	url := strings.Replace(srv.JSONURL(), "://", "://"+brokertest.User+"@", 1)

	args := []string{"-B", url, "--broker-password", brokertest.Password, "--list-profiles"}
	ref := c.exec(t, "pyhoca-cli", args...)
	got := c.exec(t, c.link, args...)
	if got.code != 0 || !strings.Contains(got.stdout, "X2Go Session Broker URL: "+srv.JSONURL()+"\n") ||
		!strings.Contains(got.stdout, "Profile ID: "+brokertest.ProfilePool+"\n") {
		t.Fatalf("--list-profiles with a broker: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if ref.code != 0 || ref.stdout != got.stdout {
		t.Errorf("pyhoca-cli printed (exit %d):\n%s%s\nx2go pyhoca-cli printed:\n%s", ref.code, ref.stdout, ref.stderr, got.stdout)
	}
	if strings.Contains(got.stdout+got.stderr, brokertest.Password) {
		t.Error("the broker password was printed")
	}

	pw := filepath.Join(c.home, "pw")
	if err := os.WriteFile(pw, []byte(lab.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var picks []string
	for try := 0; try < 16 && len(seen) < 2; try++ {
		r := c.exec(t, c.link, "-B", url, "--broker-password", brokertest.Password, "-P", brokertest.ProfilePool,
			"-u", lab.User, "-i", lab.Key, "--password-file", pw, "-L")
		m := hostLine.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Fatalf("-B -P pool -L: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		seen[m[2]] = true
		picks = append(picks, m[2])
	}
	t.Logf("the broker sent -P pool to the ports %v", picks)
	if !seen[strconv.Itoa(lab.Port)] || !seen[strconv.Itoa(lab.KbdIntPort)] {
		t.Fatalf("in %d runs the broker chose only %v", len(picks), picks)
	}
	r := c.exec(t, c.link, "-B", url, "--broker-password", "wrong", "-P", brokertest.ProfileLab, "-L")
	if r.code == 0 || strings.Contains(r.stderr, "wrong") {
		t.Fatalf("wrong broker password: exit %d, stderr %q", r.code, r.stderr)
	}
}
