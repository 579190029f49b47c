package x2go_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/testserver"
)

// labOptions returns options that log in to the lab with its ed25519 key
// and check the host key against the lab's known_hosts.
func labOptions(lab *testserver.Lab) x2go.Options {
	return x2go.Options{
		Server: lab.Host, Port: lab.Port, Username: lab.User,
		KeyFiles:        []string{lab.Key},
		KnownHostsFiles: []string{lab.KnownHosts},
		ConnectTimeout:  20 * time.Second,
	}
}

func connectLab(t *testing.T, opts x2go.Options) (*x2go.Session, error) {
	t.Helper()
	s, err := x2go.NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = s.Connect(ctx)
	if err == nil {
		t.Cleanup(func() { s.Disconnect() })
	}
	return s, err
}

func TestE2EAuthMethods(t *testing.T) {
	lab := testserver.Start(t)
	for _, tc := range []struct {
		name   string
		change func(o *x2go.Options)
	}{
		{"ed25519", func(o *x2go.Options) {}},
		{"rsa-openssh", func(o *x2go.Options) { o.KeyFiles = []string{lab.RSAKey} }},
		{"ecdsa", func(o *x2go.Options) { o.KeyFiles = []string{lab.ECDSAKey} }},
		{"rsa-pem", func(o *x2go.Options) { o.KeyFiles = []string{lab.RSAPEMKey} }},
		{"ed25519-encrypted", func(o *x2go.Options) { o.KeyFiles = []string{lab.EncKey}; o.Passphrase = lab.Passphrase }},
		{"rsa-pem-encrypted", func(o *x2go.Options) { o.KeyFiles = []string{lab.RSAPEMEncKey}; o.Passphrase = lab.Passphrase }},
		{"passphrase-prompt", func(o *x2go.Options) {
			o.KeyFiles = []string{lab.EncKey}
			o.PassphrasePrompt = func(context.Context, string) (string, error) { return lab.Passphrase, nil }
		}},
		{"look-for-keys", func(o *x2go.Options) {
			o.KeyFiles = nil
			o.LookForKeys = true
			o.SSHDir = filepath.Join(lab.ClientHome, ".ssh")
		}},
		{"password", func(o *x2go.Options) { o.KeyFiles = nil; o.Password = lab.Password; o.ForcePasswordAuth = true }},
		{"hashed-known-hosts", func(o *x2go.Options) { o.KnownHostsFiles = []string{lab.KnownHostsHashed} }},
		{"keyboard-interactive-callback", func(o *x2go.Options) {
			o.Port = lab.KbdIntPort
			o.KeyFiles = nil
			o.KeyboardInteractive = func(_, _ string, qs []string, _ []bool) ([]string, error) {
				answers := make([]string, len(qs))
				for i := range qs {
					answers[i] = lab.Password
				}
				return answers, nil
			}
		}},
		{"keyboard-interactive-password", func(o *x2go.Options) {
			o.Port = lab.KbdIntPort
			o.KeyFiles = nil
			o.Password = lab.Password
		}},
		{"jump-host", func(o *x2go.Options) {
			o.Jump = &x2go.JumpHost{Host: lab.Host, Port: lab.Port, Username: lab.User, KeyFiles: []string{lab.Key}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := labOptions(lab)
			tc.change(&o)
			s, err := connectLab(t, o)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			if got, want := s.RemoteHome(), "/home/"+lab.User; got != want {
				t.Errorf("RemoteHome = %q, want %q", got, want)
			}
		})
	}
}

func TestE2EHostKeyUnknownRefused(t *testing.T) {
	lab := testserver.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte("# my hosts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := labOptions(lab)
	o.KnownHostsFiles = []string{kh}
	_, err := connectLab(t, o)
	if !errors.Is(err, x2go.ErrHostKeyUnknown) {
		t.Fatalf("err = %v, want ErrHostKeyUnknown", err)
	}
	var hk *x2go.HostKeyError
	if !errors.As(err, &hk) || hk.Changed || hk.Host != "[127.0.0.1]:"+itoa(lab.Port) || !strings.HasPrefix(hk.Fingerprint, "SHA256:") {
		t.Fatalf("HostKeyError = %+v", hk)
	}
	if b, _ := os.ReadFile(kh); string(b) != "# my hosts\n" {
		t.Fatalf("known_hosts changed although the key was refused: %q", b)
	}

	// A hook that says no keeps it refused; one that says yes accepts and stores it.
	o.Hooks = (&hostKeyHook{answer: false}).hooks()
	if _, err := connectLab(t, o); !errors.Is(err, x2go.ErrHostKeyUnknown) {
		t.Fatalf("hook said no: err = %v", err)
	}
	asked := &hostKeyHook{answer: true}
	o.Hooks = asked.hooks()
	if _, err := connectLab(t, o); err != nil {
		t.Fatalf("hook said yes: %v", err)
	}
	if asked.info.LookupName != "[127.0.0.1]:"+itoa(lab.Port) || asked.info.KeyType == "" {
		t.Errorf("hook got %+v", asked.info)
	}
	b, _ := os.ReadFile(kh)
	if !strings.HasPrefix(string(b), "# my hosts\n[127.0.0.1]:") {
		t.Fatalf("known_hosts after accepting = %q (comment must stay, entry appended)", b)
	}
	// Now known: no hook needed.
	o.Hooks = x2go.Hooks{}
	if _, err := connectLab(t, o); err != nil {
		t.Fatalf("connect with the stored key: %v", err)
	}
}

func TestE2EHostKeyAddToKnownHosts(t *testing.T) {
	lab := testserver.Start(t)
	kh := filepath.Join(t.TempDir(), "sub", "known_hosts") // directory does not exist yet
	o := labOptions(lab)
	o.KnownHostsFiles = []string{kh}
	o.AddToKnownHosts = true
	if _, err := connectLab(t, o); err != nil {
		t.Fatalf("connect with AddToKnownHosts: %v", err)
	}
	o.AddToKnownHosts = false
	if _, err := connectLab(t, o); err != nil {
		t.Fatalf("second connect against the stored key: %v", err)
	}
	if st, err := os.Stat(kh); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts: %v %v", st, err)
	}
}

func TestE2EHostKeyChangedAlwaysRefused(t *testing.T) {
	lab := testserver.Start(t)
	// A known_hosts that lists other keys (every type the lab has) for
	// the lab's address: what a man in the middle looks like.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	var forged strings.Builder
	for _, k := range []string{lab.Key, lab.RSAKey, lab.ECDSAKey} {
		pub, err := os.ReadFile(k + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(pub))
		forged.WriteString("[127.0.0.1]:" + itoa(lab.Port) + " " + f[0] + " " + f[1] + "\n")
	}
	if err := os.WriteFile(kh, []byte(forged.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  func(*x2go.Options)
	}{
		{"strict", func(*x2go.Options) {}},
		{"add-to-known-hosts", func(o *x2go.Options) { o.AddToKnownHosts = true }},
		{"hook-says-yes", func(o *x2go.Options) { o.Hooks = (&hostKeyHook{answer: true}).hooks() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := labOptions(lab)
			o.KnownHostsFiles = []string{kh}
			tc.opt(&o)
			_, err := connectLab(t, o)
			if !errors.Is(err, x2go.ErrHostKeyChanged) || errors.Is(err, x2go.ErrHostKeyUnknown) {
				t.Fatalf("err = %v, want ErrHostKeyChanged", err)
			}
			if !strings.Contains(err.Error(), "CHANGED") {
				t.Errorf("message does not say the key changed: %v", err)
			}
		})
	}
	if b, _ := os.ReadFile(kh); string(b) != forged.String() {
		t.Fatalf("known_hosts was modified")
	}
}

func TestE2EAuthErrorsAreTyped(t *testing.T) {
	lab := testserver.Start(t)
	const wrong = "not-the-password-4711"
	o := labOptions(lab)
	o.KeyFiles, o.Password, o.ForcePasswordAuth = nil, wrong, true
	_, err := connectLab(t, o)
	if !errors.Is(err, x2go.ErrAuthFailed) || errors.Is(err, x2go.ErrConnect) {
		t.Fatalf("wrong password: err = %v, want ErrAuthFailed and not ErrConnect", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatalf("the password leaked into the error: %v", err)
	}

	// Nothing listens on this port: a network error, not an auth error.
	o = labOptions(lab)
	o.Port = freePort(t)
	_, err = connectLab(t, o)
	if !errors.Is(err, x2go.ErrConnect) || errors.Is(err, x2go.ErrAuthFailed) {
		t.Fatalf("closed port: err = %v, want ErrConnect", err)
	}

	o = labOptions(lab)
	o.KeyFiles = []string{lab.EncKey}
	if _, err = connectLab(t, o); !errors.Is(err, x2go.ErrPassphraseRequired) {
		t.Fatalf("encrypted key without passphrase: err = %v", err)
	}
	o.Passphrase = "zz-Pp-9931"
	if _, err = connectLab(t, o); !errors.Is(err, x2go.ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	if strings.Contains(err.Error(), "zz-Pp-9931") {
		t.Fatalf("the passphrase leaked into the error: %v", err)
	}
	// A key the server does not accept.
	o = labOptions(lab)
	o.KeyFiles = []string{writeTempKey(t)}
	if _, err = connectLab(t, o); !errors.Is(err, x2go.ErrAuthFailed) {
		t.Fatalf("unknown key: err = %v", err)
	}
}

func TestE2EReadOnlyQueries(t *testing.T) {
	lab := testserver.Start(t)
	// The session list is compared with the server's: no other test may
	// start or end sessions meanwhile.
	lab.Lock(t)
	s, err := connectLab(t, labOptions(lab))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	features, err := s.ServerFeatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"X2GO_LIST_DESKTOPS", "X2GO_LIST_SHADOWSESSIONS", "X2GO_PUBLISHED_APPLICATIONS", "X2GO_MOUNTDIRS"} {
		if ok, _ := s.HasServerFeature(ctx, f); !ok {
			t.Errorf("feature %s missing from %v", f, features)
		}
	}
	if ok, _ := s.HasServerFeature(ctx, "X2GO_NO_SUCH_FEATURE"); ok {
		t.Error("HasServerFeature says yes to a made-up feature")
	}
	v, err := s.ServerVersion(ctx, "")
	if err != nil || !strings.HasPrefix(v, "4.") {
		t.Errorf("ServerVersion = %q, %v", v, err)
	}
	if _, err := s.ServerVersion(ctx, "x2goserver-nonexistent"); !errors.Is(err, x2go.ErrNotX2GoServer) {
		t.Errorf("missing component: %v", err)
	}
	if ok, err := s.IsX2GoServer(ctx); !ok || err != nil {
		t.Errorf("IsX2GoServer = %v, %v", ok, err)
	}
	if ok, err := s.UserIsX2GoUser(ctx); !ok || err != nil {
		t.Errorf("UserIsX2GoUser = %v, %v", ok, err)
	}
	if ip, port, err := s.ServerPeerName(); ip != "127.0.0.1" || port != lab.Port || err != nil {
		t.Errorf("ServerPeerName = %s %d %v", ip, port, err)
	}
	if s.ServerHostname() != lab.Host || s.ServerPort() != lab.Port {
		t.Errorf("ServerHostname/Port = %s %d", s.ServerHostname(), s.ServerPort())
	}
	list, err := s.ListSessions(ctx)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	// Compare with the server's own view (no SSH involved).
	// Line by line, but for field 12, the session's age in seconds, which
	// moves on between the two listings.
	withoutAge := func(line string) string {
		f := strings.Split(line, "|")
		if len(f) > 12 {
			f[12] = "<age>"
		}
		return strings.Join(f, "|")
	}
	var got, want []string
	for _, si := range list {
		got = append(got, withoutAge(si.Line()))
	}
	for _, line := range lab.Sessions(t) {
		want = append(want, withoutAge(line))
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListSessions gives\n%v\nthe server lists\n%v", got, want)
	}
	if _, err := s.ListDesktops(ctx); err != nil {
		t.Errorf("ListDesktops: %v", err)
	}
	mounts, err := s.ListMounts(ctx, "x2gotest-59-1795627586_stRxterm_dp24")
	if err != nil || len(mounts) != 0 {
		t.Errorf("ListMounts of a session that does not exist = %v, %v", mounts, err)
	}
	raw, err := s.PublishedApplicationsRaw(ctx)
	if err != nil {
		t.Fatalf("PublishedApplicationsRaw: %v", err)
	}
	menu, err := s.PublishedApplications(ctx, "de", 10)
	if err != nil {
		t.Fatalf("PublishedApplications: %v", err)
	}
	n := 0
	for _, entries := range menu {
		for _, e := range entries {
			if e.Name == "" || e.Exec == "" {
				t.Errorf("menu entry without name or exec: %+v", e)
			}
			n++
		}
	}
	t.Logf("%d published applications, %d in the menu", len(raw), n)
}

func TestE2ECancelledContext(t *testing.T) {
	lab := testserver.Start(t)
	s, err := connectLab(t, labOptions(lab))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ListSessions(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ListSessions with a cancelled context: %v", err)
	}
	// The connection is still usable afterwards.
	if _, err := s.ListSessions(context.Background()); err != nil {
		t.Fatalf("ListSessions after a cancelled call: %v", err)
	}
}
