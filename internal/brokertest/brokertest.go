// Package brokertest runs the real X2Go Session Broker (Debian's
// x2gobroker 0.0.4.3, packages x2gobroker-daemon and x2gobroker-ssh) for
// tests: a private configuration in a temporary directory, the HTTP(S)
// daemon on a free port of 127.0.0.1 running as the system user x2gobroker,
// and wrapper scripts that run the broker's SSH mode with the same
// configuration. It needs root (to start the daemon under the broker's own
// account) and fails the test, rather than skipping it, when the broker
// cannot be started; with -short it skips.
//
// The configuration uses the broker's "testsuite" authentication
// mechanism, which accepts exactly two logins (User/Password and
// OtherUser/OtherPassword), and serves these profiles:
//
//   - ProfileLab: one server, the lab's sshd (Options.Host:Port).
//   - ProfilePool: two servers (Host:Port and SecondHost:SecondPort), without the
//     broker's port probe, so that the broker picks one at random on every
//     selectsession (its load balancing when no broker agent is set up).
//   - ProfileFailover: a server where nothing listens (DownHost) and the
//     lab's; the broker probes the SSH ports and always selects the lab.
//   - ProfileAutologin: the lab, with broker-side autologin: the broker
//     generates a key pair and returns the private key (or accepts the
//     client's public key). Its agent command is pointed at a path that does
//     not exist, so nothing is installed anywhere.
//   - ProfileStaff: visible to OtherUser only (a user ACL).
package brokertest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The logins the broker's testsuite mechanism accepts.
const (
	User          = "test"
	Password      = "sweet"
	OtherUser     = "jacques"
	OtherPassword = "thérèse"
)

// The profile IDs of the configuration.
const (
	ProfileLab       = "lab"
	ProfilePool      = "pool"
	ProfileFailover  = "failover"
	ProfileAutologin = "desk"
	ProfileStaff     = "staff"
)

// The programs of the broker packages.
const (
	daemonPath = "/usr/bin/x2gobroker-daemon"
	brokerPath = "/usr/bin/x2gobroker"
	setuidPath = "/usr/bin/x2gobroker-ssh"
	python     = "/usr/bin/python3" // Debian's, where python3-x2gobroker lives
	// brokerAccount is the system account the daemon runs as.
	brokerAccount = "x2gobroker"
	// noAgent is where the broker looks for its agent: nowhere.
	noAgent = "/nonexistent/x2gobroker-agent"
)

// Options describe the X2Go servers the profiles point at.
type Options struct {
	Host string // the reachable X2Go server (the lab's sshd), e.g. 127.0.0.1
	Port int    // its SSH port, e.g. 2222
	// SecondHost is the pool's second server (default 127.0.0.2) and
	// SecondPort its SSH port (default Port). The broker does not probe
	// it; nothing needs to listen there.
	SecondHost string
	SecondPort int
	// DownHost is the failover profile's dead server (default 127.0.0.3);
	// nothing may listen on DownHost:Port.
	DownHost string
	// ServerUser is the `user` of ProfileAutologin (the others say
	// BROKER_USER, which the broker replaces with the broker user).
	ServerUser string
	// TLS serves https with a certificate from a CA made for the test
	// (Broker.CAFile).
	TLS bool
	// AuthID, if set, makes the broker require this pre-shared auth cookie
	// (require-cookie, my-cookie-file) instead of a password. x2gobroker
	// 0.0.4.3 cannot require both: on the first request it tries to delete
	// a cookie file named after the pre-shared cookie, which does not
	// exist, and answers HTTP 500.
	AuthID string
}

// Broker is a running broker.
type Broker struct {
	Options
	// URL is the daemon's base URL, http(s)://127.0.0.1:<port>/.
	URL string
	// Dir is the private configuration directory (readable by everyone:
	// the SSH mode runs as the SSH user).
	Dir string
	// CAFile is the PEM file of the CA that signed the daemon's
	// certificate (TLS only).
	CAFile string
	// SSHCommand runs the broker's SSH mode with this configuration as the
	// user who runs it (a wrapper script around /usr/bin/x2gobroker);
	// SetuidSSHCommand does the same through x2gobroker's setuid wrapper
	// /usr/bin/x2gobroker-ssh, which only members of the group
	// x2gobroker-users may run.
	SSHCommand       string
	SetuidSSHCommand string
	// PID is the daemon's process ID.
	PID int

	log *logBuffer
}

// JSONURL is the URL of the JSON dialect (python-x2go's).
func (b *Broker) JSONURL() string { return b.URL + "json/" }

// PlainURL is the URL of the plain-text dialect (X2Go Client's).
func (b *Broker) PlainURL() string { return b.URL + "plain/" }

// Log returns what the daemon printed so far (its debug log).
func (b *Broker) Log() string { return b.log.String() }

// Start writes a private configuration and starts the daemon. It is
// stopped (by PID) and the configuration removed when the test ends.
func Start(t testing.TB, opts Options) *Broker {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs the real x2gobroker; run without -short")
	}
	if opts.Host == "" || opts.Port == 0 {
		t.Fatal("brokertest: Options.Host and Options.Port are required")
	}
	if opts.SecondHost == "" {
		opts.SecondHost = "127.0.0.2"
	}
	if opts.SecondPort == 0 {
		opts.SecondPort = opts.Port
	}
	if opts.DownHost == "" {
		opts.DownHost = "127.0.0.3"
	}
	if opts.ServerUser == "" {
		opts.ServerUser = "x2gotest"
	}
	for _, p := range []string{daemonPath, brokerPath, python} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("brokertest: %v (install the Debian packages x2gobroker-daemon and x2gobroker-ssh)", err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("brokertest: must run as root, to start x2gobroker-daemon as the user " + brokerAccount)
	}
	acct, err := user.Lookup(brokerAccount)
	if err != nil {
		t.Fatalf("brokertest: %v (the package x2gobroker creates the account)", err)
	}
	uid, _ := strconv.Atoi(acct.Uid)
	gid, _ := strconv.Atoi(acct.Gid)

	dir, err := os.MkdirTemp("", "x2gobroker-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &Broker{Options: opts, Dir: dir, log: &logBuffer{}}
	env := b.writeConfig(t)
	if opts.TLS {
		env = append(env, b.writeCertificates(t, gid)...)
	}
	lockBrokers(t, filepath.Join(acct.HomeDir, ".x2go", "broker-cookies"))

	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = b.start(t, env, port, uint32(uid), uint32(gid)); lastErr == nil {
			return b
		}
	}
	t.Fatalf("brokertest: %v", lastErr)
	return nil
}

// writeConfig writes the broker configuration and the SSH wrappers, and
// returns the daemon's environment.
func (b *Broker) writeConfig(t testing.TB) []string {
	t.Helper()
	o := b.Options
	requirePassword, requireCookie := "true", "false"
	if o.AuthID != "" {
		requirePassword, requireCookie = "false", "true"
		write(t, b.Dir, "x2gobroker.authid", "# pre-shared auth ID of the test broker\n"+o.AuthID+"\n")
	}
	write(t, b.Dir, "x2gobroker.conf", fmt.Sprintf(`# x2gobroker configuration of a test (package brokertest)
[global]
require-password = %s
require-cookie = %s
use-static-cookie = false
verify-ip = true
enable-plain-output = true
enable-json-output = true
enable-uccs-output = false
default-auth-mech = testsuite
default-user-db = libnss
default-group-db = libnss
default-agent-query-mode = NONE
default-portscan-x2goservers = true
default-session-autologin = false
my-cookie-file = %s

[broker_inifile]
enable = true

[broker_zeroconf]
enable = false
`, requirePassword, requireCookie, filepath.Join(b.Dir, "x2gobroker.authid")))

	hp := func(h string) string { return net.JoinHostPort(h, strconv.Itoa(o.Port)) }
	write(t, b.Dir, "x2gobroker-sessionprofiles.conf", fmt.Sprintf(`# session profiles of a test broker (package brokertest)
[DEFAULT]
command=TERMINAL
user=BROKER_USER
sshport=%d

[%s]
name=Lab server
host=lab (%s)

[%s]
name=Load-balanced pool
host=pool-a (%s),pool-b (%s)
broker-portscan-x2goservers=false

[%s]
name=Failover
host=down (%s),lab (%s)

[%s]
name=Büro-Desktop
host=%s
command=xfce
user=%s
broker-session-autologin=true
broker-agent-query-mode=LOCAL

[%s]
name=Staff only
host=lab (%s)
acl-users-allow=%s
acl-users-deny=ALL
acl-users-order=allow-deny
`, o.Port,
		ProfileLab, hp(o.Host),
		ProfilePool, hp(o.Host), net.JoinHostPort(o.SecondHost, strconv.Itoa(o.SecondPort)),
		ProfileFailover, hp(o.DownHost), hp(o.Host),
		ProfileAutologin, o.Host, o.ServerUser,
		ProfileStaff, hp(o.Host), OtherUser))

	vars := []string{
		"X2GOBROKER_CONFIG=" + filepath.Join(b.Dir, "x2gobroker.conf"),
		"X2GOBROKER_SESSIONPROFILES=" + filepath.Join(b.Dir, "x2gobroker-sessionprofiles.conf"),
		"X2GOBROKER_DEFAULT_BACKEND=inifile",
		"X2GOBROKER_AGENT_CMD=" + noAgent,
		// A log configuration that does not exist makes the broker log to
		// stderr instead of /var/log/x2gobroker.
		"X2GOBROKER_LOGCONFIG=" + filepath.Join(b.Dir, "no-logger-config"),
		"X2GOBROKER_AUTHSERVICE_SOCKET=" + filepath.Join(b.Dir, "no-authservice.socket"),
	}
	wrapper := func(name, exe string) string {
		var s strings.Builder
		s.WriteString("#!/bin/sh\n# Runs x2gobroker's SSH mode with the configuration of a test (package brokertest).\n")
		for _, v := range vars {
			k, val, _ := strings.Cut(v, "=")
			fmt.Fprintf(&s, "%s='%s'\nexport %s\n", k, val, k)
		}
		fmt.Fprintf(&s, "exec %s \"$@\"\n", exe)
		p := write(t, b.Dir, name, s.String())
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	b.SSHCommand = wrapper("x2gobroker-ssh-direct", python+" "+brokerPath)
	b.SetuidSSHCommand = wrapper("x2gobroker-ssh-setuid", setuidPath)
	return append([]string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LOGNAME=" + brokerAccount}, vars...)
}

func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeCertificates makes a CA and a certificate for 127.0.0.1 and
// localhost signed by it, and returns the daemon's TLS environment.
func (b *Broker) writeCertificates(t testing.TB, gid int) []string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "brokertest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b.CAFile = write(t, b.Dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	crt := write(t, b.Dir, "broker.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile := write(t, b.Dir, "broker.key", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	// The key: root and the broker's group only.
	if err := os.Chown(keyFile, 0, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o640); err != nil {
		t.Fatal(err)
	}
	return []string{"X2GOBROKER_SSL_CERTFILE=" + crt, "X2GOBROKER_SSL_KEYFILE=" + keyFile}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the daemon on port and waits until it accepts connections.
func (b *Broker) start(t testing.TB, env []string, port int, uid, gid uint32) error {
	t.Helper()
	bind := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// -i: log to stderr; running python3 directly keeps a pyenv or other
	// python3 on PATH out of the way.
	cmd := exec.Command(python, daemonPath, "--bind", bind, "-i")
	cmd.Dir = b.Dir
	cmd.Env = env
	b.log.Reset()
	cmd.Stdout, cmd.Stderr = b.log, b.log
	cmd.SysProcAttr = sysProcAttr(uid, gid)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", daemonPath, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	pid := cmd.Process.Pid
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		// The daemon forks a child for every autologin selection that
		// sleeps 20 s before it asks the broker agent to delete the key;
		// they are in the process group made for the daemon (its PID).
		_ = syscall.Kill(-pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", bind, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			return fmt.Errorf("x2gobroker-daemon on %s exited at start:\n%s", bind, b.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("x2gobroker-daemon does not listen on %s after 30 s:\n%s", bind, b.log.String())
		}
	}
	scheme := "http"
	if b.TLS {
		scheme = "https"
	}
	b.URL = scheme + "://" + bind + "/"
	b.PID = pid
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("x2gobroker-daemon log:\n%s", b.log.String())
		}
	})
	return nil
}

// logBuffer collects the daemon's output; it is written by exec's copying
// goroutines and read by the test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

// Brokers of this process share the cookie directory of the broker
// account; brokers of several test processes run one after the other.
var (
	lockMu    sync.Mutex
	lockCount int
	lockFile  *os.File
	lockDone  func()
)

func lockBrokers(t testing.TB, cookieDir string) {
	t.Helper()
	lockMu.Lock()
	defer lockMu.Unlock()
	if lockCount == 0 {
		f, err := os.OpenFile(filepath.Join(os.TempDir(), "x2go-brokertest.lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		for {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		if err != nil {
			f.Close()
			t.Fatalf("brokertest: lock: %v", err)
		}
		lockFile = f
		lockDone = snapshotCookies(cookieDir)
	}
	lockCount++
	t.Cleanup(func() {
		lockMu.Lock()
		defer lockMu.Unlock()
		lockCount--
		if lockCount == 0 {
			lockDone()
			_ = syscall.Flock(int(lockFile.Fd()), syscall.LOCK_UN)
			lockFile.Close()
		}
	})
}

// cookieName is the name of a cookie file: <user>_<uuid>.
var cookieName = regexp.MustCompile(`^[^/]+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// snapshotCookies notes the cookie files in dir (the broker keeps one file
// per auth cookie it hands out and removes it when the cookie is used) and
// returns a function that removes the ones that appeared since, and dir and
// its parent (~/.x2go) if they did not exist before and are empty.
func snapshotCookies(dir string) func() {
	before := map[string]bool{}
	entries, err := os.ReadDir(dir)
	dirExisted := err == nil
	_, err = os.Stat(filepath.Dir(dir))
	parentExisted := err == nil
	for _, e := range entries {
		before[e.Name()] = true
	}
	return func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !before[e.Name()] && cookieName.MatchString(e.Name()) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
		if !dirExisted {
			os.Remove(dir) // only if empty
		}
		if !parentExisted {
			os.Remove(filepath.Dir(dir))
		}
	}
}

// TrackCookies removes, when the test ends, the broker cookie files that
// appear in dir during the test: for the SSH broker, which keeps them in
// ~/.x2go/broker-cookies of the user it runs as.
func TrackCookies(t testing.TB, dir string) {
	t.Cleanup(snapshotCookies(dir))
}
