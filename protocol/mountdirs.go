package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Folder sharing, the print spool and the MIME box (folder-sharing-
// printing-mimebox.md §3): the client offers a folder over SFTP through a
// reverse port forward, uploads a key bundle, and runs x2gomountdirs,
// which splits the bundle and runs sshfs on the server against
// 127.0.0.1:<port>. Everything here follows what /usr/bin/x2gomountdirs
// (x2goserver 4.1.0.3) actually does with its input.

// MountKind says what x2gomountdirs mounts a client folder as; it selects
// the server-side mount point.
type MountKind int

const (
	// MountFolder is a shared user folder, mounted at
	// <tmp>/.x2go-<user>/media/disk/<MountPointName(path)>.
	MountFolder MountKind = iota
	// MountPrintSpool is the client's print spool, mounted at
	// <tmp>/.x2go-<user>/spool/C-<session> (linked from <rc>/spool).
	MountPrintSpool
	// MountMIMEBox is the client's MIME box, mounted at
	// <tmp>/.x2go-<user>/mimebox/C-<session> (linked from <rc>/mimebox).
	MountMIMEBox
)

// Markers x2gomountdirs looks for in its directory argument.
const (
	reversePortMarker = "__REVERSESSH_PORT__"
	sshPortMarker     = "__SSH_PORT__"
	printSpoolMarker  = "__PRINT_SPOOL_"
	mimeBoxMarker     = "__MIMEBOX_SPOOL_"
)

// KeyBundleMarker separates the private key from the host key in the file
// x2gomountdirs reads. Despite its text it is only a separator: the
// script writes what precedes it to <key> (sshfs's IdentityFile) and what
// follows it, prefixed with "[127.0.0.1]:<port> ", to <key>.ident
// (sshfs's UserKnownHostsFile). Any key type OpenSSH accepts works.
const KeyBundleMarker = "----BEGIN RSA IDENTITY----"

// Errors x2gomountdirs reports, matched with errors.Is on the
// *ServerError that ParseMountDirs returns.
var (
	// ErrNoSSHFS: the server has no sshfs, so it cannot mount client
	// folders at all (x2gomountdirs says so on stdout and exits 0).
	ErrNoSSHFS = errors.New("x2go: the server has no sshfs")
	// ErrAlreadyMounted: the session database already has a row for the
	// mount point (an earlier mount of the same path that was never
	// unmounted, e.g. by a terminated session); nothing was mounted.
	ErrAlreadyMounted = errors.New("x2go: the folder's mount point is already in use on the server")
	// ErrMountFailed: sshfs could not mount the folder; its own messages
	// are in <rc>/sshfs-mounts.log on the server, not in the output.
	ErrMountFailed = errors.New("x2go: sshfs could not mount the folder")
)

// KeyFilePath is where python-x2go uploads the key bundle before each
// mount: <home>/.x2go/ssh/key.z<agent pid> (x2gostartagent creates the
// ssh directory). home is the absolute remote home directory.
func KeyFilePath(home string, agentPID int) (string, error) {
	if !path.IsAbs(home) || agentPID <= 0 {
		return "", invalid("key file location", home+" "+strconv.Itoa(agentPID),
			"an absolute home directory and a positive agent pid")
	}
	p := path.Join(home, ".x2go", "ssh", "key.z"+strconv.Itoa(agentPID))
	if !isKeyFileSafe(p) {
		return "", invalid("key file", p, "a path of [A-Za-z0-9_./-] only")
	}
	return p, nil
}

// SessionRCDir is the session's directory on the server,
// <home>/.x2go/C-<name> (the <rc> of x2goserver's scripts), below which
// the server mounts the spool directories and the sound cookie goes. A
// trailing slash of home is dropped.
func SessionRCDir(home, name string) string {
	return strings.TrimSuffix(home, "/") + "/.x2go/C-" + name
}

// isKeyFileSafe reports whether p can stand unquoted where x2gomountdirs
// puts it: inside sshfs's comma-separated -o list of a command line that
// /bin/sh parses, and after a redirection.
func isKeyFileSafe(p string) bool {
	return path.IsAbs(p) && onlyAlnumAnd(p, "_./-")
}

// KeyBundle returns the text x2gomountdirs expects in its key file: the
// client's private key (OpenSSH or PEM format, as `ssh -i` reads it),
// KeyBundleMarker, then the SFTP server's host key as an authorized_keys
// style line "<type> <base64>" (ssh.MarshalAuthorizedKey). The private
// key part gets a final newline if it lacks one, and the host key line
// exactly one, so that both files the script writes are well-formed.
func KeyBundle(privateKey []byte, hostKey string) ([]byte, error) {
	if !bytes.Contains(privateKey, []byte("-----BEGIN ")) || !bytes.Contains(privateKey, []byte("-----END ")) {
		return nil, invalid("private key", "(not shown)", "a PEM-armoured private key")
	}
	if bytes.Contains(privateKey, []byte(KeyBundleMarker)) {
		return nil, invalid("private key", "(not shown)", "free of the key bundle marker")
	}
	line := strings.TrimRight(hostKey, "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 || strings.ContainsAny(line, "\r\n") || strings.Contains(line, KeyBundleMarker) {
		return nil, invalid("host key", hostKey, `one line "<type> <base64>"`)
	}
	var b bytes.Buffer
	b.Write(privateKey)
	if !bytes.HasSuffix(privateKey, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString(KeyBundleMarker)
	b.WriteString(line)
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// maxMountablePath bounds the length of a MountablePath result:
// x2gomountdirs turns the whole path into one directory name, which must
// fit in NAME_MAX (255 bytes).
const maxMountablePath = 240

// MountablePath returns the path under which a client folder at the
// absolute path local should be offered to the server's sshfs, so that
// x2gomountdirs, the session database and x2goumount-session all handle
// it. For ordinary paths that is the cleaned local path itself (as
// python-x2go sends it, so server-side names stay the same); characters
// those scripts cannot carry are replaced with '_':
//
//   - ':' (x2gomountdirs splits its directory list on it),
//   - '"', '$', '`', '\' (the path is put in double quotes in a /bin/sh
//     command line),
//   - '~' (dropped from the mount point by x2gomountdirs but not by
//     x2goumount-session),
//   - '|', '*', '?', '+', '^', '(', ')', '[', ']', '{', '}' (x2goumount-
//     session uses the mount point as a Perl regular expression; an
//     unbalanced bracket makes it die),
//   - control characters and bytes that are not UTF-8;
//
// and the script's markers (__REVERSESSH_PORT__, __SSH_PORT__,
// __PRINT_SPOOL_, __MIMEBOX_SPOOL_) are broken up. Paths longer than 240
// bytes become /x2go-<hash>/<last element, shortened>. Blanks, quotes,
// other punctuation and non-ASCII letters are kept.
//
// The result is only a name: the client's SFTP server (package sharing)
// maps it to the real folder, whatever that folder is called. Two local
// paths can give the same result; the caller must keep them apart.
func MountablePath(local string) (string, error) {
	if !path.IsAbs(local) || strings.ContainsRune(local, 0) {
		return "", invalid("local path", local, "an absolute path")
	}
	p := path.Clean(local)
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteByte('_')
		case r < 0x20 || r == 0x7f:
			b.WriteByte('_')
		case r < utf8.RuneSelf && strings.ContainsRune(":\"$`\\~|*?+^()[]{}", r):
			b.WriteByte('_')
		default:
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	s := breakMarkers(b.String())
	if len(s) > maxMountablePath {
		sum := sha256.Sum256([]byte(local))
		base := path.Base(s)
		for len(base) > 100 || !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		s = "/x2go-" + hex.EncodeToString(sum[:6]) + "/" + base
	}
	return s, nil
}

// breakMarkers turns the leading "__" of every x2gomountdirs marker in s
// into "_-", until none is left.
func breakMarkers(s string) string {
	for {
		changed := false
		for _, m := range []string{reversePortMarker, sshPortMarker, printSpoolMarker, mimeBoxMarker} {
			if i := strings.Index(s, m); i >= 0 {
				s = s[:i] + "_-" + s[i+2:]
				changed = true
			}
		}
		if !changed {
			return s
		}
	}
}

// MountPointName is the name x2gomountdirs gives the server-side mount
// directory of a shared user folder (MountFolder), under
// <tmp>/.x2go-<user>/media/disk/: the path with '/' and ' ' turned into
// '_', "~_cygdrive_", "~_windrive_" and "~_uncpath_" removed once and every
// '~' dropped. x2golistmounts lists <tmp>/.x2go-<user>/media/disk/<name>.
func MountPointName(remotePath string) string {
	p := strings.ReplaceAll(remotePath, "/", "_")
	p = strings.ReplaceAll(p, " ", "_")
	for _, s := range []string{"~_cygdrive_", "~_windrive_", "~_uncpath_"} {
		p = strings.Replace(p, s, "", 1)
	}
	return strings.ReplaceAll(p, "~", "")
}

// MountPoint returns the server-side mount directory of a folder of kind
// kind, relative to <tmp>/.x2go-<server user> (tmp is /tmp in
// x2goserver 4.1): media/disk/<MountPointName>, spool/C-<session> or
// mimebox/C-<session>.
func MountPoint(kind MountKind, session, remotePath string) string {
	switch kind {
	case MountPrintSpool:
		return "spool/C-" + session
	case MountMIMEBox:
		return "mimebox/C-" + session
	default:
		return "media/disk/" + MountPointName(remotePath)
	}
}

// MountDirsParams are the inputs of MountDirsCmd.
type MountDirsParams struct {
	Session string    // the X2Go session name
	User    string    // the user name sshfs logs in with (the SFTP server's)
	KeyFile string    // absolute server path of the uploaded key bundle (KeyFilePath)
	Path    string    // the folder's path as the SFTP server offers it (MountablePath)
	Kind    MountKind // user folder, print spool or MIME box
	Port    int       // the session's sshfs port, reverse-forwarded to the client
	// Iconv, if set, is exported as X2GO_ICONV; x2gomountdirs passes it to
	// sshfs as "-o <Iconv>", e.g. "modules=iconv,from_code=UTF-8,to_code=ISO-8859-1".
	Iconv string
}

// MountDirsCmd builds the command that mounts one client folder
// (folder-sharing-printing-mimebox.md §3.2):
//
//	[export X2GO_ICONV=<iconv> && ]export HOSTNAME && x2gomountdirs dir <session> '<user>' <key file> <path>[<marker>]__REVERSESSH_PORT__<port>;  rm -f <key file> <key file>.ident
//
// byte-identical to python-x2go's for ordinary values. The directory
// argument is one quoted word, so x2gomountdirs sees blanks in it as they
// are (python-x2go sends the path unquoted: the shell splits it and the
// script joins the words with single blanks). p.Path must already be what
// MountablePath returns for some path; the user name must be a plain
// login name; the key file a plain absolute path (see KeyFilePath),
// because the script inserts both unquoted or in double quotes into a
// shell command line. The trailing rm removes the key files if the script
// stops before its own clean-up.
func MountDirsCmd(p MountDirsParams) (string, error) {
	if err := checkName(p.Session); err != nil {
		return "", err
	}
	if !ValidLoginName(p.User) {
		return "", invalid("sshfs user", p.User, "a login name of [A-Za-z0-9._-], not starting with '-'")
	}
	if !isKeyFileSafe(p.KeyFile) {
		return "", invalid("key file", p.KeyFile, "an absolute path of [A-Za-z0-9_./-] only")
	}
	if m, err := MountablePath(p.Path); err != nil || m != p.Path {
		return "", invalid("shared path", p.Path, "a path as MountablePath returns it")
	}
	if p.Port < 1 || p.Port > 65535 {
		return "", invalid("sshfs port", strconv.Itoa(p.Port), "a port number")
	}
	dir := p.Path
	switch p.Kind {
	case MountFolder:
	case MountPrintSpool:
		dir += printSpoolMarker
	case MountMIMEBox:
		dir += mimeBoxMarker
	default:
		return "", invalid("mount kind", strconv.Itoa(int(p.Kind)), "MountFolder, MountPrintSpool or MountMIMEBox")
	}
	dir += reversePortMarker + strconv.Itoa(p.Port)

	var b strings.Builder
	if p.Iconv != "" {
		if !isIconvOption(p.Iconv) {
			return "", invalid("X2GO_ICONV", p.Iconv, "an sshfs option list of [A-Za-z0-9=,_.-]")
		}
		b.WriteString("export X2GO_ICONV=" + Quote(p.Iconv) + " && ")
	}
	b.WriteString("export HOSTNAME && x2gomountdirs dir ")
	b.WriteString(Quote(p.Session) + " " + quoteAlways(p.User) + " " + Quote(p.KeyFile) + " " + Quote(dir))
	b.WriteString(";  rm -f " + Quote(p.KeyFile) + " " + Quote(p.KeyFile+".ident"))
	return b.String(), nil
}

// ValidLoginName reports whether s can be put in double quotes in a shell
// command and used as an SSH user name: [A-Za-z0-9._-]{1,64}, not starting
// with '-'. It is the name the server's sshfs logs in to the client with,
// so the client's SFTP server accepts only such names too.
func ValidLoginName(s string) bool {
	return s != "" && s[0] != '-' && len(s) <= 64 && onlyAlnumAnd(s, "._-")
}

// isIconvOption reports whether s is safe as x2gomountdirs' unquoted
// "-o <X2GO_ICONV>".
func isIconvOption(s string) bool {
	return s != "" && onlyAlnumAnd(s, "=,_.-")
}

// MountDirsResult is what x2gomountdirs reported on success.
type MountDirsResult struct {
	Dirs   string // the directory argument as the script received it (markers included)
	Port   int    // the sshfs port it used
	Host   string // the address sshfs connected to (127.0.0.1 for reverse forwards)
	User   string // the user name sshfs logged in with
	Mounts []MountedDir
}

// MountedDir is one directory x2gomountdirs mounted.
type MountedDir struct {
	Dir        string // the client path as sshfs asked the SFTP server for it
	MountPoint string // the server-side mount directory, as the script printed it
	// DesktopFile is the desktop icon file the script wrote for a user
	// folder when the server has file manager bindings ("fname: " line).
	DesktopFile string
}

// ParseMountDirs reads the output of x2gomountdirs (one call, any number
// of directories). stdout is, per the script:
//
//	dirs:<directory argument>
//	ssh port:<port>
//	Host:<address>
//	User:<user>
//	inserted, <the sshfs command line, before shell expansion>   (per directory)
//	mount <dir> ok                                              (per mounted directory)
//	fname: <desktop file>                                       (optional)
//
// and failures are stderr lines "mounting of <dir> failed" (sshfs failed,
// details only in the server's <rc>/sshfs-mounts.log) or "insertion of
// <dir> failed (already mounted?), not mounting". The script exits 0
// either way, so the text is all there is. A failure gives a
// *ServerError wrapping ErrMountFailed or ErrAlreadyMounted; a server
// without sshfs gives one wrapping ErrNoSSHFS; output of any other shape
// a *ParseError. The result holds what was mounted even when an error is
// returned for another directory.
func ParseMountDirs(stdout, stderr string) (MountDirsResult, error) {
	const what = "x2gomountdirs"
	var res MountDirsResult
	lines := splitLines(stdout)
	if len(lines) > 0 && strings.HasPrefix(lines[0], "the sshfs command is not installed") {
		return res, &ServerError{Command: what, Stderr: lines[0], Err: ErrNoSSHFS}
	}
	header := []struct {
		prefix string
		dst    *string
	}{{"dirs:", &res.Dirs}, {"ssh port:", nil}, {"Host:", &res.Host}, {"User:", &res.User}}
	if len(lines) < len(header) {
		return res, newParseError(what, len(lines), strings.Join(lines, "\n"), "fewer than %d header lines", len(header))
	}
	for i, h := range header {
		v, ok := strings.CutPrefix(lines[i], h.prefix)
		if !ok {
			return res, newParseError(what, i+1, lines[i], "want a %q line", h.prefix)
		}
		if h.dst != nil {
			*h.dst = v
			continue
		}
		port, ok := parsePort(v)
		if !ok {
			return res, newParseError(what, i+1, lines[i], "bad port")
		}
		res.Port = port
	}
	var mountPoint string
	for i, line := range lines[len(header):] {
		n := i + len(header) + 1
		switch {
		case strings.HasPrefix(line, "inserted, "):
			mountPoint = sshfsMountPoint(line, res.Port)
		case strings.HasPrefix(line, "mount ") && strings.HasSuffix(line, " ok"):
			dir := strings.TrimSuffix(strings.TrimPrefix(line, "mount "), " ok")
			res.Mounts = append(res.Mounts, MountedDir{Dir: dir, MountPoint: mountPoint})
			mountPoint = ""
		case strings.HasPrefix(line, "fname: "):
			if len(res.Mounts) == 0 {
				return res, newParseError(what, n, line, "desktop file before any mount")
			}
			res.Mounts[len(res.Mounts)-1].DesktopFile = strings.TrimPrefix(line, "fname: ")
		case isBlank(line):
		default:
			return res, newParseError(what, n, line, "unexpected line")
		}
	}
	for _, line := range splitLines(stderr) {
		switch {
		case strings.HasPrefix(line, "mounting of ") && strings.HasSuffix(line, " failed"):
			return res, &ServerError{Command: what, Stderr: stderr, Err: ErrMountFailed}
		case strings.HasPrefix(line, "insertion of ") && strings.HasSuffix(line, " failed (already mounted?), not mounting"):
			return res, &ServerError{Command: what, Stderr: stderr, Err: ErrAlreadyMounted}
		}
	}
	if len(res.Mounts) == 0 {
		// Neither success nor a known failure: the script died (e.g. a
		// session database error) and said why on stderr, if anywhere.
		return res, &ServerError{Command: what, Stderr: stderr, Err: ErrMountFailed}
	}
	return res, nil
}

// sshfsMountPoint picks the mount point out of the "inserted, " line,
// which ends with `... "<user>"@<host>:"<dir>" "<mount point>" -p <port>`.
// It returns "" when the line does not have that shape.
func sshfsMountPoint(line string, port int) string {
	rest, ok := strings.CutSuffix(line, `" -p `+strconv.Itoa(port))
	if !ok {
		return ""
	}
	i := strings.LastIndex(rest, `" "`)
	if i < 0 {
		return ""
	}
	return rest[i+3:]
}
