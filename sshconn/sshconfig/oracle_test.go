package sshconfig

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The oracle tests compare the native reader with OpenSSH's own `ssh -G`
// on many generated configurations. They need the real ssh binary and
// fail without it (outside -short).

func needSSH(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real ssh -G; not under -short")
	}
	p, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatalf("OpenSSH's ssh is needed for the oracle tests: %v", err)
	}
	return p
}

// oracleEnv is the environment both readers see: HOME points at the
// test's directory (for ~ and relative paths in Include), the rest is
// fixed so ${VAR} expansions are known.
func oracleEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "X2GO_TEST_VAR=from-env", "SSH_AUTH_SOCK=/tmp/oracle-agent.sock"}
}

// compareBoth resolves host both ways and reports a difference. Both
// failing counts as agreement.
// outcome counts what the comparisons saw.
type outcome struct{ compared, bothFailed, unsupported int }

var stats outcome

func compareBoth(t *testing.T, cfgFile, home string, host string, user string, port int) (agree bool, detail string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := Options{ConfigFile: cfgFile, Env: oracleEnv(home), User: user, Port: port}
	nat := base
	nat.Mode = Native
	gOpts := base
	gOpts.Mode = UseSSHG
	ns, nerr := Resolve(ctx, host, nat)
	gs, gerr := Resolve(ctx, host, gOpts)
	if errors.Is(nerr, ErrUnsupported) {
		stats.unsupported++
		return true, "" // not the native reader's to answer
	}
	if (nerr != nil) != (gerr != nil) {
		return false, fmt.Sprintf("native err=%v\nssh -G err=%v\nnative=%+v\nssh -G=%+v", nerr, gerr, ns, gs)
	}
	if nerr != nil {
		stats.bothFailed++
		return true, ""
	}
	stats.compared++
	clearSource(&ns)
	clearSource(&gs)
	ignoreAgentAmbiguity(&ns, &gs)
	if d := diffSettings("", ns, gs); d != "" {
		return false, d
	}
	return true, ""
}

// diffSettings lists the fields that differ, hops included.
func diffSettings(prefix string, a, b Settings) string {
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		name := va.Type().Field(i).Name
		if name == "Jumps" {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s%s: native %#v, ssh -G %#v", prefix, name, va.Field(i).Interface(), vb.Field(i).Interface()))
		}
	}
	if len(a.Jumps) != len(b.Jumps) {
		out = append(out, fmt.Sprintf("%sJumps: native %d hops %v, ssh -G %d hops %v", prefix, len(a.Jumps), hopSpecs(a.Jumps), len(b.Jumps), hopSpecs(b.Jumps)))
	} else {
		for i := range a.Jumps {
			if a.Jumps[i].Spec != b.Jumps[i].Spec {
				out = append(out, fmt.Sprintf("%shop %d spec: native %q, ssh -G %q", prefix, i, a.Jumps[i].Spec, b.Jumps[i].Spec))
			}
			if d := diffSettings(fmt.Sprintf("%shop %d ", prefix, i), a.Jumps[i].Settings, b.Jumps[i].Settings); d != "" {
				out = append(out, d)
			}
		}
	}
	return strings.Join(out, "\n")
}

func hopSpecs(h []Hop) []string {
	var s []string
	for _, x := range h {
		s = append(s, x.Spec)
	}
	return s
}

// ignoreAgentAmbiguity: ssh -G prints a ForwardAgent socket path even
// when an earlier "ForwardAgent no" turned forwarding off, so its output
// cannot tell that case; the native reader can.
func ignoreAgentAmbiguity(n, g *Settings) {
	if !n.ForwardAgent && n.ForwardAgentSocket != "" && n.ForwardAgentSocket == g.ForwardAgentSocket {
		g.ForwardAgent = false
	}
	for i := range n.Jumps {
		if i < len(g.Jumps) {
			ignoreAgentAmbiguity(&n.Jumps[i].Settings, &g.Jumps[i].Settings)
		}
	}
}

func clearSource(s *Settings) {
	s.Source = 0
	for i := range s.Jumps {
		clearSource(&s.Jumps[i].Settings)
	}
}

// TestOracleFixed checks hand-written configurations covering each rule.
func TestOracleFixed(t *testing.T) {
	needSSH(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh", "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(home, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(".ssh/conf.d/10-a.conf", "Host inc*\n  User included\n  Port 2201\n")
	write(".ssh/conf.d/20-b.conf", "Host inc*\n  User second\n  IdentityFile ~/.ssh/inc_%h\nMatch all\n  ServerAliveInterval 33\n")
	write(".ssh/conf.d/.hidden.conf", "Host *\n  User hidden\n")
	write(".ssh/extra", "Port 2299\n")
	cases := map[string]string{
		"basic": `
Host web
  HostName web.%h.Example.COM
  User alice
  Port 2022
  IdentityFile ~/.ssh/id_web
  IdentityFile /keys/%r@%h:%p
  IdentityFile ~/.ssh/id_web
  IdentitiesOnly yes
Host *
  User fallback
  Port 22
  IdentityFile ~/.ssh/id_all
`,
		"negation": `
Host *.corp !bastion.corp
  ProxyJump bob@bastion.corp:2222
Host bastion.corp
  User jumper
  HostName 10.0.0.1
Host *
  ForwardAgent yes
`,
		"jump-chain": `
Host target
  ProxyJump j1,admin@j2:23,ssh://u%40x@j3:2200
Host j1
  ProxyJump j0
  User one
Host j0
  HostName jump-zero.example
Host j2
  User ignored-because-given
  ProxyCommand nc %h %p
`,
		"proxy-order": `
Host pc
  ProxyCommand ssh -W %h:%p gw # comment stays
  ProxyJump ignored
Host pj
  ProxyJump first
  ProxyCommand ignored
Host pn
  ProxyJump none
  ProxyCommand nc %h %p
`,
		"match": `
Match host real.example user root
  Port 1001
Host m1
  HostName real.example
Match originalhost m1
  User matched
Match host m1
  IdentityFile /never
Match !localuser nobody-here
  ConnectTimeout 1m30s
Match user matched
  StrictHostKeyChecking accept-new
Match all
  HostKeyAlias MixedCase.Alias
`,
		"final": `
Host f
  HostName final.example
Match final host final.example
  User in-final
Match canonical
  Port 4444
`,
		"knownhosts": `
Host kh
  UserKnownHostsFile ~/.ssh/kh_%h_%p %d/%u/%r/%n/%k/%l/%L/%i/%C ${X2GO_TEST_VAR}/file
  GlobalKnownHostsFile /etc/ssh/x /etc/ssh/y
  HostKeyAlias Alias-KH
Host none
  UserKnownHostsFile none
  StrictHostKeyChecking no
`,
		"syntax": `
  host=quoted
 HOSTNAME = "real name with space"
	user "the user"
Port=2345
IdentityFile "/path with spaces/key" # trailing comment
ServerAliveInterval 1h30m
ConnectTimeout none
ConnectTimeout 7
BatchMode yes
PasswordAuthentication no
PubkeyAuthentication host-bound
KbdInteractiveAuthentication no
`,
		"include": `
Include conf.d/*.conf
Host inc1
  Include ` + filepath.Join(home, ".ssh/extra") + `
Host other
  Include ~/.ssh/extra
`,
		"agent": `
Host a1
  ForwardAgent /run/agent/%u.sock
Host a2
  ForwardAgent $SSH_AUTH_SOCK
Host a3
  ForwardAgent no
  ForwardAgent yes
Host *
  IdentityAgent ~/agent.sock
`,
		"ipv6": `
Host v6
  HostName FE80::1
Host v4
  HostName 127.1
Host jv6
  ProxyJump [::1]:2222,u@[fe80::2]
`,
		"errors-bad-port": "Port banana\n",
		"errors-quotes":   "Host x\n  User \"unterminated\n",
		"errors-extra":    "User a b\n",
		"errors-empty-kh": "Host x\nUserKnownHostsFile a none\n",
		"errors-match":    "Match\n",
		"errors-jump":     "ProxyJump user@\n",
		"unknown-ignored": "IgnoreUnknown Frobnicate*\nFrobnicateThis yes\nUser ok\n",
	}
	queries := []struct {
		host, user string
		port       int
	}{
		{"web", "", 0}, {"WEB", "", 0}, {"bastion.corp", "", 0}, {"db.corp", "", 0}, {"target", "", 0},
		{"pc", "", 0}, {"pj", "", 0}, {"pn", "", 0}, {"m1", "", 0}, {"m1", "root", 0}, {"f", "", 0},
		{"kh", "", 0}, {"none", "", 0}, {"quoted", "", 0}, {"inc1", "", 0}, {"inc2", "", 0}, {"other", "", 0},
		{"a1", "", 0}, {"a2", "", 0}, {"a3", "", 0}, {"v6", "", 0}, {"v4", "", 0}, {"jv6", "", 0},
		{"x", "cmdline", 2000}, {"Mixed.Case.Host", "", 0},
	}
	for name, text := range cases {
		cfg := write(name+".conf", text)
		for _, q := range queries {
			ok, detail := compareBoth(t, cfg, home, q.host, q.user, q.port)
			if !ok {
				t.Errorf("%s: host %q (user %q port %d):\n%s", name, q.host, q.user, q.port, detail)
			}
		}
	}
}

// TestOracleGenerated compares the readers on random configurations made
// of the rules above.
func TestOracleGenerated(t *testing.T) {
	needSSH(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	const configs = 200
	stats = outcome{}
	seed := uint64(20260815)
	if v := os.Getenv("SSHCONFIG_ORACLE_SEED"); v != "" { // to explore more configurations by hand
		fmt.Sscan(v, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	hosts := []string{"alpha", "beta", "Gamma", "alpha.example.com", "db1.corp", "x", "10.1.2.3", "jump"}
	failures := 0
	for i := range configs {
		text := genConfig(rng, home, i)
		cfg := filepath.Join(home, fmt.Sprintf("gen%03d.conf", i))
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			host := hosts[rng.IntN(len(hosts))]
			user, port := "", 0
			if rng.IntN(5) == 0 {
				user = "cli"
			}
			if rng.IntN(6) == 0 {
				port = 3022
			}
			if ok, detail := compareBoth(t, cfg, home, host, user, port); !ok {
				failures++
				if failures <= 5 {
					t.Errorf("config %d, host %q (user %q port %d):\n%s\n--- config ---\n%s%s", i, host, user, port, detail, text, includes(home, i))
				}
			}
		}
	}
	if failures > 5 {
		t.Errorf("%d mismatches in all", failures)
	}
	t.Logf("%d lookups compared field by field, %d failed both ways, %d left to ssh -G", stats.compared, stats.bothFailed, stats.unsupported)
	if stats.compared < configs*3*3/4 {
		t.Errorf("only %d of %d lookups were compared: the generator makes too many broken configurations", stats.compared, configs*3)
	}
}

// includes shows the files configuration n may include.
func includes(home string, n int) string {
	var b strings.Builder
	for j := range 2 {
		p := filepath.Join(home, fmt.Sprintf("inc%d_%d.conf", n%5, j))
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "--- %s ---\n%s", filepath.Base(p), data)
	}
	return b.String()
}

// genConfig writes a random configuration from the pieces the readers
// must agree on. Values are always valid for keywords the native reader
// does not check.
func genConfig(rng *rand.Rand, home string, n int) string {
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	patterns := []string{"*", "alpha", "a*", "?eta", "Gamma", "gamma", "*.example.com", "!x", "!beta", "db?.corp", "10.1.2.*", "jump", "*a*"}
	header := func() string {
		switch rng.IntN(10) {
		case 0:
			return "Match all"
		case 1:
			return "Match host " + pick("alpha*", "*.corp,!db2*", "gamma", "real-*", "10.*")
		case 2:
			return "Match originalhost " + pick("alpha", "Gamma", "*.com", "!x")
		case 3:
			return "Match user " + pick("cli", "root", "u*", "!cli")
		case 4:
			return "Match localuser " + pick("root", "nobody", "*")
		case 5:
			return "Match " + pick("!host", "host") + " " + pick("x", "beta") + " " + pick("user", "originalhost") + " " + pick("cli", "*")
		case 6:
			return "Match final " + pick("host real-*", "all", "originalhost alpha")
		default:
			k := 1 + rng.IntN(3)
			var ps []string
			for range k {
				ps = append(ps, pick(patterns...))
			}
			return pick("Host", "host", "HOST") + pick(" ", "=", " = ") + strings.Join(ps, " ")
		}
	}
	value := func() string {
		switch rng.IntN(22) {
		case 0:
			return "HostName " + pick("real-%h.example", "REAL.example", "%h", "real-host", "10.0.0.%%", "127.1")
		case 1:
			return "User " + pick("alice", "bob", "u1", "%u")
		case 2:
			return "Port " + pick("2222", "22", "ssh", "8022")
		case 3, 4:
			return "IdentityFile " + pick("~/.ssh/id_test", "%d/.ssh/id_%r", "/keys/%h_%p", "\"/key dir/id\"", "none", "${X2GO_TEST_VAR}/k", "~/.ssh/%n-%l-%L-%C")
		case 5:
			return "IdentitiesOnly " + pick("yes", "no", "true", "False")
		case 6:
			return "ProxyJump " + pick("jump", "u@jump:2201", "jump,beta", "none", "ssh://j@jump:23", "[10.9.9.9]:44")
		case 7:
			return "ProxyCommand " + pick("ssh -W %h:%p gw", "none", "nc -X connect %h %p")
		case 8:
			return "UserKnownHostsFile " + pick("~/.ssh/kh", "/kh/%h/%p %d/x", "none", "%C")
		case 9:
			return "StrictHostKeyChecking " + pick("yes", "no", "ask", "accept-new", "off", "true")
		case 10:
			return "HostKeyAlias " + pick("Alias1", "alias-%h", "lower")
		case 11:
			return "ForwardAgent " + pick("yes", "no", "/tmp/a.sock", "$SSH_AUTH_SOCK", "~/fwd.sock")
		case 12:
			return "ServerAliveInterval " + pick("30", "1m", "2h3m4s", "0")
		case 13:
			return "ConnectTimeout " + pick("10", "none", "1w")
		case 14:
			return "GlobalKnownHostsFile " + pick("/etc/ssh/k1", "/etc/ssh/k1 /etc/ssh/k2", "none")
		case 15:
			return "Include " + filepath.Join(home, fmt.Sprintf("inc%d_*.conf", n%5))
		case 16:
			return "BatchMode " + pick("yes", "no")
		case 17:
			return "ServerAliveCountMax " + pick("1", "5")
		case 18:
			return "Compression " + pick("yes", "no") // checked by ssh only; always valid here
		case 19:
			return "# a comment"
		case 20:
			return "PubkeyAuthentication " + pick("yes", "no", "unbound")
		default:
			return "CanonicalizeHostname no"
		}
	}
	// Include targets, shared by configurations with the same n%5.
	for j := range 2 {
		p := filepath.Join(home, fmt.Sprintf("inc%d_%d.conf", n%5, j))
		if _, err := os.Stat(p); err != nil {
			var b strings.Builder
			b.WriteString(header() + "\n")
			for range 2 {
				b.WriteString("  " + strings.Replace(value(), "Include", "# Include", 1) + "\n")
			}
			os.WriteFile(p, []byte(b.String()), 0o644)
		}
	}
	var b strings.Builder
	for range rng.IntN(3) {
		b.WriteString(value() + "\n")
	}
	for range 2 + rng.IntN(5) {
		b.WriteString(header() + "\n")
		for range 1 + rng.IntN(4) {
			b.WriteString(pick("  ", "\t", "") + value() + "\n")
		}
	}
	return b.String()
}

// TestAutoFallsBackToSSHG: what the native reader does not do is handed
// to the real ssh -G in Auto mode.
func TestAutoFallsBackToSSHG(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, fmt.Sprintf("c%d", len(text)))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	// Canonicalisation without CanonicalDomains looks nothing up.
	cfg := write("CanonicalizeHostname yes\nHost a\n  User canon\n")
	s, err := Resolve(ctx, "a", Options{ConfigFile: cfg, Env: oracleEnv(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != UseSSHG || s.User != "canon" {
		t.Errorf("source %v user %q, want ssh -G and canon", s.Source, s.User)
	}
	// Match exec runs in ssh -G only when allowed.
	cfg = write("Match exec \"test %h = a\"\n  User by-exec\n")
	if _, err := Resolve(ctx, "a", Options{ConfigFile: cfg}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Match exec without AllowExec: %v", err)
	}
	s, err = Resolve(ctx, "a", Options{ConfigFile: cfg, AllowExec: true})
	if err != nil || s.User != "by-exec" || s.Source != UseSSHG {
		t.Errorf("Match exec with AllowExec: %+v, %v", s, err)
	}
	// A keyword neither knows: ssh -G refuses the file.
	cfg = write("Frobnicate yes\n")
	var se *SSHError
	if _, err := Resolve(ctx, "a", Options{ConfigFile: cfg}); !errors.Is(err, ErrSSH) || !errors.As(err, &se) || !strings.Contains(strings.ToLower(se.Stderr), "frobnicate") {
		t.Errorf("unknown keyword: %v", err)
	}
}

// BenchmarkResolve compares the native reader with running ssh -G on the
// fixture configuration (the office host has two jump hosts: three
// lookups each).
func BenchmarkResolve(b *testing.B) {
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config")
	data, err := os.ReadFile("testdata/sshg-input.conf")
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(cfg, data, 0o644)
	for _, mode := range []Mode{Native, UseSSHG} {
		b.Run(mode.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := Resolve(context.Background(), "office", Options{Mode: mode, ConfigFile: cfg}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
