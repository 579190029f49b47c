package sshconfig

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; every error of Resolve matches one of them (or the
// context's error) with errors.Is.
var (
	// ErrBadConfig: the configuration is one ssh would refuse (unknown
	// keyword, bad value, bad quoting, unreadable or unsafe file, include
	// loop).
	ErrBadConfig = errors.New("bad ssh configuration")
	// ErrUnsupported: the native reader cannot answer for this
	// configuration (Match exec, hostname canonicalisation, a keyword it
	// does not know), or ssh -G cannot be asked the question.
	ErrUnsupported = errors.New("ssh configuration needs what the native reader does not do")
	// ErrSSH: ssh -G could not be run or failed.
	ErrSSH = errors.New("ssh -G failed")
	// ErrProxyCommand: connecting needs a ProxyCommand, which this
	// project does not run by itself (Settings.Direct).
	ErrProxyCommand = errors.New("connection needs a ProxyCommand")
)

// ConfigError is a configuration ssh would refuse. File and Line are set
// when the problem is on a line of a file.
type ConfigError struct {
	File string
	Line int
	Msg  string
	Err  error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("ssh config: ")
	if e.File != "" {
		fmt.Fprintf(&b, "%s line %d: ", e.File, e.Line)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *ConfigError) Unwrap() error        { return e.Err }
func (e *ConfigError) Is(target error) bool { return target == ErrBadConfig }

// UnsupportedError names what the native reader does not do.
type UnsupportedError struct {
	File    string
	Line    int
	Feature string
	exec    bool // a Match exec that would run
}

func (e *UnsupportedError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("ssh config: %s line %d: not supported by the native reader: %s", e.File, e.Line, e.Feature)
	}
	return "ssh config: not supported: " + e.Feature
}

func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// SSHError is a failed ssh -G run: Args are its arguments, Stderr what it
// said (the first lines).
type SSHError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *SSHError) Error() string {
	msg := fmt.Sprintf("ssh %s: %v", strings.Join(e.Args, " "), e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *SSHError) Unwrap() error        { return e.Err }
func (e *SSHError) Is(target error) bool { return target == ErrSSH }

// ProxyCommandError says that reaching Host needs a ProxyCommand.
type ProxyCommandError struct {
	Host    string
	Command string
}

func (e *ProxyCommandError) Error() string {
	return fmt.Sprintf("ssh config: %s is reached through ProxyCommand %q, which is not run", e.Host, e.Command)
}

func (e *ProxyCommandError) Is(target error) bool { return target == ErrProxyCommand }
