//go:build linux

package sharing

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// rawSFTP speaks raw SFTP packets to a request server running behind a
// wire, over an in-memory pipe (the SSH layer is tested elsewhere).
type rawSFTP struct {
	t    *testing.T
	conn net.Conn
	srv  *Server
}

// startRaw runs the request server of a Server with share /s on one end
// of a pipe and returns the other end.
func startRaw(t *testing.T) (*rawSFTP, string) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := srv.AddShare("/s", dir); err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := newWire(a, srv.log)
		go w.flush()
		h := &handlers{shares: &srv.shares, wire: w, log: srv.log}
		sftp.NewRequestServer(w, h.sftpHandlers(), srv.rsOpts...).Serve()
		w.finish()
		a.Close()
	}()
	t.Cleanup(func() {
		b.Close()
		<-done
		srv.Close()
	})
	return &rawSFTP{t: t, conn: b, srv: srv}, dir
}

// send writes one packet of type typ with payload.
func (r *rawSFTP) send(typ byte, payload []byte) {
	r.t.Helper()
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)+1))
	b = append(b, typ)
	b = append(b, payload...)
	r.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// recv reads one packet.
func (r *rawSFTP) recv() (byte, []byte) {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	if _, err := io.ReadFull(r.conn, hdr[:]); err != nil {
		r.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(r.conn, b); err != nil {
		r.t.Fatal(err)
	}
	return b[0], b[1:]
}

// status reads a STATUS reply and returns its id and code.
func (r *rawSFTP) status() (uint32, uint32) {
	r.t.Helper()
	typ, b := r.recv()
	if typ != fxpStatus {
		r.t.Fatalf("got packet type %d, want STATUS", typ)
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func str(s string) []byte { return appendString(nil, s) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestWire checks what the wire adds to the request server.
func TestWire(t *testing.T) {
	r, dir := startRaw(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	// VERSION: fsync offered, hardlink not.
	r.send(fxpInit, u32(3))
	typ, b := r.recv()
	if typ != fxpVersion || binary.BigEndian.Uint32(b) != 3 {
		t.Fatalf("VERSION: %d %x", typ, b)
	}
	exts := map[string]string{}
	for rest := b[4:]; len(rest) > 0; {
		name, r1, ok1 := getString(rest)
		data, r2, ok2 := getString(r1)
		if !ok1 || !ok2 {
			t.Fatalf("bad extension list %q", b)
		}
		exts[string(name)] = string(data)
		rest = r2
	}
	t.Logf("extensions: %v", exts)
	if exts["fsync@openssh.com"] != "1" || exts["posix-rename@openssh.com"] != "1" || exts["statvfs@openssh.com"] != "2" {
		t.Errorf("extensions %v", exts)
	}
	if _, ok := exts["hardlink@openssh.com"]; ok {
		t.Error("hardlink@openssh.com offered")
	}

	// MKDIR and OPEN with permissions (setuid/setgid dropped).
	r.send(fxpMkdir, cat(u32(1), str("/s/d"), u32(attrPerm), u32(0o2750)))
	if id, code := r.status(); id != 1 || code != fxOK {
		t.Fatalf("mkdir: id %d code %d", id, code)
	}
	if st, _ := os.Stat(filepath.Join(dir, "d")); st == nil || st.Mode() != os.ModeDir|0o750 {
		t.Errorf("mkdir 2750 made %v", st)
	}
	// Attributes with size and uid/gid before the permissions.
	r.send(fxpOpen, cat(u32(2), str("/s/f"), u32(fxfWrite|fxfCreat|fxfTrunc),
		u32(attrSize|attrUIDGID|attrPerm), make([]byte, 8), u32(0), u32(0), u32(0o4640)))
	typ, b = r.recv()
	if typ != fxpHandle || binary.BigEndian.Uint32(b) != 2 {
		t.Fatalf("open: type %d %q", typ, b)
	}
	handle, _, _ := getString(b[4:])
	if st, _ := os.Stat(filepath.Join(dir, "f")); st == nil || st.Mode() != 0o640 {
		t.Errorf("open 4640 made %v", st)
	}
	// WRITE, then fsync answered by the wire after it.
	r.send(6, cat(u32(3), str(string(handle)), make([]byte, 8), str("data")))
	r.send(fxpExtended, cat(u32(4), str("fsync@openssh.com"), str(string(handle))))
	if id, code := r.status(); id != 3 || code != fxOK {
		t.Errorf("write: id %d code %d", id, code)
	}
	if id, code := r.status(); id != 4 || code != fxOK {
		t.Errorf("fsync: id %d code %d", id, code)
	}
	// fsync of a handle that is not an open file, and a short one.
	r.send(fxpExtended, cat(u32(5), str("fsync@openssh.com"), str("nonsense")))
	if id, code := r.status(); id != 5 || code != fxFailure {
		t.Errorf("fsync of a bad handle: id %d code %d", id, code)
	}
	r.send(fxpExtended, cat(u32(6), str("fsync@openssh.com")))
	if id, code := r.status(); id != 6 || code != fxFailure {
		t.Errorf("fsync without handle: id %d code %d", id, code)
	}
	// CLOSE, then fsync of the closed handle fails.
	r.send(fxpClose, cat(u32(7), str(string(handle))))
	if id, code := r.status(); id != 7 || code != fxOK {
		t.Errorf("close: id %d code %d", id, code)
	}
	r.send(fxpExtended, cat(u32(8), str("fsync@openssh.com"), str(string(handle))))
	if id, code := r.status(); id != 8 || code != fxFailure {
		t.Errorf("fsync after close: id %d code %d", id, code)
	}
	// Other extensions go to the request server (which refuses them), as
	// does hardlink (refused by the handlers).
	r.send(fxpExtended, cat(u32(9), str("limits@openssh.com")))
	if id, code := r.status(); id != 9 || code != 8 {
		t.Errorf("unknown extension: id %d code %d", id, code)
	}
	r.send(fxpExtended, cat(u32(10), str("hardlink@openssh.com"), str("/s/f"), str("/s/g")))
	if id, code := r.status(); id != 10 || code != 3 {
		t.Errorf("hardlink: id %d code %d", id, code)
	}
	// A malformed OPEN (no attribute flags) ends the session: pkg/sftp
	// drops a connection that sends a packet it cannot parse, so the
	// wire's record of OPENs can never get out of step with it.
	r.send(fxpOpen, cat(u32(11), str("/s/h"), u32(fxfWrite|fxfCreat)))
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.conn.Read(make([]byte, 1)); err == nil {
		t.Error("session still open after a malformed OPEN")
	}
}

// TestWireOversized: a request longer than allowed ends the session.
func TestWireOversized(t *testing.T) {
	r, _ := startRaw(t)
	r.send(fxpInit, u32(3))
	r.recv()
	r.conn.Write(u32(maxPacket + 1))
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.conn.Read(make([]byte, 1)); err == nil {
		t.Error("session still open after an oversized request")
	}
}
