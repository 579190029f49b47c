package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/x2go-go/x2go/profile"
	"golang.org/x/crypto/ssh"
)

// maxAnswer bounds the size of a broker answer: a listing of a few hundred
// profiles is well below it.
const maxAnswer = 8 << 20

// HTTPConfig says how to reach an HTTP(S) broker and log in to it.
type HTTPConfig struct {
	// URL is the broker URL, http[s]://[user[:password]@]host[:port]/path,
	// e.g. https://broker.example.org/json/ (python-x2go's default path)
	// or …/plain/ (X2Go Client's). A user and password in the URL take the
	// place of User and Password, as in python-x2go; they are removed from
	// the URL before it is used or shown anywhere.
	URL string
	// User and Password are the broker login. The password is sent until
	// the broker hands out an auth cookie, then the cookie instead.
	User     string
	Password string
	// AuthID is a pre-shared auth cookie, for brokers configured with
	// require-cookie (X2Go Client's --auth-id; see ReadAuthIDFile). It is
	// sent with the password on the first request.
	AuthID string
	// Dialect selects the answer format; DialectAuto tells them apart.
	Dialect Dialect
	// CAFile is a PEM file of CA certificates trusted for the broker's
	// certificate, in addition to the system's (X2Go Client's
	// --broker-cacertfile).
	CAFile string
	// InsecureSkipVerify accepts any TLS certificate. It exposes the
	// password to whoever sits between client and broker; only for tests.
	InsecureSkipVerify bool
	// AllowHTTP permits an http:// URL to a host other than the loopback
	// interface, which sends the password unencrypted. http:// to
	// localhost is always allowed.
	AllowHTTP bool
	// PublicKey, if set, is offered to the broker with every selectsession
	// request of the JSON dialect (once the dialect is known: from the
	// URL, Dialect or an earlier answer), as python-x2go offers its
	// generated key:
	// a broker set up for autologin then authorises it on the server it
	// selects and reports Selection.PublicKeyAccepted. The plain-text
	// dialect cannot report that, so it is not offered there; the broker
	// then makes a key pair and sends the private key
	// (Selection.PrivateKey).
	PublicKey ssh.PublicKey
}

// HTTP is a client of an HTTP(S) session broker (x2gobroker's /json/ and
// /plain/ URLs). It keeps the auth cookie the broker hands out and sends it
// back instead of the password, as python-x2go and X2Go Client do; like
// them it keeps the cookie in memory only (Cookie gives it to a caller who
// wants to keep it). Calls are serialised: each cookie is good for one
// request. An HTTP is safe for concurrent use.
type HTTP struct {
	cfg    HTTPConfig
	url    string // without credentials
	client *http.Client
	cookieJar
	dialect Dialect // guarded by mu
}

var _ Broker = (*HTTP)(nil)

// NewHTTP checks cfg and prepares a client. It does not contact the
// broker. Errors match ErrConfig.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, configError("broker URL does not parse") // the URL may hold a password
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, configError("broker URL scheme %q is not http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, configError("broker URL has no host")
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			cfg.Password = pw
		}
		u.User = nil
	}
	u.Scheme, u.Fragment, u.RawFragment = scheme, "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	if scheme == "http" && !cfg.AllowHTTP && !isLoopback(u.Hostname()) {
		return nil, configError("http:// to %s would send the password unencrypted; use https:// or set AllowHTTP", u.Host)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, configError("reading the CA file: %v", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, configError("no PEM certificate in CA file %s", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	b := &HTTP{
		cfg: cfg,
		url: u.String(),
		client: &http.Client{
			Transport: tr,
			// A redirect would resend the password somewhere else, or drop
			// it (POST becomes GET): show the status instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		dialect: cfg.Dialect,
	}
	if b.dialect == DialectAuto {
		b.dialect = dialectFromPath(u.Path)
	}
	return b, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialectFromPath recognises x2gobroker's URL layout: /json/… and /plain/….
func dialectFromPath(p string) Dialect {
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "json":
			return DialectJSON
		case "plain":
			return DialectPlain
		}
	}
	return DialectAuto
}

// URL is the broker URL without credentials.
func (b *HTTP) URL() string { return b.url }

// Dialect is the dialect in use: as configured, as recognised from the
// URL or from the first answer, or DialectAuto before that.
func (b *HTTP) Dialect() Dialect {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dialect
}

// Authenticate checks the credentials with a request that asks for
// nothing else (python-x2go sends it first), and collects an auth cookie.
func (b *HTTP) Authenticate(ctx context.Context) error {
	_, err := b.request(ctx, TaskAuth, "")
	return err
}

// ListProfiles asks for the user's session profiles. They come as an
// X2Go Client sessions file (Profile.Params turns one into session
// parameters); a profile's `host` there is informational, the server to
// connect to comes from SelectSession. If some profiles cannot be read the
// error matches ErrMalformed and the Sessions holds the others.
func (b *HTTP) ListProfiles(ctx context.Context) (*profile.Sessions, error) {
	return profilesOf(b.request(ctx, TaskList, ""))
}

// SelectSession asks the broker where to start (or resume) a session of a
// profile. An answer without a usable server is a *NoServerError.
func (b *HTTP) SelectSession(ctx context.Context, profileID string) (*Selection, error) {
	ans, err := b.request(ctx, TaskSelect, profileID)
	return selectionOf(ans, err, profileID)
}

// Close releases idle connections. The HTTP stays usable.
func (b *HTTP) Close() error {
	b.client.CloseIdleConnections()
	return nil
}

// request sends one request (again with the password if the cookie is
// refused; see cookieJar.call).
func (b *HTTP) request(ctx context.Context, task Task, profileID string) (*Answer, error) {
	return b.call(func() (*Answer, error) { return b.exchange(ctx, task, profileID) })
}

// form builds the request fields: those python-x2go sends for the JSON
// dialect, those X2Go Client sends for the plain one, and for an unknown
// dialect a form that x2gobroker reads the same way under both.
func (b *HTTP) form(task Task, profileID string) url.Values {
	f := url.Values{"user": {b.cfg.User}}
	if b.cookie != "" {
		f.Set("authid", b.cookie)
	} else {
		f.Set("password", b.cfg.Password)
		if b.cfg.AuthID != "" {
			f.Set("authid", b.cfg.AuthID)
		}
	}
	switch task {
	case TaskList:
		if b.dialect == DialectJSON {
			f.Set("task", "listprofiles")
		} else {
			f.Set("task", "listsessions")
		}
	case TaskSelect:
		f.Set("task", "selectsession")
		switch b.dialect {
		case DialectJSON:
			f.Set("profile-id", profileID)
		case DialectPlain:
			f.Set("sid", profileID)
		default:
			f.Set("profile-id", profileID)
			f.Set("sid", profileID)
		}
		// Only the JSON dialect can say that the broker accepted the key.
		if b.cfg.PublicKey != nil && b.dialect == DialectJSON {
			f.Set("pubkey", authorizedKeyLine(b.cfg.PublicKey))
		}
	}
	return f
}

// authorizedKeyLine is the public key as python-x2go offers it: an
// authorized_keys line whose options forbid what an X2Go login does not
// need.
func authorizedKeyLine(k ssh.PublicKey) string {
	return "no-X11-forwarding,no-pty,no-user-rc " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " x2go-go"
}

// exchange sends one request and reads the answer; b.mu is held.
func (b *HTTP) exchange(ctx context.Context, task Task, profileID string) (*Answer, error) {
	usedCookie := b.cookie != ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, strings.NewReader(b.form(task, profileID).Encode()))
	if err != nil {
		return nil, configError("building the request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "x2go-go")
	resp, err := b.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("x2go broker: %s: %w", b.url, ctx.Err())
		}
		return nil, &ConnectError{Broker: b.url, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("x2go broker: %s: %w", b.url, ctx.Err())
		}
		return nil, &ConnectError{Broker: b.url, Err: err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, b.authError(resp.StatusCode, usedCookie)
	default:
		return nil, &StatusError{Broker: b.url, Code: resp.StatusCode, Status: resp.Status}
	}
	d := b.dialect
	if d == DialectAuto {
		d = dialectOf(resp.Header.Get("Content-Type"), body)
	}
	if len(body) > maxAnswer {
		return nil, &MalformedError{Dialect: d, Task: task, Msg: "answer larger than 8 MiB"}
	}
	var ans *Answer
	if d == DialectJSON {
		ans, err = ParseJSON(task, body)
	} else {
		ans, err = ParsePlain(task, body)
	}
	if ans != nil {
		b.dialect = d
		if ans.AuthID != "" {
			b.cookie = ans.AuthID
		}
	}
	if errors.Is(err, ErrAuthFailed) {
		return nil, b.authError(0, usedCookie)
	}
	return ans, err
}

func (b *HTTP) authError(status int, usedCookie bool) error {
	return &AuthError{Broker: b.url, User: b.cfg.User, Status: status, Cookie: usedCookie}
}

// dialectOf tells the dialect of an answer: x2gobroker labels JSON
// text/json, plain text text/plain.
func dialectOf(contentType string, body []byte) Dialect {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		switch {
		case mt == "text/json" || mt == "application/json" || strings.HasSuffix(mt, "+json"):
			return DialectJSON
		case mt == "text/plain":
			return DialectPlain
		}
	}
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "{") {
		return DialectJSON
	}
	return DialectPlain
}

// isCertError reports a TLS certificate that was not trusted.
func isCertError(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var ierr x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &ierr)
}
