package sharing

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer starts a Server on a fresh 127.0.0.1 port and stops it
// (checking that Serve returned) when the test ends.
func startServer(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	srv, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Serve returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
		srv.Close()
	})
	return srv, l.Addr().String()
}

// clientSigner parses the server's client key as a client would.
func clientSigner(t testing.TB, srv *Server) ssh.Signer {
	t.Helper()
	pem, err := srv.ClientPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// dialSSH logs in to the server with its client key, checking its host key.
func dialSSH(t testing.TB, srv *Server, addr string) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            srv.User(),
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(clientSigner(t, srv))},
		HostKeyCallback: ssh.FixedHostKey(srv.HostKey()),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialSFTP opens an SFTP session (pkg/sftp's client) over a real SSH
// connection to the server.
func dialSFTP(t testing.TB, srv *Server, addr string) *sftp.Client {
	t.Helper()
	c, err := sftp.NewClient(dialSSH(t, srv, addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// shareDir makes a temporary directory, shares it under remote and
// returns its local path.
func shareDir(t testing.TB, srv *Server, remote string, opts ...ShareOption) string {
	t.Helper()
	dir := t.TempDir()
	if err := srv.AddShare(remote, dir, opts...); err != nil {
		t.Fatal(err)
	}
	return dir
}

// isDenied reports whether err is SSH_FX_PERMISSION_DENIED (pkg/sftp's
// client turns it into os.ErrPermission for most calls).
func isDenied(err error) bool {
	if errors.Is(err, os.ErrPermission) {
		return true
	}
	var se *sftp.StatusError
	return errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxPermissionDenied
}

// writeFile writes a local file or fails the test.
func writeFile(t testing.TB, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
