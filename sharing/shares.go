package sharing

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// Share is one shared folder as the Server offers it.
type Share struct {
	// Remote is the absolute path under which SFTP clients (the server's
	// sshfs) find the folder; requests for Remote and anything below it
	// are served from Local, requests for any other path are refused.
	Remote string
	// Local is the shared directory on this machine.
	Local string
	// ReadOnly shares refuse every change.
	ReadOnly bool
}

// ShareOption modifies one share (AddShare).
type ShareOption func(*Share)

// ReadOnly makes a share refuse every change (writes, creates, deletes,
// renames, attribute changes) with permission denied.
func ReadOnly() ShareOption { return func(s *Share) { s.ReadOnly = true } }

// share is a Share with its open root and the handles opened below it.
type share struct {
	Share
	// mu is held for reading while the root fd is in use and for writing
	// while the share is being removed, so the fd is never used after it
	// was closed (and the number reused).
	mu      sync.RWMutex
	root    *root
	removed bool
	open    map[*os.File]struct{} // handles to close when the share goes
}

// use runs fn with the share's root, or fails with errNotShared if the
// share has been removed meanwhile.
func (sh *share) use(fn func(*root) error) error {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if sh.removed {
		return errNotShared
	}
	return fn(sh.root)
}

// track records a file opened below the share so that removing the
// share closes it; it returns false (and the caller must close the
// file) when the share is already gone.
func (sh *share) track(c *os.File) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.removed {
		return false
	}
	sh.open[c] = struct{}{}
	return true
}

// untrack forgets a file that is being closed.
func (sh *share) untrack(c *os.File) {
	sh.mu.Lock()
	delete(sh.open, c)
	sh.mu.Unlock()
}

// remove closes the root and every handle still open below it.
func (sh *share) remove() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.removed {
		return
	}
	sh.removed = true
	sh.root.close()
	for c := range sh.open {
		c.Close()
	}
	sh.open = nil
}

// shareTable maps remote paths to shares.
type shareTable struct {
	mu     sync.RWMutex
	shares map[string]*share
}

// cleanRemote checks that p is an absolute, clean path.
func cleanRemote(p string) error {
	if p == "" || !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsRune(p, 0) {
		return fmt.Errorf("%w: remote path %q must be absolute and clean", ErrBadPath, p)
	}
	return nil
}

// add opens local and shares it as remote.
func (t *shareTable) add(s Share) error {
	if err := cleanRemote(s.Remote); err != nil {
		return err
	}
	if !path.IsAbs(s.Local) {
		return fmt.Errorf("%w: local path %q must be absolute", ErrBadPath, s.Local)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shares == nil {
		return ErrClosed
	}
	if _, ok := t.shares[s.Remote]; ok {
		return fmt.Errorf("%w: %s", ErrShareExists, s.Remote)
	}
	r, err := openRoot(s.Local)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadPath, err)
	}
	t.shares[s.Remote] = &share{Share: s, root: r, open: make(map[*os.File]struct{})}
	return nil
}

// remove unshares remote.
func (t *shareTable) remove(remote string) error {
	t.mu.Lock()
	sh, ok := t.shares[remote]
	if ok {
		delete(t.shares, remote)
	}
	t.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoShare, remote)
	}
	sh.remove()
	return nil
}

// list returns the shares sorted by remote path.
func (t *shareTable) list() []Share {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Share, 0, len(t.shares))
	for _, sh := range t.shares {
		out = append(out, sh.Share)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Remote < out[j].Remote })
	return out
}

// closeAll removes every share; the table accepts no more.
func (t *shareTable) closeAll() {
	t.mu.Lock()
	all := t.shares
	t.shares = nil
	t.mu.Unlock()
	for _, sh := range all {
		sh.remove()
	}
}

// isAncestor reports whether the clean absolute path p is "/" or a
// directory above a share root (a directory of the SFTP namespace that
// only leads to shares).
func (t *shareTable) isAncestor(p string) bool {
	if p == "/" {
		return true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for remote := range t.shares {
		if strings.HasPrefix(remote, p+"/") {
			return true
		}
	}
	return false
}

// lookup finds the share that holds the clean absolute SFTP path p (the
// one with the longest remote path, if shares are nested) and returns it
// with p relative to the share root ("" for the root itself).
func (t *shareTable) lookup(p string) (*share, string, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for q := p; ; q = path.Dir(q) {
		if sh, ok := t.shares[q]; ok {
			rel := strings.TrimPrefix(strings.TrimPrefix(p, q), "/")
			return sh, rel, nil
		}
		if q == "/" {
			return nil, "", errNotShared
		}
	}
}

// splitRel splits a relative path into its elements, dropping empty ones.
func splitRel(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}
