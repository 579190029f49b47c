package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/pyhoca"
	"github.com/x2go-go/x2go/profile"
)

// pyhocaProfiles is where pyhoca-cli's -P and --list-profiles find
// session profiles: ~/.x2goclient/sessions, or the session broker of -B.
type pyhocaProfiles struct {
	file      string // the sessions file ("" with a broker)
	brokerURL string // the broker's URL without credentials ("" without)
	broker    broker.Broker
	sessions  *profile.Sessions
}

func (p *pyhocaProfiles) close() {
	if p.broker != nil {
		p.broker.Close()
	}
}

// openPyhocaProfiles reads the profiles: from the broker of -B (logging
// in with --broker-password, or the password in the URL), else from
// ~/.x2goclient/sessions (a missing file has no profiles).
func openPyhocaProfiles(ctx context.Context, e *env, opt *pyhoca.Options) (*pyhocaProfiles, error) {
	if opt.BrokerURL == "" {
		file, err := defaultSessionsFile()
		if err != nil {
			return nil, err
		}
		ss, err := profile.LoadSessions(file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, profile.ErrSyntax) {
			return nil, err
		}
		return &pyhocaProfiles{file: file, sessions: ss}, nil
	}
	b, shown, err := openBroker(ctx, opt.BrokerURL, opt.Username, opt.BrokerPassword, opt.SSHPrivKey)
	if err != nil {
		return nil, err
	}
	ss, err := b.ListProfiles(ctx)
	if err != nil && ss == nil {
		b.Close()
		return nil, err
	}
	return &pyhocaProfiles{brokerURL: shown, broker: b, sessions: ss}, nil
}

// openBroker connects to a session broker: http(s):// (x2gobroker's JSON
// or plain-text dialect, told apart by the path) or ssh://, whose login
// is the broker authentication (with the SSH agent, ~/.ssh keys, key and
// password, the host key checked against ~/.ssh/known_hosts). user is the
// broker user unless the URL names one. It returns the broker and its URL
// without credentials.
func openBroker(ctx context.Context, raw, user, password, key string) (broker.Broker, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: the broker URL cannot be read", broker.ErrConfig)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		b, err := broker.NewHTTP(broker.HTTPConfig{URL: raw, User: user, Password: password})
		if err != nil {
			return nil, "", err
		}
		return b, b.URL(), nil
	case "ssh":
		cfg, err := broker.SSHConfigFromURL(raw)
		if err != nil {
			return nil, "", err
		}
		if cfg.SSH.User == "" {
			cfg.SSH.User = user
		}
		if cfg.SSH.Auth.Password == "" {
			cfg.SSH.Auth.Password = password
		}
		cfg.SSH.Auth.LookForKeys, cfg.SSH.Auth.AllowAgent = true, true
		if key != "" {
			cfg.SSH.Auth.KeyFiles = []string{key}
		}
		b, err := broker.DialSSH(ctx, cfg)
		if err != nil {
			return nil, "", err
		}
		u.User = nil
		return b, u.String(), nil
	}
	return nil, "", fmt.Errorf("%w: a broker URL starts with http://, https:// or ssh://", broker.ErrConfig)
}

// listPyhocaProfiles prints --list-profiles.
func listPyhocaProfiles(e *env, p *pyhocaProfiles) error {
	if p.broker != nil {
		return pyhoca.WriteBrokerProfileList(e.stdout, p.brokerURL, "", pyhoca.ProfilesFrom(p.sessions))
	}
	raw, err := pyhoca.ReadProfiles(p.file)
	if err != nil {
		return err
	}
	return pyhoca.WriteProfileList(e.stdout, p.file, "", raw)
}

// pyhocaProfileOptions returns the options of a -P session: the profile
// (and, with a broker, where it says to connect) laid over cmdline, the
// options built from the command line, then every option given on the
// command line on top, as pyhoca-cli overrides profile options; unlike
// pyhoca-cli, the server, port, keyboard, print options and known hosts
// options given are honoured too, and a key is replaced only by -i.
func pyhocaProfileOptions(ctx context.Context, p *pyhocaProfiles, opt *pyhoca.Options, cmdline x2go.Options) (x2go.Options, *broker.Selection, error) {
	c, err := x2go.NewClient(x2go.ClientOptions{Profiles: p.sessions, Broker: p.broker, Defaults: cmdline, RefreshInterval: -1})
	if err != nil {
		return x2go.Options{}, nil, err
	}
	defer c.Close()
	o, sel, err := c.ResolveProfile(ctx, opt.SessionProfile)
	if err != nil {
		return x2go.Options{}, nil, err
	}
	set := opt.Set
	if set["server"] {
		o.Server = cmdline.Server
	}
	if set["remote_ssh_port"] {
		o.Port = cmdline.Port
	}
	if set["username"] {
		o.Username = cmdline.Username
	}
	if o.Username == "" { // a broker's profiles may leave it out
		o.Username = cmdline.Username
	}
	if set["ssh_privkey"] {
		o.KeyFiles = cmdline.KeyFiles
	}
	if set["add_to_known_hosts"] {
		o.AddToKnownHosts = true
	}
	if set["forward_sshagent"] {
		o.ForwardAgent = true
	}
	if set["share_local_folders"] {
		o.ShareFolders, o.AllowFolderSharing = cmdline.ShareFolders, true
	}
	if set["printing"] {
		o.Printing = cmdline.Printing
	}
	cp, pp := cmdline.Params, &o.Params
	for key, apply := range map[string]func(){
		"command":        func() { pp.Command = cp.Command },
		"sound":          func() { pp.SoundSystem = cp.SoundSystem },
		"geometry":       func() { pp.Geometry = cp.Geometry },
		"link":           func() { pp.Link = cp.Link },
		"pack":           func() { pp.Pack = cp.Pack },
		"xinerama":       func() { pp.Xinerama = cp.Xinerama },
		"session_type":   func() { pp.SessionType = cp.SessionType },
		"kbd_layout":     func() { pp.KbLayout = cp.KbLayout },
		"kbd_type":       func() { pp.KbType = cp.KbType },
		"clipboard_mode": func() { pp.Clipboard = cp.Clipboard },
		"dpi":            func() { pp.DPI = cp.DPI },
	} {
		if set[key] {
			apply()
		}
	}
	return o, sel, nil
}

// pyhocaProfileError prints pyhoca-cli's error for a profile that is not
// there and returns its status.
func pyhocaProfileError(e *env, prog string, opt *pyhoca.Options, err error) int {
	if errors.Is(err, profile.ErrNotFound) || errors.Is(err, profile.ErrAmbiguous) {
		fmt.Fprintf(e.stderr, "%s: error: no such session profile of name: %s\n", prog, opt.SessionProfile)
		return 31
	}
	fmt.Fprintf(e.stderr, "%s: error: %v\n", prog, err)
	if errors.Is(err, broker.ErrAuthFailed) {
		return exitAuth
	}
	if errors.Is(err, broker.ErrUnreachable) {
		return exitConnect
	}
	return 31
}
