package x2go

import (
	"context"
	"fmt"

	"github.com/x2go-go/x2go/sshconn"
	"github.com/x2go-go/x2go/sshconn/sshconfig"
)

// dialConfig is the connection configuration of the next connect: the
// Options, completed from the OpenSSH client configuration when
// Options.UseSSHConfig is set.
func (c *ControlSession) dialConfig(ctx context.Context) (sshconn.Config, error) {
	cfg := c.sshConfig()
	o := &c.opts
	if !o.UseSSHConfig {
		return cfg, nil
	}
	st, err := sshconfig.Resolve(ctx, o.Server, sshconfig.Options{
		ConfigFile: o.SSHConfigFile, User: o.Username, Port: o.Port,
	})
	if err != nil {
		return sshconn.Config{}, fmt.Errorf("%w: the SSH configuration for %s: %w", ErrConfig, o.Server, err)
	}
	explicitJump := cfg.Jump
	if explicitJump != nil {
		st.Jumps = nil // -J wins over ProxyJump
	}
	base := cfg
	base.Jump = nil
	out, err := st.SSHConfig(base)
	if err != nil {
		return sshconn.Config{}, fmt.Errorf("%w: the SSH configuration for %s: %w", ErrConfig, o.Server, err)
	}
	if explicitJump != nil {
		if explicitJump.User == "" {
			explicitJump.User = out.User
		}
		out.Jump = explicitJump
	}
	c.mu.Lock()
	c.resolvedUser = out.User
	c.mu.Unlock()
	c.log.Debug("SSH configuration applied", "host", o.Server, "hostname", out.Host, "port", out.Port,
		"user", out.User, "jumps", len(st.Jumps), "source", st.Source.String())
	return out, nil
}
