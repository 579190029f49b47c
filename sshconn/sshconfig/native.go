package sshconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The native reader: OpenSSH's readconf.c rules for the keywords this
// package reports, line by line, with the first obtained value winning.

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH.
const maxIncludeDepth = 16

// unset marks an int option that has no value yet.
const unset = -1

// state is what the lines read so far have set. Strings are set once
// (first obtained value wins); ints use unset.
type state struct {
	user, hostname, hostKeyAlias, proxyCommand   *string
	ignoreUnknown, identityAgent, fwdAgentSocket *string
	port                                         int
	identityFiles                                []string
	userKnownHosts, globalKnownHosts             []string
	identitiesOnly, forwardAgent, strict         int
	serverAlive, serverAliveMax, connectTimeout  int
	batchMode, password, pubkey, kbdInteractive  int
	canonicalize                                 int
	permittedCNAMEs                              bool
	// ProxyJump: jumpHost "none" blocks later proxies and means direct.
	jumpHost, jumpUser, jumpExtra string
	jumpPort                      int
	wantFinal                     bool
}

func newState() *state {
	return &state{port: unset, identitiesOnly: unset, forwardAgent: unset, strict: unset,
		serverAlive: unset, serverAliveMax: unset, connectTimeout: unset, batchMode: unset,
		password: unset, pubkey: unset, kbdInteractive: unset, canonicalize: unset, jumpPort: unset}
}

// readFlags are OpenSSH's SSHCONF_* flags for one file.
type readFlags struct {
	userConf   bool // relative Include under ~/.ssh; ~ allowed
	checkPerm  bool // refuse files others may write
	neverMatch bool // parse only: included from an inactive block
	final      bool // the second (final) pass
}

// reader reads the configuration for one host.
type reader struct {
	r         *resolver
	hostArg   string // the name asked for (originalhost, %n)
	hostMatch string // what Host patterns match: hostArg, then the final name
	st        *state
	// unsupported is the first thing the native reader cannot answer;
	// reading goes on so that every Match exec is seen (sawExec), since
	// handing the files to ssh -G would run those.
	unsupported *UnsupportedError
	sawExec     bool
}

// hostName is the name to connect to as read so far: HostName with %h
// expanded to the name asked for, or that name when there is no HostName.
// The error is the message for a *ConfigError.
func (rd *reader) hostName() (string, error) {
	if rd.st.hostname == nil {
		return rd.hostArg, nil
	}
	h, err := percentExpand(*rd.st.hostname, false, nil, map[byte]string{'h': rd.hostArg})
	if err != nil {
		return "", fmt.Errorf("HostName %q: %v", *rd.st.hostname, err)
	}
	return h, nil
}

// unsupportedErr returns what the reader could not answer, if anything.
func (rd *reader) unsupportedErr() error {
	if rd.unsupported == nil {
		return nil
	}
	rd.unsupported.exec = rd.unsupported.exec || rd.sawExec
	return rd.unsupported
}

func (rd *reader) noteUnsupported(e *UnsupportedError) {
	if rd.unsupported == nil {
		rd.unsupported = e
	}
}

// native resolves host with the native reader; jump is the ProxyJump
// chain as ssh -G prints it ("" for none).
func (r *resolver) native(host string, args hostArgs) (Settings, string, error) {
	rd := &reader{r: r, hostArg: host, hostMatch: host, st: newState()}
	st := rd.st
	// The command line comes first.
	if args.user != "" {
		st.user = &args.user
	}
	if args.port > 0 {
		st.port = args.port
	}
	if args.noProxy {
		none := "none"
		st.jumpHost = none // as ssh -J does for the hops after the first
	}
	if err := rd.readAll(false); err != nil {
		return Settings{}, "", err
	}
	if err := rd.unsupportedErr(); err != nil {
		return Settings{}, "", err
	}

	// HostName with %h, then lower-case (names only) as ssh does.
	target, err := rd.hostName()
	if err != nil {
		return Settings{}, "", &ConfigError{Msg: err.Error()}
	}
	target = canonicalAddress(target)
	if st.canonicalize > 0 || st.permittedCNAMEs {
		return Settings{}, "", &UnsupportedError{Feature: "CanonicalizeHostname / CanonicalizePermittedCNAMEs (DNS lookups)", exec: rd.sawExec}
	}
	if st.wantFinal {
		t := target
		st.hostname = &t
		// ssh matches Host patterns against the final name in this pass.
		rd.hostMatch = t
		if err := rd.readAll(true); err != nil {
			return Settings{}, "", err
		}
		if err := rd.unsupportedErr(); err != nil {
			return Settings{}, "", err
		}
	}

	raw := rawSettings{
		hostArg:          host,
		hostName:         target,
		port:             st.port,
		identityFiles:    st.identityFiles,
		identitiesOnly:   st.identitiesOnly == 1,
		userKnownHosts:   st.userKnownHosts,
		globalKnownHosts: st.globalKnownHosts,
		strict:           StrictAsk,
		forwardAgent:     st.forwardAgent == 1,
		serverAlive:      serverAliveDefault(st),
		serverAliveMax:   st.serverAliveMax,
		connectTimeout:   max(st.connectTimeout, 0),
		batchMode:        st.batchMode == 1,
		password:         st.password != 0,
		pubkey:           st.pubkey != 0,
		kbdInteractive:   st.kbdInteractive != 0,
	}
	if st.user != nil {
		raw.user = *st.user
	}
	if st.hostKeyAlias != nil {
		raw.hostKeyAlias = *st.hostKeyAlias
	}
	if st.identityAgent != nil {
		raw.identityAgent = *st.identityAgent
	}
	if st.fwdAgentSocket != nil {
		raw.forwardAgentSocket = *st.fwdAgentSocket
	}
	if st.strict != unset {
		raw.strict = StrictHostKeyChecking(st.strict)
	}
	if st.proxyCommand != nil && !strings.EqualFold(*st.proxyCommand, "none") && !args.noProxy {
		raw.proxyCommand = *st.proxyCommand
	}
	var jump string
	if st.jumpHost != "" && st.jumpHost != "none" {
		jump = formatJump(st.jumpExtra, st.jumpUser, st.jumpHost, st.jumpPort)
	}
	s, err := r.finish(raw, false)
	if err != nil {
		return Settings{}, "", err
	}
	if jump != "" {
		// ssh refuses a last jump host that is the target itself.
		ju, jp := st.jumpUser, st.jumpPort
		if ju == "" {
			ju = s.User
		}
		if jp <= 0 {
			jp = 22
		}
		if st.jumpHost == s.HostName && jp == s.Port && ju == s.User {
			return Settings{}, "", &ConfigError{Msg: "jumphost loop via " + st.jumpHost}
		}
	}
	s.Source = Native
	return s, jump, nil
}

// serverAliveDefault is ServerAliveInterval as Debian's ssh fills it:
// 300 seconds in batch mode when not configured.
func serverAliveDefault(st *state) int {
	switch {
	case st.serverAlive != unset:
		return st.serverAlive
	case st.batchMode == 1:
		return 300
	}
	return 0
}

// formatJump writes a ProxyJump chain as ssh -G prints it.
func formatJump(extra, user, host string, port int) string {
	var b strings.Builder
	if extra != "" {
		b.WriteString(extra + ",")
	}
	if user != "" {
		b.WriteString(user + "@")
	}
	if strings.Contains(host, ":") || strings.Trim(host, "0123456789.") == "" {
		b.WriteString("[" + host + "]")
	} else {
		b.WriteString(host)
	}
	if port > 0 {
		b.WriteString(":" + strconv.Itoa(port))
	}
	return b.String()
}

// readAll reads the configuration files of one pass, as ssh's
// process_config_files does.
func (rd *reader) readAll(final bool) error {
	o := rd.r.opts
	if o.ConfigFile != "" {
		if strings.EqualFold(o.ConfigFile, "none") {
			return nil
		}
		active := true
		found, err := rd.readFile(o.ConfigFile, readFlags{userConf: true, final: final}, &active, 0)
		if err != nil {
			return err
		}
		if !found {
			return &ConfigError{File: o.ConfigFile, Msg: "cannot open the config file", Err: fs.ErrNotExist}
		}
		return nil
	}
	active := true
	if _, err := rd.readFile(o.UserConfig, readFlags{userConf: true, checkPerm: true, final: final}, &active, 0); err != nil {
		return err
	}
	active = true
	_, err := rd.readFile(o.SystemConfig, readFlags{final: final}, &active, 0)
	return err
}

// readFile reads one file; found is false when it cannot be opened.
func (rd *reader) readFile(name string, fl readFlags, active *bool, depth int) (found bool, err error) {
	if depth > maxIncludeDepth {
		return false, &ConfigError{File: name, Msg: "too many recursive configuration includes"}
	}
	f, err := os.Open(name)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if fl.checkPerm {
		if err := checkPerm(f); err != nil {
			return false, &ConfigError{File: name, Msg: "bad owner or permissions", Err: err}
		}
	}
	data, err := readAllLimited(f)
	if err != nil {
		return false, &ConfigError{File: name, Msg: "cannot read", Err: err}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	sc.Split(scanLinesKeepCR)
	for n := 1; sc.Scan(); n++ {
		if err := rd.line(sc.Text(), name, n, fl, active, depth); err != nil {
			return true, err
		}
	}
	return true, nil
}

// maxConfigSize bounds one configuration file.
const maxConfigSize = 16 << 20

func readAllLimited(f *os.File) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigSize)
	}
	return data, nil
}

// scanLinesKeepCR splits at '\n' only (getline's rule); a '\r' before it
// stays and is trimmed as whitespace.
func scanLinesKeepCR(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// checkPerm refuses a file owned by someone else than the user or root,
// or writable by group or others (ssh's SSHCONF_CHECKPERM).
func checkPerm(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	uid, ok := fileUID(fi)
	if !ok {
		return nil
	}
	if (uid != 0 && uid != os.Getuid()) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("owner %d, mode %v", uid, fi.Mode().Perm())
	}
	return nil
}

// keywords are the keywords OpenSSH's client knows (9.2, Debian's GSSAPI
// ones and a few of later releases), lower case. Those this package does
// not report are accepted with any arguments.
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`host match include hostname user hostkeyalias ignoreunknown port
		identityfile identityfile2 identitiesonly identityagent proxycommand proxyjump
		userknownhostsfile globalknownhostsfile stricthostkeychecking forwardagent
		serveraliveinterval serveralivecountmax connecttimeout batchmode passwordauthentication
		pubkeyauthentication dsaauthentication kbdinteractiveauthentication
		challengeresponseauthentication skeyauthentication tisauthentication
		canonicalizehostname canonicalizepermittedcnames
		protocol cipher fallbacktorsh globalknownhostsfile2 rhostsauthentication userknownhostsfile2
		useroaming usersh useprivilegedport afstokenpassing kerberosauthentication kerberostgtpassing
		rsaauthentication rhostsrsaauthentication compressionlevel
		gssapiauthentication gssapidelegatecredentials gssapikeyexchange gssapiclientidentity
		gssapiserveridentity gssapirenewalforcesrekey gssapitrustdns gssapikexalgorithms
		pkcs11provider smartcarddevice forwardx11 forwardx11trusted forwardx11timeout
		exitonforwardfailure xauthlocation gatewayports kbdinteractivedevices hostbasedauthentication
		certificatefile addkeystoagent ciphers macs remoteforward localforward permitremoteopen
		escapechar connectionattempts checkhostip compression tcpkeepalive keepalive
		numberofpasswordprompts syslogfacility loglevel logverbose dynamicforward
		preferredauthentications hostkeyalgorithms casignaturealgorithms bindaddress bindinterface
		clearallforwardings enablesshkeysign verifyhostkeydns nohostauthenticationforlocalhost
		rekeylimit addressfamily sendenv setenv controlpath controlmaster controlpersist
		hashknownhosts tunnel tunneldevice localcommand permitlocalcommand remotecommand
		visualhostkey kexalgorithms ipqos requesttty sessiontype stdinnull forkafterauthentication
		proxyusefdpass canonicaldomains canonicalizefallbacklocal canonicalizemaxdots
		streamlocalbindmask streamlocalbindunlink revokedhostkeys fingerprinthash updatehostkeys
		hostbasedacceptedalgorithms hostbasedkeytypes pubkeyacceptedalgorithms pubkeyacceptedkeytypes
		securitykeyprovider knownhostscommand requiredrsasize enableescapecommandline
		obscurekeystroketiming channeltimeout tag protocolkeepalives setuptimeout`) {
		m[k] = true
	}
	return m
}()

// line processes one line of a file (ssh's process_config_line_depth).
func (rd *reader) line(text, file string, n int, fl readFlags, active *bool, depth int) error {
	text = strings.TrimRight(text, whitespace+"\f")
	keyword, rest, ok := splitKeyword(text)
	if !ok {
		return nil
	}
	bad := func(format string, a ...any) error {
		return &ConfigError{File: file, Line: n, Msg: fmt.Sprintf(format, a...)}
	}
	kw := asciiLower(keyword)
	if rest == "" {
		return bad("no argument after keyword %q", kw)
	}
	st := rd.st
	if !keywords[kw] {
		if st.ignoreUnknown != nil && matchPatternList(kw, *st.ignoreUnknown, true) == 1 {
			return nil
		}
		rd.noteUnsupported(&UnsupportedError{File: file, Line: n, Feature: fmt.Sprintf("keyword %q", keyword)})
		return nil
	}
	args, err := splitArgs(rest)
	if err != nil {
		return bad("invalid quotes")
	}
	on := *active
	// one takes the single argument of a keyword.
	one := func() (string, error) {
		if len(args) == 0 || args[0] == "" {
			return "", bad("missing argument for %s", kw)
		}
		if len(args) > 1 {
			return "", bad("keyword %s extra arguments at end of line", kw)
		}
		return args[0], nil
	}
	setString := func(p **string) error {
		v, err := one()
		if err != nil {
			return err
		}
		if on && *p == nil {
			*p = &v
		}
		return nil
	}
	setInt := func(p *int, v int) {
		if on && *p == unset {
			*p = v
		}
	}
	multi := func(p *int, table map[string]int) error {
		v, err := one()
		if err != nil {
			return err
		}
		val, ok := table[asciiLower(v)]
		if !ok {
			return bad("unsupported option %q", v)
		}
		setInt(p, val)
		return nil
	}

	switch kw {
	case "host":
		*active = false
		for _, a := range args {
			if a == "" {
				return bad("keyword host empty argument")
			}
			if fl.neverMatch {
				break
			}
			negated := strings.HasPrefix(a, "!")
			if negated {
				a = a[1:]
			}
			if matchPattern(rd.hostMatch, a) {
				if negated {
					*active = false
					break
				}
				*active = true
			}
		}
		return nil
	case "match":
		v, err := rd.match(rest, file, n, fl.final)
		if err != nil {
			return err
		}
		*active = v && !fl.neverMatch
		return nil
	case "include":
		return rd.include(args, file, n, fl, active, depth)
	case "hostname":
		return setString(&st.hostname)
	case "user":
		return setString(&st.user)
	case "hostkeyalias":
		return setString(&st.hostKeyAlias)
	case "ignoreunknown":
		return setString(&st.ignoreUnknown)
	case "port":
		v, err := one()
		if err != nil {
			return err
		}
		p := parsePort(v)
		if p <= 0 {
			return bad("bad port %q", v)
		}
		setInt(&st.port, p)
		return nil
	case "identityfile", "identityfile2":
		if len(args) == 0 || args[0] == "" {
			return bad("missing argument")
		}
		if len(args) > 1 {
			return bad("keyword %s extra arguments at end of line", kw)
		}
		if on {
			if len(st.identityFiles) >= 100 {
				return bad("too many identity files")
			}
			if !slices.Contains(st.identityFiles, args[0]) {
				st.identityFiles = append(st.identityFiles, args[0])
			}
		}
		return nil
	case "identityagent", "forwardagent":
		v, err := one()
		if err != nil {
			return err
		}
		if kw == "forwardagent" {
			if f, ok := flagValues[asciiLower(v)]; ok {
				setInt(&st.forwardAgent, f)
				return nil
			}
			setInt(&st.forwardAgent, 1)
		}
		if _, err := percentExpand(v, true, func(string) (string, bool) { return "", true }, nil); err != nil {
			return bad("invalid environment expansion %s", v)
		}
		if len(v) > 1 && v[0] == '$' && v[1] != '{' && !validEnvName(v[1:]) {
			return bad("invalid environment name %s", v)
		}
		if kw == "forwardagent" {
			if on && st.fwdAgentSocket == nil {
				st.fwdAgentSocket = &v
			}
		} else if on && st.identityAgent == nil {
			st.identityAgent = &v
		}
		return nil
	case "proxycommand":
		cmd := strings.TrimLeft(rest, whitespace+"=")
		// OpenSSH 9.2 lets a ProxyCommand follow "ProxyJump none"
		// (a ProxyJump host sets ProxyCommand "none", which blocks it).
		if on && st.proxyCommand == nil {
			st.proxyCommand = &cmd
		}
		return nil
	case "proxyjump":
		spec := strings.TrimLeft(rest, whitespace+"=")
		if err := rd.parseJump(spec, on); err != nil {
			return bad("invalid ProxyJump %q: %v", spec, err)
		}
		return nil
	case "userknownhostsfile", "globalknownhostsfile":
		p := &st.userKnownHosts
		if kw == "globalknownhostsfile" {
			p = &st.globalKnownHosts
		}
		wasEmpty := len(*p) == 0
		for i, a := range args {
			if a == "" {
				return bad("keyword %s empty argument", kw)
			}
			if strings.EqualFold(a, "none") && (i > 0 || len(args) > 1) {
				return bad("keyword %s \"none\" argument must appear alone", kw)
			}
			if on && wasEmpty {
				if len(*p) >= 4096 {
					return bad("too many %s entries", kw)
				}
				*p = append(*p, a)
			}
		}
		return nil
	case "stricthostkeychecking":
		return multi(&st.strict, strictValues)
	case "identitiesonly":
		return multi(&st.identitiesOnly, flagValues)
	case "batchmode":
		return multi(&st.batchMode, flagValues)
	case "passwordauthentication":
		return multi(&st.password, flagValues)
	case "kbdinteractiveauthentication", "challengeresponseauthentication", "skeyauthentication", "tisauthentication":
		return multi(&st.kbdInteractive, flagValues)
	case "pubkeyauthentication", "dsaauthentication":
		return multi(&st.pubkey, pubkeyValues)
	case "canonicalizehostname":
		return multi(&st.canonicalize, canonValues)
	case "canonicalizepermittedcnames":
		if on && len(args) > 0 && !(len(args) == 1 && strings.EqualFold(args[0], "none")) {
			st.permittedCNAMEs = true
		}
		return nil
	case "serveraliveinterval", "protocolkeepalives", "connecttimeout":
		v, err := one()
		if err != nil {
			return err
		}
		secs := unset
		if v != "none" {
			if secs = convTime(v); secs < 0 {
				return bad("invalid time value")
			}
		}
		if kw == "connecttimeout" {
			setInt(&st.connectTimeout, secs)
		} else {
			setInt(&st.serverAlive, secs)
		}
		return nil
	case "serveralivecountmax":
		v, err := one()
		if err != nil {
			return err
		}
		i, err := strconv.ParseInt(v, 10, 32)
		if err != nil || i < 0 {
			return bad("integer value %q", v)
		}
		setInt(&st.serverAliveMax, int(i))
		return nil
	}
	return nil
}

// match evaluates the criteria of a Match line (ssh's match_cfg_line)
// with the values obtained so far.
func (rd *reader) match(cond, file string, n int, final bool) (bool, error) {
	bad := func(format string, a ...any) error {
		return &ConfigError{File: file, Line: n, Msg: "bad Match condition: " + fmt.Sprintf(format, a...)}
	}
	st := rd.st
	ruser := rd.r.localUser
	if st.user != nil {
		ruser = *st.user
	}
	var host string
	if final {
		host = *st.hostname
	} else {
		h, err := rd.hostName()
		if err != nil {
			return false, &ConfigError{File: file, Line: n, Msg: err.Error()}
		}
		host = h
	}
	result := true
	attributes := 0
	s := cond
	for {
		attrib, rest, ok := strdelim(s)
		if !ok || attrib == "" {
			break
		}
		s = rest
		if attrib[0] == '#' {
			break
		}
		negate := attrib[0] == '!'
		name := attrib
		if negate {
			name = name[1:]
		}
		if strings.EqualFold(name, "all") {
			next, _, ok := strdelim(s)
			if attributes > 1 || (ok && next != "" && next[0] != '#') {
				return false, bad("'all' cannot be combined with other Match attributes")
			}
			if result {
				result = !negate
			}
			return result, nil
		}
		attributes++
		if strings.EqualFold(name, "canonical") || strings.EqualFold(name, "final") {
			if strings.EqualFold(name, "final") {
				st.wantFinal = true
			}
			if final == negate {
				result = false
			}
			continue
		}
		arg, rest2, ok := strdelim(s)
		if !ok || arg == "" || arg[0] == '#' {
			return false, bad("missing Match criteria for %s", name)
		}
		s = rest2
		var r bool
		if asciiLower(name) == "exec" {
			rd.sawExec = true
		}
		switch asciiLower(name) {
		case "host":
			r = matchPatternList(asciiLower(host), arg, true) == 1
		case "originalhost":
			r = matchPatternList(asciiLower(rd.hostArg), arg, true) == 1
		case "user":
			r = matchPatternList(ruser, arg, false) == 1
		case "localuser":
			r = matchPatternList(rd.r.localUser, arg, false) == 1
		case "exec":
			if !result {
				continue // ssh skips the command once a criterion failed
			}
			return false, &UnsupportedError{File: file, Line: n, Feature: "Match exec (runs a command)", exec: true}
		default:
			// Read on as if it did not match, to see the rest.
			rd.noteUnsupported(&UnsupportedError{File: file, Line: n, Feature: fmt.Sprintf("Match %s", name)})
			r = negate
		}
		if r == negate {
			result = false
		}
	}
	if attributes == 0 {
		return false, bad("one or more attributes required for Match")
	}
	return result, nil
}

// include reads the files of an Include line.
func (rd *reader) include(args []string, file string, n int, fl readFlags, active *bool, depth int) error {
	for _, a := range args {
		if a == "" {
			return &ConfigError{File: file, Line: n, Msg: "keyword include empty argument"}
		}
		if a[0] == '~' && !fl.userConf {
			return &ConfigError{File: file, Line: n, Msg: fmt.Sprintf("bad include path %s", a)}
		}
		pattern := a
		if !filepath.IsAbs(a) && a[0] != '~' {
			if fl.userConf {
				pattern = "~/.ssh/" + a
			} else {
				pattern = "/etc/ssh/" + a
			}
		}
		pattern = rd.globTilde(pattern)
		matches, err := glob(pattern)
		if err != nil {
			return &ConfigError{File: file, Line: n, Msg: fmt.Sprintf("glob failed for %s", pattern), Err: err}
		}
		wasActive := *active
		for _, m := range matches {
			sub := fl
			sub.checkPerm = true
			sub.neverMatch = fl.neverMatch || !wasActive
			found, err := rd.readFile(m, sub, active, depth+1)
			if err != nil {
				return err
			}
			if !found {
				if _, serr := os.Stat(m); !errors.Is(serr, fs.ErrNotExist) {
					return &ConfigError{File: file, Line: n, Msg: "cannot open included file " + m, Err: serr}
				}
			}
			// Match lines of an included file do not change the state of
			// the including file.
			*active = wasActive
		}
	}
	return nil
}

// globTilde expands a leading ~ or ~user as glob(3)'s GLOB_TILDE does:
// $HOME first for the user's own home.
func (rd *reader) globTilde(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	if name == "" {
		home, ok := rd.r.getenv("HOME")
		if !ok || home == "" {
			home = rd.r.home
		}
		return home + "/" + rest
	}
	if h, err := userHome(name); err == nil {
		return h + "/" + rest
	}
	return p
}

// parseJump records a ProxyJump value (ssh's parse_jump): every hop is
// checked; only an active line with no proxy yet sets it.
func (rd *reader) parseJump(s string, active bool) error {
	st := rd.st
	active = active && st.proxyCommand == nil && st.jumpHost == ""
	if strings.EqualFold(s, "none") {
		if active {
			st.jumpHost = "none"
		}
		return nil
	}
	hops, err := splitJump(s)
	if err != nil {
		return errors.New("missing or bad host") // as parseHop says of an empty hop
	}
	var last jumpHop
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := parseHop(hops[i])
		if err != nil {
			return err
		}
		if i == len(hops)-1 {
			last = h
		}
	}
	if active {
		st.jumpHost, st.jumpUser, st.jumpPort = last.host, last.user, last.port
		none := "none"
		st.proxyCommand = &none
		if i := strings.LastIndexByte(s, ','); i > 0 {
			st.jumpExtra = s[:i]
		}
	}
	return nil
}

var flagValues = map[string]int{"true": 1, "false": 0, "yes": 1, "no": 0}

var strictValues = map[string]int{
	"true": int(StrictYes), "false": int(StrictNo), "yes": int(StrictYes), "no": int(StrictNo),
	"ask": int(StrictAsk), "off": int(StrictNo), "accept-new": int(StrictAcceptNew),
}

var pubkeyValues = map[string]int{"true": 1, "false": 0, "yes": 1, "no": 0, "unbound": 2, "host-bound": 3}

var canonValues = map[string]int{"true": 1, "false": 0, "yes": 1, "no": 0, "always": 2}

// parsePort is ssh's a2port: a number 0..65535 or a service name.
func parsePort(s string) int {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return int(n)
	}
	if allDigits(s) {
		return -1
	}
	if p, err := net.LookupPort("tcp", s); err == nil {
		return p
	}
	return -1
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// convTime is ssh's convtime: "90", "90s", "1h30m"; -1 when invalid.
func convTime(s string) int {
	const maxInt = 1<<31 - 1
	if s == "" {
		return -1
	}
	total := 0
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return -1
		}
		secs, err := strconv.Atoi(s[:i])
		if err != nil || secs >= maxInt {
			return -1
		}
		s = s[i:]
		mult := 1
		if s != "" {
			switch s[0] {
			case 's', 'S':
			case 'm', 'M':
				mult = 60
			case 'h', 'H':
				mult = 3600
			case 'd', 'D':
				mult = 86400
			case 'w', 'W':
				mult = 604800
			default:
				return -1
			}
			s = s[1:]
		}
		if secs > maxInt/mult {
			return -1
		}
		secs *= mult
		if total > maxInt-secs {
			return -1
		}
		total += secs
	}
	return total
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}
