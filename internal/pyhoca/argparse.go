package pyhoca

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// optSpec describes one pyhoca-cli option the way its argparse parser knows
// it: the option strings in declaration order (they appear joined by "/" in
// error messages), the namespace attribute (dest) and whether the option
// takes one argument or is a store_true flag.
type optSpec struct {
	names   []string
	dest    string
	value   bool
	choices []string
	metavar string // usage metavar; empty: the upper-cased dest
	// newer marks an option pyhoca-cli 0.6.1.2 does not have: one that
	// later pyhoca-cli versions added and front ends probe for (see
	// CmdlineFeatures), or one of this client's own. Newer options are
	// left out of the usage block, which stays 0.6.1.2's, and lose to
	// 0.6.1.2's options in prefix matching, so that every abbreviation
	// 0.6.1.2 accepts keeps its meaning.
	newer bool
}

// Choice lists of pyhoca-cli 0.6.1.2 on Linux, in argparse order (the order
// matters for the "invalid choice" message).
var (
	soundChoices       = []string{"pulse", "esd", "none"}
	printActionChoices = []string{"PDFVIEW", "PDFSAVE", "PRINT", "PRINTCMD", "DIALOG"}
	linkChoices        = []string{"modem", "isdn", "adsl", "wan", "lan"}
	sessionTypeChoices = []string{"desktop", "application"}
	useSoundChoices    = []string{"yes", "no"}
	plainBackends      = []string{"default", "PLAIN"}
	proxyBackends      = []string{"default", "NX3", "KDRIVE"}
	configBackends     = []string{"FILE", "GCONF"}
	clipboardChoices   = []string{"both", "server", "client", "none"}
)

// optSpecs lists pyhoca-cli's options in the order its parseargs() adds
// them: help, --server, then the X2Go, SSH, print, broker, action, debug,
// NX, backend and compatibility groups. Prefix matching reports ambiguous
// matches in this order and the usage line is built from it.
var optSpecs = []optSpec{
	{names: []string{"-h", "--help"}, dest: "help"},
	{names: []string{"--server"}, dest: "server", value: true},
	// X2Go options
	{names: []string{"-c", "--command"}, dest: "command", value: true},
	{names: []string{"-l", "-u", "--username"}, dest: "username", value: true},
	{names: []string{"--password"}, dest: "password", value: true},
	{names: []string{"--force-password"}, dest: "force_password"},
	{names: []string{"-p", "--remote-ssh-port"}, dest: "remote_ssh_port", value: true},
	{names: []string{"-i", "-k", "--ssh-privkey"}, dest: "ssh_privkey", value: true},
	{names: []string{"--add-to-known-hosts"}, dest: "add_to_known_hosts"},
	{names: []string{"--sound"}, dest: "sound", value: true, choices: soundChoices},
	{names: []string{"--printing"}, dest: "printing"},
	{names: []string{"--share-mode"}, dest: "share_mode", value: true},
	{names: []string{"-F", "--share-local-folders"}, dest: "share_local_folders", value: true, metavar: "<folder1>[,<folder2[,...]]"},
	{names: []string{"--clean-sessions"}, dest: "clean_sessions"},
	{names: []string{"--terminate-on-ctrl-c"}, dest: "terminate_on_ctrl_c"},
	{names: []string{"--auth-attempts"}, dest: "auth_attempts", value: true},
	// SSH options
	{names: []string{"-A", "--forward-sshagent"}, dest: "forward_sshagent"},
	// print options
	{names: []string{"--print-action"}, dest: "print_action", value: true, choices: printActionChoices},
	{names: []string{"--pdfview-cmd"}, dest: "pdfview_cmd", value: true},
	{names: []string{"--save-to-folder"}, dest: "save_to_folder", value: true, metavar: "PRINT_DEST"},
	{names: []string{"--printer"}, dest: "printer", value: true},
	{names: []string{"--print-cmd"}, dest: "print_cmd", value: true},
	// broker options
	{names: []string{"-B", "--broker-url"}, dest: "broker_url", value: true},
	{names: []string{"--broker-password"}, dest: "broker_password", value: true},
	// client actions
	{names: []string{"-N", "--new"}, dest: "new"},
	{names: []string{"--try-resume"}, dest: "try_resume"},
	{names: []string{"-R", "--resume"}, dest: "resume", value: true, metavar: "SESSION_NAME"},
	{names: []string{"-D", "--share-desktop"}, dest: "share_desktop", value: true, metavar: "USER@DISPLAY"},
	{names: []string{"-S", "--suspend"}, dest: "suspend", value: true, metavar: "SESSION_NAME"},
	{names: []string{"-T", "--terminate"}, dest: "terminate", value: true, metavar: "SESSION_NAME"},
	{names: []string{"-L", "--list-sessions"}, dest: "list_sessions"},
	{names: []string{"--list-desktops"}, dest: "list_desktops"},
	{names: []string{"--list-profiles"}, dest: "list_profiles"},
	{names: []string{"-P", "--session-profile"}, dest: "session_profile", value: true},
	{names: []string{"--from-stdin"}, dest: "from_stdin"},
	// debug options
	{names: []string{"-d", "--debug"}, dest: "debug"},
	{names: []string{"--quiet"}, dest: "quiet"},
	{names: []string{"--libdebug"}, dest: "libdebug"},
	{names: []string{"--libdebug-sftpxfer"}, dest: "libdebug_sftpxfer"},
	{names: []string{"-V", "--version"}, dest: "version"},
	// NX options
	{names: []string{"-g", "--geometry"}, dest: "geometry", value: true},
	{names: []string{"-x", "--xinerama"}, dest: "xinerama"},
	{names: []string{"-q", "--link"}, dest: "link", value: true, choices: linkChoices},
	{names: []string{"-t", "--session-type"}, dest: "session_type", value: true, choices: sessionTypeChoices},
	{names: []string{"--pack"}, dest: "pack", value: true},
	{names: []string{"--kbd-type"}, dest: "kbd_type", value: true},
	{names: []string{"--kbd-layout"}, dest: "kbd_layout", value: true},
	// backend options
	{names: []string{"--backend-controlsession"}, dest: "backend_controlsession", value: true, choices: plainBackends, metavar: "<CONTROLSESSION_BACKEND>"},
	{names: []string{"--backend-terminalsession"}, dest: "backend_terminalsession", value: true, choices: plainBackends, metavar: "<TERMINALSESSION_BACKEND>"},
	{names: []string{"--backend-serversessioninfo"}, dest: "backend_serversessioninfo", value: true, choices: plainBackends, metavar: "<SERVERSESSIONINFO_BACKEND>"},
	{names: []string{"--backend-serversessionlist"}, dest: "backend_serversessionlist", value: true, choices: plainBackends, metavar: "<SERVERSESSIONLIST_BACKEND>"},
	{names: []string{"--backend-proxy"}, dest: "backend_proxy", value: true, choices: proxyBackends, metavar: "<PROXY_BACKEND>"},
	{names: []string{"--backend-sessionprofiles"}, dest: "backend_sessionprofiles", value: true, choices: configBackends, metavar: "<SESSIONPROFILES_BACKEND>"},
	{names: []string{"--backend-clientsettings"}, dest: "backend_clientsettings", value: true, choices: configBackends, metavar: "<CLIENTSETTINGS_BACKEND>"},
	{names: []string{"--backend-clientprinting"}, dest: "backend_clientprinting", value: true, choices: configBackends, metavar: "<CLIENTPRINTING_BACKEND>"},
	// compatibility options
	{names: []string{"--port"}, dest: "port", value: true},
	{names: []string{"--ssh-key"}, dest: "ssh_key", value: true},
	{names: []string{"--use-sound"}, dest: "use_sound", value: true, choices: useSoundChoices},
	{names: []string{"--client-ssh-port"}, dest: "client_ssh_port", value: true},
	// newer options
	{names: []string{"--list-cmdline-features"}, dest: "list_cmdline_features", newer: true},
	{names: []string{"--non-interactive"}, dest: "non_interactive", newer: true},
	{names: []string{"--password-file"}, dest: "password_file", value: true, metavar: "FILE", newer: true},
	{names: []string{"--ssh-passphrase"}, dest: "ssh_passphrase", value: true, newer: true},
	{names: []string{"--clipboard-mode"}, dest: "clipboard_mode", value: true, choices: clipboardChoices, newer: true},
	{names: []string{"--dpi"}, dest: "dpi", value: true, newer: true},
}

// optIndex maps every option string to its spec; optOrder keeps the option
// strings of pyhoca-cli 0.6.1.2 in declaration order for prefix matching,
// newerOrder those of the newer options.
var (
	optIndex   = map[string]*optSpec{}
	optOrder   []string
	newerOrder []string
)

func init() {
	for i := range optSpecs {
		s := &optSpecs[i]
		for _, n := range s.names {
			optIndex[n] = s
			if s.newer {
				newerOrder = append(newerOrder, n)
			} else {
				optOrder = append(optOrder, n)
			}
		}
	}
}

// displayName is the argument name of argparse error messages ("-p/--remote-ssh-port").
func (s *optSpec) displayName() string { return strings.Join(s.names, "/") }

// argKind classifies a command-line word like argparse does before it
// consumes anything.
type argKind int

const (
	kindPositional argKind = iota
	kindOption             // a known option, possibly with an explicit argument
	kindUnknown            // looks like an option but matches none
	kindDashDash           // the first "--"
)

// classified is one classified command-line word.
type classified struct {
	kind     argKind
	spec     *optSpec
	optStr   string  // the matched option string
	explicit *string // argument attached with "=" or directly to a short option
}

// negativeNumber is argparse's _negative_number_matcher; pyhoca-cli has no
// option that looks like a negative number, so such words are positional.
var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// classify mirrors argparse's _parse_optional (Python 3.11): exact option
// strings, "--opt=value", unambiguous prefixes of long options, short
// options with an attached argument, negative numbers and words with blanks.
func classify(arg string) (classified, error) {
	if arg == "" || arg[0] != '-' || arg == "-" {
		return classified{kind: kindPositional}, nil
	}
	if s, ok := optIndex[arg]; ok {
		return classified{kind: kindOption, spec: s, optStr: arg}, nil
	}
	if name, val, ok := strings.Cut(arg, "="); ok {
		if s, ok := optIndex[name]; ok {
			return classified{kind: kindOption, spec: s, optStr: name, explicit: &val}, nil
		}
	}
	var matches []classified
	if strings.HasPrefix(arg, "--") {
		prefix, val, hasVal := strings.Cut(arg, "=")
		// 0.6.1.2's options first: a prefix one of them takes keeps
		// meaning it; only a prefix none of them has can name a newer
		// option.
		for _, order := range [][]string{optOrder, newerOrder} {
			for _, n := range order {
				if strings.HasPrefix(n, prefix) {
					c := classified{kind: kindOption, spec: optIndex[n], optStr: n}
					if hasVal {
						v := val
						c.explicit = &v
					}
					matches = append(matches, c)
				}
			}
			if len(matches) > 0 {
				break
			}
		}
		if len(matches) > 1 {
			names := make([]string, len(matches))
			for i, m := range matches {
				names[i] = m.optStr
			}
			// argparse quotes the whole word, value included; the value
			// is left out here so that a password never reaches stderr.
			return classified{}, &UsageError{Code: 2, Msg: fmt.Sprintf("ambiguous option: %s could match %s", prefix, strings.Join(names, ", "))}
		}
	} else {
		short := arg[:2]
		for _, n := range optOrder {
			switch {
			case n == short:
				v := arg[2:]
				matches = append(matches, classified{kind: kindOption, spec: optIndex[n], optStr: n, explicit: &v})
			case strings.HasPrefix(n, arg):
				matches = append(matches, classified{kind: kindOption, spec: optIndex[n], optStr: n})
			}
		}
		if len(matches) > 1 {
			names := make([]string, len(matches))
			for i, m := range matches {
				names[i] = m.optStr
			}
			return classified{}, &UsageError{Code: 2, Msg: fmt.Sprintf("ambiguous option: %s could match %s", arg, strings.Join(names, ", "))}
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	if negativeNumber.MatchString(arg) || strings.Contains(arg, " ") {
		return classified{kind: kindPositional}, nil
	}
	return classified{kind: kindUnknown}, nil
}

// rawArgs is argparse's namespace: the given option values by dest (flags
// as "true") and the positional host.
type rawArgs struct {
	values  map[string]string
	order   []string // dests in the order they were stored
	host    string
	hasHost bool
}

func (r *rawArgs) store(dest, val string) {
	if _, ok := r.values[dest]; !ok {
		r.order = append(r.order, dest)
	}
	r.values[dest] = val
}

// action is one option occurrence waiting to be stored.
type action struct {
	spec *optSpec
	val  string
}

// argparse parses args with the semantics of pyhoca-cli's argparse parser
// (Python 3.11): every word is classified first (so an ambiguous prefix is
// reported before anything else), then options are consumed left to
// right; -h/--help returns ErrHelp when reached; unknown options and
// surplus positionals are reported at the end as "unrecognized arguments".
func argparse(args []string) (*rawArgs, error) {
	kinds := make([]classified, len(args))
	dashdash := false
	for i, a := range args {
		if dashdash {
			kinds[i] = classified{kind: kindPositional}
			continue
		}
		if a == "--" {
			kinds[i] = classified{kind: kindDashDash}
			dashdash = true
			continue
		}
		c, err := classify(a)
		if err != nil {
			return nil, err
		}
		kinds[i] = c
	}

	r := &rawArgs{values: map[string]string{}}
	var extras []string
	for i := 0; i < len(args); i++ {
		c := kinds[i]
		switch c.kind {
		case kindDashDash:
			continue
		case kindPositional:
			if !r.hasHost {
				r.host, r.hasHost = args[i], true
			} else {
				extras = append(extras, args[i])
			}
			continue
		case kindUnknown:
			extras = append(extras, args[i])
			continue
		}

		// consume_optional: a group of short flags may end in an option
		// that takes the rest of the word or the next word as argument.
		var acts []action
		spec, optStr, explicit := c.spec, c.optStr, c.explicit
		for {
			if explicit != nil {
				if !spec.value {
					if optStr[1] != '-' && *explicit != "" {
						acts = append(acts, action{spec: spec, val: "true"})
						_, size := utf8.DecodeRuneInString(*explicit)
						next := "-" + (*explicit)[:size]
						if s, ok := optIndex[next]; ok {
							rest := (*explicit)[size:]
							spec, optStr = s, next
							if rest == "" {
								explicit = nil
							} else {
								explicit = &rest
							}
							continue
						}
					}
					return nil, &UsageError{Code: 2, Msg: fmt.Sprintf("argument %s: ignored explicit argument %s", spec.displayName(), pyRepr(*explicit))}
				}
				acts = append(acts, action{spec: spec, val: *explicit})
				break
			}
			if !spec.value {
				acts = append(acts, action{spec: spec, val: "true"})
				break
			}
			if i+1 < len(args) && kinds[i+1].kind == kindPositional {
				i++
				acts = append(acts, action{spec: spec, val: args[i]})
				break
			}
			return nil, &UsageError{Code: 2, Msg: fmt.Sprintf("argument %s: expected one argument", spec.displayName())}
		}
		for _, a := range acts {
			if a.spec.dest == "help" {
				return nil, ErrHelp
			}
			if a.spec.choices != nil && !slices.Contains(a.spec.choices, a.val) {
				quoted := make([]string, len(a.spec.choices))
				for j, ch := range a.spec.choices {
					quoted[j] = pyRepr(ch)
				}
				return nil, &UsageError{Code: 2, Msg: fmt.Sprintf("argument %s: invalid choice: %s (choose from %s)", a.spec.displayName(), pyRepr(a.val), strings.Join(quoted, ", "))}
			}
			r.store(a.spec.dest, a.val)
		}
	}
	if len(extras) > 0 {
		return nil, &UsageError{Code: 2, Msg: "unrecognized arguments: " + strings.Join(extras, " ")}
	}
	return r, nil
}

// pyRepr quotes s like Python's repr() of a str for the common cases:
// single quotes unless s contains a single quote and no double quote.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
