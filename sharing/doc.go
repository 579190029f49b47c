// Package sharing is the client side of X2Go folder sharing, the print
// spool and the MIME box: an SSH/SFTP server, embedded in the client, that
// the X2Go server mounts with sshfs.
//
// X2Go shares client folders backwards: the client asks the server for a
// reverse port forward of 127.0.0.1:<sshfs port> (the session's fs_port),
// uploads a key bundle and runs x2gomountdirs, which runs sshfs (OpenSSH's
// ssh inside) against that port. Every connection arriving through the
// forward is served by a Server (Serve takes the forward's net.Listener).
// The command, the bundle and the output parser are in package protocol
// (MountDirsCmd, KeyBundle, ParseMountDirs, MountablePath).
//
// # Keys
//
// A Server makes an Ed25519 client key and (unless WithHostKey) an Ed25519
// host key. Stock OpenSSH 9 accepts both without configuration; the
// 1024-bit RSA key with SHA-1 signatures that python-x2go uses is refused
// by OpenSSH 8.8 and later. x2gomountdirs only splits the bundle at its
// marker and writes the host key part as a known_hosts line
// "[127.0.0.1]:<port> <type> <base64>", so the key type does not matter
// to it. sshfs runs ssh with UserKnownHostsFile=<that file> and the
// default StrictHostKeyChecking, so the host key is checked.
//
// # The jail
//
// Only shared folders are served. A share maps an SFTP path (Remote) to a
// local directory (Local); each request path, after pkg/sftp has made it
// absolute and lexically clean, must lie in a share, else the answer is
// SSH_FX_PERMISSION_DENIED. The rest of the path is resolved beneath the
// share's open root directory by the kernel: openat2(2) with
// RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS where available (Linux 5.6+),
// else a walk of O_PATH|O_NOFOLLOW opens, one element at a time, with the
// same rules. So "..", absolute symlinks, symlinks that climb above the
// root, /proc magic links and symlinks swapped in between a check and an
// open (there is no separate check) cannot reach anything outside; they
// get permission denied. Besides:
//
//   - Creating a symlink whose target leaves the share is refused; an
//     absolute target inside the same share is stored relative.
//   - Hard links (hardlink@openssh.com) are always refused and not
//     offered. A hard link that already exists in a shared folder cannot
//     be told from any other file: it is the same file, under a name
//     inside the folder, and is served like any other. (Its link count is
//     visible, not where the other names are.)
//   - Renames must stay within shares; share roots cannot be removed,
//     renamed or replaced.
//   - Only regular files and directories are opened: FIFOs (which would
//     block the server), devices and sockets are refused.
//   - setuid and setgid bits are never set (create, mkdir, chmod), and
//     ownership changes are refused, so a server cannot plant a set-id
//     program in a shared folder.
//   - Error messages name only SFTP paths, never local ones.
//   - "/" and the directories above share roots answer STAT with
//     made-up attributes that carry only the serving user's uid and gid
//     (sshfs's idmap=user reads them to map the client's files to the
//     server user); they cannot be listed.
//   - ReadOnly shares refuse every change. RemoveShare closes the files
//     and directories clients still have open in the share.
//
// # SSH
//
// Only public-key authentication, only the Server's user name with its
// client key; one "session" channel per connection, and on it only the
// "sftp" subsystem. exec, shell, pty, env, X11 and agent forwarding,
// other subsystems, port forwarding in either direction and other
// channel types are refused. The server offers AES-GCM only where the
// CPU has AES instructions (OpenSSH then chooses it over chacha20, which
// Go runs without assembly).
//
// # SFTP
//
// pkg/sftp's request server with handlers that keep every open file as an
// *os.File (reads and writes are pread/pwrite from several workers) and
// list directories in pages, taking each entry's attributes relative to
// the directory's fd. A packet-level filter between the channel and the
// request server supplies what that server lacks: the permissions of
// OPEN and MKDIR (so `mkdir -m 700` on the mount gives 0700),
// fsync@openssh.com, and an extension list without hardlink; it answers
// READDIR itself with up to 32 KiB of entries per reply (pkg/sftp gives
// 100, slowly), and it batches replies into few SSH packets. Extensions offered:
// posix-rename@openssh.com, statvfs@openssh.com, fsync@openssh.com.
//
// Linux only: New fails with ErrUnsupported elsewhere.
package sharing
