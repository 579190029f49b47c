package broker

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/x2go-go/x2go/profile"
)

// The markers and prefixes of the plain-text dialect.
const (
	plainGranted   = "Access granted"
	plainAuthID    = "AUTHID:"
	plainStart     = "START_USER_SESSIONS"
	plainEnd       = "END_USER_SESSIONS"
	plainServer    = "SERVER:"
	plainSession   = "SESSION_INFO:"
	plainKeyBegin  = "-----BEGIN "
	plainKeyEnd    = "-----END "
	plainKeySuffix = "PRIVATE KEY-----"
)

// ParsePlain reads an answer of the plain-text dialect: what x2gobroker's
// /plain/ URLs and its SSH mode print, and X2Go Client reads. The answer
// must have a line "Access granted" (else the error matches
// ErrAuthFailed); a line "AUTHID:<cookie>" hands out the next auth cookie.
// Then, by task:
//
//   - TaskList: the profiles, in the INI form of X2Go Client's sessions file,
//     between a line START_USER_SESSIONS and a line END_USER_SESSIONS ("<br>"
//     stands for a line break there, as X2Go Client reads it). No block at
//     all means no profiles.
//   - TaskSelect: a line "SERVER:<host>[:<port>]" (an IPv6 address may be
//     bracketed; without brackets the part after the last ':' is the
//     port); optionally a PEM private key block ("-----BEGIN … PRIVATE
//     KEY-----" to "-----END … PRIVATE KEY-----") to log in with, and a
//     line "SESSION_INFO:<x2golistsessions line>" naming a session to resume.
//
// Line breaks may be \n or \r\n; other lines are ignored.
//
// Errors match ErrAuthFailed or ErrMalformed (a *MalformedError naming the
// line). The Answer is nil only when access was refused or nothing could be
// read; otherwise it carries the AuthID and what could be read, and for
// TaskList every profile that could be read even when others could not
// (the error then joins a *MalformedError for each bad line).
func ParsePlain(task Task, answer []byte) (*Answer, error) {
	lines := splitLines(answer)
	granted, start := false, -1
	ans := &Answer{}
	for i, l := range lines {
		if l == plainStart {
			start = i
			break
		}
		switch {
		case strings.TrimSpace(l) == plainGranted:
			granted = true
		case strings.HasPrefix(l, plainAuthID) && ans.AuthID == "":
			ans.AuthID = strings.TrimSpace(l[len(plainAuthID):])
		}
	}
	if !granted {
		return nil, fmt.Errorf("%w: the answer does not say %q", ErrAuthFailed, plainGranted)
	}
	switch task {
	case TaskList:
		return ans, parsePlainProfiles(ans, lines, start)
	case TaskSelect:
		sel, err := parsePlainSelection(lines)
		if err != nil {
			return ans, err
		}
		ans.Selection = sel
	}
	return ans, nil
}

// splitLines splits at \n and drops a \r before it.
func splitLines(b []byte) []string {
	s := strings.Split(string(b), "\n")
	for i, l := range s {
		s[i] = strings.TrimSuffix(l, "\r")
	}
	return s
}

func plainError(task Task, line int, field, format string, args ...any) *MalformedError {
	return &MalformedError{Dialect: DialectPlain, Task: task, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// parsePlainProfiles reads the INI block that starts at lines[start].
func parsePlainProfiles(ans *Answer, lines []string, start int) error {
	ans.Profiles = profile.NewSessions()
	if start < 0 {
		return nil
	}
	end := -1
	for i := start + 1; i < len(lines); i++ {
		if lines[i] == plainEnd {
			end = i
			break
		}
	}
	if end < 0 {
		return plainError(TaskList, start+1, plainStart, "no %s line after it: the answer is cut short", plainEnd)
	}
	// X2Go Client turns every "<br>" into a line break; so do we, per line,
	// so that errors can still name the line of the answer.
	var block bytes.Buffer
	lineOf := []int{0} // lineOf[n] = answer line of block line n (1-based)
	for i := start + 1; i < end; i++ {
		for _, part := range strings.Split(lines[i], "<br>") {
			block.WriteString(part)
			block.WriteByte('\n')
			lineOf = append(lineOf, i+1)
		}
	}
	s, err := profile.ParseSessions(block.Bytes())
	ans.Profiles = s
	if err == nil {
		return nil
	}
	var errs []error
	for _, e := range unjoin(err) {
		var se *profile.SyntaxError
		line := 0
		if errors.As(e, &se) && se.Line > 0 && se.Line < len(lineOf) {
			line = lineOf[se.Line]
		}
		me := &MalformedError{Dialect: DialectPlain, Task: TaskList, Line: line, Msg: "profile line not understood", Err: e}
		if se != nil {
			me.Field = se.Section
			me.Msg = se.Msg
		}
		errs = append(errs, me)
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func parsePlainSelection(lines []string) (*Selection, error) {
	sel := &Selection{}
	serverLine, sessionLine := 0, 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, plainServer) && serverLine == 0:
			serverLine = i + 1
			host, port, err := splitServer(strings.TrimSpace(l[len(plainServer):]))
			if err != nil {
				return nil, plainError(TaskSelect, i+1, "SERVER", "%v", err)
			}
			sel.Server, sel.Port = host, port
		case strings.HasPrefix(l, plainSession) && sessionLine == 0:
			sessionLine = i + 1
			r, err := parseResume(DialectPlain, i+1, "SESSION_INFO", strings.TrimSpace(l[len(plainSession):]))
			if err != nil {
				return nil, err
			}
			sel.Resume = r
		case strings.HasPrefix(l, plainKeyBegin) && strings.HasSuffix(l, plainKeySuffix) && sel.PrivateKey == nil:
			// "RSA ", "DSA ", "OPENSSH ", or "" for PKCS #8.
			kind := strings.TrimSuffix(strings.TrimPrefix(l, plainKeyBegin), plainKeySuffix)
			endLine := plainKeyEnd + kind + plainKeySuffix
			j := i + 1
			for j < len(lines) && lines[j] != endLine {
				j++
			}
			if j == len(lines) {
				return nil, plainError(TaskSelect, i+1, "private key", "the key block does not end")
			}
			key := strings.Join(lines[i:j+1], "\n") + "\n"
			if err := checkKey(DialectPlain, i+1, "private key", []byte(key)); err != nil {
				return nil, err
			}
			sel.PrivateKey = []byte(key)
			i = j
		}
	}
	if serverLine == 0 {
		return nil, plainError(TaskSelect, 0, "SERVER", "no SERVER line")
	}
	return sel, nil
}

// splitServer reads the value of a SERVER line: host, host:port,
// [v6-address] or [v6-address]:port.
func splitServer(v string) (host string, port int, err error) {
	portText := ""
	if strings.HasPrefix(v, "[") {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return "", 0, errors.New("unclosed '[' in the server address")
		}
		host, rest := v[1:end], v[end+1:]
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":"):
			portText = rest[1:]
		default:
			return "", 0, errors.New("text after the bracketed server address")
		}
		v = host
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 {
		v, portText = v[:i], v[i+1:]
	}
	if v == "" {
		return "", 0, errors.New("empty server name")
	}
	if strings.ContainsAny(v, " \t") {
		return "", 0, errors.New("blank in the server name")
	}
	if portText == "" {
		return v, 0, nil
	}
	p, err := parsePort(portText)
	if err != nil {
		return "", 0, err
	}
	return v, p, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 || s[0] == '+' {
		return 0, errors.New("port is not a number from 1 to 65535")
	}
	return p, nil
}
