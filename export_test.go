package x2go

import "github.com/x2go-go/x2go/sharing"

// SharingServerOf returns the embedded SFTP server of s's running session
// and the server-side port of its reverse forward, so that tests can speak
// SFTP to it with the session's key, as the server's sshfs does.
func SharingServerOf(s *Session) (*sharing.Server, int, error) {
	if s.transport == nil {
		return nil, 0, ErrFolderSharingOff
	}
	m, err := s.transport.Current()
	if err != nil {
		return nil, 0, err
	}
	return m.Server(), m.Port(), nil
}
