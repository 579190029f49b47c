//go:build capture

package broker_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/brokertest"
	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
	"golang.org/x/crypto/ssh"
)

// TestCaptureAnswers is the tool that made testdata/answers, built only
// with the "capture" build tag (it is a tool, not a test: the tests of
// this package check the behaviour). With X2GO_BROKER_CAPTURE=<dir> it
// starts the real broker (brokertest), sends it the requests python-x2go
// and X2Go Client send, with plain net/http and over SSH, and writes each
// raw answer to <dir>/<name>.txt and its HTTP status and Content-Type to
// <dir>/<name>.meta.
func TestCaptureAnswers(t *testing.T) {
	out := os.Getenv("X2GO_BROKER_CAPTURE")
	if out == "" {
		t.Fatal("set X2GO_BROKER_CAPTURE=<dir>: where the broker's answers go")
	}
	lab := testserver.Start(t)
	b := brokertest.Start(t, brokertest.Options{Host: lab.Host, Port: lab.Port, ServerUser: lab.User})
	defer http.DefaultClient.CloseIdleConnections()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	save := func(name, meta string, body []byte) {
		if err := os.WriteFile(filepath.Join(out, name+".txt"), body, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".meta"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	post := func(name, u string, form url.Values) {
		resp, err := http.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		shown := url.Values{}
		for k, v := range form {
			shown[k] = v
		}
		if shown.Has("password") {
			shown.Set("password", "<hidden>")
		}
		save(name, fmt.Sprintf("request: POST %s %s\nstatus: %s\ncontent-type: %s\n",
			strings.TrimPrefix(u, b.URL[:len(b.URL)-1]), shown.Encode(), resp.Status, resp.Header.Get("Content-Type")), body)
	}
	login := func(v url.Values) url.Values {
		v.Set("user", brokertest.User)
		v.Set("password", brokertest.Password)
		return v
	}
	pub, err := ssh.ParsePublicKey(mustPublicKey(t, lab.Key))
	if err != nil {
		t.Fatal(err)
	}
	pubLine := "no-X11-forwarding,no-pty,no-user-rc " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " x2go-go"

	// The JSON dialect, as python-x2go asks.
	post("json-auth", b.JSONURL(), login(url.Values{}))
	post("json-list", b.JSONURL(), login(url.Values{"task": {"listprofiles"}}))
	post("json-list-other-user", b.JSONURL(), url.Values{"task": {"listprofiles"}, "user": {brokertest.OtherUser}, "password": {brokertest.OtherPassword}})
	post("json-list-refused", b.JSONURL(), url.Values{"task": {"listprofiles"}, "user": {brokertest.User}, "password": {"wrong"}})
	for _, p := range []string{brokertest.ProfileLab, brokertest.ProfilePool, brokertest.ProfileFailover, brokertest.ProfileAutologin, "no-such-profile"} {
		post("json-select-"+p, b.JSONURL(), login(url.Values{"task": {"selectsession"}, "profile-id": {p}}))
	}
	post("json-select-desk-pubkey", b.JSONURL(), login(url.Values{"task": {"selectsession"}, "profile-id": {brokertest.ProfileAutologin}, "pubkey": {pubLine}}))

	// The plain-text dialect, as X2Go Client asks.
	post("plain-auth", b.PlainURL(), login(url.Values{}))
	post("plain-list", b.PlainURL(), login(url.Values{"task": {"listsessions"}, "authid": {""}}))
	post("plain-list-other-user", b.PlainURL(), url.Values{"task": {"listsessions"}, "user": {brokertest.OtherUser}, "password": {brokertest.OtherPassword}})
	post("plain-list-refused", b.PlainURL(), url.Values{"task": {"listsessions"}, "user": {brokertest.User}, "password": {"wrong"}})
	for _, p := range []string{brokertest.ProfileLab, brokertest.ProfilePool, brokertest.ProfileFailover, brokertest.ProfileAutologin, "no-such-profile"} {
		post("plain-select-"+p, b.PlainURL(), login(url.Values{"task": {"selectsession"}, "sid": {p}, "authid": {""}}))
	}

	// The SSH broker, as X2Go Client runs it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	brokertest.TrackCookies(t, filepath.Join(homeOf(t, lab.User), ".x2go", "broker-cookies"))
	conn, err := sshconn.Dial(ctx, labSSH(lab))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	run := func(name string, args ...string) string {
		cmd := protocol.Join(append([]string{b.SSHCommand}, args...)...)
		res, err := conn.Run(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		shown := strings.Replace(cmd, b.SSHCommand, "<x2gobroker>", 1)
		save(name, fmt.Sprintf("command: %s\nexit status: %d\n", shown, res.Status), []byte(res.Stdout))
		return res.Stdout
	}
	first := run("ssh-list", "--user", lab.User, "--task", "listsessions")
	cookie := ""
	for _, l := range strings.Split(first, "\n") {
		if c, ok := strings.CutPrefix(l, "AUTHID:"); ok {
			cookie = c
		}
	}
	run("ssh-select-lab-cookie", "--user", lab.User, "--authid", cookie, "--task", "selectsession", "--sid", brokertest.ProfileLab)
	run("ssh-select-refused-cookie", "--user", lab.User, "--authid", cookie, "--task", "selectsession", "--sid", brokertest.ProfileLab)
	for _, p := range []string{brokertest.ProfilePool, brokertest.ProfileAutologin, "no-such-profile"} {
		run("ssh-select-"+p, "--user", lab.User, "--task", "selectsession", "--sid", p)
	}
}
