package fakesshd

import (
	"net"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
)

// remoteForwards serves the global requests of one connection: keepalives
// and, with WithRemoteForward, tcpip-forward and cancel-tcpip-forward.
type remoteForwards struct {
	s  *Server
	sc *ssh.ServerConn

	mu        sync.Mutex
	listeners map[string]net.Listener // by "addr:port" as the client asked
	done      bool
}

// forwardMsg is the payload of tcpip-forward and cancel-tcpip-forward
// (RFC 4254 §7.1).
type forwardMsg struct {
	Addr string
	Port uint32
}

// forwardedMsg is the payload of a forwarded-tcpip channel (RFC 4254 §7.2).
type forwardedMsg struct {
	Addr       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

func (f *remoteForwards) serveRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		switch {
		case req.Type == "tcpip-forward" && f.s.cfg.remoteForward:
			f.listen(req)
		case req.Type == "cancel-tcpip-forward" && f.s.cfg.remoteForward:
			f.cancel(req)
		default:
			// keepalive@openssh.com and everything else get "failure",
			// as from OpenSSH.
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

// listen serves a tcpip-forward request: loopback addresses only.
func (f *remoteForwards) listen(req *ssh.Request) {
	var m forwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil || m.Port > 65535 {
		req.Reply(false, nil)
		return
	}
	switch m.Addr {
	case "localhost", "127.0.0.1":
	default:
		req.Reply(false, nil)
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(m.Port))))
	if err != nil {
		req.Reply(false, nil) // port in use
		return
	}
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	key := net.JoinHostPort(m.Addr, strconv.Itoa(int(port)))
	f.mu.Lock()
	if f.done {
		f.mu.Unlock()
		ln.Close()
		req.Reply(false, nil)
		return
	}
	f.listeners[key] = ln
	f.mu.Unlock()
	var reply []byte
	if m.Port == 0 {
		reply = ssh.Marshal(struct{ Port uint32 }{port})
	}
	req.Reply(true, reply)
	f.s.wg.Add(1)
	go f.accept(ln, m.Addr, port)
}

// accept hands each connection to ln to the client on a forwarded-tcpip
// channel.
func (f *remoteForwards) accept(ln net.Listener, addr string, port uint32) {
	defer f.s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		origin := nc.RemoteAddr().(*net.TCPAddr)
		ch, reqs, err := f.sc.OpenChannel("forwarded-tcpip", ssh.Marshal(forwardedMsg{
			Addr: addr, Port: port, OriginAddr: origin.IP.String(), OriginPort: uint32(origin.Port),
		}))
		if err != nil {
			nc.Close()
			continue
		}
		f.s.wg.Add(2)
		go func() {
			defer f.s.wg.Done()
			ssh.DiscardRequests(reqs)
		}()
		go func() {
			defer f.s.wg.Done()
			pipe(ch, nc, f.s.quit)
		}()
	}
}

func (f *remoteForwards) cancel(req *ssh.Request) {
	var m forwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil {
		req.Reply(false, nil)
		return
	}
	key := net.JoinHostPort(m.Addr, strconv.Itoa(int(m.Port)))
	f.mu.Lock()
	ln, ok := f.listeners[key]
	delete(f.listeners, key)
	f.mu.Unlock()
	if ok {
		ln.Close()
	}
	req.Reply(ok, nil)
}

// closeAll stops every listener of the connection: it has ended.
func (f *remoteForwards) closeAll() {
	f.mu.Lock()
	f.done = true
	for k, ln := range f.listeners {
		ln.Close()
		delete(f.listeners, k)
	}
	f.mu.Unlock()
}
