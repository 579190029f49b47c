package broker_test

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/brokertest"
	"github.com/x2go-go/x2go/internal/testserver"
	"golang.org/x/crypto/ssh"
)

// startBroker runs the real x2gobroker with profiles pointing at the lab.
func startBroker(t *testing.T, opts brokertest.Options) (*testserver.Lab, *brokertest.Broker) {
	t.Helper()
	lab := testserver.Start(t)
	opts.Host, opts.Port, opts.ServerUser = lab.Host, lab.Port, lab.User
	return lab, brokertest.Start(t, opts)
}

func newHTTP(t *testing.T, cfg broker.HTTPConfig) *broker.HTTP {
	t.Helper()
	b, err := broker.NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)
	return b
}

// The whole conversation with the real broker, in both dialects: list the
// profiles, select servers (one server, a load-balanced pool, a pool with
// a dead server, an autologin profile), with the auth cookie the broker
// hands out used in place of the password after the first request.
func TestHTTPE2E(t *testing.T) {
	lab, srv := startBroker(t, brokertest.Options{})
	pub, err := ssh.ParsePublicKey(mustPublicKey(t, lab.Key))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		url     string
		dialect broker.Dialect
	}{
		{"json", srv.JSONURL(), broker.DialectJSON},
		{"plain", srv.PlainURL(), broker.DialectPlain},
		// The URL says /json/inifile/, the client is told nothing.
		{"auto-json", srv.URL + "json/inifile/", broker.DialectAuto},
		{"auto-plain", srv.URL + "plain/inifile/", broker.DialectAuto},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			cfg := broker.HTTPConfig{URL: c.url, User: brokertest.User, Password: brokertest.Password, Dialect: c.dialect}
			b := newHTTP(t, cfg)
			if err := b.Authenticate(ctx); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			cookies := map[string]bool{b.Cookie(): true}
			profiles, err := b.ListProfiles(ctx)
			if err != nil {
				t.Fatalf("ListProfiles: %v", err)
			}
			if got := ids(profiles); !reflect.DeepEqual(got, []string{"desk", "failover", "lab", "pool"}) {
				t.Fatalf("profiles %v", got)
			}
			if ps := params(t, profiles); ps["lab"].User != brokertest.User || ps["desk"].ProfileName != "Büro-Desktop" {
				t.Errorf("profiles: %+v", ps)
			}
			want := broker.DialectPlain
			if strings.Contains(c.url, "/json/") {
				want = broker.DialectJSON
			}
			if b.Dialect() != want {
				t.Errorf("Dialect %v, want %v", b.Dialect(), want)
			}
			cookies[b.Cookie()] = true

			sel, err := b.SelectSession(ctx, brokertest.ProfileLab)
			if err != nil {
				t.Fatalf("SelectSession(lab): %v", err)
			}
			if sel.Server != lab.Host || sel.Port != lab.Port || sel.PrivateKey != nil || sel.Resume != nil || sel.ProfileID != "lab" {
				t.Errorf("lab: %v", sel)
			}
			cookies[b.Cookie()] = true

			// The pool: the broker picks at random; both servers come up.
			seen := map[string]int{}
			for i := 0; i < 40 && len(seen) < 2; i++ {
				sel, err := b.SelectSession(ctx, brokertest.ProfilePool)
				if err != nil {
					t.Fatalf("SelectSession(pool): %v", err)
				}
				seen[sel.Addr()]++
				cookies[b.Cookie()] = true
			}
			port := strconv.Itoa(lab.Port)
			servers := map[string]bool{net.JoinHostPort(lab.Host, port): true, net.JoinHostPort(srv.SecondHost, port): true}
			for addr := range seen {
				if !servers[addr] {
					t.Errorf("pool gave %s", addr)
				}
			}
			if len(seen) != 2 {
				t.Errorf("pool: only %v in 40 selections", seen)
			}
			t.Logf("pool selections: %v", seen)

			// The dead server of the failover profile is never offered.
			for i := 0; i < 6; i++ {
				sel, err := b.SelectSession(ctx, brokertest.ProfileFailover)
				if err != nil || sel.Server != lab.Host || sel.Port != lab.Port {
					t.Fatalf("failover: %v, %v", sel, err)
				}
			}

			// Autologin: a key made by the broker.
			sel, err = b.SelectSession(ctx, brokertest.ProfileAutologin)
			if err != nil {
				t.Fatalf("SelectSession(desk): %v", err)
			}
			if k, err := sel.Signer(); err != nil || k == nil || sel.PublicKeyAccepted {
				t.Errorf("desk: %v, signer %v, %v", sel, k, err)
			}

			_, err = b.SelectSession(ctx, "no-such-profile")
			var ns *broker.NoServerError
			if !errors.As(err, &ns) || !errors.Is(err, broker.ErrNoServer) || ns.ProfileID != "no-such-profile" {
				t.Errorf("unknown profile: %v", err)
			}

			// Every answer brought a new cookie, and the broker accepted
			// each one in place of the password.
			if len(cookies) < 5 || cookies[""] {
				t.Errorf("cookies: %v", cookies)
			}
			if !strings.Contains(srv.Log(), "found valid auth key for user cookie: test_") {
				t.Error("the broker log shows no request authenticated by cookie")
			}

			// With our public key, the broker accepts it instead of making
			// a key.
			// The plain dialect cannot say so: there the key is not
			// offered and the broker makes one.
			cfg.PublicKey = pub
			bk := newHTTP(t, cfg)
			if err := bk.Authenticate(ctx); err != nil {
				t.Fatal(err)
			}
			sel, err = bk.SelectSession(ctx, brokertest.ProfileAutologin)
			if bk.Dialect() == broker.DialectJSON {
				if err != nil || !sel.PublicKeyAccepted || sel.PrivateKey != nil {
					t.Errorf("desk with public key: %v, %v", sel, err)
				}
			} else if err != nil || sel.PublicKeyAccepted || sel.PrivateKey == nil {
				t.Errorf("desk with public key, plain: %v, %v", sel, err)
			}
		})
	}
}

// A wrong password, in both dialects: a typed refusal that does not
// contain the password; the other test user (non-ASCII password) sees the
// profile reserved for him.
func TestHTTPE2EAuth(t *testing.T) {
	_, srv := startBroker(t, brokertest.Options{})
	for _, u := range []string{srv.JSONURL(), srv.PlainURL()} {
		ctx := testCtx(t)
		const wrong = "wrong-Passw0rd-xyz"
		b := newHTTP(t, broker.HTTPConfig{URL: u, User: brokertest.User, Password: wrong})
		_, err := b.ListProfiles(ctx)
		var ae *broker.AuthError
		if !errors.As(err, &ae) || !errors.Is(err, broker.ErrAuthFailed) || ae.Status != http.StatusUnauthorized || ae.Cookie || ae.User != brokertest.User {
			t.Errorf("%s: wrong password: %v", u, err)
		}
		if strings.Contains(err.Error(), wrong) {
			t.Errorf("the error shows the password: %v", err)
		}
		if _, err := b.SelectSession(ctx, brokertest.ProfileLab); !errors.Is(err, broker.ErrAuthFailed) {
			t.Errorf("%s: select with wrong password: %v", u, err)
		}

		// Credentials in the URL, as python-x2go and X2Go Client allow.
		pu, _ := url.Parse(u)
		pu.User = url.UserPassword(brokertest.OtherUser, brokertest.OtherPassword)
		o := newHTTP(t, broker.HTTPConfig{URL: pu.String()})
		if strings.Contains(o.URL(), "@") || strings.Contains(o.URL(), "th") {
			t.Errorf("URL() keeps the credentials: %s", o.URL())
		}
		profiles, err := o.ListProfiles(ctx)
		if err != nil {
			t.Fatalf("%s: %s: %v", u, brokertest.OtherUser, err)
		}
		if got := ids(profiles); !reflect.DeepEqual(got, []string{"desk", "failover", "lab", "pool", "staff"}) {
			t.Errorf("%s: %s sees %v", u, brokertest.OtherUser, got)
		}
		if ps := params(t, profiles); ps["staff"].User != brokertest.OtherUser {
			t.Errorf("staff user %q", ps["staff"].User)
		}
	}
}

// A cookie the broker no longer accepts (here: used up by someone else)
// is dropped, and the request repeated once with the password.
func TestHTTPE2ECookieRefused(t *testing.T) {
	_, srv := startBroker(t, brokertest.Options{})
	defer http.DefaultClient.CloseIdleConnections()
	for _, u := range []string{srv.JSONURL(), srv.PlainURL()} {
		ctx := testCtx(t)
		b := newHTTP(t, broker.HTTPConfig{URL: u, User: brokertest.User, Password: brokertest.Password})
		if _, err := b.ListProfiles(ctx); err != nil {
			t.Fatal(err)
		}
		stolen := b.Cookie()
		resp, err := http.PostForm(u, url.Values{"user": {brokertest.User}, "authid": {stolen}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("using the cookie: %s", resp.Status)
		}
		sel, err := b.SelectSession(ctx, brokertest.ProfileLab)
		if err != nil || sel.Server != srv.Host {
			t.Fatalf("after the cookie was used up: %v, %v", sel, err)
		}
		if c := b.Cookie(); c == "" || c == stolen {
			t.Errorf("cookie %q", c)
		}
		// Without the password there is nothing to fall back on.
		nb := newHTTP(t, broker.HTTPConfig{URL: u, User: brokertest.User})
		var ae *broker.AuthError
		if _, err := nb.ListProfiles(ctx); !errors.As(err, &ae) {
			t.Errorf("no password: %v", err)
		}
	}
}

// A broker that requires a pre-shared auth cookie (require-cookie) instead
// of a password.
func TestHTTPE2EPresharedAuthID(t *testing.T) {
	const id = "6c2b1f0e-55d1-4c5e-9b8e-0d6f7f1b2a3c"
	_, srv := startBroker(t, brokertest.Options{AuthID: id})
	read, err := broker.ReadAuthIDFile(filepath.Join(srv.Dir, "x2gobroker.authid"))
	if err != nil || read != id {
		t.Fatalf("ReadAuthIDFile: %q, %v", read, err)
	}
	for _, u := range []string{srv.JSONURL(), srv.PlainURL()} {
		ctx := testCtx(t)
		for _, bad := range []string{"", "0b8f7f9e-8f77-4c1e-a7b3-3a4c1e0d2f11"} {
			without := newHTTP(t, broker.HTTPConfig{URL: u, User: brokertest.User, Password: brokertest.Password, AuthID: bad})
			if _, err := without.ListProfiles(ctx); !errors.Is(err, broker.ErrAuthFailed) {
				t.Errorf("%s: auth ID %q: %v", u, bad, err)
			}
		}
		with := newHTTP(t, broker.HTTPConfig{URL: u, User: brokertest.User, AuthID: read})
		for i := 0; i < 3; i++ {
			if _, err := with.ListProfiles(ctx); err != nil {
				t.Fatalf("%s: with the auth ID, request %d: %v", u, i+1, err)
			}
			// The broker hands the pre-shared cookie back each time.
			if c := with.Cookie(); c != id {
				t.Errorf("%s: cookie %q", u, c)
			}
		}
		if _, err := with.SelectSession(ctx, brokertest.ProfileLab); err != nil {
			t.Errorf("%s: select: %v", u, err)
		}
	}
}

// The broker over https: its certificate is checked against the CA file;
// without it the error says the certificate is not trusted.
func TestHTTPE2ETLS(t *testing.T) {
	_, srv := startBroker(t, brokertest.Options{TLS: true})
	ctx := testCtx(t)
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("URL %s", srv.URL)
	}
	b := newHTTP(t, broker.HTTPConfig{URL: srv.JSONURL(), User: brokertest.User, Password: brokertest.Password, CAFile: srv.CAFile})
	if _, err := b.ListProfiles(ctx); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	untrusted := newHTTP(t, broker.HTTPConfig{URL: srv.PlainURL(), User: brokertest.User, Password: brokertest.Password})
	_, err := untrusted.ListProfiles(ctx)
	var ce *broker.ConnectError
	if !errors.Is(err, broker.ErrCertificate) || !errors.Is(err, broker.ErrUnreachable) || !errors.As(err, &ce) {
		t.Errorf("without the CA file: %v", err)
	}
	insecure := newHTTP(t, broker.HTTPConfig{URL: srv.PlainURL(), User: brokertest.User, Password: brokertest.Password, InsecureSkipVerify: true})
	if _, err := insecure.SelectSession(ctx, brokertest.ProfileLab); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}
}
