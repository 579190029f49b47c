package pyhoca

import (
	"strings"
)

// helpWidth is the text width argparse wraps at in an 80-column terminal
// (COLUMNS - 2), the width pyhoca-cli's help was captured with.
const helpWidth = 78

// Usage returns pyhoca-cli's usage block for program name prog, wrapped
// the way Python's argparse wraps it, ending in a newline. pyhoca-cli
// prints it before "<prog>: error: <message>" on command-line errors.
func Usage(prog string) string {
	const prefix = "usage: "
	var opts []string
	for i := range optSpecs {
		s := &optSpecs[i]
		part := s.names[0]
		if s.value {
			part += " " + s.metavarText()
		}
		opts = append(opts, "["+part+"]")
	}
	pos := []string{"[host]"}

	var lines []string
	if float64(len(prefix)+len(prog)) <= 0.75*helpWidth {
		indent := strings.Repeat(" ", len(prefix)+len(prog)+1)
		lines = wrapParts(append([]string{prog}, opts...), indent, len(prefix))
		lines = append(lines, wrapParts(pos, indent, -1)...)
	} else {
		indent := strings.Repeat(" ", len(prefix))
		lines = []string{prog}
		lines = append(lines, wrapParts(opts, indent, -1)...)
		lines = append(lines, wrapParts(pos, indent, -1)...)
	}
	return prefix + strings.Join(lines, "\n") + "\n"
}

// metavarText is the argument placeholder of usage and help: the metavar,
// else {a,b,c} for choices, else the upper-cased dest.
func (s *optSpec) metavarText() string {
	switch {
	case s.metavar != "":
		return s.metavar
	case s.choices != nil:
		return "{" + strings.Join(s.choices, ",") + "}"
	}
	return strings.ToUpper(s.dest)
}

// wrapParts is argparse's get_lines: it fills lines of helpWidth with the
// parts, each line but the first prefixed with indent. With prefixLen >= 0
// the first line starts after a prefix of that length and carries no
// indent.
func wrapParts(parts []string, indent string, prefixLen int) []string {
	var lines []string
	var line []string
	lineLen := len(indent) - 1
	if prefixLen >= 0 {
		lineLen = prefixLen - 1
	}
	for _, p := range parts {
		if lineLen+1+len(p) > helpWidth && len(line) > 0 {
			lines = append(lines, indent+strings.Join(line, " "))
			line = nil
			lineLen = len(indent) - 1
		}
		line = append(line, p)
		lineLen += len(p) + 1
	}
	if len(line) > 0 {
		lines = append(lines, indent+strings.Join(line, " "))
	}
	if prefixLen >= 0 && len(lines) > 0 {
		lines[0] = lines[0][len(indent):]
	}
	return lines
}

// Help returns the --help text: pyhoca-cli 0.6.1.2's help as argparse
// prints it in an 80-column terminal, with prog as program name. It is
// adapted only where this client behaves differently or the original is
// wrong: the description names Go, --from-stdin gives the field order the
// code really reads, -c names its real default (TERMINAL), --printer
// selects PRINT (not "CUPS"), the library debug options and
// --client-ssh-port do not mention Python X2Go, and the backend options
// say that they are accepted for compatibility and ignored.
func Help(prog string) string {
	return Usage(prog) + "\n" + helpBody
}

// helpBody is everything after the usage block, generated with Python
// 3.11's argparse from pyhoca-cli's parser definition with the adapted
// texts. The epilog line after "are:" holds four blanks, as in the
// original.
const helpBody = `X2Go command line client implemented in Go (pyhoca-cli compatible).

positional arguments:
  host                  host to connect to (as alternative to --server option)

options:
  -h, --help            show this help message and exit

X2Go server name is always required:
  --server SERVER       server hostname or IP address

client actions:
  -N, --new             start a new X2Go session on server (default)
  --try-resume          if given with --new, try to resume a running/suspended
                        session, otherwise start a new session
  -R SESSION_NAME, --resume SESSION_NAME
                        resume a suspended X2Go session with name SESSION_NAME
  -D USER@DISPLAY, --share-desktop USER@DISPLAY
                        share an X2Go session on server specified by
                        USER@DISPLAY
  -S SESSION_NAME, --suspend SESSION_NAME
                        suspend running X2Go session SESSION_NAME
  -T SESSION_NAME, --terminate SESSION_NAME
                        terminate running X2Go session SESSION_NAME
  -L, --list-sessions   list user's X2Go sessions on server
  --list-desktops       list X2Go desktop sessions that are available for
                        sharing
  --list-profiles       list user's X2Go pre-configured session profiles
  -P SESSION_PROFILE, --session-profile SESSION_PROFILE
                        load x2goclient session profiles and use the session
                        profile SESSION_PROFILE
  --from-stdin          for LightDM remote login: read <username>
                        <host[:port]> <command> <password> from STDIN

debug options:
  -d, --debug           enable application debugging code
  --quiet               disable any kind of log output
  --libdebug            enable debugging code of the underlying X2Go library
  --libdebug-sftpxfer   enable debugging code of the embedded sFTP server
                        (very verbose, and even promiscuous)
  -V, --version         print version number and exit

X2Go options:
  -c COMMAND, --command COMMAND
                        command to run on server (default: TERMINAL)
  -l USERNAME, -u USERNAME, --username USERNAME
                        username for the session (default: current user)
  --password PASSWORD   user password for session authentication
  --force-password      enforce username/password authentication
  -p REMOTE_SSH_PORT, --remote-ssh-port REMOTE_SSH_PORT
                        remote SSH port (default: 22)
  -i SSH_PRIVKEY, -k SSH_PRIVKEY, --ssh-privkey SSH_PRIVKEY
                        use file 'SSH_PRIVKEY' as private key for the SSH
                        connection (e.g. ~/.ssh/id_rsa)
  --add-to-known-hosts  add RSA host key fingerprint to ~/.ssh/known_hosts if
                        authenticity of server can't be established (default:
                        not set)
  --sound {pulse,esd,none}
                        X2Go server sound system (default: 'pulse')
  --printing            use X2Go printing (default: disabled)
  --share-mode SHARE_MODE
                        share mode for X2Go desktop sharing (0: view-only, 1:
                        full access)
  -F <folder1>[,<folder2[,...]], --share-local-folders <folder1>[,<folder2[,...]]
                        a comma separated list of local folder names to mount
                        in the X2Go session
  --clean-sessions      clean all suspended sessions before starting a new one
  --terminate-on-ctrl-c
                        terminate the connected session when pressing CTRL+C
                        (instead of suspending the session)
  --auth-attempts AUTH_ATTEMPTS
                        number of authentication attempts before
                        authentication fails (default: 3)

SSH options:
  -A, --forward-sshagent
                        forward SSH agent authentication socket

X2Go print options:
  --print-action {PDFVIEW,PDFSAVE,PRINT,PRINTCMD,DIALOG}
                        action to be performed for incoming X2Go print jobs
                        (default: 'PDFVIEW')
  --pdfview-cmd PDFVIEW_CMD
                        PDF viewer command for displaying incoming X2Go print
                        jobs (default: 'xdg-open'); this option selects '--
                        print-action PDFVIEW'
  --save-to-folder PRINT_DEST
                        save print jobs as PDF files to folder PRINT_DEST
                        (default: 'PDF'); this option selects '--print-action
                        PDFSAVE'
  --printer PRINTER     target CUPS print queue for incoming X2Go print jobs
                        (default: CUPS default printer); this option selects '
                        --print-action PRINT'
  --print-cmd PRINT_CMD
                        print command including cmd line arguments (default:
                        'lpr'); this option selects '--print-action PRINTCMD'

X2Go Session Broker client options:
  -B BROKER_URL, --broker-url BROKER_URL
                        retrieve session profiles via an X2Go Session Broker
                        under the given URL
  --broker-password BROKER_PASSWORD
                        password for authenticating against the X2Go Session
                        Broker

NX options:
  -g GEOMETRY, --geometry GEOMETRY
                        screen geometry: '<width>x<height>' or 'fullscreen'
                        (default: '800x600')
  -x, --xinerama        enable Xinerama support in remote X2Go session
  -q {modem,isdn,adsl,wan,lan}, --link {modem,isdn,adsl,wan,lan}
                        link quality (default: 'adsl')
  -t {desktop,application}, --session-type {desktop,application}
                        session type (default: 'application')
  --pack PACK           compression methods (see below for possible values)
  --kbd-type KBD_TYPE   set Keyboard type (default: 'auto', other allowed
                        options: 'pc105/us', 'pc105/de', etc.)
  --kbd-layout KBD_LAYOUT
                        use keyboard layout (default: 'null', allowed options:
                        'de', 'fr', etc.)

backend options (for experts only):
  --backend-controlsession <CONTROLSESSION_BACKEND>
                        force usage of a certain CONTROLSESSION_BACKEND (do
                        not use this unless you know exactly what you are
                        doing) (accepted for compatibility, ignored)
  --backend-terminalsession <TERMINALSESSION_BACKEND>
                        force usage of a certain TERMINALSESSION_BACKEND (do
                        not use this unless you know exactly what you are
                        doing) (accepted for compatibility, ignored)
  --backend-serversessioninfo <SERVERSESSIONINFO_BACKEND>
                        force usage of a certain SERVERSESSIONINFO_BACKEND (do
                        not use this unless you know exactly what you are
                        doing) (accepted for compatibility, ignored)
  --backend-serversessionlist <SERVERSESSIONLIST_BACKEND>
                        force usage of a certain SERVERSESSIONLIST_BACKEND (do
                        not use this unless you know exactly what you are
                        doing) (accepted for compatibility, ignored)
  --backend-proxy <PROXY_BACKEND>
                        force usage of a certain PROXY_BACKEND (do not use
                        this unless you know exactly what you are doing)
                        (accepted for compatibility, ignored)
  --backend-sessionprofiles <SESSIONPROFILES_BACKEND>
                        use given backend for accessing session profiles,
                        available backends on your system: FILE, GCONF
                        (default: FILE) (accepted for compatibility, ignored)
  --backend-clientsettings <CLIENTSETTINGS_BACKEND>
                        use given backend for accessing the client settings
                        configuration, available backends on your system:
                        FILE, GCONF (default: FILE) (accepted for
                        compatibility, ignored)
  --backend-clientprinting <CLIENTPRINTING_BACKEND>
                        use given backend for accessing the client printing
                        configuration, available backends on your system:
                        FILE, GCONF (default: FILE) (accepted for
                        compatibility, ignored)

compatibility options:
  --port PORT           compatibility option, synonymous to --remote-ssh-port
                        PORT
  --ssh-key SSH_KEY     compatibility option, synonymous to --ssh-privkey
                        SSH_KEY
  --use-sound {yes,no}  compatibility option, synonymous to --sound
                        {pulse|none}
  --client-ssh-port CLIENT_SSH_PORT
                        compatibility option for the x2goclient GUI; as this
                        client brings its own internal SFTP server, this
                        option will be ignored

Possible values for the --pack NX option are:
    
    'nopack', '8', '64', '256', '512', '4k', '32k', '64k', '256k', '2m', '16m'
    '256-rdp', '256-rdp-compressed', '32k-rdp', '32k-rdp-compressed', '64k-rdp'
    '64k-rdp-compressed', '16m-rdp', '16m-rdp-compressed'
    'rfb-hextile', 'rfb-tight', 'rfb-tight-compressed'
    '8-tight', '64-tight', '256-tight', '512-tight', '4k-tight', '32k-tight'
    '64k-tight', '256k-tight', '2m-tight', '16m-tight'
    '8-jpeg-%', '64-jpeg', '256-jpeg', '512-jpeg', '4k-jpeg', '32k-jpeg'
    '64k-jpeg', '256k-jpeg', '2m-jpeg', '16m-jpeg-%'
    '8-png-jpeg-%', '64-png-jpeg', '256-png-jpeg', '512-png-jpeg', '4k-png-jpeg'
    '32k-png-jpeg', '64k-png-jpeg', '256k-png-jpeg', '2m-png-jpeg', '16m-png-jpeg-%'
    '8-png-%', '64-png', '256-png', '512-png', '4k-png'
    '32k-png', '64k-png', '256k-png', '2m-png', '16m-png-%'
    '16m-rgb-%', '16m-rle-%'
`
