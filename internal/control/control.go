// Package control is the control session of python-x2go: one SSH
// connection to one X2Go server and every query made on it (sessions,
// desktops, mounts, published applications, features, versions, the
// remote home, x2gousers membership, suspending and terminating by name).
//
// A Session is bound to one live connection and is safe for concurrent use
// by every terminal session running over it. Reconnecting makes a new
// Session; the public API above decides when.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/x2go-go/x2go/internal/remote"
	"github.com/x2go-go/x2go/internal/service"
	"github.com/x2go-go/x2go/protocol"
)

var (
	// ErrFeatureMissing: the server lacks a feature the operation needs.
	ErrFeatureMissing = errors.New("x2go: server lacks a feature")
	// ErrRemoteHome: the user's home directory on the server is missing.
	ErrRemoteHome = errors.New("x2go: remote home directory does not exist")
	// ErrNotX2GoServer: the server has no x2goserver installed.
	ErrNotX2GoServer = errors.New("x2go: not an X2Go server")
)

// FeatureError reports a server feature that is missing; it matches
// ErrFeatureMissing.
type FeatureError struct{ Feature string }

func (e *FeatureError) Error() string {
	return fmt.Sprintf("x2go: the server does not support %s", e.Feature)
}

// Is makes errors.Is(err, ErrFeatureMissing) true.
func (e *FeatureError) Is(target error) bool { return target == ErrFeatureMissing }

// Conn is what a control session needs of its SSH connection: what the
// parts of a running session need of it (it is handed on to them), its
// peer's address, and closing it. *sshconn.Conn implements it.
type Conn interface {
	service.Conn
	RemoteAddr() net.Addr
	Close() error
}

// Session is a control session: one live connection and the answers that
// stay the same while it lives (remote home, features, versions).
type Session struct {
	conn Conn
	log  *slog.Logger
	home string

	mu       sync.Mutex
	features []string
	versions map[string]string
	apps     *string // x2gogetapps' output, once fetched
}

// New makes conn a control session: it fetches the user's home directory
// on the server and checks that it exists (every session operation needs
// it), in one round trip. It does not close conn on failure.
func New(ctx context.Context, conn Conn, log *slog.Logger) (*Session, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res, err := conn.Run(ctx, protocol.HomeCheckCmd())
	if err != nil {
		return nil, fmt.Errorf("x2go: %w", err)
	}
	home, ok := protocol.ParseHomeCheck(res.Stdout)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrRemoteHome, strings.TrimSpace(res.Stdout))
	}
	return &Session{conn: conn, log: log, home: home}, nil
}

// Conn returns the connection.
func (s *Session) Conn() Conn { return s.conn }

// Home returns the user's home directory on the server.
func (s *Session) Home() string { return s.home }

// Close closes the connection.
func (s *Session) Close() error { return s.conn.Close() }

func (s *Session) output(ctx context.Context, cmd string) (string, error) {
	return remote.Output(ctx, s.conn, cmd)
}

// Features returns the sorted feature names of x2gofeaturelist, fetched
// once per control session.
func (s *Session) Features(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	f := s.features
	s.mu.Unlock()
	if f != nil {
		return slices.Clone(f), nil
	}
	out, err := s.output(ctx, protocol.FeatureListCmd())
	if err != nil {
		return nil, err
	}
	if f, err = protocol.ParseFeatures(out); err != nil {
		return nil, err
	}
	if f == nil {
		f = []string{}
	}
	s.mu.Lock()
	s.features = f
	s.mu.Unlock()
	return slices.Clone(f), nil
}

// HasFeature reports whether the server has feature.
func (s *Session) HasFeature(ctx context.Context, feature string) (bool, error) {
	f, err := s.Features(ctx)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(f, feature)
	return found, nil
}

// RequireFeature returns a *FeatureError when the server lacks feature.
func (s *Session) RequireFeature(ctx context.Context, feature string) error {
	ok, err := s.HasFeature(ctx, feature)
	if err != nil {
		return err
	}
	if !ok {
		return &FeatureError{Feature: feature}
	}
	return nil
}

// Versions returns the x2goserver components and their versions
// (x2goversion), fetched once per control session. A server without the
// script is ErrNotX2GoServer.
func (s *Session) Versions(ctx context.Context) (map[string]string, error) {
	s.mu.Lock()
	v := s.versions
	s.mu.Unlock()
	if v == nil {
		out, err := s.output(ctx, protocol.VersionCmd())
		if err != nil {
			var se *protocol.ServerError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%w: x2goversion is missing or failed: %v", ErrNotX2GoServer, err)
			}
			return nil, err
		}
		if v, err = protocol.ParseVersions(out); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.versions = v
		s.mu.Unlock()
	}
	return maps.Clone(v), nil
}

// UserIsX2GoUser reports whether the login user may use X2Go on the
// server: it can run x2golistsessions. (python-x2go always says yes.)
func (s *Session) UserIsX2GoUser(ctx context.Context) (bool, error) {
	_, err := s.output(ctx, protocol.CanListSessionsCmd())
	var se *protocol.ServerError
	if errors.As(err, &se) {
		return false, nil
	}
	return err == nil, err
}

// ListSessions returns the user's sessions, shadow sessions included.
func (s *Session) ListSessions(ctx context.Context) ([]protocol.SessionInfo, error) {
	return remote.ListSessions(ctx, s.conn, s.log)
}

// FindSession returns the listed session called name (remote.ErrNoSuchSession
// if there is none).
func (s *Session) FindSession(ctx context.Context, name string) (protocol.SessionInfo, error) {
	return remote.Find(ctx, s.conn, s.log, name)
}

// ListDesktops returns the desktops the user may share (user@:display).
func (s *Session) ListDesktops(ctx context.Context) ([]string, error) {
	if err := s.RequireFeature(ctx, protocol.FeatureListDesktops); err != nil {
		return nil, err
	}
	out, err := s.output(ctx, protocol.ListDesktopsCmd())
	if err != nil {
		return nil, err
	}
	return protocol.ParseDesktops(out)
}

// ListMounts returns the client folders mounted in session name.
func (s *Session) ListMounts(ctx context.Context, name string) ([]protocol.Mount, error) {
	cmd, err := protocol.ListMountsCmd(name)
	if err != nil {
		return nil, err
	}
	out, err := s.output(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return protocol.ParseMounts(out)
}

// ApplicationsText returns the output of x2gogetapps, the published
// applications as the server describes them. It is fetched once per
// control session and kept (python-x2go caches the menu the same way);
// refresh fetches it anew.
func (s *Session) ApplicationsText(ctx context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	cached := s.apps
	s.mu.Unlock()
	if cached != nil && !refresh {
		return *cached, nil
	}
	if err := s.RequireFeature(ctx, protocol.FeaturePublishedApplications); err != nil {
		return "", err
	}
	out, err := s.output(ctx, protocol.GetAppsCmd())
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.apps = &out
	s.mu.Unlock()
	return out, nil
}

// Applications returns the published applications (ApplicationsText
// parsed), icons decoded. Output that cannot be parsed is not kept.
func (s *Session) Applications(ctx context.Context, refresh bool) ([]protocol.Application, error) {
	out, err := s.ApplicationsText(ctx, refresh)
	if err != nil {
		return nil, err
	}
	apps, err := protocol.ParseApplications(out)
	if err != nil {
		s.mu.Lock()
		s.apps = nil
		s.mu.Unlock()
	}
	return apps, err
}

// SuspendSession suspends the server session called name, whichever
// client shows it; a suspended one is left alone.
func (s *Session) SuspendSession(ctx context.Context, name string) error {
	return remote.Suspend(ctx, s.conn, s.log, name, false)
}

// TerminateSession terminates the server session called name.
func (s *Session) TerminateSession(ctx context.Context, name string) error {
	return remote.Terminate(ctx, s.conn, name)
}

// Exec runs a command line built by the protocol package and returns its
// output; a non-zero status is a *protocol.ServerError.
func (s *Session) Exec(ctx context.Context, cmd string) (string, error) {
	return s.output(ctx, cmd)
}
