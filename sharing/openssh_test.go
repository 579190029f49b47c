//go:build linux

package sharing

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/x2go-go/x2go/protocol"
)

// These tests run the real OpenSSH client tools of this machine (Debian
// 12: OpenSSH 9.2, sshfs 3.7) against the server, with OpenSSH's default
// settings, to prove that a stock client accepts its key and host key
// algorithms and that sshfs works on it exactly as x2gomountdirs runs it.

// needTool fails the test (never skips, except under -short) when a tool
// is missing.
func needTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if testing.Short() {
				t.Skipf("%s not installed (-short)", n)
			}
			t.Fatalf("%s is needed for this test: %v", n, err)
		}
	}
}

// splitBundle does with the server's key bundle what x2gomountdirs does:
// the part before the marker becomes <dir>/key (mode 0600), the rest,
// prefixed with "[127.0.0.1]:<port> ", <dir>/key.ident (the known hosts
// file). It returns both paths.
func splitBundle(t *testing.T, srv *Server, addr string) (key, ident string) {
	t.Helper()
	bundle, err := srv.KeyBundle()
	if err != nil {
		t.Fatal(err)
	}
	priv, host, ok := bytes.Cut(bundle, []byte(protocol.KeyBundleMarker))
	if !ok {
		t.Fatal("no marker in the bundle")
	}
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	key = filepath.Join(dir, "key")
	ident = key + ".ident"
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ident, append([]byte("[127.0.0.1]:"+port+" "), host...), 0o600); err != nil {
		t.Fatal(err)
	}
	return key, ident
}

// cleanEnv is the environment for OpenSSH tools: no agent, C locale.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SSH_AUTH_SOCK=") || strings.HasPrefix(kv, "SSH_AGENT_PID=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// TestOpenSSHSftp transfers files with OpenSSH's sftp client (built-in
// defaults: -F /dev/null) and checks them byte for byte.
func TestOpenSSHSftp(t *testing.T) {
	needTool(t, "sftp")
	srv, addr := startServer(t)
	local := filepath.Join(t.TempDir(), `it's $HOME "x" ü`)
	os.Mkdir(local, 0o755)
	remote, _ := protocol.MountablePath(local)
	if err := srv.AddShare(remote, local); err != nil {
		t.Fatal(err)
	}
	key, ident := splitBundle(t, srv, addr)
	_, port, _ := net.SplitHostPort(addr)

	work := t.TempDir()
	data := make([]byte, 5<<20+123)
	rand.Read(data)
	up := filepath.Join(work, "up.bin")
	os.WriteFile(up, data, 0o644)
	down := filepath.Join(work, "down.bin")
	batch := filepath.Join(work, "batch")
	os.WriteFile(batch, []byte(fmt.Sprintf("cd %q\nput %s upload.bin\nget upload.bin %s\nmkdir newdir\nrename upload.bin newdir/moved.bin\nls -l newdir\ndf .\n",
		remote, up, down)), 0o644)

	sftpCmd := func(identFile string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sftp", "-F", "/dev/null",
			"-o", "IdentityFile="+key, "-o", "UserKnownHostsFile="+identFile,
			"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
			"-P", port, "-b", batch, srv.User()+"@127.0.0.1")
		cmd.Env = cleanEnv()
		return cmd.CombinedOutput()
	}
	out, err := sftpCmd(ident)
	t.Logf("sftp output:\n%s", out)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	got, err := os.ReadFile(down)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (%d bytes, %v)", len(got), err)
	}
	got, err = os.ReadFile(filepath.Join(local, "newdir", "moved.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("uploaded file differs on disk (%d bytes, %v)", len(got), err)
	}
	if !strings.Contains(string(out), "moved.bin") {
		t.Error("ls did not show the moved file")
	}

	// The host key is really checked: with another key in known_hosts
	// OpenSSH refuses to connect.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	wrong := filepath.Join(work, "wrong_known_hosts")
	os.WriteFile(wrong, append([]byte("[127.0.0.1]:"+port+" "), ssh.MarshalAuthorizedKey(otherSigner.PublicKey())...), 0o600)
	out, err = sftpCmd(wrong)
	t.Logf("sftp with a wrong host key: %v\n%s", err, out)
	if err == nil || !strings.Contains(string(out), "REMOTE HOST IDENTIFICATION HAS CHANGED") {
		t.Error("sftp connected although known_hosts has another host key")
	}
}

// TestSSHFS mounts a share with sshfs, with the options x2gomountdirs
// uses, once with OpenSSH's built-in defaults and once with Debian's
// system ssh_config (which adds SendEnv, GSSAPIAuthentication, ...), and
// uses the mount: write and read back byte for byte, list, modes, fsync,
// rename over, symlink, statfs.
func TestSSHFS(t *testing.T) {
	needTool(t, "sshfs", "fusermount")
	if _, err := os.Stat("/dev/fuse"); err != nil {
		if testing.Short() {
			t.Skip("no /dev/fuse (-short)")
		}
		t.Fatalf("sshfs needs /dev/fuse: %v", err)
	}
	for _, cfg := range []string{"/dev/null", "/etc/ssh/ssh_config"} {
		t.Run(strings.ReplaceAll(cfg, "/", "_"), func(t *testing.T) {
			srv, addr := startServer(t)
			local := filepath.Join(t.TempDir(), `it's $HOME "x" ü`)
			os.Mkdir(local, 0o755)
			remote, _ := protocol.MountablePath(local)
			if err := srv.AddShare(remote, local); err != nil {
				t.Fatal(err)
			}
			mnt := mountSSHFS(t, srv, addr, remote, "-F", cfg)
			useMount(t, mnt, local)
		})
	}
}

// mountSSHFS mounts remote of the server at a new directory with sshfs in
// the foreground (so the test owns its process), using x2gomountdirs'
// options, and unmounts it when the test ends.
func mountSSHFS(t testing.TB, srv *Server, addr, remote string, extra ...string) string {
	t.Helper()
	key, ident := splitBundle(t.(*testing.T), srv, addr)
	_, port, _ := net.SplitHostPort(addr)
	mnt := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0o700)
	opts := fmt.Sprintf("idmap=user,uid=%d,gid=%d,default_permissions,ServerAliveInterval=300,IdentityFile=%s,UserKnownHostsFile=%s",
		os.Getuid(), os.Getgid(), key, ident)
	args := append([]string{"-f", "-o", opts}, extra...)
	args = append(args, srv.User()+"@127.0.0.1:"+remote, mnt, "-p", port)
	cmd := exec.Command("sshfs", args...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if os.Getenv("SSHFS_LOG") != "" {
		lf, _ := os.Create(os.Getenv("SSHFS_LOG"))
		cmd.Stderr = lf
		cmd.Stdout = lf
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		exec.Command("fusermount", "-u", mnt).Run()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() // by PID: the sshfs this test started
			<-exited
			t.Error("sshfs did not exit after unmount")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !isMounted(mnt) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("sshfs %s exited: %v\n%s", strings.Join(args, " "), err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshfs did not mount in time\n%s", stderr.String())
		}
	}
	return mnt
}

// isMounted reports whether dir is a mount point (in /proc/self/mountinfo).
func isMounted(dir string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && fields[4] == dir {
			return true
		}
	}
	return false
}

// useMount exercises a mounted share whose local directory is local.
func useMount(t *testing.T, mnt, local string) {
	data := make([]byte, 3<<20+77)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(mnt, "written-on-server.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "written-on-server.bin")); !bytes.Equal(got, data) {
		t.Fatal("file written through the mount differs on the client")
	}
	if got, _ := os.ReadFile(filepath.Join(mnt, "written-on-server.bin")); !bytes.Equal(got, data) {
		t.Fatal("file read back through the mount differs")
	}
	writeFile(t, filepath.Join(local, "from-client.txt"), "hello from the client side\n")
	if got, _ := os.ReadFile(filepath.Join(mnt, "from-client.txt")); string(got) != "hello from the client side\n" {
		t.Fatalf("client file through the mount: %q", got)
	}
	entries, err := os.ReadDir(mnt)
	if err != nil || len(entries) != 2 {
		t.Fatalf("listing the mount: %v %v", entries, err)
	}

	// Modes given at create time and mkdir reach the client (sshfs sends
	// them; the request server alone would lose them).
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	f, err := os.OpenFile(filepath.Join(mnt, "private.txt"), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("private"))
	if err := f.Sync(); err != nil { // fsync@openssh.com
		t.Errorf("fsync on the mount: %v", err)
	}
	f.Close()
	if st, _ := os.Stat(filepath.Join(local, "private.txt")); st == nil || st.Mode().Perm() != 0o600 {
		t.Errorf("created with 0600, on the client: %v", st)
	}
	if err := os.Mkdir(filepath.Join(mnt, "privdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(local, "privdir")); st == nil || st.Mode().Perm() != 0o700 {
		t.Errorf("mkdir 0700, on the client: %v", st)
	}
	// rename over an existing file (posix-rename), symlink, statfs.
	if err := os.Rename(filepath.Join(mnt, "private.txt"), filepath.Join(mnt, "from-client.txt")); err != nil {
		t.Errorf("rename over an existing file: %v", err)
	}
	if err := os.Symlink("from-client.txt", filepath.Join(mnt, "link")); err != nil {
		t.Errorf("symlink: %v", err)
	} else if target, _ := os.Readlink(filepath.Join(local, "link")); target != "from-client.txt" {
		t.Errorf("symlink on the client points to %q", target)
	}
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &sfs); err != nil || sfs.Blocks == 0 {
		t.Errorf("statfs of the mount: %+v %v", sfs, err)
	}
	// Hard links are refused.
	if err := os.Link(filepath.Join(mnt, "from-client.txt"), filepath.Join(mnt, "hard")); err == nil {
		t.Error("hard link on the mount succeeded")
	}
}
