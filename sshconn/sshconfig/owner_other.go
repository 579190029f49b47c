//go:build !unix

package sshconfig

import "io/fs"

// fileUID reports no owner where files have no Unix owner; OpenSSH's
// permission check does not apply there.
func fileUID(fs.FileInfo) (int, bool) { return 0, false }
