package sound

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultPort is PulseAudio's native-protocol TCP port, where python-x2go
// sends a session's sound unless the profile names another port.
const DefaultPort = 4713

// maxCookie bounds the cookie file read (PulseAudio's is 256 bytes).
const maxCookie = 64 << 10

// LocalConfig says where the local PulseAudio is. The zero value finds it.
type LocalConfig struct {
	// Server is the host:port of the local PulseAudio's native-protocol
	// TCP listener. Empty: found (see Find).
	Server string
	// CookieFile is the local PulseAudio's cookie. Empty: $PULSE_COOKIE,
	// then ~/.config/pulse/cookie ($XDG_CONFIG_HOME/pulse/cookie), then
	// ~/.pulse-cookie, the order in which PulseAudio's own clients look.
	CookieFile string
	// Env is the environment the local PulseAudio is looked for in and
	// pactl runs with (PULSE_SERVER, PULSE_COOKIE, PULSE_RUNTIME_PATH,
	// XDG_RUNTIME_DIR, XDG_CONFIG_HOME, HOME). Default os.Environ().
	Env []string
	// Pactl is the pactl program (default "pactl" from $PATH).
	Pactl string
	// Logger receives debug and warning messages; nil discards them.
	Logger *slog.Logger
}

// getenv looks key up in c.Env. Find and Running fill a nil Env in from
// os.Environ() once, before their lookups.
func (c *LocalConfig) getenv(key string) string {
	v := ""
	for _, kv := range c.Env { // the last one wins, as with exec.Cmd.Env
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func (c *LocalConfig) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// Local is the local PulseAudio a session's sound is forwarded to.
type Local struct {
	// Addr is the host:port of its native-protocol TCP listener.
	Addr string
	// CookieFile is where the cookie was read from.
	CookieFile string
	// Cookie is what the server's PulseAudio clients authenticate with.
	// Never log it.
	Cookie []byte
	// Loaded tells whether Find loaded the TCP listener (a
	// module-native-protocol-tcp) into the local PulseAudio; Release
	// unloads it.
	Loaded bool

	module int // the loaded module's index
	cfg    LocalConfig
}

// Find finds the local PulseAudio and its cookie:
//
//   - LocalConfig.Server, when set, is used as it is;
//   - else a TCP address in $PULSE_SERVER;
//   - else, when a local PulseAudio (or PipeWire's PulseAudio server)
//     answers on its socket, its TCP listener as pactl lists it; without
//     one, a listener on a free loopback port is loaded for the session
//     (module-native-protocol-tcp with cookie authentication only), and
//     Release unloads it;
//   - else 127.0.0.1:4713, python-x2go's default.
//
// The address must accept a TCP connection (ErrNoPulseAudio) and a
// cookie must be found (ErrNoCookie). python-x2go needs the listener
// enabled by hand; loading it on demand is what a user who asked for
// sound expects, and it listens on the loopback address only and demands
// the cookie.
func Find(ctx context.Context, cfg LocalConfig) (*Local, error) {
	if cfg.Pactl == "" {
		cfg.Pactl = "pactl"
	}
	log := cfg.logger()
	l := &Local{cfg: cfg, module: -1} // Env as given: with nil, pactl gets the live environment
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	addr, how := cfg.Server, "configured"
	unix := false
	if addr == "" {
		addr, unix = parseServerVar(cfg.getenv("PULSE_SERVER"))
		how = "PULSE_SERVER"
	}
	if addr == "" && (unix || socketPresent(&cfg)) {
		var err error
		addr, err = l.fromPactl(ctx)
		how = "pactl"
		if err != nil {
			log.Warn("sound: asking the local PulseAudio with pactl failed", "err", err)
		}
	}
	if addr == "" {
		addr, how = net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultPort)), "default"
	}
	l.Addr = addr
	log.Debug("sound: local PulseAudio", "addr", addr, "found", how, "loaded", l.Loaded)
	if err := checkListener(ctx, addr); err != nil {
		l.Release(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%w: %s (%s): %v", ErrNoPulseAudio, addr, how, err)
	}
	// Read the cookie last: the pactl run above creates
	// ~/.config/pulse/cookie when there was none.
	file, cookie, err := readCookie(&cfg)
	if err != nil {
		l.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	l.CookieFile, l.Cookie = file, cookie
	return l, nil
}

// Release unloads the TCP listener Find loaded, if it did. It is bounded
// to a few seconds of its own, so it works with an ended ctx too, and
// harmless to call more than once.
func (l *Local) Release(ctx context.Context) error {
	if !l.Loaded {
		return nil
	}
	l.Loaded = false
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := l.pactl(ctx, "unload-module", strconv.Itoa(l.module)); err != nil {
		return fmt.Errorf("x2go: unloading the sound listener (module %d) from the local PulseAudio: %w", l.module, err)
	}
	return nil
}

// fromPactl returns the address of the local PulseAudio's TCP listener,
// loading one if it has none.
func (l *Local) fromPactl(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := l.pactl(ctx, "list", "modules", "short")
	if err != nil {
		return "", err
	}
	if m, ok := findTCPModule(out); ok {
		if m.bypassesCookie() {
			l.cfg.logger().Warn("sound: the local PulseAudio lets loopback clients in without the cookie " +
				"(auth-ip-acl or auth-anonymous), so every user of the server can reach it through the session's sound port")
		}
		return m.addr(), nil
	}
	var lastErr error
	for range 3 { // a free port can be taken before PulseAudio binds it
		port, err := freePort()
		if err != nil {
			return "", err
		}
		out, err := l.pactl(ctx, "load-module", "module-native-protocol-tcp",
			"listen=127.0.0.1", "port="+strconv.Itoa(port))
		if err != nil {
			lastErr = err
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			return "", fmt.Errorf("pactl load-module printed %q, not a module index", strings.TrimSpace(out))
		}
		l.module, l.Loaded = idx, true
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	return "", lastErr
}

// pactl runs the pactl program with the configured environment.
func (l *Local) pactl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, l.cfg.Pactl, args...)
	cmd.Env = l.cfg.Env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pactl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// parseServerVar reads a PULSE_SERVER value: a list of servers separated
// by blanks, each unix:PATH or an absolute path (a socket), or
// [tcp:|tcp4:|tcp6:]HOST[:PORT], optionally after a {machine-id} prefix.
// It returns the first TCP server as host:port and whether a socket is
// named.
func parseServerVar(v string) (tcp string, unix bool) {
	for _, e := range strings.Fields(v) {
		if strings.HasPrefix(e, "{") {
			if i := strings.IndexByte(e, '}'); i >= 0 {
				e = e[i+1:]
			}
		}
		switch {
		case e == "":
			continue
		case strings.HasPrefix(e, "unix:"), strings.HasPrefix(e, "/"):
			unix = true
			continue
		}
		for _, p := range []string{"tcp:", "tcp4:", "tcp6:"} {
			e = strings.TrimPrefix(e, p)
		}
		if tcp != "" || e == "" {
			continue
		}
		if host, port, err := net.SplitHostPort(e); err == nil {
			if _, err := strconv.ParseUint(port, 10, 16); err == nil && host != "" {
				tcp = net.JoinHostPort(host, port)
			}
			continue
		}
		host := strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")
		if !strings.ContainsAny(host, "[]") {
			tcp = net.JoinHostPort(host, strconv.Itoa(DefaultPort))
		}
	}
	return tcp, unix
}

// socketPresent reports whether a local PulseAudio seems to run: its
// socket is in the runtime directory. pactl is only run then, or when
// $PULSE_SERVER names a socket, so that it does not start (autospawn) a
// PulseAudio.
func socketPresent(cfg *LocalConfig) bool {
	var dirs []string
	if d := cfg.getenv("PULSE_RUNTIME_PATH"); d != "" {
		dirs = append(dirs, d)
	}
	if d := cfg.getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append(dirs, filepath.Join(d, "pulse"))
	}
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, "native")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return true
		}
	}
	return false
}

// Running reports whether a local PulseAudio seems to be reachable in env
// (nil: os.Environ()): a TCP server in $PULSE_SERVER, or a PulseAudio
// socket. It starts nothing and asks no one.
func Running(env []string) bool {
	if env == nil {
		env = os.Environ()
	}
	cfg := LocalConfig{Env: env}
	tcp, unix := parseServerVar(cfg.getenv("PULSE_SERVER"))
	return tcp != "" || unix || socketPresent(&cfg)
}

// tcpModule is a loaded module-native-protocol-tcp.
type tcpModule struct {
	index int
	args  map[string]string
}

// findTCPModule finds the first native-protocol TCP module in the output
// of `pactl list modules short`: lines of index, name and arguments,
// separated by tabs.
func findTCPModule(out string) (tcpModule, bool) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 || strings.TrimSpace(f[1]) != "module-native-protocol-tcp" {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSpace(f[0]))
		if err != nil {
			continue
		}
		m := tcpModule{index: idx, args: map[string]string{}}
		if len(f) > 2 {
			m.args = parseModArgs(f[2])
		}
		return m, true
	}
	return tcpModule{}, false
}

// parseModArgs splits PulseAudio module arguments: key=value pairs
// separated by blanks, a value optionally in single or double quotes.
func parseModArgs(s string) map[string]string {
	args := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return args
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return args
		}
		key, rest := s[:eq], s[eq+1:]
		var val string
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			end := strings.IndexByte(rest[1:], rest[0])
			if end < 0 {
				val, rest = rest[1:], ""
			} else {
				val, rest = rest[1:1+end], rest[2+end:]
			}
		} else {
			end := strings.IndexAny(rest, " \t")
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		args[strings.TrimSpace(key)] = val
		s = rest
	}
}

// addr is where the module listens, as a loopback client reaches it.
func (m tcpModule) addr() string {
	port := strconv.Itoa(DefaultPort)
	if p, err := strconv.ParseUint(m.args["port"], 10, 16); err == nil && p > 0 {
		port = strconv.FormatUint(p, 10)
	}
	host := "127.0.0.1"
	switch l := m.args["listen"]; l {
	case "", "0.0.0.0", "::", "[::]":
	default:
		host = strings.TrimSuffix(strings.TrimPrefix(l, "["), "]")
	}
	return net.JoinHostPort(host, port)
}

// bypassesCookie reports whether the module lets loopback clients in
// without the cookie, which the forward's connections are.
func (m tcpModule) bypassesCookie() bool {
	if v := m.args["auth-anonymous"]; v == "1" || v == "true" || v == "yes" {
		return true
	}
	acl := m.args["auth-ip-acl"]
	for _, a := range strings.Split(acl, ";") {
		a = strings.TrimSpace(a)
		if strings.HasPrefix(a, "127.") || a == "::1" || a == "::1/128" {
			return true
		}
	}
	return false
}

// checkListener dials addr once.
func checkListener(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 3 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// readCookie reads the first cookie file found.
func readCookie(cfg *LocalConfig) (string, []byte, error) {
	var files []string
	if cfg.CookieFile != "" {
		files = []string{cfg.CookieFile}
	} else {
		if f := cfg.getenv("PULSE_COOKIE"); f != "" {
			files = append(files, f)
		}
		home := cfg.getenv("HOME")
		conf := cfg.getenv("XDG_CONFIG_HOME")
		if conf == "" && home != "" {
			conf = filepath.Join(home, ".config")
		}
		if conf != "" {
			files = append(files, filepath.Join(conf, "pulse", "cookie"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".pulse-cookie"))
		}
	}
	var tried []string
	for _, f := range files {
		b, err := readSmall(f)
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("%s: empty", f)
		}
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return f, b, nil
	}
	if len(tried) == 0 {
		return "", nil, fmt.Errorf("%w: no HOME to look in", ErrNoCookie)
	}
	return "", nil, fmt.Errorf("%w: %s", ErrNoCookie, strings.Join(tried, "; "))
}

func readSmall(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCookie+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCookie {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxCookie)
	}
	return b, nil
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
