package sshconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
)

// leakCheck fails the test if a goroutine is left when it ends. Call it
// first: cleanups run in reverse order, so it runs after the servers'.
func leakCheck(t *testing.T) { t.Cleanup(func() { goleak.VerifyNone(t) }) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// baseConfig logs in to srv with its password and knows its host key.
func baseConfig(t *testing.T, srv *fakesshd.Server) Config {
	return Config{
		Host: "127.0.0.1", Port: srv.Port(), User: "x2gotest",
		Auth:           Auth{Password: srv.Password()},
		HostKeys:       HostKeyConfig{KnownHostsFiles: []string{srv.KnownHostsFile(t)}},
		ConnectTimeout: 10 * time.Second,
	}
}

// dial connects with cfg and closes the connection when the test ends.
func dial(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, err := Dial(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newKey makes an ed25519 key pair.
func newKey(t *testing.T) (ed25519.PrivateKey, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return priv, sshPub
}

// writeKey writes priv as an OpenSSH private key file named name in dir
// (a new temporary one when empty), encrypted with passphrase unless
// that is empty, and returns its path.
func writeKey(t *testing.T, dir, name string, priv ed25519.PrivateKey, passphrase string) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "sshconn test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "sshconn test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// emptyKnownHosts returns the path of a known_hosts file that does not
// exist yet.
func emptyKnownHosts(t *testing.T) string { return filepath.Join(t.TempDir(), "known_hosts") }

// jumpPair starts a jump host that forwards to a target server, and
// returns a Config for the target through the jump, both host keys known.
func jumpPair(t *testing.T, targetOpts ...fakesshd.Option) (cfg Config, jump, target *fakesshd.Server) {
	jump = fakesshd.New(t, nil, fakesshd.WithForwarding())
	target = fakesshd.New(t, nil, targetOpts...)
	jc := baseConfig(t, jump)
	cfg = baseConfig(t, target)
	cfg.Jump = &jc
	return cfg, jump, target
}

func writeFile(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newECKey makes an ECDSA P-256 key pair.
func newECKey(t *testing.T) (*ecdsa.PrivateKey, ssh.PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// writePEMKey writes priv as a PEM "EC PRIVATE KEY" file (ssh-keygen -m
// PEM), encrypted with passphrase in the legacy PEM way unless that is
// empty. Decrypting it is fast, unlike OpenSSH's bcrypt-protected format,
// which keeps the -race tests quick.
func writePEMKey(t *testing.T, priv *ecdsa.PrivateKey, passphrase string) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block := &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	if passphrase != "" {
		//lint:ignore SA1019 x/crypto/ssh still reads this format, which ssh-keygen -m PEM writes; the test needs it.
		block, err = x509.EncryptPEMBlock(rand.Reader, block.Type, der, []byte(passphrase), x509.PEMCipherAES128)
		if err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "id_ecdsa")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func readFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	return string(b), err
}
