package x2go_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/x2go-go/x2go"
	"golang.org/x/crypto/ssh"
)

func itoa(i int) string { return strconv.Itoa(i) }

// hostKeyHook answers CheckHostKey with answer and remembers the question.
type hostKeyHook struct {
	answer bool
	mu     sync.Mutex
	info   x2go.HostKeyInfo
}

// hooks returns Session hooks with h as CheckHostKey.
func (h *hostKeyHook) hooks() x2go.Hooks { return x2go.Hooks{CheckHostKey: h.CheckHostKey} }

func (h *hostKeyHook) CheckHostKey(_ context.Context, _ *x2go.ControlSession, info x2go.HostKeyInfo) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.info = info
	return h.answer
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// writeTempKey writes a fresh ed25519 key that no server knows.
func writeTempKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "id_other")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// lockedBuffer collects output (a child process's, a logger's) while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}
