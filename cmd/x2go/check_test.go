package main

// Tests of x2go check's decisions against the in-process SSH server of
// internal/fakesshd, which answers each probe with what a real server
// printed: the lab's answers (captured there as the test user), and for
// the missing parts what a shell prints when a program is absent. The
// all-ok case against the real lab is TestE2ECheckLab.

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// Answers of the lab server (x2goserver 4.1.0.3, OpenSSH 9.2p1, Debian 12)
// to the probes, captured with su - x2gotest -c '<probe>'.
const (
	labSSHVersion = "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n"
	labKeyTypes   = "pubkeyacceptedalgorithms ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256\n"
	// The same ssh with ed25519 taken out of PubkeyAcceptedAlgorithms.
	noEd25519KeyTypes = "pubkeyacceptedalgorithms ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256\n"
)

// notFound is what `command -v NAME` does when NAME is not installed:
// nothing on either stream, status 1.
var notFound = fakesshd.Reply{Status: 1}

// healthyServer answers the probes like the lab.
func healthyServer() fakesshd.Handler {
	return fakesshd.Override(nil, map[string]fakesshd.Reply{
		probeHome:         fakesshd.Output("ok " + fakesshd.Home + "\n"),
		probeAgent:        fakesshd.Output("/usr/bin/x2goagent\n"),
		probeSessionLimit: fakesshd.Output(""),
		probeSSHFS:        fakesshd.Output("/usr/bin/sshfs\n"),
		probeFusermount:   fakesshd.Output("/usr/bin/fusermount\n"),
		probeDevFuse:      fakesshd.Output("ok\n"),
		probeSSHClient:    fakesshd.Output(labSSHVersion),
		probeSSHKeyTypes:  fakesshd.Output(labKeyTypes),
		probeCupsX2Go:     fakesshd.Output(""),
		probeDesktopShare: notFound,
		probeListDesktops: fakesshd.Output("/usr/bin/x2golistdesktops\n"),
	})
}

// runCheck runs x2go check against a fake server answering with h and
// returns the decoded JSON report, the text output and the exit status.
func runCheck(t *testing.T, h fakesshd.Handler) (report, string, int) {
	t.Helper()
	s := fakesshd.New(t, h)
	_, port, _ := net.SplitHostPort(s.Addr())
	args := []string{"x2go", "check", "-p", port, "--known-hosts", s.KnownHostsFile(t), "x2gotest@127.0.0.1"}
	out, errOut, code := runIn(t, &env{envPassword: fakesshd.DefaultPassword}, append(args, "--json")...)
	if errOut != "" {
		t.Errorf("x2go check --json wrote on stderr: %q", errOut)
	}
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("x2go check --json printed invalid JSON: %v\n%s", err, out)
	}
	text, _, textCode := runIn(t, &env{envPassword: fakesshd.DefaultPassword}, args...)
	if textCode != code {
		t.Errorf("exit %d with --json, %d without", code, textCode)
	}
	return r, text, code
}

// find returns the finding about topic.
func (r report) find(topic string) (finding, bool) {
	for _, f := range r.Findings {
		if f.Topic == topic {
			return f, true
		}
	}
	return finding{}, false
}

func TestCheckHealthyServer(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	r, text, code := runCheck(t, healthyServer())
	if code != 0 || !r.OK {
		t.Errorf("exit %d, ok %v:\n%s", code, r.OK, text)
	}
	for _, f := range r.Findings {
		if f.Status != statusOK {
			t.Errorf("not ok: %+v", f)
		}
	}
	for _, topic := range []string{"reach", "ssh", "host key", "login", "home", "x2goserver", "x2goagent", "features",
		"x2go user", "session limit", "sshfs", "fusermount", "/dev/fuse", "ssh client", "ssh key types", "printing", "desktop sharing"} {
		if _, ok := r.find(topic); !ok {
			t.Errorf("no finding about %s:\n%s", topic, text)
		}
	}
	if f, _ := r.find("ssh client"); f.Detail != strings.TrimSpace(labSSHVersion) {
		t.Errorf("ssh client: %q", f.Detail)
	}
	if f, _ := r.find("ssh key types"); !strings.Contains(f.Detail, "ed25519") {
		t.Errorf("ssh key types: %q", f.Detail)
	}
	if !strings.HasPrefix(text, "ok  reach") {
		t.Errorf("text report:\n%s", text)
	}
}

// TestCheckMissingParts: a server that lacks one part gets a line that
// names it and the fix; the rest stays ok.
func TestCheckMissingParts(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	for _, c := range []struct {
		name    string
		replies map[string]fakesshd.Reply
		topic   string
		status  string
		detail  string // in the finding's detail
		fix     string // in its fix
	}{
		{"no sshfs", map[string]fakesshd.Reply{probeSSHFS: notFound}, "sshfs", statusFail, "not installed", "install sshfs"},
		{"no fusermount", map[string]fakesshd.Reply{probeFusermount: notFound}, "fusermount", statusFail, "not installed", "install fuse3"},
		{"no /dev/fuse", map[string]fakesshd.Reply{probeDevFuse: fakesshd.Output("missing\n")}, "/dev/fuse", statusFail, "missing", "modprobe fuse"},
		{"/dev/fuse closed", map[string]fakesshd.Reply{probeDevFuse: fakesshd.Output("denied\n")}, "/dev/fuse", statusFail, "not readable and writable", "0666"},
		{"no ssh client", map[string]fakesshd.Reply{probeSSHClient: fakesshd.Output("sh: 1: ssh: not found\n")}, "ssh client", statusFail, "no OpenSSH client", "openssh-client"},
		{"ed25519 refused", map[string]fakesshd.Reply{probeSSHKeyTypes: fakesshd.Output(noEd25519KeyTypes)}, "ssh key types", statusWarn, "refuses ed25519", "PubkeyAcceptedAlgorithms"},
		{"no x2goagent", map[string]fakesshd.Reply{probeAgent: notFound}, "x2goagent", statusFail, "not found", "x2goserver-x2goagent"},
		{"no cups-x2go", map[string]fakesshd.Reply{probeCupsX2Go: notFound}, "printing", statusWarn, "cups-x2go backend is not", "install cups-x2go"},
		{"no printing", map[string]fakesshd.Reply{"x2goversion": fakesshd.Output(strings.Replace(fakesshd.Versions, "x2goserver-printing: 4.1.0.3\n", "", 1))},
			"printing", statusWarn, "x2goserver-printing is not installed", "install x2goserver-printing"},
		{"no xsession", map[string]fakesshd.Reply{"x2goversion": fakesshd.Output(strings.Replace(fakesshd.Versions, "x2goserver-xsession: 4.1.0.3\n", "", 1))},
			"xsession", statusWarn, "not installed", "install x2goserver-xsession"},
		{"limit reached", map[string]fakesshd.Reply{probeSessionLimit: fakesshd.Output("LIMIT\n")}, "session limit", statusWarn, "reached", "terminate"},
		{"limit", map[string]fakesshd.Reply{probeSessionLimit: fakesshd.Output("2\n")}, "session limit", statusOK, "at most 2 sessions", ""},
		{"home missing", map[string]fakesshd.Reply{probeHome: fakesshd.Output("bad /home/x2gotest\n")}, "home", statusFail, "missing or not writable", "create it"},
		{"no x2goserver", map[string]fakesshd.Reply{"x2goversion": notFound}, "x2goserver", statusFail, "not installed", "install the x2goserver"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, text, code := runCheck(t, fakesshd.Override(healthyServer(), c.replies))
			f, ok := r.find(c.topic)
			if !ok || f.Status != c.status || !strings.Contains(f.Detail, c.detail) || !strings.Contains(f.Fix, c.fix) {
				t.Fatalf("finding about %s: %+v, want %s with %q and fix %q\n%s", c.topic, f, c.status, c.detail, c.fix, text)
			}
			if c.fix != "" && !strings.Contains(text, "fix: "+f.Fix) {
				t.Errorf("the text report does not show the fix:\n%s", text)
			}
			for _, other := range r.Findings {
				if other.Topic != c.topic && other.Status != statusOK && c.name != "no printing" {
					t.Errorf("also not ok: %+v", other)
				}
			}
			if wantCode := map[bool]int{true: 1, false: 0}[c.status == statusFail]; code != wantCode || r.OK == (code != 0) {
				t.Errorf("exit %d, ok %v; want exit %d", code, r.OK, wantCode)
			}
			if c.name == "no x2goserver" {
				if _, ok := r.find("sshfs"); ok {
					t.Errorf("went on probing a server without x2goserver:\n%s", text)
				}
			}
		})
	}
}

// TestCheckCannotConnect: the steps before the probes, each named.
func TestCheckCannotConnect(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s := fakesshd.New(t, healthyServer())
	_, port, _ := net.SplitHostPort(s.Addr())
	kh := s.KnownHostsFile(t)

	// An unknown host key: its fingerprint, and how to accept it.
	out, _, code := runIn(t, &env{envPassword: fakesshd.DefaultPassword}, "x2go", "check", "--non-interactive", "-p", port, "--known-hosts", t.TempDir()+"/kh", "x2gotest@127.0.0.1")
	if code != 1 || !strings.Contains(out, "fail  host key") || !strings.Contains(out, "SHA256:") || !strings.Contains(out, "--add-to-known-hosts") {
		t.Errorf("unknown host key: exit %d\n%s", code, out)
	}
	// A refused login: which methods were tried.
	out, _, code = runIn(t, &env{envPassword: "wrong"}, "x2go", "check", "-p", port, "--known-hosts", kh, "x2gotest@127.0.0.1")
	if code != 1 || !strings.Contains(out, "fail  login") || !strings.Contains(out, "tried: ") || !strings.Contains(out, "password") {
		t.Errorf("refused login: exit %d\n%s", code, out)
	}
	// Nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, freePort, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	out, _, code = runIn(t, &env{}, "x2go", "check", "-p", freePort, "x2gotest@127.0.0.1")
	if code != 1 || !strings.HasPrefix(out, "fail  reach") {
		t.Errorf("nothing listening: exit %d\n%s", code, out)
	}
}
