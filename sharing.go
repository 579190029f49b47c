package x2go

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/x2go-go/x2go/internal/fileshare"
	"github.com/x2go-go/x2go/protocol"
)

var (
	// ErrFolderSharingOff: folder sharing is not enabled for the Session
	// (Options.ShareFolders or Options.AllowFolderSharing).
	ErrFolderSharingOff = errors.New("x2go: folder sharing is not enabled for this session")
	// ErrSSHFSUnavailable: the server cannot mount client folders (no
	// sshfs or fusermount).
	ErrSSHFSUnavailable = fileshare.ErrSSHFSUnavailable
	// ErrFolderSharingNotRunning: folder sharing did not start in the
	// running session, or the session does not run.
	ErrFolderSharingNotRunning = fileshare.ErrNotRunning
	// ErrNotMasterSession: another session of the profile is its master
	// session and shares the folders (python-x2go's rule).
	ErrNotMasterSession = fileshare.ErrNotMaster
	// ErrMountFailed: the server's sshfs could not mount a folder.
	ErrMountFailed = protocol.ErrMountFailed
	// ErrAlreadyMounted: the server's session database already has the
	// folder's mount point.
	ErrAlreadyMounted = protocol.ErrAlreadyMounted
)

// runsHere reports whether this Session drives a session that runs (or is
// being started or resumed) with its graphics up.
func (s *Session) runsHere() bool {
	st := s.term.Status()
	return st == StatusStarting || (st == StatusRunning && s.term.GraphicsOK())
}

func (s *Session) requireFolders() error {
	if s.folders == nil {
		return ErrFolderSharingOff
	}
	return nil
}

// IsMasterSession reports whether this Session mounts its profile's shared
// folders: the first of the profile's Sessions on the ControlSession to
// run is the master, and when it stops running the next running one takes
// over (python-x2go's master-session rule).
func (s *Session) IsMasterSession() bool {
	return s.term.Status() == StatusRunning && s.ctrl.isMaster(s)
}

// IsFolderSharingAvailable reports whether the server can mount client
// folders (it has sshfs and fusermount).
func (s *Session) IsFolderSharingAvailable(ctx context.Context) (bool, error) {
	ctrl, err := s.ctrl.current()
	if err != nil {
		return false, err
	}
	res, err := ctrl.Conn().Run(ctx, protocol.SSHFSCheckCmd())
	if err != nil {
		return false, fmt.Errorf("x2go: %w", err)
	}
	return protocol.ParseSSHFSCheck(res.Stdout), nil
}

// ShareLocalFolder has the server mount the local folder in the running
// session (python-x2go's share_local_folder); it is shared again after a
// resume. Any folder name works. Only the profile's master session shares
// folders (ErrNotMasterSession).
func (s *Session) ShareLocalFolder(ctx context.Context, folder string) error {
	if err := s.requireFolders(); err != nil {
		return err
	}
	err := s.folders.Share(ctx, folder)
	s.keyUploadFailed(err)
	return err
}

// ShareAllLocalFolders mounts every folder of Options.ShareFolders (and
// those shared since) that is not mounted yet.
func (s *Session) ShareAllLocalFolders(ctx context.Context) error {
	if err := s.requireFolders(); err != nil {
		return err
	}
	return s.folders.ShareAll(ctx)
}

// UnshareLocalFolder has the server unmount the folder and stops sharing
// it, also after a resume.
func (s *Session) UnshareLocalFolder(ctx context.Context, folder string) error {
	if err := s.requireFolders(); err != nil {
		return err
	}
	return s.folders.Unshare(ctx, folder)
}

// UnshareAllLocalFolders unmounts every shared folder (the print spool and
// the MIME box stay).
func (s *Session) UnshareAllLocalFolders(ctx context.Context) error {
	if err := s.requireFolders(); err != nil {
		return err
	}
	return s.folders.UnshareAll(ctx)
}

// SharedFolders returns the local folders the server has mounted in the
// session, checked against the server's own list (x2golistmounts), so a
// folder the server lost is not reported as shared.
func (s *Session) SharedFolders(ctx context.Context) ([]string, error) {
	if err := s.requireFolders(); err != nil {
		return nil, err
	}
	mounted := s.folders.Mounted()
	if len(mounted) == 0 {
		return nil, nil
	}
	mounts, err := s.ListMounts(ctx, s.Name())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range mounts {
		if local, ok := mounted[m.Path]; ok && !slices.Contains(out, local) {
			out = append(out, local)
		}
	}
	return out, nil
}
