package sshconfig

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// sshG resolves host by running `ssh -G` and reading what it prints.
func (r *resolver) sshG(ctx context.Context, host string, args hostArgs) (Settings, string, error) {
	argv := []string{"-G"}
	switch {
	case r.opts.ConfigFile != "":
		argv = append(argv, "-F", r.opts.ConfigFile)
	case !r.defaultFiles():
		return Settings{}, "", &UnsupportedError{Feature: "ssh -G reads only the default files or one -F file"}
	}
	if args.user != "" {
		argv = append(argv, "-l", args.user)
	}
	if args.port > 0 {
		argv = append(argv, "-p", strconv.Itoa(args.port))
	}
	if strings.HasPrefix(host, "-") {
		return Settings{}, "", &ConfigError{Msg: fmt.Sprintf("host name %q starts with '-'", host)}
	}
	argv = append(argv, "--", host)
	out, err := r.runSSH(ctx, argv)
	if err != nil {
		return Settings{}, "", err
	}
	kv := ParseG(out)
	raw, jump, err := rawFromG(kv)
	if err != nil {
		return Settings{}, "", &SSHError{Args: argv, Err: err}
	}
	if args.noProxy {
		raw.proxyCommand, jump = "", ""
	}
	s, err := r.finish(raw, true)
	if err != nil {
		return Settings{}, "", err
	}
	s.Source = UseSSHG
	return s, jump, nil
}

// defaultFiles reports whether the files to read are ssh's defaults.
func (r *resolver) defaultFiles() bool {
	return r.opts.UserConfig == filepath.Join(r.home, ".ssh", "config") &&
		r.opts.SystemConfig == "/etc/ssh/ssh_config"
}

// maxGOutput bounds what ssh -G may print.
const maxGOutput = 1 << 20

// runSSH runs ssh with argv, its standard input empty, and returns its
// standard output.
func (r *resolver) runSSH(ctx context.Context, argv []string) ([]byte, error) {
	bin := r.opts.SSHPath
	if bin == "" {
		bin = "ssh"
	}
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Env = r.opts.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitWriter{w: &stdout, n: maxGOutput}
	cmd.Stderr = &limitWriter{w: &stderr, n: 64 << 10}
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, &SSHError{Args: argv, Stderr: firstLines(stderr.String(), 5), Err: err}
	}
	return stdout.Bytes(), nil
}

type limitWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		if len(p) <= room {
			l.w.Write(p)
		} else {
			l.w.Write(p[:room])
		}
	}
	return len(p), nil
}

// firstLines keeps the first n lines of s that are not ssh's notice
// about a missing terminal.
func firstLines(s string, n int) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(l, "Pseudo-terminal will not be allocated") || strings.TrimSpace(l) == "" {
			continue
		}
		keep = append(keep, strings.TrimSpace(l))
		if len(keep) == n {
			break
		}
	}
	return strings.Join(keep, "; ")
}

// ParseG parses the output of `ssh -G`: one "keyword value" per line,
// keywords in lower case; keywords that may repeat (identityfile,
// certificatefile, sendenv, ...) keep every value in order.
func ParseG(out []byte) map[string][]string {
	kv := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, len(out)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		k, v, _ := strings.Cut(line, " ")
		if k == "" {
			continue
		}
		k = asciiLower(k)
		kv[k] = append(kv[k], v)
	}
	return kv
}

// rawFromG picks the values this package reports out of ssh -G's output.
func rawFromG(kv map[string][]string) (rawSettings, string, error) {
	first := func(k string) string {
		if v := kv[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var errs []error
	num := func(k string) int {
		v := first(k)
		if v == "" || v == "none" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: not a number", k, v))
		}
		return n
	}
	flag := func(k string) bool {
		switch first(k) {
		case "yes", "true", "unbound", "host-bound":
			return true
		}
		return false
	}
	raw := rawSettings{
		hostArg:        first("host"),
		hostName:       first("hostname"),
		user:           first("user"),
		port:           num("port"),
		identityFiles:  kv["identityfile"],
		identitiesOnly: flag("identitiesonly"),
		identityAgent:  first("identityagent"),
		hostKeyAlias:   first("hostkeyalias"),
		serverAlive:    num("serveraliveinterval"),
		serverAliveMax: unset,
		connectTimeout: num("connecttimeout"),
		batchMode:      flag("batchmode"),
		password:       flag("passwordauthentication"),
		pubkey:         flag("pubkeyauthentication"),
		kbdInteractive: flag("kbdinteractiveauthentication"),
	}
	if slices.Equal(raw.identityFiles, defaultIdentityFiles) {
		raw.identityFiles = nil // ssh filled in its defaults
	}
	if _, ok := kv["serveralivecountmax"]; ok {
		raw.serverAliveMax = num("serveralivecountmax")
	}
	if v := first("userknownhostsfile"); v != "" {
		raw.userKnownHosts = strings.Fields(v)
	}
	if v := first("globalknownhostsfile"); v != "" {
		raw.globalKnownHosts = strings.Fields(v)
	}
	switch first("stricthostkeychecking") {
	case "true", "yes":
		raw.strict = StrictYes
	case "false", "no", "off":
		raw.strict = StrictNo
	case "accept-new":
		raw.strict = StrictAcceptNew
	default:
		raw.strict = StrictAsk
	}
	switch fa := first("forwardagent"); fa {
	case "", "no", "false":
	case "yes", "true":
		raw.forwardAgent = true
	default:
		raw.forwardAgent, raw.forwardAgentSocket = true, fa
	}
	if pc := first("proxycommand"); pc != "" && !strings.EqualFold(pc, "none") {
		raw.proxyCommand = pc
	}
	jump := first("proxyjump")
	if strings.EqualFold(jump, "none") {
		jump = ""
	}
	if raw.hostName == "" {
		errs = append(errs, errors.New("no hostname in the output"))
	}
	return raw, jump, errors.Join(errs...)
}
