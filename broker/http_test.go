package broker_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/x2go-go/x2go/broker"
	"golang.org/x/crypto/ssh"
)

// replay is an HTTP broker that answers with captured answers of the real
// broker (body and Content-Type) and records the forms it was sent.
type replay struct {
	t     *testing.T
	mu    sync.Mutex
	forms []url.Values
	// answer picks the captured answer for a form.
	answer func(f url.Values) string
}

func (r *replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil || req.Method != http.MethodPost ||
		req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.forms = append(r.forms, req.PostForm)
	r.mu.Unlock()
	name := r.answer(req.PostForm)
	w.Header().Set("Content-Type", answerMeta(r.t, name, "content-type"))
	status := answerMeta(r.t, name, "status")
	code := http.StatusOK
	if strings.HasPrefix(status, "401") {
		code = http.StatusUnauthorized
	}
	w.WriteHeader(code)
	w.Write(answer(r.t, name))
}

func (r *replay) sent() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.forms...)
}

func startReplay(t *testing.T, prefix string) (*replay, *httptest.Server) {
	r := &replay{t: t, answer: func(f url.Values) string {
		switch f.Get("task") {
		case "":
			return prefix + "-auth"
		case "listsessions", "listprofiles":
			return prefix + "-list"
		default:
			return prefix + "-select-lab"
		}
	}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

// Without /json/ or /plain/ in the URL the dialect is told by the answer's
// Content-Type; the request form is one both dialects read.
func TestHTTPAutoDialect(t *testing.T) {
	for _, c := range []struct {
		prefix string
		want   broker.Dialect
	}{{"json", broker.DialectJSON}, {"plain", broker.DialectPlain}} {
		r, srv := startReplay(t, c.prefix)
		b := newHTTP(t, broker.HTTPConfig{URL: srv.URL + "/x2go/broker", User: "test", Password: "sweet"})
		if b.Dialect() != broker.DialectAuto {
			t.Fatalf("Dialect %v before the first answer", b.Dialect())
		}
		ctx := testCtx(t)
		if _, err := b.SelectSession(ctx, "lab"); err != nil {
			t.Fatal(err)
		}
		if b.Dialect() != c.want {
			t.Errorf("Dialect %v, want %v", b.Dialect(), c.want)
		}
		if _, err := b.ListProfiles(ctx); err != nil {
			t.Fatal(err)
		}
		forms := r.sent()
		first := forms[0]
		if first.Get("task") != "selectsession" || first.Get("sid") != "lab" || first.Get("profile-id") != "lab" ||
			first.Get("password") != "sweet" || first.Has("authid") || first.Has("pubkey") {
			t.Errorf("first form %v", first)
		}
		second := forms[1]
		wantTask := map[broker.Dialect]string{broker.DialectJSON: "listprofiles", broker.DialectPlain: "listsessions"}[c.want]
		if second.Get("task") != wantTask || second.Has("password") || second.Get("authid") == "" {
			t.Errorf("second form %v", second)
		}
	}
}

// The forms are those python-x2go (JSON) and X2Go Client (plain) send,
// and after the first answer the cookie replaces the password.
func TestHTTPForms(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, prefix string
		list, sel    url.Values
	}{
		{"/json/", "json",
			url.Values{"task": {"listprofiles"}, "user": {"jacques"}, "password": {"thérèse"}, "authid": {"pre-shared"}},
			url.Values{"task": {"selectsession"}, "user": {"jacques"}, "profile-id": {"lab b"}, "pubkey": {"no-X11-forwarding,no-pty,no-user-rc " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " x2go-go"}}},
		{"/plain/", "plain",
			url.Values{"task": {"listsessions"}, "user": {"jacques"}, "password": {"thérèse"}, "authid": {"pre-shared"}},
			url.Values{"task": {"selectsession"}, "user": {"jacques"}, "sid": {"lab b"}}},
	} {
		r, srv := startReplay(t, c.prefix)
		b := newHTTP(t, broker.HTTPConfig{URL: srv.URL + c.path, User: "jacques", Password: "thérèse", AuthID: "pre-shared", PublicKey: pub})
		ctx := testCtx(t)
		if _, err := b.ListProfiles(ctx); err != nil {
			t.Fatal(err)
		}
		cookie := b.Cookie()
		if _, err := b.SelectSession(ctx, "lab b"); err != nil {
			t.Fatal(err)
		}
		forms := r.sent()
		c.sel.Set("authid", cookie)
		if forms[0].Encode() != c.list.Encode() || forms[1].Encode() != c.sel.Encode() {
			t.Errorf("%s forms:\n%s\n%s\nwant\n%s\n%s", c.path, forms[0].Encode(), forms[1].Encode(), c.list.Encode(), c.sel.Encode())
		}
	}
}

// What can go wrong at the HTTP level: statuses, redirects, a hang, an
// endless answer, a closed port.
func TestHTTPFaults(t *testing.T) {
	ctx := testCtx(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/missing/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/crash/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/moved/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere/", func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect was followed")
	})
	hang := make(chan struct{})
	mux.HandleFunc("/hang/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/huge/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := []byte(strings.Repeat("x", 1<<16) + "\n")
		for i := 0; i < 200; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/denied/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Login failed\n"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(hang)

	get := func(path string, c context.Context) error {
		b := newHTTP(t, broker.HTTPConfig{URL: srv.URL + path, User: "u", Password: "topsecret-pw"})
		_, err := b.ListProfiles(c)
		if err != nil && strings.Contains(err.Error(), "topsecret-pw") {
			t.Errorf("%s: password in the error: %v", path, err)
		}
		return err
	}
	var se *broker.StatusError
	if err := get("/missing/", ctx); !errors.As(err, &se) || se.Code != 404 || !errors.Is(err, broker.ErrBrokerFailed) {
		t.Errorf("404: %v", err)
	}
	if err := get("/crash/", ctx); !errors.As(err, &se) || se.Code != 500 {
		t.Errorf("500: %v", err)
	}
	if err := get("/moved/", ctx); !errors.As(err, &se) || se.Code != 307 {
		t.Errorf("redirect: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := get("/hang/", short); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, broker.ErrUnreachable) {
		t.Errorf("hang: %v", err)
	}
	if err := get("/huge/", ctx); !errors.Is(err, broker.ErrMalformed) {
		t.Errorf("huge: %v", err)
	}
	var ae *broker.AuthError
	if err := get("/denied/", ctx); !errors.As(err, &ae) || ae.Status != 0 {
		t.Errorf("plain answer without Access granted: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var ce *broker.ConnectError
	if err := listWith(t, "http://"+addr+"/json/", ctx); !errors.As(err, &ce) || !errors.Is(err, broker.ErrUnreachable) || errors.Is(err, broker.ErrCertificate) {
		t.Errorf("closed port: %v", err)
	}
}

// listWith lists the profiles of the broker at u.
func listWith(t *testing.T, u string, ctx context.Context) error {
	b := newHTTP(t, broker.HTTPConfig{URL: u, User: "u", Password: "pw"})
	_, err := b.ListProfiles(ctx)
	return err
}

// TLS against a server with its own certificate: refused unless its CA
// file is given (or verification explicitly turned off).
func TestHTTPTLS(t *testing.T) {
	_, plain := startReplay(t, "json")
	srv := httptest.NewTLSServer(plain.Config.Handler)
	defer srv.Close()
	ctx := testCtx(t)
	err := listWith(t, srv.URL+"/json/", ctx)
	if !errors.Is(err, broker.ErrCertificate) || !errors.Is(err, broker.ErrUnreachable) {
		t.Errorf("untrusted: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	b := newHTTP(t, broker.HTTPConfig{URL: srv.URL + "/json/", User: "test", Password: "sweet", CAFile: ca})
	if _, err := b.ListProfiles(ctx); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	b = newHTTP(t, broker.HTTPConfig{URL: srv.URL + "/json/", InsecureSkipVerify: true})
	if _, err := b.ListProfiles(ctx); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}
}

func TestNewHTTPConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x")
	os.WriteFile(notPEM, []byte("no certificate"), 0o644)
	for _, c := range []broker.HTTPConfig{
		{URL: "ftp://h/"},
		{URL: "https:///json/"},
		{URL: "http://broker.example.org/json/"}, // password in the clear
		{URL: "http://user:pw@host:%zz/"},
		{URL: "https://h/", CAFile: filepath.Join(dir, "none.pem")},
		{URL: "https://h/", CAFile: notPEM},
	} {
		_, err := broker.NewHTTP(c)
		if !errors.Is(err, broker.ErrConfig) || strings.Contains(err.Error(), "pw") {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, u := range []string{"http://localhost:8080/json/", "http://127.0.0.1/plain/", "http://[::1]:8080", "HTTPS://broker.example.org"} {
		if _, err := broker.NewHTTP(broker.HTTPConfig{URL: u}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	b, err := broker.NewHTTP(broker.HTTPConfig{URL: "http://broker.example.org/json/", AllowHTTP: true})
	if err != nil || b.URL() != "http://broker.example.org/json/" || b.Dialect() != broker.DialectJSON {
		t.Errorf("AllowHTTP: %v, %v", b, err)
	}
	b, err = broker.NewHTTP(broker.HTTPConfig{URL: "https://alice:pw@broker.example.org:8443/x2go/plain/#frag", User: "bob", Password: "other"})
	if err != nil || b.URL() != "https://broker.example.org:8443/x2go/plain/" || b.Dialect() != broker.DialectPlain {
		t.Errorf("credentials in the URL: %v, %v", b.URL(), err)
	}
}
