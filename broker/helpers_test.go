package broker_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/profile"
	"github.com/x2go-go/x2go/sshconn"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// answer reads a captured broker answer from testdata/answers.
func answer(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answerMeta returns a field of a captured answer's .meta file.
func answerMeta(t testing.TB, name, field string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", name+".meta"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+": "); ok {
			return v
		}
	}
	t.Fatalf("%s.meta has no %s", name, field)
	return ""
}

// mustPublicKey reads the public key next to a private key file.
func mustPublicKey(t testing.TB, keyFile string) []byte {
	t.Helper()
	b, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k.Marshal()
}

// labSSH logs in to the lab's sshd with the lab's key.
func labSSH(lab *testserver.Lab) sshconn.Config {
	return sshconn.Config{
		Host: lab.Host, Port: lab.Port, User: lab.User,
		Auth:           sshconn.Auth{KeyFiles: []string{lab.Key}},
		HostKeys:       sshconn.HostKeyConfig{KnownHostsFiles: []string{lab.KnownHosts}},
		ConnectTimeout: 30 * time.Second,
	}
}

func homeOf(t testing.TB, name string) string {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return u.HomeDir
}

// ids lists the profile IDs, sorted.
func ids(s *profile.Sessions) []string {
	var out []string
	for _, p := range s.Profiles() {
		out = append(out, p.ID())
	}
	sort.Strings(out)
	return out
}

// params converts every profile, failing the test on an error.
func params(t testing.TB, s *profile.Sessions) map[string]profile.SessionParams {
	t.Helper()
	out := map[string]profile.SessionParams{}
	for _, p := range s.Profiles() {
		sp, err := p.Params()
		if err != nil {
			t.Fatalf("profile %s: %v", p.ID(), err)
		}
		out[p.ID()] = sp
	}
	return out
}

func closeBroker(t testing.TB, b broker.Broker) {
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// sshconnPassword logs in with a password only.
func sshconnPassword(pw string) sshconn.Auth {
	return sshconn.Auth{Password: pw, ForcePassword: true}
}
