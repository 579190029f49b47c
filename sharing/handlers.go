package sharing

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// handlers serves one SFTP session: pkg/sftp's request server calls it
// for every request, with the client's path already made absolute and
// lexically clean. Every path is looked up in the share table (a path in
// no share is refused) and resolved beneath that share's root (jail_*.go).
type handlers struct {
	shares *shareTable
	wire   *wire
	log    *slog.Logger
}

// Check that handlers implements everything the request server can use.
var (
	_ sftp.FileReader           = (*handlers)(nil)
	_ sftp.OpenFileWriter       = (*handlers)(nil)
	_ sftp.PosixRenameFileCmder = (*handlers)(nil)
	_ sftp.StatVFSFileCmder     = (*handlers)(nil)
	_ sftp.LstatFileLister      = (*handlers)(nil)
	_ sftp.ReadlinkFileLister   = (*handlers)(nil)
	_ sftp.RealPathFileLister   = (*handlers)(nil)
)

// sftpHandlers returns h as the request server's handler set.
func (h *handlers) sftpHandlers() sftp.Handlers {
	return sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}
}

// lookup finds the share of the SFTP path p.
func (h *handlers) lookup(p string) (*share, string, error) {
	return h.shares.lookup(cleanRequestPath(p))
}

// Fileread opens a file for reading.
func (h *handlers) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	return h.open(r)
}

// Filewrite opens a file for writing.
func (h *handlers) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.open(r)
}

// OpenFile opens a file for reading and writing.
func (h *handlers) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.open(r)
}

// open opens the file of an OPEN request with the flags the client gave,
// as OpenSSH's sftp-server maps them. A new file gets the permissions from
// the request (setuid and setgid removed) or 0666, less the umask.
func (h *handlers) open(r *sftp.Request) (*handle, error) {
	po, ok := h.wire.pop(fxpOpen, r.Filepath)
	if !ok {
		return nil, status("open", r.Filepath, errors.New("request out of order"))
	}
	pf := r.Pflags()
	flags := os.O_RDONLY
	switch {
	case pf.Read && pf.Write:
		flags = os.O_RDWR
	case pf.Write:
		flags = os.O_WRONLY
	}
	if pf.Append {
		flags |= os.O_APPEND
	}
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	perm := uint32(0o666)
	if po.hasPerm {
		perm = po.perm & 0o777
	}
	sh, rel, err := h.lookup(r.Filepath)
	if err != nil {
		return nil, status("open", r.Filepath, err)
	}
	if sh.ReadOnly && (pf.Write || pf.Append || pf.Creat || pf.Trunc) {
		return nil, status("open", r.Filepath, errReadOnly)
	}
	var f *os.File
	err = sh.use(func(rt *root) (err error) {
		f, err = rt.openFile(rel, flags, perm, r.Filepath)
		return err
	})
	if err != nil {
		return nil, status("open", r.Filepath, err)
	}
	if !sh.track(f) {
		f.Close()
		return nil, status("open", r.Filepath, errNotShared)
	}
	hd := &handle{f: f, sh: sh, wire: h.wire, name: r.Filepath, id: po.id}
	h.wire.bind(hd)
	return hd, nil
}

// handle is an open file of the client. Reads and writes go straight to
// pread(2) and pwrite(2) on the file, which several of the request
// server's workers may do at once.
type handle struct {
	f     *os.File
	sh    *share
	wire  *wire
	name  string // the SFTP path, for messages
	close sync.Once

	// Guarded by wire.mu: the OPEN request's id, and the handle string
	// its HANDLE reply named ("" before the reply).
	id     uint32
	handle string
}

// ReadAt reads at off; at the end of the file it returns io.EOF, which
// the request server turns into SSH_FX_EOF.
func (hd *handle) ReadAt(p []byte, off int64) (int, error) {
	n, err := hd.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = status("read", hd.name, err)
	}
	return n, err
}

// WriteAt writes at off (files opened for appending append, whatever off
// says, as with OpenSSH).
func (hd *handle) WriteAt(p []byte, off int64) (int, error) {
	n, err := hd.f.WriteAt(p, off)
	if err != nil {
		err = status("write", hd.name, err)
	}
	return n, err
}

// sync flushes the file to stable storage (fsync@openssh.com).
func (hd *handle) sync() error { return hd.f.Sync() }

// Close closes the file once.
func (hd *handle) Close() error {
	var err error
	hd.close.Do(func() {
		hd.wire.unbind(hd)
		hd.sh.untrack(hd.f)
		err = hd.f.Close()
		if errors.Is(err, os.ErrClosed) {
			err = nil // closed when its share was removed
		}
	})
	return status("close", hd.name, err)
}

// Filecmd runs the requests that change the file system.
func (h *handlers) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return status("setstat", r.Filepath, h.setstat(r))
	case "Rename":
		return status("rename", r.Filepath, h.rename(r, true))
	case "Rmdir":
		return status("rmdir", r.Filepath, h.change(r.Filepath, func(rt *root, rel string) error {
			return rt.remove(rel, true)
		}))
	case "Remove":
		return status("remove", r.Filepath, h.change(r.Filepath, func(rt *root, rel string) error {
			return rt.remove(rel, false)
		}))
	case "Mkdir":
		pm, ok := h.wire.pop(fxpMkdir, r.Filepath)
		if !ok {
			return status("mkdir", r.Filepath, errors.New("request out of order"))
		}
		perm := uint32(0o777)
		if pm.hasPerm {
			perm = pm.perm & 0o1777
		}
		return status("mkdir", r.Filepath, h.change(r.Filepath, func(rt *root, rel string) error {
			return rt.mkdir(rel, perm)
		}))
	case "Symlink":
		// pkg/sftp: Filepath is the target text, Target the new link.
		return status("symlink", r.Target, h.symlink(r.Filepath, r.Target))
	case "Link":
		// A hard link would give a file a second name; one inside the
		// share for a file outside would carry it into the share.
		return status("link", r.Target, errRefused)
	}
	return status(strings.ToLower(r.Method), r.Filepath, syscall.ENOSYS)
}

// PosixRename renames, replacing an existing target
// (posix-rename@openssh.com, what sshfs uses).
func (h *handlers) PosixRename(r *sftp.Request) error {
	return status("rename", r.Filepath, h.rename(r, false))
}

// StatVFS answers statvfs@openssh.com (df on the mount).
func (h *handlers) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	sh, rel, err := h.lookup(r.Filepath)
	if err != nil {
		return nil, status("statvfs", r.Filepath, err)
	}
	var st *sftp.StatVFS
	err = sh.use(func(rt *root) (err error) {
		st, err = rt.statvfs(rel, sh.ReadOnly)
		return err
	})
	if err != nil {
		return nil, status("statvfs", r.Filepath, err)
	}
	return st, nil
}

// change runs fn for the writable share of p.
func (h *handlers) change(p string, fn func(rt *root, rel string) error) error {
	sh, rel, err := h.lookup(p)
	if err != nil {
		return err
	}
	if sh.ReadOnly {
		return errReadOnly
	}
	return sh.use(func(rt *root) error { return fn(rt, rel) })
}

// setstat applies SETSTAT and FSETSTAT (the request server turns the
// latter into a SETSTAT of the handle's path). Ownership changes are
// refused unless they change nothing; setuid and setgid bits are
// dropped, so a server can never plant a set-id program in a shared
// folder.
func (h *handlers) setstat(r *sftp.Request) error {
	flags := r.AttrFlags()
	attrs := r.Attributes()
	if attrs == nil {
		return syscall.EINVAL
	}
	return h.change(r.Filepath, func(rt *root, rel string) error {
		if flags.UidGid {
			uid, gid, err := rt.owner(rel)
			if err != nil {
				return err
			}
			if uid != attrs.UID || gid != attrs.GID {
				return errRefused
			}
		}
		var a setAttrs
		if flags.Size {
			a.size = &attrs.Size
		}
		if flags.Permissions {
			perm := attrs.Mode & 0o1777
			a.perm = &perm
		}
		if flags.Acmodtime {
			at, mt := attrs.AccessTime(), attrs.ModTime()
			a.atime, a.mtime = &at, &mt
		}
		return rt.setstat(rel, a)
	})
}

// rename moves r.Filepath to r.Target; both must be in writable shares.
func (h *handlers) rename(r *sftp.Request, noReplace bool) error {
	src, srel, err := h.lookup(r.Filepath)
	if err != nil {
		return err
	}
	dst, drel, err := h.lookup(r.Target)
	if err != nil {
		return err
	}
	if src.ReadOnly || dst.ReadOnly {
		return errReadOnly
	}
	if src == dst {
		return src.use(func(rt *root) error { return renameJail(rt, srel, rt, drel, noReplace) })
	}
	// Two shares (on one file system): take their locks in a fixed order.
	first, second := src, dst
	if second.Remote < first.Remote {
		first, second = second, first
	}
	return first.use(func(*root) error {
		return second.use(func(*root) error {
			return renameJail(src.root, srel, dst.root, drel, noReplace)
		})
	})
}

// symlink creates link (an SFTP path) pointing to target. The target must
// stay in link's share: a relative target may not climb above the share
// root, and an absolute one must name a path in the same share; it is
// stored relative, so that the link works for local programs, through
// this server and on the sshfs mount alike. (Following symlinks is
// jailed anyway; this only keeps clients from making links that lead
// out.)
func (h *handlers) symlink(target, link string) error {
	sh, rel, err := h.lookup(link)
	if err != nil {
		return err
	}
	if sh.ReadOnly {
		return errReadOnly
	}
	if rel == "" {
		return syscall.EEXIST
	}
	dir := path.Dir("/" + rel)
	if path.IsAbs(target) {
		tsh, trel, err := h.lookup(target)
		if err != nil || tsh != sh {
			return errEscape
		}
		target = relativePath(dir, "/"+trel)
	} else if !staysInside(dir, target) {
		return errEscape
	}
	return sh.use(func(rt *root) error { return rt.symlink(target, rel) })
}

// staysInside reports whether the relative path target, taken from the
// directory dir (absolute, relative to a share root), stays below the
// root when read element by element.
func staysInside(dir, target string) bool {
	depth := len(splitRel(dir))
	for _, e := range strings.Split(target, "/") {
		switch e {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return false
			}
		default:
			depth++
		}
	}
	return true
}

// relativePath returns the relative path from the directory from to to,
// both absolute and clean.
func relativePath(from, to string) string {
	f := splitRel(from)
	t := splitRel(to)
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// Filelist answers OPENDIR (method List) and STAT.
func (h *handlers) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		l, err := h.opendir(r.Filepath)
		if err != nil {
			h.wire.bindDir(r.Filepath, nil)
			return nil, err
		}
		h.wire.bindDir(r.Filepath, l)
		return l, nil
	case "Stat":
		return h.statPath(r.Filepath, true)
	}
	return nil, status(strings.ToLower(r.Method), r.Filepath, syscall.ENOSYS)
}

// opendir opens the directory p for listing.
func (h *handlers) opendir(p string) (*dirLister, error) {
	sh, rel, err := h.lookup(p)
	if err != nil {
		return nil, status("opendir", p, err)
	}
	var d *os.File
	err = sh.use(func(rt *root) (err error) {
		d, err = rt.openDir(rel, p)
		return err
	})
	if err != nil {
		return nil, status("opendir", p, err)
	}
	if !sh.track(d) {
		d.Close()
		return nil, status("opendir", p, errNotShared)
	}
	return &dirLister{d: d, sh: sh, name: p}, nil
}

// Lstat answers LSTAT.
func (h *handlers) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return h.statPath(r.Filepath, false)
}

// statPath answers STAT (follow) and LSTAT of the SFTP path p. A path in
// no share that is "/" or a directory above share roots gets made-up
// attributes: those directories are not served but must answer STAT, as
// sshfs's idmap=user (which x2gomountdirs uses) learns the client user's
// uid and gid from STAT "." (= "/") and maps files of that owner to the
// server user; without it, default_permissions would deny the server user
// writes to its own files whenever the uids differ. The attributes carry
// nothing but the serving process's uid and gid: an empty read-only
// directory from 1970. A share nested below a shared path is served as
// the share it is.
func (h *handlers) statPath(p string, follow bool) (sftp.ListerAt, error) {
	c := cleanRequestPath(p)
	sh, rel, err := h.shares.lookup(c)
	if errors.Is(err, errNotShared) && h.shares.isAncestor(c) {
		return listerAt{virtualDir{name: path.Base(c), uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}}, nil
	}
	if err != nil {
		op := "lstat"
		if follow {
			op = "stat"
		}
		return nil, status(op, p, err)
	}
	var fi os.FileInfo
	err = sh.use(func(rt *root) error {
		st, err := rt.stat(rel, follow)
		if err == nil {
			fi = st
		}
		return err
	})
	if err != nil {
		return nil, status("stat", p, err)
	}
	return listerAt{fi}, nil
}

// virtualDir is the FileInfo of a namespace directory (see statPath).
type virtualDir struct {
	name     string
	uid, gid uint32
}

func (v virtualDir) Name() string       { return v.name }
func (v virtualDir) Size() int64        { return 0 }
func (v virtualDir) Mode() os.FileMode  { return os.ModeDir | 0o555 }
func (v virtualDir) ModTime() time.Time { return time.Unix(0, 0) }
func (v virtualDir) IsDir() bool        { return true }
func (v virtualDir) Sys() any           { return nil }
func (v virtualDir) Uid() uint32        { return v.uid }
func (v virtualDir) Gid() uint32        { return v.gid }

// Readlink answers READLINK with the link's text. An absolute target
// inside the share's local folder is given in the share's SFTP path.
func (h *handlers) Readlink(p string) (string, error) {
	sh, rel, err := h.lookup(p)
	if err != nil {
		return "", status("readlink", p, err)
	}
	var target string
	err = sh.use(func(rt *root) (err error) {
		target, err = rt.readlink(rel)
		return err
	})
	if err != nil {
		return "", status("readlink", p, err)
	}
	if path.IsAbs(target) {
		local := path.Clean(sh.Local)
		t := path.Clean(target)
		if t == local {
			return sh.Remote, nil
		}
		if rest, ok := strings.CutPrefix(t, local+"/"); ok && local != "/" {
			return path.Join(sh.Remote, rest), nil
		}
	}
	return target, nil
}

// RealPath answers REALPATH: the cleaned absolute path, without looking
// at the file system (so it tells nothing about paths outside the
// shares).
func (h *handlers) RealPath(p string) (string, error) {
	return cleanRequestPath(p), nil
}

// listerAt serves a fixed list of entries (STAT results).
type listerAt []os.FileInfo

func (l listerAt) ListAt(ls []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[off:])
	if int(off)+n >= len(l) {
		return n, io.EOF
	}
	return n, nil
}
