// Package spoolfs holds the file and process helpers shared by the print
// spool (package printing) and the MIME box (package mimebox): turning a
// server-supplied title into a safe file name, creating files under unique
// names without ever overwriting, moving files without replacing, locking a
// claimed file so a second process leaves it alone, splitting a command
// string into words, and running a command without a shell.
//
// Everything the server puts into a spool is untrusted: names and titles
// never reach a shell, never name a path outside the directory they are
// meant for, and files are only acted on when they are regular files.
package spoolfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes is the longest stem SanitizeName returns, in bytes. It leaves
// room for a " (NNN)" suffix and an extension within the 255-byte name limit
// of common file systems.
const MaxNameBytes = 120

// maxUnique bounds the numbered suffixes tried for a free name.
const maxUnique = 10000

// ErrNoFreeName is returned when every numbered variant of a name is taken.
var ErrNoFreeName = errors.New("spoolfs: no free file name")

// safePunct lists the punctuation SanitizeName keeps; every other symbol,
// control or separator character becomes an underscore.
const safePunct = "-_.,()[]+@#%=!~&"

// SanitizeName turns an untrusted title into a file name stem: letters and
// digits of any script, marks, blanks and a few harmless punctuation
// characters are kept; path separators, quotes, shell metacharacters and
// control characters (newline included) become "_"; runs of "_" and blanks
// collapse; leading dots, blanks and underscores and trailing dots and
// blanks are dropped (no hidden files, no "..", nothing Windows rejects);
// the result is cut at a character boundary to at most MaxNameBytes bytes.
// An empty result becomes fallback (itself sanitised; "file" if that is
// empty too).
func SanitizeName(title, fallback string) string {
	s := sanitize(title)
	if s == "" {
		s = sanitize(fallback)
	}
	if s == "" {
		s = "file"
	}
	return s
}

func sanitize(title string) string {
	var b strings.Builder
	last := rune(0)
	for _, r := range title {
		switch {
		case r == utf8.RuneError:
			r = '_'
		case r == ' ':
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r):
		case r < utf8.RuneSelf && strings.ContainsRune(safePunct, r):
		case unicode.IsSpace(r):
			r = ' '
		default:
			r = '_'
		}
		if (r == '_' || r == ' ') && last == r {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	s := strings.TrimLeft(b.String(), ". _")
	s = truncate(s, MaxNameBytes)
	return strings.TrimRight(s, ". ")
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SplitExt splits a file name into stem and extension (with its dot); a
// name without a dot, or whose only dot is the first character, has no
// extension.
func SplitExt(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

// candidate is the name tried for the n-th attempt: "stem.ext",
// "stem (1).ext", "stem (2).ext", ...
func candidate(stem, ext string, n int) string {
	if n == 0 {
		return stem + ext
	}
	return stem + " (" + strconv.Itoa(n) + ")" + ext
}

// CreateUnique creates a new file in dir named stem+ext, or "stem (n)ext"
// with the smallest free n, opened for writing with mode perm. It never
// opens an existing file (O_EXCL), so nothing is overwritten even when
// several processes save at the same time.
func CreateUnique(dir, stem, ext string, perm fs.FileMode) (*os.File, error) {
	for n := 0; n < maxUnique; n++ {
		p := filepath.Join(dir, candidate(stem, ext, n))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: %s%s in %s", ErrNoFreeName, stem, ext, dir)
}

// CopyUnique copies the file src to a new file in dir named after stem and
// ext as CreateUnique does, syncs it and returns its path. A partial copy is
// removed on failure.
func CopyUnique(src, dir, stem, ext string, perm fs.FileMode) (string, error) {
	in, err := OpenRegular(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := CreateUnique(dir, stem, ext, perm)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// MoveUnique moves src into dir under stem+ext or the first free numbered
// variant, never replacing an existing file, and returns the new path. On
// one file system the move is a hard link plus unlink (atomic, no
// replacement); across file systems, or where links are not supported, the
// file is copied and the source removed.
func MoveUnique(src, dir, stem, ext string, perm fs.FileMode) (string, error) {
	for n := 0; n < maxUnique; n++ {
		p := filepath.Join(dir, candidate(stem, ext, n))
		linked, err := linkMove(src, p)
		if linked {
			if err != nil {
				return "", err
			}
			return p, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// Different file system or no hard links: copy instead.
		dst, cerr := CopyUnique(src, dir, stem, ext, perm)
		if cerr != nil {
			return "", cerr
		}
		if err := os.Remove(src); err != nil {
			os.Remove(dst)
			return "", err
		}
		return dst, nil
	}
	return "", fmt.Errorf("%w: %s%s in %s", ErrNoFreeName, stem, ext, dir)
}

// linkMove moves src to dst by a hard link and the removal of src, taking
// the link back if src cannot be removed. linked is false when no link
// was made; err then is the link's error, matching fs.ErrExist if dst
// exists.
func linkMove(src, dst string) (linked bool, err error) {
	if err := os.Link(src, dst); err != nil {
		return false, err
	}
	if err := os.Remove(src); err != nil {
		os.Remove(dst)
		return true, err
	}
	return true, nil
}

// MoveNoReplace renames src to dst, failing with an error matching
// fs.ErrExist if dst exists. Both must be on the same file system.
func MoveNoReplace(src, dst string) error {
	linked, err := linkMove(src, dst)
	if linked || errors.Is(err, fs.ErrExist) {
		return err
	}
	// No hard links here: check, then rename (a small window remains).
	if _, serr := os.Lstat(dst); serr == nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: fs.ErrExist}
	}
	return os.Rename(src, dst)
}

// ErrNotRegular is returned by OpenRegular for symlinks, directories,
// devices and other non-regular files.
var ErrNotRegular = errors.New("spoolfs: not a regular file")

// OpenRegular opens path read-only without following a symlink in its last
// component and fails with ErrNotRegular unless it is a regular file. Files
// a server drops into a spool go through it, so a planted symlink can never
// make the client print or upload one of its own files.
func OpenRegular(path string) (*os.File, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	return f, nil
}

// StillNamed reports whether path still names the file open as f (it was
// neither removed nor replaced since f was opened).
func StillNamed(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// Hold locks f, just opened from path, for a claim (TryLock) and checks
// that path still names it, so that a file renamed or replaced meanwhile
// is left alone. When f is not held it is closed: held is false with a nil
// error when another process holds the file or it moved on, and with the
// lock's error when locking failed.
func Hold(f *os.File, path string) (held bool, err error) {
	ok, err := TryLock(f)
	if err != nil || !ok || !StillNamed(f, path) {
		f.Close()
		return false, err
	}
	return true, nil
}

// EnsureDir creates dir (and parents) with mode 0700 if it is missing and
// checks that it is a directory and not a symlink.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("spoolfs: %s is not a directory", dir)
	}
	return nil
}

// ExpandHome resolves "~" and "~/..." against the user's home directory and
// makes a relative path relative to it (as python-x2go does for its save
// folders). An absolute path is returned cleaned.
func ExpandHome(p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	switch {
	case p == "~":
		return home, nil
	case strings.HasPrefix(p, "~/"):
		p = p[2:]
	}
	return filepath.Join(home, p), nil
}

// maxExtBytes bounds the extension SanitizeExt keeps.
const maxExtBytes = 16

// SanitizeExt makes an untrusted extension (with or without its leading
// dot) safe for a file name: only letters, digits, marks, "-" and "_" are
// kept, at most 16 bytes. The result has a leading dot, or is "" if
// nothing is left.
func SanitizeExt(ext string) string {
	var b strings.Builder
	for _, r := range strings.TrimPrefix(ext, ".") {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	s := truncate(b.String(), maxExtBytes)
	if s == "" {
		return ""
	}
	return "." + s
}

// WorkDirs resolves a watcher's spool directory dir and its work directory
// work (empty: dir+".work") to absolute paths. The work directory must not
// lie inside the spool, which the server writes to; noun names the spool
// in that error ("spool", "MIME box"). Nothing is created yet: see
// MakeDirs.
func WorkDirs(dir, work, noun string) (absDir, absWork string, err error) {
	if absDir, err = filepath.Abs(dir); err != nil {
		return "", "", err
	}
	if work == "" {
		work = absDir + ".work"
	}
	if absWork, err = filepath.Abs(work); err != nil {
		return "", "", err
	}
	if absWork == absDir || strings.HasPrefix(absWork, absDir+string(filepath.Separator)) {
		return "", "", fmt.Errorf("WorkDir must not be inside the shared %s %s", noun, absDir)
	}
	return absDir, absWork, nil
}

// MakeDirs creates the spool directory dir and the work folders sub as
// EnsureDir does, and checks that files can be renamed from dir into the
// first of sub, as the watchers' claims do.
func MakeDirs(dir string, sub ...string) error {
	for _, d := range append([]string{dir}, sub...) {
		if err := EnsureDir(d); err != nil {
			return err
		}
	}
	if err := SameFileSystem(dir, sub[0]); err != nil {
		return fmt.Errorf("WorkDir must be on the file system of Dir: %v", err)
	}
	return nil
}

// SameFileSystem checks that a file can be renamed from dir into other,
// which the watchers' claims rely on.
func SameFileSystem(dir, other string) error {
	f, err := os.CreateTemp(dir, ".x2go-probe-*")
	if err != nil {
		return err
	}
	f.Close()
	dst := filepath.Join(other, filepath.Base(f.Name()))
	if err := os.Rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Remove(dst)
}
