package sshconfig

import (
	"errors"
	"net/url"
	"strings"
)

// jumpHop is one parsed ProxyJump element.
type jumpHop struct {
	user, host string
	port       int // unset when not given
}

// splitJump splits a ProxyJump chain at its commas (after cutting a
// comment), the first hop first.
func splitJump(s string) ([]string, error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, whitespace)
	if s == "" {
		return nil, errors.New("empty")
	}
	return strings.Split(s, ","), nil
}

// parseHop parses one ProxyJump element: ssh://[user@]host[:port] or
// [user@]host[:port], with an IPv6 address in brackets (ssh's
// parse_ssh_uri and parse_user_host_port).
func parseHop(s string) (jumpHop, error) {
	h := jumpHop{port: unset}
	if rest, ok := strings.CutPrefix(s, "ssh://"); ok {
		if at := strings.IndexByte(rest, '@'); at >= 0 {
			u := rest[:at]
			if i := strings.IndexByte(u, ';'); i >= 0 {
				u = u[:i] // connection parameters are ignored
			}
			if u == "" {
				return h, errors.New("empty user name")
			}
			dec, err := urlDecode(u)
			if err != nil {
				return h, err
			}
			h.user = dec
			rest = rest[at+1:]
		}
		host, tail, delim, ok := hpdelim(rest)
		if !ok || host == "" {
			return h, errors.New("missing host")
		}
		host = cleanHost(host)
		if !validDomain(host) {
			return h, errors.New("invalid host name " + host)
		}
		h.host = host
		if tail != "" {
			if delim == ':' {
				portStr, path, _ := strings.Cut(tail, "/")
				if h.port = parsePort(portStr); h.port <= 0 {
					return h, errors.New("bad port " + portStr)
				}
				tail = path
			}
			if tail != "" {
				return h, errors.New("a path is not allowed")
			}
		}
		return h, nil
	}
	rest := s
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if at == 0 {
			return h, errors.New("empty user name")
		}
		h.user = rest[:at]
		rest = rest[at+1:]
	}
	host, tail, delim, ok := hpdelim(rest)
	if !ok || host == "" || delim == '/' {
		return h, errors.New("missing or bad host")
	}
	h.host = cleanHost(host)
	if tail != "" {
		if h.port = parsePort(tail); h.port <= 0 {
			return h, errors.New("bad port " + tail)
		}
	}
	return h, nil
}

// hpdelim splits host from what follows it at ':' or '/' (ssh's
// hpdelim2); a host in [brackets] may contain colons.
func hpdelim(s string) (host, rest string, delim byte, ok bool) {
	i := 0
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return "", "", 0, false
		}
		i = j + 1
	} else if j := strings.IndexAny(s, ":/"); j >= 0 {
		i = j
	} else {
		i = len(s)
	}
	if i == len(s) {
		return s, "", 0, true
	}
	switch s[i] {
	case ':', '/':
		return s[:i], s[i+1:], s[i], true
	}
	return "", "", 0, false
}

func cleanHost(h string) string {
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// validDomain is ssh's valid_domain for URI hosts.
func validDomain(name string) bool {
	if name == "" {
		return false
	}
	c0 := name[0]
	if !isAlnum(c0) {
		return false
	}
	var last byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if last == '.' && c == '.' {
			return false
		}
		if c != '.' && c != '-' && c != '_' && !isAlnum(c) {
			return false
		}
		last = c
	}
	return true
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// urlDecode decodes %XX and '+' in the user part of an ssh:// URI.
func urlDecode(s string) (string, error) {
	return url.QueryUnescape(s)
}
