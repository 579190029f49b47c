package sshconfig

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rawSettings are the values of one host before defaults and expansion,
// from either reader.
type rawSettings struct {
	hostArg, hostName, user string
	port                    int // unset: 22
	identityFiles           []string
	identitiesOnly          bool
	identityAgent           string
	proxyCommand            string
	userKnownHosts          []string
	globalKnownHosts        []string
	strict                  StrictHostKeyChecking
	hostKeyAlias            string
	forwardAgent            bool
	forwardAgentSocket      string
	serverAlive             int
	serverAliveMax          int // unset: 3
	connectTimeout          int
	batchMode               bool
	password, pubkey        bool
	kbdInteractive          bool
}

// defaultIdentityFiles are the key files ssh tries when none is
// configured, in its order.
var defaultIdentityFiles = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
	"~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"}

// finish fills ssh's defaults and expands ~, %-tokens and ${ENV} in the
// paths. knownHostsExpanded says the known hosts files come expanded
// (ssh -G prints them so).
func (r *resolver) finish(raw rawSettings, knownHostsExpanded bool) (Settings, error) {
	s := Settings{
		Host:                         raw.hostArg,
		HostName:                     raw.hostName,
		User:                         raw.user,
		Port:                         raw.port,
		IdentitiesOnly:               raw.identitiesOnly,
		ProxyCommand:                 raw.proxyCommand,
		StrictHostKeyChecking:        raw.strict,
		HostKeyAlias:                 asciiLower(raw.hostKeyAlias),
		ForwardAgent:                 raw.forwardAgent,
		ServerAliveInterval:          time.Duration(raw.serverAlive) * time.Second,
		ServerAliveCountMax:          raw.serverAliveMax,
		ConnectTimeout:               time.Duration(raw.connectTimeout) * time.Second,
		BatchMode:                    raw.batchMode,
		PasswordAuthentication:       raw.password,
		PubkeyAuthentication:         raw.pubkey,
		KbdInteractiveAuthentication: raw.kbdInteractive,
	}
	if s.User == "" {
		s.User = r.localUser
	}
	if s.Port <= 0 {
		s.Port = 22
	}
	if s.ServerAliveCountMax < 0 {
		s.ServerAliveCountMax = 3
	}
	tokens := r.tokens(s)
	expand := func(p string) (string, error) {
		t, err := r.tilde(p)
		if err != nil {
			return "", err
		}
		return percentExpand(t, true, r.getenv, tokens)
	}

	files := raw.identityFiles
	if len(files) == 0 {
		files = defaultIdentityFiles
		s.IdentityFilesDefault = true
	}
	for _, f := range files {
		if strings.EqualFold(f, "none") {
			continue
		}
		e, err := expand(f)
		if err != nil {
			return Settings{}, &ConfigError{Msg: fmt.Sprintf("IdentityFile %q", f), Err: err}
		}
		s.IdentityFiles = append(s.IdentityFiles, e)
	}

	known := raw.userKnownHosts
	if len(known) == 0 {
		known = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}
		knownHostsExpanded = false
	}
	if !(len(known) == 1 && strings.EqualFold(known[0], "none")) {
		for _, f := range known {
			if knownHostsExpanded {
				s.UserKnownHostsFiles = append(s.UserKnownHostsFiles, f)
				continue
			}
			e, err := expand(f)
			if err != nil {
				return Settings{}, &ConfigError{Msg: fmt.Sprintf("UserKnownHostsFile %q", f), Err: err}
			}
			s.UserKnownHostsFiles = append(s.UserKnownHostsFiles, e)
		}
	}
	global := raw.globalKnownHosts
	if len(global) == 0 {
		global = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	if !(len(global) == 1 && strings.EqualFold(global[0], "none")) {
		for _, f := range global {
			e, err := r.tilde(f)
			if err != nil {
				return Settings{}, &ConfigError{Msg: fmt.Sprintf("GlobalKnownHostsFile %q", f), Err: err}
			}
			s.GlobalKnownHostsFiles = append(s.GlobalKnownHostsFiles, e)
		}
	}

	agentPath := func(kw, p string) (string, error) {
		switch {
		case p == "" || strings.EqualFold(p, "none") || p == "SSH_AUTH_SOCK":
			return p, nil
		case len(p) > 1 && p[0] == '$' && p[1] != '{':
			v, _ := r.getenv(p[1:])
			return v, nil
		}
		e, err := expand(p)
		if err != nil {
			return "", &ConfigError{Msg: fmt.Sprintf("%s %q", kw, p), Err: err}
		}
		return e, nil
	}
	var err error
	if s.IdentityAgent, err = agentPath("IdentityAgent", raw.identityAgent); err != nil {
		return Settings{}, err
	}
	if s.ForwardAgentSocket, err = agentPath("ForwardAgent", raw.forwardAgentSocket); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// tokens are the %-tokens of ssh's DEFAULT_CLIENT_PERCENT_EXPAND_ARGS for
// the settings s.
func (r *resolver) tokens(s Settings) map[byte]string {
	this := r.thisHost
	short, _, _ := strings.Cut(this, ".")
	port := strconv.Itoa(s.Port)
	alias := s.HostKeyAlias
	if alias == "" {
		alias = s.Host
	}
	sum := sha1.Sum([]byte(this + s.HostName + port + s.User))
	return map[byte]string{
		'C': hex.EncodeToString(sum[:]),
		'L': short,
		'i': r.uid,
		'k': alias,
		'l': this,
		'n': s.Host,
		'p': port,
		'd': r.home,
		'h': s.HostName,
		'r': s.User,
		'u': r.localUser,
	}
}

// tilde expands a leading ~ or ~user with the home directory (ssh's
// tilde_expand, which uses the password database, not $HOME).
func (r *resolver) tilde(p string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	rest = strings.TrimLeft(rest, "/")
	home := r.home
	if name != "" {
		h, err := userHome(name)
		if err != nil {
			return "", err
		}
		home = h
	}
	if !strings.HasSuffix(home, "/") {
		home += "/"
	}
	return home + rest, nil
}

func userHome(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", fmt.Errorf("no such user %s", name)
	}
	return u.HomeDir, nil
}

var errPercent = errors.New("invalid % or ${} expansion")

// percentExpand replaces %x with tokens[x] ("%%" is "%") and, with
// dollar, ${NAME} with the value of NAME from getenv (ssh's
// percent_dollar_expand). An unknown token, a lone % at the end or an
// unset variable is an error.
func percentExpand(s string, dollar bool, getenv func(string) (string, bool), tokens map[byte]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if dollar && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("%w: environment variable missing closing '}'", errPercent)
			}
			if end == 0 {
				return "", fmt.Errorf("%w: zero-length environment variable", errPercent)
			}
			name := s[i+2 : i+2+end]
			v, ok := getenv(name)
			if !ok {
				return "", fmt.Errorf("%w: environment variable ${%s} has no value", errPercent, name)
			}
			b.WriteString(v)
			i += 2 + end
			continue
		}
		if c != '%' || tokens == nil {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("%w: %% at the end", errPercent)
		}
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := tokens[s[i]]
		if !ok {
			return "", fmt.Errorf("%w: unknown token %%%c", errPercent, s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// canonicalAddress returns host lower-cased, unless it is an address:
// then in the form getnameinfo prints it when that differs by more than
// case (ssh leaves "FE80::1" alone but makes "127.1" "127.0.0.1").
func canonicalAddress(host string) string {
	fast := strings.ContainsAny(host, "%:") || strings.Trim(host, "0123456789.") == ""
	if !fast {
		return asciiLower(host)
	}
	var canon string
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return host
		}
		canon = a.String()
	} else if strings.Trim(host, "0123456789.") == "" {
		a, ok := inetAton(host)
		if !ok {
			return host
		}
		canon = a.String()
	} else {
		return host
	}
	if strings.EqualFold(canon, host) {
		return host
	}
	return canon
}

// inetAton parses an IPv4 address the way inet_aton does for decimal and
// octal parts: a, a.b, a.b.c or a.b.c.d.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		if len(p) > 1 && p[0] == '0' {
			base = 8
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		n |= vals[i] << (24 - 8*i)
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// glob lists the files matching pattern like glob(3) without flags but
// GLOB_TILDE (already applied): sorted, and a '*' or '?' does not match a
// leading dot.
func glob(pattern string) ([]string, error) {
	goPattern := strings.ReplaceAll(pattern, "[!", "[^")
	matches, err := filepath.Glob(goPattern)
	if err != nil {
		return nil, err
	}
	pp := strings.Split(pattern, "/")
	var out []string
	for _, m := range matches {
		mp := strings.Split(m, "/")
		hidden := false
		if len(mp) == len(pp) {
			for i := range mp {
				if strings.HasPrefix(mp[i], ".") && !strings.HasPrefix(pp[i], ".") {
					hidden = true
				}
			}
		}
		if !hidden {
			out = append(out, m)
		}
	}
	return out, nil
}
