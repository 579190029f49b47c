package sharing

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// dirLister pages through an open directory: entries are read in
// batches, each lstat'ed relative to the directory's fd, and handed out
// either to pkg/sftp (ListAt) or, for the READDIR requests the wire
// answers itself, encoded into a NAME reply (nameReply).
type dirLister struct {
	d    *os.File
	sh   *share
	name string // the SFTP path, for messages

	mu   sync.Mutex
	next int64       // entries handed out so far
	buf  []*fileInfo // entries read and not handed out yet
	eof  bool        // the directory has nothing after buf
}

// readdirBatch is how many names one read of the directory asks for.
const readdirBatch = 128

// fill reads the next batch into buf if buf is empty. It fails only if
// that read fails; an error after some entries is left for the next read
// to find again.
func (l *dirLister) fill() error {
	if len(l.buf) > 0 || l.eof {
		return nil
	}
	infos, err := readDirPlus(l.d, readdirBatch)
	l.buf = infos
	switch {
	case err == io.EOF:
		l.eof = true
	case err != nil && len(infos) == 0:
		return err
	}
	return nil
}

// ListAt hands the next entries to pkg/sftp. Entries are handed out in
// order once, so off must be where the last call ended.
func (l *dirLister) ListAt(ls []os.FileInfo, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if off != l.next {
		return 0, status("readdir", l.name, syscall.EINVAL)
	}
	n := 0
	err := l.sh.use(func(*root) error {
		for n < len(ls) && !(l.eof && len(l.buf) == 0) {
			if err := l.fill(); err != nil {
				if n > 0 {
					return nil
				}
				return err
			}
			for len(l.buf) > 0 && n < len(ls) {
				ls[n] = l.buf[0]
				l.buf = l.buf[1:]
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, status("readdir", l.name, err)
	}
	l.next += int64(n)
	if l.eof && len(l.buf) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// nameReply answers READDIR request id with the next entries, as many
// as fit in limit bytes (at least one), or with SSH_FX_EOF at the
// end of the directory, or with the error status of a failed read.
// Entries read ahead are not given out once the share is removed.
func (l *dirLister) nameReply(id uint32, limit int) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pkt []byte
	err := l.sh.use(func(*root) (err error) {
		pkt, err = l.names(id, limit)
		return err
	})
	if err != nil {
		code, msg := statusCode(status("readdir", l.name, err))
		return statusPacket(id, code, msg)
	}
	return pkt
}

// names builds nameReply's answer; it fails only if no entry could be
// read.
func (l *dirLister) names(id uint32, limit int) ([]byte, error) {
	now := time.Now()
	pkt := make([]byte, 13, 16*1024) // length, type, id, count: set below
	count := 0
	for !(l.eof && len(l.buf) == 0) {
		if err := l.fill(); err != nil {
			if count > 0 {
				break
			}
			return nil, err
		}
		if len(l.buf) == 0 {
			continue // every name of the batch vanished before its lstat
		}
		mark := len(pkt)
		pkt = appendNameEntry(pkt, l.buf[0], now)
		if count > 0 && len(pkt) > limit {
			pkt = pkt[:mark]
			break
		}
		l.buf = l.buf[1:]
		count++
	}
	if count == 0 {
		return statusPacket(id, fxEOF, "end of directory"), nil
	}
	l.next += int64(count)
	binary.BigEndian.PutUint32(pkt, uint32(len(pkt)-4))
	pkt[4] = fxpName
	binary.BigEndian.PutUint32(pkt[5:], id)
	binary.BigEndian.PutUint32(pkt[9:], uint32(count))
	return pkt, nil
}

// Close closes the directory.
func (l *dirLister) Close() error {
	l.sh.untrack(l.d)
	if err := l.d.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return status("closedir", l.name, err)
	}
	return nil
}

// appendNameEntry appends one entry of an SSH_FXP_NAME reply: file name,
// ls -l style long name and attributes, the same attributes pkg/sftp
// gives in STAT replies (with the modification time as access time).
func appendNameEntry(b []byte, fi os.FileInfo, now time.Time) []byte {
	b = appendString(b, fi.Name())
	mark := len(b)
	b = append(b, 0, 0, 0, 0)
	b = appendLongName(b, fi, now)
	binary.BigEndian.PutUint32(b[mark:], uint32(len(b)-mark-4))

	var uid, gid uint32
	flags := uint32(attrSize | attrPerm | attrTimes)
	if o, ok := fi.(sftp.FileInfoUidGid); ok {
		flags |= attrUIDGID
		uid, gid = o.Uid(), o.Gid()
	}
	mtime := uint32(fi.ModTime().Unix())
	b = binary.BigEndian.AppendUint32(b, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(fi.Size()))
	if flags&attrUIDGID != 0 {
		b = binary.BigEndian.AppendUint32(b, uid)
		b = binary.BigEndian.AppendUint32(b, gid)
	}
	b = binary.BigEndian.AppendUint32(b, posixMode(fi.Mode()))
	b = binary.BigEndian.AppendUint32(b, mtime)
	return binary.BigEndian.AppendUint32(b, mtime)
}

// appendLongName appends what `ls -l` would print for fi, the way
// OpenSSH's sftp-server words it (owner and group as numbers):
//
//	-rw-r--r--    1 1000     1000         1234 Mar  4 15:06 name
//
// Times older than half a year, or in the future, show the year instead
// of the time of day.
func appendLongName(b []byte, fi os.FileInfo, now time.Time) []byte {
	b = appendModeString(b, fi.Mode())
	nlink := uint64(1)
	var uid, gid uint32
	if o, ok := fi.(sftp.FileInfoUidGid); ok {
		uid, gid = o.Uid(), o.Gid()
	}
	if n, ok := fi.(interface{ Nlink() uint64 }); ok {
		nlink = n.Nlink()
	}
	var num [20]byte
	b = append(b, ' ')
	b = appendPadded(b, strconv.AppendUint(num[:0], nlink, 10), 4, true)
	b = append(b, ' ')
	b = appendPadded(b, strconv.AppendUint(num[:0], uint64(uid), 10), 8, false)
	b = append(b, ' ')
	b = appendPadded(b, strconv.AppendUint(num[:0], uint64(gid), 10), 8, false)
	b = append(b, ' ')
	b = appendPadded(b, strconv.AppendInt(num[:0], fi.Size(), 10), 8, true)
	b = append(b, ' ')
	mtime := fi.ModTime()
	if age := now.Sub(mtime); age >= 0 && age < 365*24*time.Hour/2 {
		b = mtime.AppendFormat(b, "Jan _2 15:04")
	} else {
		b = mtime.AppendFormat(b, "Jan _2  2006")
	}
	b = append(b, ' ')
	return append(b, fi.Name()...)
}

// appendPadded appends s padded with spaces to width, on the left
// (right-aligned) or on the right.
func appendPadded(b, s []byte, width int, right bool) []byte {
	pad := width - len(s)
	if right {
		for ; pad > 0; pad-- {
			b = append(b, ' ')
		}
	}
	b = append(b, s...)
	for ; pad > 0; pad-- {
		b = append(b, ' ')
	}
	return b
}

// appendModeString appends the ten-character mode of ls -l.
func appendModeString(b []byte, m fs.FileMode) []byte {
	t := byte('-')
	switch {
	case m&fs.ModeDir != 0:
		t = 'd'
	case m&fs.ModeSymlink != 0:
		t = 'l'
	case m&fs.ModeNamedPipe != 0:
		t = 'p'
	case m&fs.ModeSocket != 0:
		t = 's'
	case m&fs.ModeCharDevice != 0:
		t = 'c'
	case m&fs.ModeDevice != 0:
		t = 'b'
	}
	b = append(b, t)
	special := [3]struct {
		set        bool
		on, noExec byte
	}{
		{m&fs.ModeSetuid != 0, 's', 'S'},
		{m&fs.ModeSetgid != 0, 's', 'S'},
		{m&fs.ModeSticky != 0, 't', 'T'},
	}
	for i := 0; i < 3; i++ {
		bits := m.Perm() >> (6 - 3*i)
		b = append(b, pick(bits&4 != 0, 'r'), pick(bits&2 != 0, 'w'))
		x := pick(bits&1 != 0, 'x')
		if sp := special[i]; sp.set {
			x = sp.noExec
			if bits&1 != 0 {
				x = sp.on
			}
		}
		b = append(b, x)
	}
	return b
}

// pick is c if set, else '-'.
func pick(set bool, c byte) byte {
	if set {
		return c
	}
	return '-'
}

// posixMode converts a FileMode to the st_mode bits SFTP attributes carry.
func posixMode(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	switch {
	case m&fs.ModeDir != 0:
		p |= 0o040000
	case m&fs.ModeSymlink != 0:
		p |= 0o120000
	case m&fs.ModeNamedPipe != 0:
		p |= 0o010000
	case m&fs.ModeSocket != 0:
		p |= 0o140000
	case m&fs.ModeCharDevice != 0:
		p |= 0o020000
	case m&fs.ModeDevice != 0:
		p |= 0o060000
	default:
		p |= 0o100000
	}
	return p
}
