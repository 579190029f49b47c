package x2go

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/x2go-go/x2go/mimebox"
	"github.com/x2go-go/x2go/printing"
	"github.com/x2go-go/x2go/profile"
)

// ProfileOptions lays a session profile over base: the connection (server,
// port, user, key, key discovery and agent, agent forwarding, host key
// alias, the SSH proxy), the session parameters (command, session type,
// geometry, link, pack, keyboard, clipboard, DPI, Xinerama, sound system)
// and the session's services (printing, folder sharing, MIME box), the way
// python-x2go turns a profile's options into a session's (its
// get_session_profile_option and the registration of a profile session).
// Everything the profile does not speak of (known hosts files, hooks,
// logger, the nxproxy binary, the local sessions root, the environment)
// stays as base has it.
//
// sp comes from profile.Profile.Params. printingFile is X2Go Client's
// `printing` file, which says what to do with print jobs of profiles with
// print=true; nil uses python-x2go's defaults (view the PDF). Its DIALOG
// action is used only when base.Printing has a Dialog function to ask.
//
// Where python-x2go picks at random (a profile with several hosts, an SSH
// proxy list), the first entry is used; sp.Hosts has them all. Geometry
// "maximize" is passed on as it is: the caller replaces it with the size
// of its screen (the server knows only WxH and fullscreen). Keys python-x2go
// ignores, and the RDP and encoding options, which this client does not
// implement, have no effect.
func ProfileOptions(base Options, sp profile.SessionParams, printingFile *profile.Printing) (Options, error) {
	o := base
	o.ProfileName = sp.ProfileName
	o.Server, o.Port, o.Username = sp.Server, sp.Port, sp.User
	o.KeyFiles = nil
	if sp.KeyFile != "" {
		o.KeyFiles = []string{expandHome(sp.KeyFile)}
	}
	o.LookForKeys, o.AllowAgent = sp.LookForKeys, sp.AllowAgent
	o.ForwardAgent = sp.ForwardSSHAgent
	o.HostKeyAlias = ""
	if sp.UniqueHostKeyAliases {
		o.HostKeyAlias = sp.ProfileID
	}
	o.Jump = nil
	if sp.UseSSHProxy {
		j, err := profileJump(sp)
		if err != nil {
			return Options{}, err
		}
		o.Jump = j
	}

	p := base.Params
	p.Command, p.SessionType = sp.Command, sp.SessionType
	if sp.PublishedApplications {
		p.Command, p.SessionType = "PUBLISHED", "published"
	}
	p.Geometry, p.Link, p.Pack = sp.Geometry, sp.Link, sp.Pack
	p.KbLayout, p.KbType = sp.KbdLayout, sp.KbdType
	p.Clipboard, p.DPI, p.Xinerama = sp.Clipboard, sp.DPI, sp.Xinerama
	p.SoundSystem = sp.SoundSystem
	p.XDMCPServer = ""
	if sp.Command == "XDMCP" { // the server queries it for XDMCP sessions only
		p.XDMCPServer = sp.XDMCPServer
	}
	o.Params = p

	o.ShareFolders, o.AllowFolderSharing = nil, false
	if sp.AllowShareLocalFolders && len(sp.Exports) > 0 {
		// Every folder of `export` may be shared later; the ones flagged
		// 1 are shared when the session starts (python-x2go's master
		// session mounts only those).
		o.AllowFolderSharing = true
		for _, e := range sp.Exports {
			if e.Mount {
				o.ShareFolders = append(o.ShareFolders, expandHome(e.Path))
			}
		}
	}

	o.Printing = nil
	if sp.Printing {
		pc, err := printingFromFile(base.Printing, printingFile)
		if err != nil {
			return Options{}, err
		}
		o.Printing = pc
	}
	o.MimeBox = nil
	if sp.AllowMimebox {
		mc := mimebox.Config{}
		if base.MimeBox != nil {
			mc = *base.MimeBox
		}
		a, err := mimebox.ParseAction(sp.MimeboxAction)
		if err != nil {
			a = mimebox.Open // python-x2go's fallback for an unknown action
		}
		mc.Action = a
		mc.Extensions = sp.MimeboxExtensions
		o.MimeBox = &mc
	}
	return o, nil
}

// profileJump is the SSH proxy of a profile. sshproxyhost may be
// host:port (the port then wins over sshproxyport) or a comma list, of
// which the first is taken.
func profileJump(sp profile.SessionParams) (*JumpHost, error) {
	host := strings.TrimSpace(sp.SSHProxyHost)
	if i := strings.IndexByte(host, ','); i >= 0 {
		host = strings.TrimSpace(host[:i])
	}
	port := sp.SSHProxyPort
	if h, ps, err := net.SplitHostPort(host); err == nil {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: profile %q: bad port in sshproxyhost", ErrConfig, sp.ProfileName)
		}
		host, port = h, n
	}
	if host == "" {
		return nil, fmt.Errorf("%w: profile %q uses an SSH proxy but names none (sshproxyhost)", ErrConfig, sp.ProfileName)
	}
	j := &JumpHost{
		Host: host, Port: port, Username: sp.SSHProxyUser,
		LookForKeys: sp.SSHProxyLookForKeys, AllowAgent: sp.SSHProxyAllowAgent,
		ReuseAuth: sp.SSHProxyReuseAuthInfo,
	}
	if sp.SSHProxyKeyFile != "" {
		j.KeyFiles = []string{expandHome(sp.SSHProxyKeyFile)}
	}
	return j, nil
}

// printingFromFile derives the print action from X2Go Client's printing
// file (python-x2go's rules, see profile.Printing.Action) on top of the
// caller's printing configuration (hooks, environment).
func printingFromFile(base *printing.Config, f *profile.Printing) (*printing.Config, error) {
	pc := printing.Config{}
	if base != nil {
		pc = *base
	}
	if f == nil {
		var err error
		if f, err = profile.ParsePrinting(nil); err != nil {
			return nil, err
		}
	}
	setup, err := f.Action(pc.Dialog != nil)
	if err != nil {
		return nil, fmt.Errorf("x2go: the printing file: %w", err)
	}
	switch setup.Action {
	case profile.PrintDialog:
		pc.Action = printing.Dialog
	case profile.PrintPDFView:
		pc.Action = printing.PDFView
		if setup.Arg != "" {
			argv, err := printing.SplitCommand(setup.Arg)
			if err != nil {
				return nil, fmt.Errorf("x2go: the printing file's PDF viewer: %w", err)
			}
			pc.Viewer = argv
		}
	case profile.PrintPDFSave:
		pc.Action, pc.SaveDir = printing.PDFSave, setup.Arg
	case profile.PrintCUPS:
		pc.Action, pc.Printer = printing.Print, setup.Arg
	case profile.PrintCommand:
		pc.Action = printing.PrintCmd
		if setup.Arg != "" {
			argv, err := printing.SplitCommand(setup.Arg)
			if err != nil {
				return nil, fmt.Errorf("x2go: the printing file's print command: %w", err)
			}
			pc.PrintCommand = argv
		}
	}
	return &pc, nil
}

// expandHome replaces a leading ~/ (or a lone ~) with the home directory,
// as python-x2go does for key files and OpenSSH for paths.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p[1:], "/"))
}
