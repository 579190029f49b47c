//go:build linux

// Command many times listing the sessions of many X2Go servers at once
// (x2go.Client.ListServers, and x2go list --hosts) against listing them one
// after the other, on the lab's real X2Go server reached under -servers
// names (default 10): its two sshds (127.0.0.1:2222, key or password, and
// :2223, keyboard-interactive only) and loopback TCP forwarders in this
// process that pass connections on to them, alternately. Every listing
// is a fresh SSH connection and login. -slow adds a delay before one
// forwarder connects on, making it clearly the slowest server.
//
// What it prints, medians of -n rounds (rounds alternate the ways, so
// load changes hit all alike):
//
//   - each server listed alone (connect, log in, x2golistsessions),
//   - the sum of those (what listing them one after the other costs),
//   - the slowest of them (the floor for listing them at once),
//   - all listed at once by one Client (ListServers),
//   - all listed at once by the CLI, process start to exit
//     (x2go list --hosts ..., built once with go build).
//
// Then it lists once more with two extra servers, one that refuses
// connections and one that accepts and never says a word, with a connect
// timeout of -timeout: those two get an error in their own row within
// the timeout, the others are listed all the same.
//
// It holds the lab's e2e lock ($X2GO_LAB_DIR/e2e.lock) while it runs, as
// the tests and ./bench do. Run it from the repository root, lab up:
//
//	go run ./bench/many [-n 5] [-servers 10] [-slow 0] [-timeout 3s]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/x2go-go/x2go"
)

type lab struct {
	dir, host, user, key, knownHosts, password string
	port, kbdPort                              int
}

func main() {
	n := flag.Int("n", 5, "rounds")
	servers := flag.Int("servers", 10, "servers to list (2 sshds + forwarders)")
	slow := flag.Duration("slow", 0, "extra delay of one forwarder before it connects on")
	latency := flag.Duration("latency", 0, "one-way delay the forwarders add to every packet, both ways (then every server is a forwarder)")
	timeout := flag.Duration("timeout", 3*time.Second, "connect timeout for the down and silent servers")
	flag.Parse()
	if err := run(*n, *servers, *slow, *latency, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/many:", err)
		os.Exit(1)
	}
}

func run(rounds, nServers int, slow, latency, timeout time.Duration) error {
	ctx := context.Background()
	l, err := loadLab(ctx)
	if err != nil {
		return err
	}
	unlock, err := lockLab(l.dir)
	if err != nil {
		return err
	}
	defer unlock()
	tmp, err := os.MkdirTemp("", "bench-many-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The servers: the two sshds, then forwarders to them in turn.
	ports := []int{l.port, l.kbdPort}
	if latency > 0 {
		ports = nil
	}
	var fwds []*forwarder
	defer func() {
		for _, f := range fwds {
			f.close()
		}
	}()
	for i := len(ports); i < nServers; i++ {
		to := l.port
		if i%2 == 1 {
			to = l.kbdPort
		}
		var delay time.Duration
		if i == nServers-1 {
			delay = slow
		}
		f, err := newForwarder(net.JoinHostPort(l.host, strconv.Itoa(to)), delay, latency, false)
		if err != nil {
			return err
		}
		fwds = append(fwds, f)
		ports = append(ports, f.port())
	}
	ports = ports[:nServers]
	kh, err := knownHostsFor(l, tmp, ports)
	if err != nil {
		return err
	}
	pwFile := filepath.Join(tmp, "pw")
	if err := os.WriteFile(pwFile, []byte(l.password+"\n"), 0o600); err != nil {
		return err
	}
	opts := func(port int) x2go.Options {
		return x2go.Options{Server: l.host, Port: port, Username: l.user, KeyFiles: []string{l.key},
			Password: l.password, KnownHostsFiles: []string{kh}, ConnectTimeout: 30 * time.Second,
			ProfileName: fmt.Sprintf("%s:%d", l.host, port), Params: x2go.Params{SessionsRoot: tmp}}
	}
	bin := filepath.Join(tmp, "x2go")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/x2go").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	var hosts []string
	for _, p := range ports {
		hosts = append(hosts, fmt.Sprintf("%s@%s:%d", l.user, l.host, p))
	}
	cliArgs := []string{"list", "--hosts", strings.Join(hosts, ","), "--known-hosts", kh, "-i", l.key, "--password-file", pwFile}

	alone := make([][]time.Duration, len(ports))
	var sums, slowest, together, cli, busy []time.Duration
	for r := 0; r < rounds; r++ {
		var sum, most time.Duration
		for i, p := range ports {
			d, err := listOnce(ctx, []x2go.Options{opts(p)})
			if err != nil {
				return fmt.Errorf("port %d: %w", p, err)
			}
			alone[i] = append(alone[i], d)
			sum += d
			most = max(most, d)
		}
		sums, slowest = append(sums, sum), append(slowest, most)
		var all []x2go.Options
		for _, p := range ports {
			all = append(all, opts(p))
		}
		cpu0 := machineBusy()
		d, err := listOnce(ctx, all)
		if err != nil {
			return err
		}
		busy = append(busy, machineBusy()-cpu0)
		together = append(together, d)
		t0 := time.Now()
		cmd := exec.Command(bin, cliArgs...)
		cmd.Env = append(os.Environ(), "HOME="+tmp, "SSH_AUTH_SOCK=")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("x2go list --hosts: %v\n%s", err, out)
		}
		cli = append(cli, time.Since(t0))
		fmt.Fprintf(os.Stderr, "round %d: one after the other %v, at once %v, CLI %v\n", r+1, sum.Round(time.Millisecond), d.Round(time.Millisecond), cli[len(cli)-1].Round(time.Millisecond))
	}

	fmt.Printf("## Listing %d servers (the lab under %d ports), median of %d rounds\n\n", len(ports), len(ports), rounds)
	if latency > 0 {
		fmt.Printf("Every server is a forwarder that delays each packet by %v each way (a round trip of %v).\n\n", latency, 2*latency)
	}
	fmt.Println("| server | listed alone (connect + login + list) |")
	fmt.Println("| --- | --- |")
	for i, p := range ports {
		note := ""
		switch {
		case p == l.port:
			note = " (sshd, key)"
		case p == l.kbdPort:
			note = " (sshd, keyboard-interactive)"
		case i == len(ports)-1 && slow > 0:
			note = fmt.Sprintf(" (forwarder, +%v to connect)", slow)
		default:
			note = " (forwarder)"
		}
		fmt.Printf("| 127.0.0.1:%d%s | %s |\n", p, note, secs(median(alone[i])))
	}
	fmt.Println()
	fmt.Println("| way | time |")
	fmt.Println("| --- | --- |")
	fmt.Printf("| one after the other (sum) | %s |\n", secs(median(sums)))
	fmt.Printf("| slowest server alone | %s |\n", secs(median(slowest)))
	fmt.Printf("| all at once, Client.ListServers | %s |\n", secs(median(together)))
	fmt.Printf("| all at once, x2go list --hosts (process start to exit) | %s |\n", secs(median(cli)))
	fmt.Printf("\nAt once / slowest alone: %.2f; one after the other / at once: %.2f\n",
		float64(median(together))/float64(median(slowest)), float64(median(sums))/float64(median(together)))
	fmt.Printf("CPU time the machine (all %d servers, their sshds and this client) spent during the listing at once: %s on %d CPUs\n\n",
		len(ports), secs(median(busy)), runtime.NumCPU())

	// Two servers that fail.
	down, err := freePort()
	if err != nil {
		return err
	}
	silent, err := newForwarder("", 0, 0, true)
	if err != nil {
		return err
	}
	defer silent.close()
	var all []x2go.Options
	for _, p := range ports {
		all = append(all, opts(p))
	}
	for _, p := range []int{down, silent.port()} {
		o := opts(p)
		o.ConnectTimeout = timeout
		all = append(all, o)
	}
	c, err := x2go.NewClient(x2go.ClientOptions{RefreshInterval: -1})
	if err != nil {
		return err
	}
	defer c.Close()
	for _, o := range all {
		if _, err := c.Register(o); err != nil {
			return err
		}
	}
	t0 := time.Now()
	res := c.ListServers(ctx)
	took := time.Since(t0)
	fmt.Printf("## %d servers, one refusing connections and one silent (connect timeout %v)\n\n", len(all), timeout)
	fmt.Println("| server | time | result |")
	fmt.Println("| --- | --- | --- |")
	failures := 0
	for _, r := range res {
		what := fmt.Sprintf("%d sessions", len(r.Sessions))
		if r.Err != nil {
			what = "error: " + strings.ReplaceAll(r.Err.Error(), "|", "/")
			failures++
		}
		fmt.Printf("| %s:%d | %s | %s |\n", r.Server, r.Port, secs(r.Elapsed), what)
	}
	fmt.Printf("\nall %d rows in %s\n", len(res), secs(took))
	if failures != 2 {
		return fmt.Errorf("%d servers failed, want exactly the 2 broken ones", failures)
	}
	return nil
}

// listOnce lists the sessions of the servers with a fresh Client and
// returns how long ListServers took.
func listOnce(ctx context.Context, opts []x2go.Options) (time.Duration, error) {
	c, err := x2go.NewClient(x2go.ClientOptions{RefreshInterval: -1})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	for _, o := range opts {
		if _, err := c.Register(o); err != nil {
			return 0, err
		}
	}
	t0 := time.Now()
	res := c.ListServers(ctx)
	d := time.Since(t0)
	var errs []error
	for _, r := range res {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", r.Server, r.Port, r.Err))
		}
	}
	return d, errors.Join(errs...)
}

// forwarder passes TCP connections from a loopback port on to an
// address, after an optional delay; a silent one accepts and never
// answers.
type forwarder struct {
	ln      net.Listener
	to      string
	delay   time.Duration
	latency time.Duration
	silent  bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func newForwarder(to string, delay, latency time.Duration, silent bool) (*forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &forwarder{ln: ln, to: to, delay: delay, latency: latency, silent: silent}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

func (f *forwarder) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *forwarder) track(c net.Conn) {
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.mu.Unlock()
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.track(c)
		if f.silent {
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			time.Sleep(f.delay)
			up, err := net.Dial("tcp", f.to)
			if err != nil {
				return
			}
			f.track(up)
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { f.pipe(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { f.pipe(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}

// pipe copies src to dst, each chunk arriving f.latency after it was
// read, in order (a link with that one-way delay and no bandwidth limit).
func (f *forwarder) pipe(dst io.Writer, src io.Reader) {
	if f.latency <= 0 {
		io.Copy(dst, src)
		return
	}
	type chunk struct {
		at   time.Time
		data []byte
	}
	ch := make(chan chunk, 1024)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{time.Now().Add(f.latency), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.data); err != nil {
			for range ch { // let the reader finish
			}
			return
		}
	}
}

func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// knownHostsFor writes a known_hosts file with the lab's host keys under
// every port (the forwarders lead to the same sshds).
func knownHostsFor(l *lab, dir string, ports []int) (string, error) {
	b, err := os.ReadFile(l.knownHosts)
	if err != nil {
		return "", err
	}
	prefix := fmt.Sprintf("[%s]:%d ", l.host, l.port)
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		if k, ok := strings.CutPrefix(line, prefix); ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", fmt.Errorf("no host key of %s in %s", strings.TrimSpace(prefix), l.knownHosts)
	}
	var out bytes.Buffer
	for _, p := range ports {
		for _, k := range keys {
			fmt.Fprintf(&out, "[%s]:%d %s\n", l.host, p, k)
		}
	}
	file := filepath.Join(dir, "known_hosts")
	return file, os.WriteFile(file, out.Bytes(), 0o600)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// loadLab reads the lab's environment (scripts/lab env --print).
func loadLab(ctx context.Context) (*lab, error) {
	out, err := exec.CommandContext(ctx, filepath.Join("scripts", "lab"), "env", "--print").Output()
	if err != nil {
		return nil, fmt.Errorf("scripts/lab env --print: %v (is the lab up? run from the repository root)", err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		line, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		vars[k] = strings.Trim(v, "'")
	}
	l := &lab{dir: vars["X2GO_LAB_DIR"], host: vars["X2GO_LAB_HOST"], user: vars["X2GO_LAB_USER"],
		key: vars["X2GO_LAB_KEY"], knownHosts: vars["X2GO_LAB_KNOWN_HOSTS"]}
	l.port, _ = strconv.Atoi(vars["X2GO_LAB_PORT"])
	l.kbdPort, _ = strconv.Atoi(vars["X2GO_LAB_KBDINT_PORT"])
	pw, err := os.ReadFile(vars["X2GO_LAB_PASSWORD_FILE"])
	if err != nil {
		return nil, fmt.Errorf("the lab's password: %w", err)
	}
	l.password = strings.TrimRight(string(pw), "\r\n")
	if l.dir == "" || l.host == "" || l.user == "" || l.key == "" || l.port == 0 || l.kbdPort == 0 {
		return nil, fmt.Errorf("scripts/lab env --print lacks some X2GO_LAB_* variables")
	}
	return l, nil
}

// lockLab takes the e2e tests' lock on the lab, waiting for it.
func lockLab(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "e2e.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "waiting for the lab's e2e lock")
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// machineBusy is the CPU time the whole machine has spent not idle
// (/proc/stat), 0 if it cannot be read.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, not iowait, not guest
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
