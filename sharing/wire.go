package sharing

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"path"
	"sync"
)

// wire sits between the SSH channel and pkg/sftp's RequestServer and
// fills three gaps of the request server, all at the packet level:
//
//   - The request server drops the attribute flags of OPEN and all
//     attributes of MKDIR before the handlers see them, so a file or
//     directory could not be created with the mode the client asked for
//     (sshfs sends it; `mkdir -m 700` on the mount must give 0700). The
//     wire reads the permissions from those packets and hands them to the
//     handler in arrival order: the request server runs everything except
//     READ and WRITE through one worker, strictly in order, so the n-th
//     OPEN the handler sees is the n-th OPEN that passed here.
//   - It has no fsync@openssh.com. The wire answers fsync itself: it
//     learns which open file a handle string stands for from the HANDLE
//     reply to the OPEN, waits until every earlier request has been
//     answered (sshfs and OpenSSH's sftp expect fsync to cover the writes
//     before it), calls fsync(2) and sends the STATUS.
//   - Its VERSION reply offers hardlink@openssh.com, which this server
//     always refuses; the wire rewrites the list (drops hardlink, adds
//     fsync) without touching pkg/sftp's process-wide extension setting.
//   - Its READDIR answers carry at most 100 entries and cost several
//     allocations and an fmt.Sprintf per entry: most of the server's
//     time when sshfs lists a large directory. The wire learns which
//     directory lister a handle string stands for (as for fsync) and
//     answers READDIR on it itself, with as many entries as fit in
//     maxNameReply bytes, encoded straight into the reply.
//
// It also buffers both directions: requests are read from the channel in
// large chunks, and replies are gathered and written by one goroutine, so
// that several replies share SSH packets when the client keeps many
// requests in flight (as sshfs does), the way sshd batches sftp-server's
// output.
type wire struct {
	ch  io.ReadWriteCloser
	in  *bufio.Reader
	log *slog.Logger

	// Reader state; only pkg/sftp's receive loop calls Read.
	pkt []byte // current request, as handed out to pkg/sftp
	off int    // how much of pkt has been handed out
	buf []byte // reused storage for pkt

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int       // requests passed on and not yet answered
	opens    []pending // OPENs passed on whose handler has not run yet
	mkdirs   []pending // likewise MKDIRs
	opendirs []pending // and OPENDIRs
	byID     map[uint32]*handle
	byHandle map[string]*handle
	dirByID  map[uint32]*dirLister
	dirs     map[string]*dirLister // by handle string

	out     []byte // replies: out[:done] complete packets, then a partial one
	spare   []byte
	done    int
	closing bool  // no more replies; the flusher exits when out is drained
	werr    error // the channel failed
	flushed chan struct{}
}

// pending is what the wire saw of an OPEN, MKDIR or OPENDIR request.
type pending struct {
	id      uint32
	path    string // cleaned as pkg/sftp cleans it
	perm    uint32 // the permissions of the attributes (OPEN, MKDIR), if hasPerm
	hasPerm bool
}

// SFTP packet types and flags the wire looks at (draft-ietf-secsh-filexfer-02).
const (
	fxpInit     = 1
	fxpVersion  = 2
	fxpOpen     = 3
	fxpClose    = 4
	fxpOpendir  = 11
	fxpReaddir  = 12
	fxpMkdir    = 14
	fxpStatus   = 101
	fxpHandle   = 102
	fxpName     = 104
	fxpExtended = 200

	fxfRead   = 0x01
	fxfWrite  = 0x02
	fxfAppend = 0x04
	fxfCreat  = 0x08
	fxfTrunc  = 0x10

	attrSize   = 0x01
	attrUIDGID = 0x02
	attrPerm   = 0x04
	attrTimes  = 0x08

	fxOK      = 0
	fxEOF     = 1
	fxFailure = 4

	// maxPacket is the largest request accepted, as in pkg/sftp.
	maxPacket = 256 * 1024
	// maxOut is how many reply bytes may wait for the channel before
	// pkg/sftp's sender is made to wait.
	maxOut = 1 << 20
	// readBuffer is the size of the request read buffer.
	readBuffer = 256 * 1024
	// maxNameReply is about the largest NAME reply the wire makes for a
	// READDIR: every client takes 32 KiB (sshfs up to 128 KiB).
	maxNameReply = 32 * 1024
)

// errWireClosed is returned by Write after the wire was closed.
var errWireClosed = errors.New("sftp channel closed")

func newWire(ch io.ReadWriteCloser, log *slog.Logger) *wire {
	w := &wire{
		ch:       ch,
		in:       bufio.NewReaderSize(ch, readBuffer),
		log:      log,
		byID:     make(map[uint32]*handle),
		byHandle: make(map[string]*handle),
		dirByID:  make(map[uint32]*dirLister),
		dirs:     make(map[string]*dirLister),
		flushed:  make(chan struct{}),
	}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// Read hands the next request to pkg/sftp (in whatever pieces it asks for).
func (w *wire) Read(p []byte) (int, error) {
	for w.off >= len(w.pkt) {
		if err := w.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, w.pkt[w.off:])
	w.off += n
	return n, nil
}

// next reads requests from the channel until there is one to pass on.
func (w *wire) next() error {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(w.in, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxPacket {
			return errors.New("sftp: bad request length")
		}
		if cap(w.buf) < int(n)+4 {
			w.buf = make([]byte, int(n)+4)
		}
		pkt := w.buf[:int(n)+4]
		copy(pkt, hdr[:])
		if _, err := io.ReadFull(w.in, pkt[4:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		body := pkt[4:]
		switch body[0] {
		case fxpOpen, fxpMkdir, fxpOpendir:
			w.note(body[0], body[1:])
		case fxpReaddir:
			if w.readdir(body[1:]) {
				continue // answered here
			}
		case fxpClose:
			if _, rest, ok := getUint32(body[1:]); ok {
				if h, _, ok := getString(rest); ok {
					w.mu.Lock()
					delete(w.byHandle, string(h))
					delete(w.dirs, string(h))
					w.mu.Unlock()
				}
			}
		case fxpExtended:
			if w.extended(body[1:]) {
				continue // answered here
			}
		}
		w.mu.Lock()
		w.inflight++
		w.mu.Unlock()
		w.pkt, w.off = pkt, 0
		return nil
	}
}

// cleanRequestPath cleans an SFTP path as pkg/sftp does for requests
// (start directory "/").
func cleanRequestPath(p string) string {
	c := path.Clean(p)
	if !path.IsAbs(c) {
		c = path.Join("/", c)
	}
	return c
}

// queue returns the queue of pending requests of the packet type typ
// (OPEN, MKDIR or OPENDIR) and the type's name for messages.
func (w *wire) queue(typ byte) (*[]pending, string) {
	switch typ {
	case fxpOpen:
		return &w.opens, "OPEN"
	case fxpMkdir:
		return &w.mkdirs, "MKDIR"
	}
	return &w.opendirs, "OPENDIR"
}

// note records the id, path and (OPEN, MKDIR) permissions of a request
// of type typ whose body after the type byte is b, for its handler. An
// OPEN is recorded only if pkg/sftp passes it to a handler, which it does
// for every OPEN with any of the read, write, append, create or truncate
// flags; it passes every MKDIR and OPENDIR.
func (w *wire) note(typ byte, b []byte) {
	id, b, ok := getUint32(b)
	if !ok {
		return
	}
	name, b, ok := getString(b)
	if !ok {
		return
	}
	pd := pending{id: id, path: cleanRequestPath(string(name))}
	switch typ {
	case fxpOpen:
		pflags, attrs, ok := getUint32(b)
		if !ok || pflags&(fxfRead|fxfWrite|fxfAppend|fxfCreat|fxfTrunc) == 0 {
			return
		}
		pd.perm, pd.hasPerm = attrPerms(attrs)
	case fxpMkdir:
		pd.perm, pd.hasPerm = attrPerms(b)
	}
	q, _ := w.queue(typ)
	w.mu.Lock()
	*q = append(*q, pd)
	w.mu.Unlock()
}

// attrPerms extracts the permissions from an ATTRS structure.
func attrPerms(b []byte) (uint32, bool) {
	flags, b, ok := getUint32(b)
	if !ok || flags&attrPerm == 0 {
		return 0, false
	}
	skip := 0
	if flags&attrSize != 0 {
		skip += 8
	}
	if flags&attrUIDGID != 0 {
		skip += 8
	}
	if len(b) < skip+4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[skip:]), true
}

// pop returns what the wire saw of the request of type typ (OPEN, MKDIR
// or OPENDIR) that a handler is running for with the path p. ok is false
// if the two disagree, which would be a bug in the ordering assumption;
// the handler then refuses the request.
func (w *wire) pop(typ byte, p string) (pending, bool) {
	q, what := w.queue(typ)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(*q) == 0 {
		w.log.Error("sftp: "+what+" handler ran for a request the wire did not see", "handler", p)
		return pending{}, false
	}
	pd := (*q)[0]
	*q = (*q)[1:]
	if pd.path != p {
		w.log.Error("sftp: "+what+" seen on the wire does not match the handler's request", "wire", pd.path, "handler", p)
		return pending{}, false
	}
	return pd, true
}

// bindDir is called by the OPENDIR handler running for p, with its
// directory lister or nil if it failed. The wire remembers the lister
// until the HANDLE reply names its handle. If what the wire saw disagrees
// with the handler's request (a bug), READDIR on the handle is left to
// pkg/sftp.
func (w *wire) bindDir(p string, l *dirLister) {
	pd, ok := w.pop(fxpOpendir, p)
	if ok && l != nil {
		w.mu.Lock()
		w.dirByID[pd.id] = l
		w.mu.Unlock()
	}
}

// bind remembers the open file of the OPEN request h.id until its HANDLE
// reply names the handle.
func (w *wire) bind(h *handle) {
	w.mu.Lock()
	w.byID[h.id] = h
	w.mu.Unlock()
}

// unbind forgets a file that is being closed. Usually there is nothing
// left to forget (the CLOSE took the handle string off on its way in,
// and the HANDLE reply the request id), but a client that sends CLOSE
// before the HANDLE reply has gone out can have the file closed before
// that reply, or have the reply bind the handle string after the CLOSE
// passed. The entries are checked before deletion: the client may reuse
// the request id for another OPEN.
func (w *wire) unbind(h *handle) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byID[h.id] == h {
		delete(w.byID, h.id)
	}
	if h.handle != "" && w.byHandle[h.handle] == h {
		delete(w.byHandle, h.handle)
	}
}

// readdir answers a READDIR on a directory handle the wire knows, after
// every earlier request has been answered (pkg/sftp's worker would also
// have run it after the earlier requests other than READ and WRITE). It
// reports whether it answered; READDIR on other handles goes on to
// pkg/sftp, which refuses it.
func (w *wire) readdir(b []byte) bool {
	id, b, ok := getUint32(b)
	if !ok {
		return false
	}
	name, _, ok := getString(b)
	if !ok {
		return false
	}
	w.mu.Lock()
	for w.inflight > 0 && !w.closing && w.werr == nil {
		w.cond.Wait()
	}
	l := w.dirs[string(name)]
	w.mu.Unlock()
	if l == nil {
		return false
	}
	w.reply(l.nameReply(id, maxNameReply))
	return true
}

// extended handles the extended requests the wire answers itself and
// reports whether it did.
func (w *wire) extended(b []byte) bool {
	id, b, ok := getUint32(b)
	if !ok {
		return false
	}
	name, b, ok := getString(b)
	if !ok || string(name) != "fsync@openssh.com" {
		return false
	}
	handleName, _, ok := getString(b)
	if !ok {
		w.reply(statusPacket(id, fxFailure, "bad fsync request"))
		return true
	}
	w.mu.Lock()
	for w.inflight > 0 && !w.closing && w.werr == nil {
		w.cond.Wait()
	}
	h := w.byHandle[string(handleName)]
	w.mu.Unlock()
	if h == nil {
		w.reply(statusPacket(id, fxFailure, "fsync: not an open file handle"))
		return true
	}
	if err := h.sync(); err != nil {
		code, msg := statusCode(status("fsync", h.name, err))
		w.reply(statusPacket(id, code, msg))
		return true
	}
	w.reply(statusPacket(id, fxOK, ""))
	return true
}

// statusPacket builds an SSH_FXP_STATUS reply.
func statusPacket(id, code uint32, msg string) []byte {
	b := make([]byte, 0, 4+1+4+4+4+len(msg)+4)
	b = binary.BigEndian.AppendUint32(b, 0) // length, set below
	b = append(b, fxpStatus)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint32(b, code)
	b = appendString(b, msg)
	b = appendString(b, "en")
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// reply queues a complete packet of the wire's own ahead of any partial
// reply of pkg/sftp.
func (w *wire) reply(pkt []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing || w.werr != nil {
		return
	}
	tail := append([]byte(nil), w.out[w.done:]...)
	w.out = append(append(w.out[:w.done], pkt...), tail...)
	w.done += len(pkt)
	w.cond.Broadcast()
}

// Write takes pkg/sftp's replies (a packet may come in several writes).
func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.done >= maxOut && !w.closing && w.werr == nil {
		w.cond.Wait()
	}
	if w.werr != nil {
		return 0, w.werr
	}
	if w.closing {
		return 0, errWireClosed
	}
	w.out = append(w.out, p...)
	for len(w.out)-w.done >= 4 {
		n := int(binary.BigEndian.Uint32(w.out[w.done:]))
		if len(w.out)-w.done < 4+n {
			break
		}
		w.replyDone(n)
	}
	if w.done > 0 {
		w.cond.Broadcast()
	}
	return len(p), nil
}

// replyDone looks at the complete reply of length n at out[done:] and
// moves done past it. Called with mu held.
func (w *wire) replyDone(n int) {
	pkt := w.out[w.done : w.done+4+n]
	if w.inflight > 0 {
		w.inflight--
	}
	if n >= 1 {
		switch pkt[4] {
		case fxpVersion:
			if v := rewriteVersion(pkt); v != nil {
				tail := append([]byte(nil), w.out[w.done+4+n:]...)
				w.out = append(append(w.out[:w.done], v...), tail...)
				n = len(v) - 4
			}
		case fxpHandle:
			if id, rest, ok := getUint32(pkt[5:]); ok {
				if name, _, ok := getString(rest); ok {
					if h := w.byID[id]; h != nil {
						delete(w.byID, id)
						h.handle = string(name)
						w.byHandle[h.handle] = h
					}
					if l := w.dirByID[id]; l != nil {
						delete(w.dirByID, id)
						w.dirs[string(name)] = l
					}
				}
			}
		case fxpStatus:
			if id, _, ok := getUint32(pkt[5:]); ok {
				delete(w.byID, id)
				delete(w.dirByID, id)
			}
		}
	}
	w.done += 4 + n
}

// rewriteVersion returns the VERSION packet pkt with hardlink@openssh.com
// removed from and fsync@openssh.com added to its extensions, or nil if
// pkt cannot be parsed.
func rewriteVersion(pkt []byte) []byte {
	version, b, ok := getUint32(pkt[5:])
	if !ok {
		return nil
	}
	out := binary.BigEndian.AppendUint32(nil, 0)
	out = append(out, fxpVersion)
	out = binary.BigEndian.AppendUint32(out, version)
	for len(b) > 0 {
		var name, data []byte
		if name, b, ok = getString(b); !ok {
			return nil
		}
		if data, b, ok = getString(b); !ok {
			return nil
		}
		if string(name) == "hardlink@openssh.com" || string(name) == "fsync@openssh.com" {
			continue
		}
		out = appendString(out, string(name))
		out = appendString(out, string(data))
	}
	out = appendString(out, "fsync@openssh.com")
	out = appendString(out, "1")
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// flush writes gathered replies to the channel until the wire closes.
// It runs in its own goroutine, owned by the session that made the wire.
func (w *wire) flush() {
	defer close(w.flushed)
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for w.done == 0 && !w.closing && w.werr == nil {
			w.cond.Wait()
		}
		if w.werr != nil || w.done == 0 {
			return // failed, or closing with nothing left
		}
		batch := w.out[:w.done]
		w.out = append(w.spare[:0], w.out[w.done:]...)
		w.done = 0
		w.cond.Broadcast()
		w.mu.Unlock()
		_, err := w.ch.Write(batch)
		w.mu.Lock()
		w.spare = batch[:0]
		if err != nil {
			w.werr = err
			w.cond.Broadcast()
			return
		}
	}
}

// finish stops taking replies, waits until those already gathered are
// written (or the channel failed) and returns.
func (w *wire) finish() {
	w.mu.Lock()
	w.closing = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.flushed
}

// Close is called by pkg/sftp to stop serving (on errors) and by the
// session to abort: it closes the channel, which ends both directions.
func (w *wire) Close() error {
	w.mu.Lock()
	w.closing = true
	w.cond.Broadcast()
	w.mu.Unlock()
	return w.ch.Close()
}

// getUint32 reads a big-endian uint32.
func getUint32(b []byte) (uint32, []byte, bool) {
	if len(b) < 4 {
		return 0, b, false
	}
	return binary.BigEndian.Uint32(b), b[4:], true
}

// getString reads an SSH string (uint32 length, bytes).
func getString(b []byte) ([]byte, []byte, bool) {
	n, rest, ok := getUint32(b)
	if !ok || uint64(n) > uint64(len(rest)) {
		return nil, b, false
	}
	return rest[:n], rest[n:], true
}

// appendString appends an SSH string.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
