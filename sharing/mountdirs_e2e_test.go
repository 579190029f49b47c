//go:build linux

package sharing

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/x2go-go/x2go/internal/testserver"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// TestE2EMountDirs runs the whole folder sharing sequence against the
// lab's real x2goserver, the way a session will (only the X2Go session
// itself is replaced by a session name that x2gomountdirs accepts):
//
//  1. a reverse port forward 127.0.0.1:<port> on the server, its
//     connections served by a sharing.Server;
//  2. the key bundle uploaded by SFTP to ~/.x2go/ssh/key.z<n>, mode 0600;
//  3. x2gomountdirs run with protocol.MountDirsCmd; its output parsed;
//  4. the server user reads and writes the client folder through the
//     sshfs mount, as itself (sshfs's idmap=user mapping works);
//  5. a second mount of the same folder, the print spool, a mount that
//     cannot connect and a server without sshfs, each parsed;
//  6. x2golistmounts and x2goumount-session.
//
// The raw outputs are logged: they are the test data of protocol's
// ParseMountDirs tests.
func TestE2EMountDirs(t *testing.T) {
	lab := testserver.Start(t)
	lab.Lock(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	conn, err := sshconn.Dial(ctx, sshconn.Config{
		Host: lab.Host, Port: lab.Port, User: lab.User,
		Auth:     sshconn.Auth{KeyFiles: []string{lab.Key}},
		HostKeys: sshconn.HostKeyConfig{KnownHostsFiles: []string{lab.KnownHosts}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	run := func(cmd string) *sshconn.Result {
		t.Helper()
		start := time.Now()
		res, err := conn.Run(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		t.Logf("$ %s\n-- stdout:\n%s-- stderr:\n%s-- status %d, %v", cmd, res.Stdout, res.Stderr, res.Status, time.Since(start).Round(time.Millisecond))
		return res
	}
	home := strings.TrimSpace(run(protocol.HomeCmd()).Stdout)

	// A session name x2gomountdirs and the session database accept, and
	// the session directory x2gostartagent would have made.
	session := fmt.Sprintf("%s-%d-%d_stRxterm_dp24", lab.User, 900+rand.IntN(99), time.Now().Unix())
	run("mkdir -p " + protocol.Quote(home+"/.x2go/C-"+session) + " /tmp/.x2go-" + lab.User)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		lab.ServerCommand(ctx, "x2goumount-session "+session+"; rm -rf ~/.x2go/C-"+session)
	})

	// 1. The server, behind a reverse forward on the lab server's loopback.
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l, err := conn.Client().Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	served := make(chan error, 1)
	serveCtx, stopServe := context.WithCancel(ctx)
	go func() { served <- srv.Serve(serveCtx, l) }()
	defer func() {
		stopServe()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	}()

	local := filepath.Join(t.TempDir(), `it's $HOME "x" ü`)
	os.Mkdir(local, 0o755)
	writeFile(t, filepath.Join(local, "client-file.txt"), "hello from the client side\n")
	remote, _ := protocol.MountablePath(local)
	if err := srv.AddShare(remote, local); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(t.TempDir(), "spool")
	os.Mkdir(spool, 0o700)
	spoolRemote, _ := protocol.MountablePath(spool)
	if err := srv.AddShare(spoolRemote, spool); err != nil {
		t.Fatal(err)
	}

	sc, err := sftp.NewClient(conn.Client())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	keyFile, err := protocol.KeyFilePath(home, 4242)
	if err != nil {
		t.Fatal(err)
	}
	// 2. Upload the bundle: the ssh directory made private first, the file
	// made 0600 before anything is written to it.
	upload := func() {
		t.Helper()
		bundle, err := srv.KeyBundle()
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.MkdirAll(path.Dir(keyFile)); err != nil {
			t.Fatal(err)
		}
		if err := sc.Chmod(path.Dir(keyFile), 0o700); err != nil {
			t.Fatal(err)
		}
		f, err := sc.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Chmod(0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(bundle); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	mount := func(p string, kind protocol.MountKind, port int) (protocol.MountDirsResult, error) {
		t.Helper()
		upload()
		cmd, err := protocol.MountDirsCmd(protocol.MountDirsParams{
			Session: session, User: srv.User(), KeyFile: keyFile, Path: p, Kind: kind, Port: port,
		})
		if err != nil {
			t.Fatal(err)
		}
		res := run(cmd)
		r, err := protocol.ParseMountDirs(res.Stdout, res.Stderr)
		if _, serr := sc.Stat(keyFile); serr == nil {
			t.Error("the key file is still on the server after x2gomountdirs")
		}
		return r, err
	}

	// 3. Mount the folder.
	res, err := mount(remote, protocol.MountFolder, port)
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	if len(res.Mounts) != 1 || res.Mounts[0].Dir != remote || res.Port != port || res.Host != "127.0.0.1" || res.User != srv.User() {
		t.Fatalf("parsed: %+v", res)
	}
	mp := res.Mounts[0].MountPoint
	if want := "/tmp/.x2go-" + lab.User + "/" + protocol.MountPoint(protocol.MountFolder, session, remote); mp != want {
		t.Errorf("mount point %q, want %q", mp, want)
	}

	// 4. The server user uses the mount, and owns the client's files there.
	out, err := lab.ServerCommand(ctx, "cat "+protocol.Quote(mp+"/client-file.txt")+
		" && echo written-on-server > "+protocol.Quote(mp+"/server-file.txt")+
		" && stat -c '%U %a' "+protocol.Quote(mp+"/client-file.txt"))
	t.Logf("server side: %q %v", out, err)
	if err != nil || out != "hello from the client side\n"+lab.User+" 644\n" {
		t.Errorf("server side access: %q %v", out, err)
	}
	if b, _ := os.ReadFile(filepath.Join(local, "server-file.txt")); string(b) != "written-on-server\n" {
		t.Errorf("file written on the server: %q", b)
	}
	// A bulk read: sshfs keeps several 32 KiB READs in flight, each
	// answered through the reverse forward. The rate is logged, not
	// checked: it depends on the machine's load (bench/sftp measures it).
	big := make([]byte, 16<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	writeFile(t, filepath.Join(local, "big.bin"), string(big))
	out, err = lab.ServerCommand(ctx, "t0=$(date +%s%N) && sha256sum < "+protocol.Quote(mp+"/big.bin")+
		" | cut -d' ' -f1 && echo $(( $(date +%s%N) - t0 ))")
	if f := strings.Fields(out); err != nil || len(f) != 2 || f[0] != fmt.Sprintf("%x", sha256.Sum256(big)) {
		t.Errorf("bulk read on the server: %q %v", out, err)
	} else if ns, _ := strconv.ParseInt(f[1], 10, 64); ns > 0 {
		t.Logf("server read %d MiB through the mount at %.1f MiB/s", len(big)>>20, float64(len(big))/(1<<20)/(float64(ns)/1e9))
	}
	mounts, err := protocol.ParseMounts(run("export HOSTNAME && x2golistmounts " + session).Stdout)
	if err != nil || len(mounts) != 1 || mounts[0].Path != mp || mounts[0].Client != "127.0.0.1" {
		t.Errorf("x2golistmounts: %+v %v", mounts, err)
	}

	// 5. The same folder again: already mounted.
	if _, err := mount(remote, protocol.MountFolder, port); !errors.Is(err, protocol.ErrAlreadyMounted) {
		t.Errorf("second mount: %v, want ErrAlreadyMounted", err)
	}
	// The print spool.
	res, err = mount(spoolRemote, protocol.MountPrintSpool, port)
	if err != nil {
		t.Fatalf("spool mount: %v", err)
	}
	if want := "/tmp/.x2go-" + lab.User + "/spool/C-" + session; len(res.Mounts) != 1 || res.Mounts[0].MountPoint != want {
		t.Errorf("spool mount: %+v, want mount point %s", res, want)
	}
	if out, err := lab.ServerCommand(ctx, "echo job > ~/.x2go/C-"+session+"/spool/job.pdf"); err != nil {
		t.Errorf("writing into the spool through <rc>/spool: %q %v", out, err)
	}
	if b, _ := os.ReadFile(filepath.Join(spool, "job.pdf")); string(b) != "job\n" {
		t.Errorf("spool job on the client: %q", b)
	}
	// A port nobody listens on: sshfs fails.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	missing, _ := protocol.MountablePath(filepath.Join(t.TempDir(), "not-served"))
	if _, err := mount(missing, protocol.MountFolder, deadPort); !errors.Is(err, protocol.ErrMountFailed) {
		t.Errorf("mount through a dead port: %v, want ErrMountFailed", err)
	}
	// A folder the server does not serve: sshfs fails too.
	if _, err := mount(missing, protocol.MountFolder, port); !errors.Is(err, protocol.ErrMountFailed) {
		t.Errorf("mount of an unshared path: %v, want ErrMountFailed", err)
	}
	// No sshfs on the server (PATH without it).
	upload()
	nosshfs := run("PATH=/nonexistent /usr/bin/x2gomountdirs dir " + session + " " + srv.User() + " " + keyFile + " " +
		protocol.Quote(remote+"__REVERSESSH_PORT__"+fmt.Sprint(port)) + "; rm -f " + keyFile)
	if _, err := protocol.ParseMountDirs(nosshfs.Stdout, nosshfs.Stderr); !errors.Is(err, protocol.ErrNoSSHFS) {
		t.Errorf("without sshfs: %v, want ErrNoSSHFS", err)
	}

	// 6. Unmount the folder alone, by the path it was mounted with, then
	// everything else of the session.
	cmd, _ := protocol.UmountSessionCmd(session, remote)
	if r := run(cmd); r.Stderr != "" || r.Status != 0 {
		t.Errorf("x2goumount-session of one folder: %+v", r)
	}
	mounts, _ = protocol.ParseMounts(run("export HOSTNAME && x2golistmounts " + session).Stdout)
	if len(mounts) != 1 || !strings.HasSuffix(mounts[0].Path, "/spool/C-"+session) {
		t.Errorf("after unmounting the folder: %+v", mounts)
	}
	if out, _ := lab.ServerCommand(ctx, "grep -c "+protocol.Quote(protocol.MountPointName(remote))+" /proc/mounts || true"); out != "0\n" {
		t.Errorf("the folder is still mounted: %q", out)
	}
	cmd, _ = protocol.UmountSessionCmd(session, "")
	if r := run(cmd); r.Stderr != "" || r.Status != 0 {
		t.Errorf("x2goumount-session: %+v", r)
	}
	if mounts, _ := protocol.ParseMounts(run("export HOSTNAME && x2golistmounts " + session).Stdout); len(mounts) != 0 {
		t.Errorf("mounts left: %+v", mounts)
	}
}
