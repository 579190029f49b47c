package broker

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/x2go-go/x2go/profile"
	"github.com/x2go-go/x2go/protocol"
	"golang.org/x/crypto/ssh"
)

// Dialect is the format a broker answers in.
type Dialect int

const (
	// DialectAuto lets the client tell the dialects apart: by the URL path
	// (…/json/… or …/plain/…, as x2gobroker serves them), else by the
	// answer's Content-Type. Requests are then sent in a form both
	// dialects of x2gobroker accept.
	DialectAuto Dialect = iota
	// DialectJSON is the JSON dialect python-x2go speaks (x2gobroker's
	// /json/ URLs).
	DialectJSON
	// DialectPlain is the plain-text dialect X2Go Client speaks (x2gobroker's
	// /plain/ URLs, and the SSH broker).
	DialectPlain
)

func (d Dialect) String() string {
	switch d {
	case DialectAuto:
		return "auto"
	case DialectJSON:
		return "JSON"
	case DialectPlain:
		return "plain-text"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Task is a broker request, as the broker names it.
type Task string

// The broker tasks this package uses.
const (
	// TaskAuth checks the credentials only (a request without a task, as
	// python-x2go sends first).
	TaskAuth Task = "auth"
	// TaskList asks for the user's session profiles (X2Go Client's
	// listsessions; python-x2go says listprofiles).
	TaskList Task = "listsessions"
	// TaskSelect asks where to start or resume a session of one profile.
	TaskSelect Task = "selectsession"
)

// Answer is a broker answer, parsed.
type Answer struct {
	// AuthID is the next auth cookie the broker handed out ("" if none).
	// It must be sent with the next request instead of the password.
	AuthID string
	// Profiles holds the offered session profiles (TaskList); never nil
	// for TaskList, possibly empty.
	Profiles *profile.Sessions
	// Selection says where to connect (TaskSelect).
	Selection *Selection
}

// Selection is the broker's answer to selectsession: which X2Go server to
// connect to for a profile, and with what.
type Selection struct {
	// ProfileID is the profile the selection is for (set by the clients,
	// not by the parsers).
	ProfileID string
	// Server is the host name or address of the X2Go server to connect
	// to. It replaces the profile's `host`.
	Server string
	// Port is the server's SSH port; 0 if the broker did not name one,
	// then the profile's `sshport` applies.
	Port int
	// PrivateKey is a PEM private key the broker generated and authorised
	// on the server for this login (profiles with broker-side autologin);
	// nil if none. Log in with it only (see Signer). It is secret: it is
	// never printed by String or in errors.
	PrivateKey []byte
	// PublicKeyAccepted reports that the broker authorised the public key
	// sent with the request (HTTPConfig.PublicKey) for the login: log in
	// with the matching private key only. python-x2go waits two seconds
	// before it does, to give the broker time to install it.
	PublicKeyAccepted bool
	// Resume is a running or suspended session of the user that the broker
	// wants resumed instead of a new one started; nil if none. A running
	// session has already been suspended by the broker.
	Resume *protocol.SessionInfo
}

// Addr is Server and Port as host:port (port 22 if the broker named none).
func (s *Selection) Addr() string {
	port := s.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(s.Server, strconv.Itoa(port))
}

// Signer parses PrivateKey. It returns nil, nil when there is none.
func (s *Selection) Signer() (ssh.Signer, error) {
	if len(s.PrivateKey) == 0 {
		return nil, nil
	}
	k, err := ssh.ParsePrivateKey(s.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("x2go broker: private key from the broker: %w", err)
	}
	return k, nil
}

// String describes the selection without its private key.
func (s Selection) String() string {
	out := "server " + s.Addr()
	if s.ProfileID != "" {
		out = "profile " + strconv.Quote(s.ProfileID) + ": " + out
	}
	if len(s.PrivateKey) > 0 {
		out += ", with a private key"
	}
	if s.PublicKeyAccepted {
		out += ", public key accepted"
	}
	if s.Resume != nil {
		out += ", resume " + s.Resume.Name
	}
	return out
}

// GoString is String, so that %#v does not print the private key either.
func (s Selection) GoString() string { return "broker.Selection{" + s.String() + "}" }

// The server names x2gobroker gives when it has no server to offer: for an
// unknown profile or a profile without hosts, and when every server of a
// load-balanced profile is down.
var noServerNames = map[string]bool{
	"no-server-available":      true,
	"no-X2Go-Server-available": true,
}

// checkSelection turns x2gobroker's "no server" answers into a
// *NoServerError.
func checkSelection(sel *Selection, profileID string) error {
	sel.ProfileID = profileID
	if noServerNames[sel.Server] {
		return &NoServerError{ProfileID: profileID, Server: sel.Server}
	}
	return nil
}

// parseResume reads the x2golistsessions line of a session to resume.
func parseResume(d Dialect, line int, field, text string) (*protocol.SessionInfo, error) {
	list, skipped := protocol.ParseSessionList(text)
	if len(skipped) > 0 {
		return nil, &MalformedError{Dialect: d, Task: TaskSelect, Line: line, Field: field, Msg: "not an x2golistsessions line", Err: skipped[0]}
	}
	if len(list) != 1 {
		return nil, &MalformedError{Dialect: d, Task: TaskSelect, Line: line, Field: field, Msg: fmt.Sprintf("%d sessions instead of one", len(list))}
	}
	return &list[0], nil
}

// checkKey makes sure a private key from the broker can be used.
func checkKey(d Dialect, line int, field string, pemKey []byte) error {
	if _, err := ssh.ParseRawPrivateKey(pemKey); err != nil {
		msg := "not a usable private key"
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			msg = "private key is encrypted"
		}
		// The parse error is not wrapped: it could quote key material.
		return &MalformedError{Dialect: d, Task: TaskSelect, Line: line, Field: field, Msg: msg}
	}
	return nil
}
