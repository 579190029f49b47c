package sshconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyInfo describes a host key the server offered, as passed to
// HostKeyConfig.Ask (python-x2go's HOOK_check_host_dialog).
type HostKeyInfo struct {
	Host        string // name as given by the caller
	Port        int
	LookupName  string // known_hosts name, e.g. [127.0.0.1]:2222
	KeyType     string // e.g. ssh-ed25519
	Fingerprint string // SHA256:...
	// FingerprintMD5 is the colon separated MD5 fingerprint python-x2go's
	// hook received; kept for front ends that show it.
	FingerprintMD5 string
	Key            ssh.PublicKey
}

// HostKeyConfig says how server host keys are checked. The zero value is
// safe: it reads ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts and refuses
// every host not listed there.
type HostKeyConfig struct {
	// KnownHostsFiles are OpenSSH known_hosts files to check against (hashed
	// entries, patterns, markers and [host]:port are understood). Missing
	// files are ignored. New keys are appended to the first one. Empty means
	// ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
	KnownHostsFiles []string
	// AddUnknown accepts a host that is not in known_hosts and appends its
	// key to the first file (python-x2go's add_to_known_hosts, OpenSSH's
	// StrictHostKeyChecking=accept-new). A changed key is still refused.
	AddUnknown bool
	// Ask, when set and AddUnknown is false, is asked about an unknown host;
	// true accepts it and appends the key. Errors abort the connection
	// (Dial returns them wrapped). It is never asked about a changed or
	// revoked key. The ConnectTimeout clock stops while Ask runs; Ask
	// should return when ctx is done (the caller of Dial cancelled).
	Ask func(ctx context.Context, info HostKeyInfo) (bool, error)
	// Alias, when set, is the name the key is looked up and stored under
	// instead of the host name (python-x2go's unique host key aliases). The
	// key is always compared.
	Alias string
}

// DefaultKnownHostsFiles returns ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
func DefaultKnownHostsFiles() []string {
	var files []string
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".ssh", "known_hosts"))
	}
	return append(files, "/etc/ssh/ssh_known_hosts")
}

// hostKeyChecker implements the host key callback of one connection.
type hostKeyChecker struct {
	cfg    HostKeyConfig
	host   string
	port   int
	lookup string // host:port used for lookups
	files  []string
	db     *knownhosts.HostKeyDB // nil when no file exists
	ctx    context.Context
	budget *budget

	mu       sync.Mutex
	accepted ssh.PublicKey // the key accepted at the first key exchange
	// err is why the key was not accepted: a *HostKeyError when it was
	// refused, else an error of cfg.Ask or of writing known_hosts.
	err error
}

func newHostKeyChecker(ctx context.Context, b *budget, cfg HostKeyConfig, host string, port int) (*hostKeyChecker, error) {
	files := cfg.KnownHostsFiles
	if len(files) == 0 {
		files = DefaultKnownHostsFiles()
	}
	var existing []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			existing = append(existing, f)
		}
	}
	name := host
	if cfg.Alias != "" {
		name = cfg.Alias
	}
	c := &hostKeyChecker{cfg: cfg, host: host, port: port, files: files, ctx: ctx, budget: b,
		lookup: net.JoinHostPort(name, strconv.Itoa(port))}
	if len(existing) > 0 {
		db, err := knownhosts.NewDB(existing...)
		if err != nil {
			return nil, fmt.Errorf("%w: reading known_hosts: %w", ErrConfig, err)
		}
		c.db = db
	}
	return c, nil
}

// algorithms returns the host key algorithms to negotiate: the types known
// for this host, so that a server with several keys presents the one we
// know instead of one that would look like a changed key.
func (c *hostKeyChecker) algorithms() []string {
	if c.db == nil {
		return nil
	}
	return c.db.HostKeyAlgorithms(c.lookup)
}

// failed returns why the host key was not accepted (a *HostKeyError when
// it was refused, else an error of HostKeyConfig.Ask or of adding the key
// to known_hosts), or nil.
func (c *hostKeyChecker) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// callback is the ssh.HostKeyCallback. The SSH library calls it at every
// key exchange, also at re-keying during the session; once a key was
// accepted, later exchanges must present the same key (and never ask or
// write known_hosts again).
func (c *hostKeyChecker) callback(_ string, remote net.Addr, key ssh.PublicKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	info := HostKeyInfo{
		Host: c.host, Port: c.port, LookupName: knownhosts.Normalize(c.lookup),
		KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key),
		FingerprintMD5: ssh.FingerprintLegacyMD5(key), Key: key,
	}
	hkErr := &HostKeyError{Host: info.LookupName, KeyType: info.KeyType, Fingerprint: info.Fingerprint}
	if c.accepted != nil {
		if bytes.Equal(c.accepted.Marshal(), key.Marshal()) {
			return nil
		}
		hkErr.Changed = true
		return c.reject(hkErr)
	}

	var err error
	if c.db != nil {
		err = c.db.HostKeyCallback()(c.lookup, remote, key)
		if err == nil {
			c.accepted = key
			return nil
		}
	} else {
		err = &xknownhosts.KeyError{} // nothing known: unknown host
	}
	var revoked *xknownhosts.RevokedError
	if errors.As(err, &revoked) {
		hkErr.Revoked = true
		hkErr.Known = []string{fmt.Sprintf("%s:%d", revoked.Revoked.Filename, revoked.Revoked.Line)}
		return c.reject(hkErr)
	}
	var keyErr *xknownhosts.KeyError
	if !errors.As(err, &keyErr) {
		return err
	}
	if len(keyErr.Want) > 0 {
		hkErr.Changed = true
		for _, w := range keyErr.Want {
			hkErr.Known = append(hkErr.Known, fmt.Sprintf("%s:%d", w.Filename, w.Line))
		}
		return c.reject(hkErr)
	}
	accept := c.cfg.AddUnknown
	if !accept && c.cfg.Ask != nil {
		var ok bool
		var askErr error
		// A person answers: the connect timeout waits.
		c.budget.whilePaused(func() { ok, askErr = c.cfg.Ask(c.ctx, info) })
		if askErr == nil {
			askErr = c.ctx.Err()
		}
		if askErr != nil {
			c.err = fmt.Errorf("host key check for %s: %w", info.LookupName, askErr)
			return c.err
		}
		accept = ok
	}
	if !accept {
		return c.reject(hkErr)
	}
	if err := appendKnownHost(c.files[0], c.lookup, key); err != nil {
		c.err = err
		return err
	}
	c.accepted = key
	return nil
}

func (c *hostKeyChecker) reject(e *HostKeyError) error {
	c.err = e
	return e
}

// appendKnownHost appends one line for lookup (host:port) to file, creating
// the file (0600) and its directory (0700) when needed. The file is never
// rewritten, so comments, markers and keys this program does not know stay.
func appendKnownHost(file, lookup string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("adding host key: %w", err)
	}
	line := knownhosts.Line([]string{lookup}, key) + "\n"
	// Start on a fresh line if the file does not end with a newline.
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 && !strings.HasSuffix(string(b), "\n") {
		line = "\n" + line
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("adding host key: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("adding host key to %s: %w", file, err)
	}
	return f.Close()
}
