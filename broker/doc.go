// Package broker is the client side of X2Go session brokers: servers that
// hand out session profiles centrally and tell the client which X2Go server
// to connect to, balancing the load over several. It speaks to the X2Go
// project's broker, x2gobroker, in all three of its forms:
//
//   - HTTP(S), JSON dialect: x2gobroker's /json/ URLs, what python-x2go
//     (pyhoca-cli, pyhoca-gui) speaks. See NewHTTP.
//   - HTTP(S), plain-text dialect: x2gobroker's /plain/ URLs, what X2Go
//     Client speaks. NewHTTP tells the dialects apart by the URL path or
//     the answer's Content-Type.
//   - SSH: the client logs in to the broker host and runs the broker
//     program there (X2Go Client's ssh:// broker URLs), which answers in
//     the plain-text dialect. See DialSSH.
//
// Each asks two things: ListProfiles (the user's session profiles, as an
// X2Go Client sessions file: a *profile.Sessions) and SelectSession (where
// to start or resume a session of one profile: a *Selection). The pure
// parsers of the answers, ParsePlain and ParseJSON, are exported too.
//
// # Authentication
//
// An HTTP broker checks the user's password (sent in the POST body, never
// in the URL) and hands out an auth cookie with every answer; each cookie
// is good for one request, from the same client address. Like python-x2go
// and X2Go Client, HTTP and SSH keep the cookie in memory and send it
// instead of the password with the next request; a refused cookie (used up
// or expired) is dropped and the request repeated once with the password.
// Cookie gives it to a caller who wants to keep it elsewhere. A broker may
// also require a pre-shared cookie (HTTPConfig.AuthID, SSHConfig.AuthID;
// see ReadAuthIDFile). The SSH broker is authenticated by the SSH login.
//
// # From a selection to a session
//
// A client that uses a broker connects a session of profile p like this:
//
//   - Session parameters: p.Params() of the listed profile (command,
//     geometry, sharing, …), exactly as for a profile from a sessions file.
//   - Server and port: Selection.Server and Selection.Port replace the
//     profile's `host` and `sshport` (Port 0: keep `sshport`). The listed
//     `host` of a load-balanced profile names all servers; only the
//     selection says which one to use.
//   - User: the profile's `user` (x2gobroker fills in the broker user).
//   - Key: if Selection.PrivateKey is set (Signer), or PublicKeyAccepted
//     is true (the key of HTTPConfig.PublicKey), log in with that key only,
//     for the server and any jump host, as python-x2go does; otherwise as the
//     profile says.
//   - Session: if Selection.Resume is set, resume that session (its Name)
//     instead of starting one; the broker has already suspended it if it
//     was running.
//
// SelectSession returns a *NoServerError (ErrNoServer) when the broker has
// no server to offer. python-x2go then falls back, if its hook allows, to
// the profile's first `host` and `sshport`; whether to do so is the
// caller's choice.
//
// # Errors
//
// Errors match ErrAuthFailed, ErrUnreachable (and ErrCertificate),
// ErrMalformed, ErrBrokerFailed, ErrNoServer or ErrConfig with errors.Is,
// and carry details in *AuthError, *ConnectError, *MalformedError,
// *StatusError, *CommandError and *NoServerError. A cancelled or expired
// context gives the context's error. No error text contains a password,
// an auth cookie or a private key.
package broker
