//go:build linux

// Command sftp compares the folder sharing server of package sharing with
// OpenSSH's sftp-server, both mounted with the real sshfs the way
// x2gomountdirs mounts a client folder, and prints both figures and the
// ratio for:
//
//   - sequential write of a large file (default 512 MiB) into the mount,
//   - sequential read of it back (on a fresh mount, so the server-side
//     page cache of the FUSE mount does not answer),
//   - listing a directory of 10,000 files with the attributes of each
//     (os.ReadDir plus Lstat of every entry, what `ls -l` or a file
//     manager does).
//
// The transport is the same for both: an in-process Go SSH server
// (golang.org/x/crypto/ssh, the same configuration and Ed25519 keys) on
// 127.0.0.1; for "openssh" its "sftp" subsystem runs
// /usr/lib/openssh/sftp-server with the channel as stdin and stdout (as
// sshd does), for "x2go-go" it is sharing.Server itself. sshfs runs with
// x2gomountdirs' options and OpenSSH's built-in client defaults
// (-F /dev/null), so the ssh inside sshfs picks the same cipher for both.
//
// The runs of the two servers alternate, -n rounds (default 3); each
// figure is the median. Ratios are x2go-go / openssh for throughput and
// openssh / x2go-go for listing time: above 1.00 means x2go-go is faster.
// The machine is shared: compare the ratios, not absolute numbers across
// runs. Needs sshfs, fusermount and /dev/fuse (run as root, or as a user
// who may mount FUSE file systems):
//
//	go run ./bench/sftp [-size 512] [-files 10000] [-n 3] [-dir /var/tmp]
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"

	"github.com/x2go-go/x2go/sharing"
	"github.com/x2go-go/x2go/sshconn"
)

func main() {
	size := flag.Int("size", 512, "MiB to write and read")
	files := flag.Int("files", 10000, "files in the listed directory")
	rounds := flag.Int("n", 3, "rounds (median is reported)")
	dir := flag.String("dir", os.TempDir(), "where the shared folders go (needs 2x size free)")
	only := flag.String("only", "", "run only write+read (\"transfer\") or only \"list\"")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process (both Go SSH servers run in it)")
	via := flag.String("via", "lab", `how sshfs reaches the servers: "lab" (a reverse forward on the lab's sshd, as in a session), "lab-forward-only" (the same on a connection that has run no command) or "direct" (a loopback port)`)
	flag.Parse()
	switch *via {
	case "lab", "lab-forward-only":
		fwd, err := dialLab(*via == "lab")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/sftp: the lab's sshd (scripts/lab up; or -via direct):", err)
			os.Exit(1)
		}
		defer fwd.Close()
		listen = func() (net.Listener, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return fwd.ListenRemote(ctx, "127.0.0.1:0")
		}
		viaText = "a reverse forward of the lab's OpenSSH sshd (as in an X2Go session)"
		if *via == "lab-forward-only" {
			viaText = "a reverse forward of the lab's OpenSSH sshd on a connection that ran no command (sshd keeps Nagle on)"
		}
	case "direct":
	default:
		fmt.Fprintf(os.Stderr, "bench/sftp: -via %q: want lab, lab-forward-only or direct\n", *via)
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/sftp:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*size, *files, *rounds, *dir, *only); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/sftp:", err)
		os.Exit(1)
	}
}

// target is one server under test.
type target struct {
	name   string
	addr   string
	user   string
	key    string // private key file
	known  string // known_hosts file
	remote string // the shared folder's SFTP path
	local  string // and its local directory
	stop   func()
}

func run(sizeMiB, nfiles, rounds int, base, only string) error {
	for _, tool := range []string{"sshfs", "fusermount", "/usr/lib/openssh/sftp-server"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed: %w", tool, err)
		}
	}
	work, err := os.MkdirTemp(base, "bench-sftp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	ours, err := startOurs(work)
	if err != nil {
		return err
	}
	defer ours.stop()
	theirs, err := startOpenSSH(work)
	if err != nil {
		return err
	}
	defer theirs.stop()
	targets := []*target{ours, theirs}
	var ciphers []string
	for _, t := range targets {
		c, err := negotiatedCipher(t)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		ciphers = append(ciphers, c)
	}
	if ciphers[0] != ciphers[1] {
		return fmt.Errorf("the targets negotiate different ciphers: %v", ciphers)
	}
	for _, t := range targets {
		if err := makeListDir(filepath.Join(t.local, "list"), nfiles); err != nil {
			return err
		}
	}

	size := int64(sizeMiB) << 20
	results := map[string]map[string][]float64{} // target -> measure -> values
	for _, t := range targets {
		results[t.name] = map[string][]float64{}
	}
	load0 := loadAvg()
	for r := 0; r < rounds; r++ {
		for i := range targets {
			// Alternate which server goes first, so slow phases of a
			// shared machine hit both alike.
			t := targets[(i+r)%len(targets)]
			w, rd, ls, err := measure(t, work, size, only)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			results[t.name]["write"] = append(results[t.name]["write"], w)
			results[t.name]["read"] = append(results[t.name]["read"], rd)
			results[t.name]["list"] = append(results[t.name]["list"], ls)
			fmt.Fprintf(os.Stderr, "round %d %-8s write %7.1f MiB/s  read %7.1f MiB/s  list %6.3f s\n", r+1, t.name, w, rd, ls)
		}
	}
	load1 := loadAvg()

	med := func(name, m string) float64 { return median(results[name][m]) }
	fmt.Printf("\nsshfs (x2gomountdirs options) to a Go SSH server through %s, %d MiB file, %d-file directory, median of %d\n",
		viaText, sizeMiB, nfiles, rounds)
	fmt.Printf("cipher negotiated by OpenSSH's ssh (inside sshfs) with both: %s\n", ciphers[0])
	fmt.Printf("load average at start %s, at end %s\n\n", load0, load1)
	fmt.Printf("| %-28s | %13s | %13s | %6s |\n", "what", "x2go-go", "openssh", "ratio")
	fmt.Printf("|%s|%s|%s|%s|\n", strings.Repeat("-", 30), strings.Repeat("-", 15), strings.Repeat("-", 15), strings.Repeat("-", 8))
	if only != "list" {
		fmt.Printf("| %-28s | %7.1f MiB/s | %7.1f MiB/s | %5.2fx |\n", "sequential write", med("x2go-go", "write"), med("openssh", "write"), med("x2go-go", "write")/med("openssh", "write"))
		fmt.Printf("| %-28s | %7.1f MiB/s | %7.1f MiB/s | %5.2fx |\n", "sequential read", med("x2go-go", "read"), med("openssh", "read"), med("x2go-go", "read")/med("openssh", "read"))
	}
	if only != "transfer" {
		fmt.Printf("| %-28s | %11.3f s | %11.3f s | %5.2fx |\n", fmt.Sprintf("list %d files (ls -l)", nfiles), med("x2go-go", "list"), med("openssh", "list"), med("openssh", "list")/med("x2go-go", "list"))
	}
	fmt.Println("\nratio > 1.00: x2go-go is faster (throughput: x2go-go/openssh; listing: openssh/x2go-go time)")
	return nil
}

// measure writes, reads back and lists through fresh sshfs mounts of t.
func measure(t *target, work string, size int64, only string) (writeMiBs, readMiBs, listSec float64, err error) {
	if only != "list" {
		if writeMiBs, readMiBs, err = transfer(t, work, size); err != nil || only == "transfer" {
			return
		}
	}
	listSec, err = list(t, work)
	return
}

// transfer writes a file of size bytes into a fresh mount of t and reads it
// back from another fresh mount.
func transfer(t *target, work string, size int64) (writeMiBs, readMiBs float64, err error) {
	name := "big.bin"
	os.Remove(filepath.Join(t.local, name))
	buf := make([]byte, 1<<20)
	rand.Read(buf)

	// Write.
	err = withMount(t, work, func(mnt string) error {
		f, err := os.Create(filepath.Join(mnt, name))
		if err != nil {
			return err
		}
		start := time.Now()
		for n := int64(0); n < size; n += int64(len(buf)) {
			if _, err := f.Write(buf); err != nil {
				f.Close()
				return err
			}
		}
		if err := f.Close(); err != nil { // sshfs waits for every write reply on close
			return err
		}
		writeMiBs = float64(size) / (1 << 20) / time.Since(start).Seconds()
		return nil
	})
	if err != nil {
		return
	}
	if st, serr := os.Stat(filepath.Join(t.local, name)); serr != nil || st.Size() != size {
		return 0, 0, fmt.Errorf("written file on the client: %v %v", st, serr)
	}
	// Read, on a fresh mount.
	err = withMount(t, work, func(mnt string) error {
		f, err := os.Open(filepath.Join(mnt, name))
		if err != nil {
			return err
		}
		defer f.Close()
		start := time.Now()
		n, err := io.CopyBuffer(io.Discard, f, buf)
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("read %d bytes, want %d", n, size)
		}
		readMiBs = float64(size) / (1 << 20) / time.Since(start).Seconds()
		return nil
	})
	os.Remove(filepath.Join(t.local, name))
	return
}

// list lists the 10,000-file directory of t with attributes, on a fresh
// mount, and returns the seconds it took.
func list(t *target, work string) (listSec float64, err error) {
	err = withMount(t, work, func(mnt string) error {
		start := time.Now()
		entries, err := os.ReadDir(filepath.Join(mnt, "list"))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if _, err := e.Info(); err != nil {
				return err
			}
		}
		listSec = time.Since(start).Seconds()
		if len(entries) == 0 {
			return errors.New("empty listing")
		}
		return nil
	})
	return
}

// withMount mounts t with sshfs as x2gomountdirs does (in the foreground,
// so this process owns it), runs fn and unmounts.
func withMount(t *target, work string, fn func(mnt string) error) error {
	mnt, err := os.MkdirTemp(work, "mnt-")
	if err != nil {
		return err
	}
	defer os.Remove(mnt)
	_, port, _ := net.SplitHostPort(t.addr)
	opts := fmt.Sprintf("idmap=user,uid=%d,gid=%d,default_permissions,ServerAliveInterval=300,IdentityFile=%s,UserKnownHostsFile=%s",
		os.Getuid(), os.Getgid(), t.key, t.known)
	cmd := exec.Command("sshfs", "-f", "-F", "/dev/null", "-o", opts, t.user+"@127.0.0.1:"+t.remote, mnt, "-p", port)
	cmd.Env = noAgentEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		exec.Command("fusermount", "-u", mnt).Run()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !isMounted(mnt) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("sshfs exited: %v: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshfs did not mount: %s", stderr.String())
		}
	}
	// sshfs mounts before it starts ssh and SFTP; the first request on
	// the mount waits for both. Make that one here, so that the timed
	// operations do not include the SSH handshake.
	ready := make(chan error, 1)
	go func() {
		_, err := os.Stat(mnt)
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("sshfs did not connect: %v: %s", err, stderr.String())
		}
	case err := <-exited:
		exited <- err
		return fmt.Errorf("sshfs exited: %v: %s", err, stderr.String())
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("sshfs did not connect: %s", stderr.String())
	}
	return fn(mnt)
}

// isMounted reports whether dir is a mount point.
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

// noAgentEnv is the environment without an SSH agent.
func noAgentEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") {
			env = append(env, kv)
		}
	}
	return env
}

// makeListDir creates n empty files in dir.
func makeListDir(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("file-%05d.txt", i)))
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// writeKeys writes the client key and a known_hosts file for addr, as
// x2gomountdirs makes them from the key bundle.
func writeKeys(dir, addr string, clientKey []byte, hostKey ssh.PublicKey) (key, known string, err error) {
	key = filepath.Join(dir, "key")
	known = key + ".ident"
	_, port, _ := net.SplitHostPort(addr)
	if err = os.WriteFile(key, clientKey, 0o600); err != nil {
		return
	}
	err = os.WriteFile(known, append([]byte("[127.0.0.1]:"+port+" "), ssh.MarshalAuthorizedKey(hostKey)...), 0o600)
	return
}

// startOurs starts sharing.Server with one shared folder.
func startOurs(work string) (*target, error) {
	dir := filepath.Join(work, "ours")
	local := filepath.Join(dir, "share")
	if err := os.MkdirAll(local, 0o755); err != nil {
		return nil, err
	}
	srv, err := sharing.New()
	if err != nil {
		return nil, err
	}
	var l net.Listener
	if err = srv.AddShare("/share", local); err == nil {
		l, err = listen()
	}
	if err != nil {
		srv.Close()
		return nil, err
	}
	var key, known string
	pem, err := srv.ClientPrivateKey()
	if err == nil {
		key, known, err = writeKeys(dir, l.Addr().String(), pem, srv.HostKey())
	}
	if err != nil {
		l.Close()
		srv.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, l) }()
	return &target{name: "x2go-go", addr: l.Addr().String(), user: srv.User(), key: key, known: known,
		remote: "/share", local: local, stop: func() { cancel(); <-done; srv.Close() }}, nil
}

// startOpenSSH starts a Go SSH server like sharing.Server's whose sftp
// subsystem is OpenSSH's sftp-server.
func startOpenSSH(work string) (*target, error) {
	dir := filepath.Join(work, "openssh")
	local := filepath.Join(dir, "share")
	if err := os.MkdirAll(local, 0o755); err != nil {
		return nil, err
	}
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, _ := ssh.NewSignerFromKey(hostPriv)
	clientPub, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(clientPub)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), sshPub.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("no")
		},
		MaxAuthTries:  64,
		ServerVersion: "SSH-2.0-x2go-go_sharing",
	}
	// The same ciphers as sharing.Server offers (see sharing/ciphers.go):
	// AES-GCM only where the CPU has AES instructions. run checks that
	// both targets negotiate the same cipher.
	if hardwareAESGCM() {
		cfg.Ciphers = []string{ssh.CipherAES128GCM, ssh.CipherAES256GCM}
	}
	cfg.AddHostKey(hostSigner)
	l, err := listen()
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveOpenSSH(c, cfg)
			}()
		}
	}()
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		return nil, err
	}
	var pemBuf bytes.Buffer
	if err := pem.Encode(&pemBuf, block); err != nil {
		return nil, err
	}
	key, known, err := writeKeys(dir, l.Addr().String(), pemBuf.Bytes(), hostSigner.PublicKey())
	if err != nil {
		return nil, err
	}
	return &target{name: "openssh", addr: l.Addr().String(), user: "x2go", key: key, known: known,
		remote: local, local: local, stop: func() { l.Close(); wg.Wait() }}, nil
}

// serveOpenSSH runs one connection: the first session's sftp subsystem is
// /usr/lib/openssh/sftp-server on the channel.
func serveOpenSSH(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "subsystem" || !strings.HasSuffix(string(req.Payload), "sftp") {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				go ssh.DiscardRequests(creqs)
				cmd := exec.Command("/usr/lib/openssh/sftp-server")
				stdin, _ := cmd.StdinPipe()
				stdout, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					return
				}
				go func() {
					io.CopyBuffer(stdin, ch, make([]byte, 64<<10))
					stdin.Close()
				}()
				// sshd reads the subsystem's output as it comes and packs
				// it into channel packets; a 64 KiB buffer (a pipe's
				// capacity) gives sftp-server the same batching.
				io.CopyBuffer(ch, stdout, make([]byte, 64<<10))
				cmd.Wait()
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
				return
			}
		}()
	}
}

// negotiatedCipher asks OpenSSH's ssh (with the options sshfs passes and
// built-in defaults) which cipher it negotiates with t.
func negotiatedCipher(t *target) (string, error) {
	_, port, _ := net.SplitHostPort(t.addr)
	cmd := exec.Command("ssh", "-v", "-F", "/dev/null", "-x", "-a", "-o", "BatchMode=yes",
		"-o", "IdentityFile="+t.key, "-o", "UserKnownHostsFile="+t.known, "-p", port,
		"-s", t.user+"@127.0.0.1", "sftp")
	cmd.Env = noAgentEnv()
	cmd.Stdin = strings.NewReader("")
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "debug1: kex: server->client cipher: "); ok {
			return strings.Fields(rest)[0], nil
		}
	}
	return "", fmt.Errorf("ssh -v did not show the cipher:\n%s", out)
}

// hardwareAESGCM mirrors sharing's check (AES and carry-less multiply
// instructions).
func hardwareAESGCM() bool {
	switch runtime.GOARCH {
	case "amd64", "386":
		return cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ
	case "arm64":
		return cpu.ARM64.HasAES && cpu.ARM64.HasPMULL
	case "s390x":
		return cpu.S390X.HasAESGCM
	}
	return false
}

// median of xs.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	if _, err := strconv.ParseFloat(f[0], 64); err != nil {
		return "?"
	}
	return f[0]
}

// listen makes the port sshfs connects to; main switches it to a reverse
// forward on the lab's sshd.
var (
	listen  = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	viaText = "a loopback port"
)

// dialLab logs in to the lab's sshd (scripts/lab) as its test user. With
// session it then runs a command, as an X2Go session does long before it
// asks for the sshfs forward: sshd (before OpenSSH 10.1) sets TCP_NODELAY
// on a client's connection only when the first session channel starts a
// command. Without it sshd's Nagle algorithm holds each request it
// forwards behind its own unacknowledged window adjustment, which the
// client's kernel acknowledges only after its delayed-ACK timeout
// (40 ms on Linux): reads through such a forward crawl at a few MiB/s
// for any SFTP server (see README.md).
func dialLab(session bool) (*sshconn.Conn, error) {
	b, err := os.ReadFile("/var/tmp/x2go-lab/lab.env")
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
			env[k] = v
		}
	}
	port, _ := strconv.Atoi(env["X2GO_LAB_PORT"])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := sshconn.Dial(ctx, sshconn.Config{
		Host: env["X2GO_LAB_HOST"], Port: port, User: env["X2GO_LAB_USER"],
		Auth:     sshconn.Auth{KeyFiles: []string{env["X2GO_LAB_KEY"]}},
		HostKeys: sshconn.HostKeyConfig{KnownHostsFiles: []string{env["X2GO_LAB_KNOWN_HOSTS"]}},
	})
	if err != nil || !session {
		return conn, err
	}
	if _, err := conn.Run(ctx, "true"); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
