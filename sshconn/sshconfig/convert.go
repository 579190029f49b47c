package sshconfig

import (
	"os"
	"slices"
	"strings"

	"github.com/x2go-go/x2go/sshconn"
)

// SSHConfig returns base completed with what the settings say about
// connecting, for sshconn.Dial: the target (HostName, Port, User), the
// identity files that exist, known hosts files and HostKeyAlias, the
// host key policy of StrictHostKeyChecking, ConnectTimeout, keepalive,
// agent forwarding, and the chain of jump hosts (each a copy of base for
// its own host, with its own identity files and no agent forwarding:
// the same credentials, as python-x2go's sshproxy_reuse_authinfo).
//
// What the caller set in base wins where the configuration only has a
// default: known hosts files, HostKeys.Alias, ConnectTimeout and
// KeepAlive are taken from the configuration only when base leaves them
// empty. StrictHostKeyChecking yes clears HostKeys.AddUnknown and Ask;
// accept-new and no set AddUnknown (a changed key is refused all the
// same); ask leaves base's policy. IdentitiesOnly turns off the agent and
// key discovery for authentication, IdentityAgent none the agent.
//
// It fails with a *ProxyCommandError (ErrProxyCommand) when the host or
// its first jump host is reached through a ProxyCommand.
func (s *Settings) SSHConfig(base sshconn.Config) (sshconn.Config, error) {
	if err := s.Direct(); err != nil {
		return sshconn.Config{}, err
	}
	cfg := s.hopConfig(base)
	cfg.ForwardAgent = cfg.ForwardAgent || s.ForwardAgent
	if s.ForwardAgent && s.ForwardAgentSocket != "" && cfg.AgentForwardSocket == "" {
		cfg.AgentForwardSocket = s.ForwardAgentSocket
	}
	// Jumps lists the first hop first; sshconn wants the hop in front of
	// the target as Jump, the one before it as its Jump, and so on.
	next := &cfg
	for i := len(s.Jumps) - 1; i >= 0; i-- {
		hop := base
		hop.Jump = nil
		hop.ForwardAgent = false
		hop.AgentForwardSocket = ""
		hop.HostKeys.Alias = ""
		hs := s.Jumps[i].Settings
		h := hs.hopConfig(hop)
		next.Jump = &h
		next = &h
	}
	return cfg, nil
}

// hopConfig fills base with the settings of one host.
func (s *Settings) hopConfig(base sshconn.Config) sshconn.Config {
	cfg := base
	cfg.Jump = nil
	cfg.Host = s.HostName
	cfg.Port = s.Port
	cfg.User = s.User
	cfg.Auth.KeyFiles = slices.Clone(base.Auth.KeyFiles)
	if !s.IdentityFilesDefault {
		for _, f := range s.IdentityFiles {
			if _, err := os.Stat(f); err == nil && !slices.Contains(cfg.Auth.KeyFiles, f) {
				cfg.Auth.KeyFiles = append(cfg.Auth.KeyFiles, f)
			}
		}
	}
	if s.IdentitiesOnly {
		cfg.Auth.AllowAgent = false
		cfg.Auth.LookForKeys = false
	}
	switch {
	case strings.EqualFold(s.IdentityAgent, "none"):
		cfg.Auth.AllowAgent = false
	case s.IdentityAgent != "" && s.IdentityAgent != "SSH_AUTH_SOCK" && cfg.Auth.AgentSocket == "":
		cfg.Auth.AgentSocket = s.IdentityAgent
	}
	if len(cfg.HostKeys.KnownHostsFiles) == 0 {
		cfg.HostKeys.KnownHostsFiles = append(slices.Clone(s.UserKnownHostsFiles), s.GlobalKnownHostsFiles...)
	}
	if cfg.HostKeys.Alias == "" {
		cfg.HostKeys.Alias = s.HostKeyAlias
	}
	switch s.StrictHostKeyChecking {
	case StrictYes:
		cfg.HostKeys.AddUnknown = false
		cfg.HostKeys.Ask = nil
	case StrictAcceptNew, StrictNo:
		cfg.HostKeys.AddUnknown = true
	}
	if cfg.ConnectTimeout == 0 && s.ConnectTimeout > 0 {
		cfg.ConnectTimeout = s.ConnectTimeout
	}
	if cfg.KeepAlive == 0 && s.ServerAliveInterval > 0 {
		cfg.KeepAlive = s.ServerAliveInterval
	}
	return cfg
}
