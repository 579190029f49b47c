package broker

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/x2go-go/x2go/profile"
	"github.com/x2go-go/x2go/protocol"
	"github.com/x2go-go/x2go/sshconn"
)

// DefaultSSHCommand is the broker program of the SSH broker: x2gobroker's
// setuid wrapper that members of the group x2gobroker-users may run.
const DefaultSSHCommand = "/usr/bin/x2gobroker-ssh"

// SSHConfig says how to reach an SSH broker: X2Go Client's
// ssh://user@host:port/path/to/broker URLs. The SSH login is the broker
// authentication; no password is sent to the broker program.
type SSHConfig struct {
	// SSH is the login on the broker host. Its host key is checked like
	// any other (the zero HostKeys refuses unknown hosts).
	SSH sshconn.Config
	// Command is the broker program on the broker host (the path of the
	// URL); default DefaultSSHCommand. It is run as one shell word.
	Command string
	// User is the broker user passed as --user; default SSH.User.
	// x2gobroker only honours it for its own system account and otherwise
	// answers for the logged-in user.
	User string
	// AuthID is a pre-shared auth cookie (see HTTPConfig.AuthID).
	AuthID string
}

// SSHConfigFromURL reads an SSH broker URL,
// ssh://[user[:password]@]host[:port][/path/to/broker]. The password, if
// any, becomes SSH.Auth.Password. Host keys and other credentials are left
// for the caller to fill in.
func SSHConfigFromURL(raw string) (SSHConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SSHConfig{}, configError("broker URL does not parse")
	}
	if !strings.EqualFold(u.Scheme, "ssh") {
		return SSHConfig{}, configError("broker URL scheme %q is not ssh", u.Scheme)
	}
	var c SSHConfig
	c.SSH.Host = u.Hostname()
	if c.SSH.Host == "" {
		return SSHConfig{}, configError("broker URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := parsePort(p)
		if err != nil {
			return SSHConfig{}, configError("broker URL: %v", err)
		}
		c.SSH.Port = n
	}
	if u.User != nil {
		c.SSH.User = u.User.Username()
		c.SSH.Auth.Password, _ = u.User.Password()
	}
	if u.Path != "" && u.Path != "/" {
		c.Command = u.Path
	}
	return c, nil
}

// SSH is a client of an SSH session broker: it logs in to the broker host
// once and runs the broker program there for each request, with the
// command line X2Go Client uses
// (<command> --user <user> [--authid <cookie>] --task listsessions|selectsession [--sid <profile>]),
// and reads the plain-text answers. Like HTTP it keeps the auth cookie in
// memory and sends it back. An SSH is safe for concurrent use; calls are
// serialised.
type SSH struct {
	conn    *sshconn.Conn
	cfg     SSHConfig
	display string
	cookieJar
}

var _ Broker = (*SSH)(nil)

// DialSSH logs in to the broker host. Errors match ErrAuthFailed (a
// *AuthError wrapping the sshconn error), ErrUnreachable (a *ConnectError
// wrapping it), ErrConfig, or pass on sshconn's host key and key file
// errors (sshconn.ErrHostKeyUnknown and the like), wrapped.
func DialSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	if cfg.Command == "" {
		cfg.Command = DefaultSSHCommand
	}
	if cfg.User == "" {
		cfg.User = cfg.SSH.User
	}
	b := &SSH{cfg: cfg, display: sshDisplay(cfg.SSH)}
	conn, err := sshconn.Dial(ctx, cfg.SSH)
	switch {
	case err == nil:
	case errors.Is(err, sshconn.ErrAuthFailed) || errors.Is(err, sshconn.ErrNoAuthMethods):
		return nil, &AuthError{Broker: b.display, User: cfg.SSH.User, Err: err}
	case errors.Is(err, sshconn.ErrConnect):
		return nil, &ConnectError{Broker: b.display, Err: err}
	case errors.Is(err, sshconn.ErrConfig):
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	default:
		return nil, fmt.Errorf("x2go broker: %s: %w", b.display, err)
	}
	b.conn = conn
	return b, nil
}

func sshDisplay(c sshconn.Config) string { return "ssh://" + c.User + "@" + c.Addr() }

// ListProfiles runs the broker's listsessions task. See HTTP.ListProfiles.
func (b *SSH) ListProfiles(ctx context.Context) (*profile.Sessions, error) {
	return profilesOf(b.request(ctx, TaskList, ""))
}

// SelectSession runs the broker's selectsession task for a profile.
// An answer without a usable server is a *NoServerError.
func (b *SSH) SelectSession(ctx context.Context, profileID string) (*Selection, error) {
	ans, err := b.request(ctx, TaskSelect, profileID)
	return selectionOf(ans, err, profileID)
}

// Close ends the SSH connection.
func (b *SSH) Close() error { return b.conn.Close() }

// Command is the command line for a task, as it is sent to the broker
// host's shell.
func (b *SSH) command(task Task, profileID string) string {
	args := []string{b.cfg.Command, "--user", b.cfg.User}
	switch {
	case b.cookie != "":
		args = append(args, "--authid", b.cookie)
	case b.cfg.AuthID != "":
		args = append(args, "--authid", b.cfg.AuthID)
	}
	args = append(args, "--task", string(task))
	if task == TaskSelect {
		args = append(args, "--sid", profileID)
	}
	return protocol.Join(args...)
}

// request runs the broker program for one task (again without the cookie
// if it is refused; see cookieJar.call).
func (b *SSH) request(ctx context.Context, task Task, profileID string) (*Answer, error) {
	if task != TaskList && task != TaskSelect {
		return nil, fmt.Errorf("%w: the SSH broker has no task %q", ErrConfig, task)
	}
	return b.call(func() (*Answer, error) { return b.exchange(ctx, task, profileID) })
}

func (b *SSH) exchange(ctx context.Context, task Task, profileID string) (*Answer, error) {
	usedCookie := b.cookie != "" || b.cfg.AuthID != ""
	res, err := b.conn.Run(ctx, b.command(task, profileID))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("x2go broker: %s: %w", b.display, ctx.Err())
		}
		if errors.Is(err, sshconn.ErrConnectionLost) {
			return nil, &ConnectError{Broker: b.display, Err: err}
		}
		return nil, fmt.Errorf("x2go broker: %s: %w", b.display, err)
	}
	if res.Status != 0 {
		return nil, &CommandError{Broker: b.display, Task: string(task), Status: res.Status, Stderr: res.Stderr}
	}
	ans, err := ParsePlain(task, []byte(res.Stdout))
	if ans != nil && ans.AuthID != "" {
		b.cookie = ans.AuthID
	}
	if errors.Is(err, ErrAuthFailed) {
		// x2gobroker prints nothing when it refuses a cookie.
		return nil, &AuthError{Broker: b.display, User: b.cfg.User, Cookie: usedCookie}
	}
	return ans, err
}
