package testserver

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sshArgs are the OpenSSH client options for a non-interactive, strictly
// host-key-checked connection to the lab.
func sshArgs(l *Lab, port int, knownHosts string, extra ...string) []string {
	args := []string{
		"-F", "/dev/null",
		"-o", "UserKnownHostsFile=" + knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "ConnectTimeout=20",
		"-p", strconv.Itoa(port),
	}
	args = append(args, extra...)
	return append(args, l.User+"@"+l.Host)
}

func runSSH(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestLabEndToEnd(t *testing.T) {
	lab := Start(t)
	lab.Lock(t)

	t.Run("fields", func(t *testing.T) {
		if lab.Host != "127.0.0.1" || lab.Port == 0 || lab.KbdIntPort == 0 || lab.User == "" ||
			lab.Password == "" || lab.Passphrase == "" || lab.Display == "" {
			t.Fatalf("incomplete lab description: %+v", lab)
		}
		for _, f := range []string{lab.Key, lab.RSAKey, lab.ECDSAKey, lab.EncKey, lab.RSAPEMKey,
			lab.RSAPEMEncKey, lab.KnownHosts, lab.KnownHostsHashed, lab.XAuthority,
			filepath.Join(lab.ClientHome, ".ssh", "id_ed25519")} {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("lab file: %v", err)
			}
		}
	})

	t.Run("key login with strict host key checking", func(t *testing.T) {
		for _, kh := range []string{lab.KnownHosts, lab.KnownHostsHashed} {
			for _, key := range []string{lab.Key, lab.RSAKey, lab.ECDSAKey, lab.RSAPEMKey} {
				args := sshArgs(lab, lab.Port, kh, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes")
				remote := "echo lab-ok"
				if key == lab.Key {
					remote += "; x2golistsessions"
				}
				out, err := runSSH(t, os.Environ(), append(args, remote)...)
				if err != nil || !strings.Contains(out, "lab-ok") {
					t.Errorf("ssh -i %s (known_hosts %s): %v\n%s", key, kh, err, out)
				}
			}
		}
	})

	t.Run("unknown host key is refused", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		args := sshArgs(lab, lab.Port, empty, "-i", lab.Key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes")
		if out, err := runSSH(t, os.Environ(), append(args, "true")...); err == nil {
			t.Fatalf("ssh with an empty known_hosts succeeded:\n%s", out)
		}
	})

	t.Run("keyboard-interactive only on the second port", func(t *testing.T) {
		askpass := filepath.Join(t.TempDir(), "askpass")
		script := "#!/bin/sh\nprintf '%s\\n' \"$LAB_TEST_PASSWORD\"\n"
		if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		env := append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force",
			"LAB_TEST_PASSWORD="+lab.Password)
		args := sshArgs(lab, lab.KbdIntPort, lab.KnownHosts, "-o", "PubkeyAuthentication=no",
			"-o", "PreferredAuthentications=keyboard-interactive", "-o", "NumberOfPasswordPrompts=1")
		if out, err := runSSH(t, env, append(args, "echo kbd-ok")...); err != nil || !strings.Contains(out, "kbd-ok") {
			t.Errorf("keyboard-interactive login on port %d: %v\n%s", lab.KbdIntPort, err, out)
		}
		args = sshArgs(lab, lab.KbdIntPort, lab.KnownHosts, "-i", lab.Key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes")
		if out, err := runSSH(t, os.Environ(), append(args, "true")...); err == nil {
			t.Errorf("public key login on the keyboard-interactive port succeeded:\n%s", out)
		}
	})

	t.Run("server command without ssh", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := lab.ServerCommand(ctx, "id -un")
		if err != nil || strings.TrimSpace(out) != lab.User {
			t.Fatalf("ServerCommand(id -un) = %q, %v", out, err)
		}
		if _, err := lab.ServerCommand(ctx, "x2golistsessions"); err != nil {
			t.Fatalf("ServerCommand(x2golistsessions): %v", err)
		}
		if _, err := lab.ServerCommand(ctx, "exit 3"); err == nil {
			t.Fatal("ServerCommand(exit 3) returned no error")
		}
		_ = lab.Sessions(t) // must not fail
	})

	t.Run("second user", func(t *testing.T) {
		if lab.User2 == "" || lab.User2 == lab.User || lab.Password2 == "" {
			t.Fatalf("second user: %q (password set: %v)", lab.User2, lab.Password2 != "")
		}
		login := func(key string) (string, error) {
			args := sshArgs(lab, lab.Port, lab.KnownHosts, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes")
			args[len(args)-1] = lab.User2 + "@" + lab.Host
			return runSSH(t, os.Environ(), append(args, "id -nG; x2golistsessions")...)
		}
		out, err := login(lab.Key2)
		if err != nil || !strings.Contains(out, "x2godesktopsharing") {
			t.Fatalf("%s with its key: %v\n%s (want a member of x2godesktopsharing)", lab.User2, err, out)
		}
		if out, err := login(lab.Key); err == nil {
			t.Errorf("%s logged in with %s's key:\n%s", lab.User2, lab.User, out)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := lab.ServerCommandAs(ctx, lab.User2, "id -un"); err != nil || strings.TrimSpace(out) != lab.User2 {
			t.Errorf("ServerCommandAs(%s, id -un) = %q, %v", lab.User2, out, err)
		}
	})

	t.Run("agent binds loopback only", func(t *testing.T) {
		f, err := os.Open("/etc/x2go/x2goagent.options")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		last := ""
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "X2GO_NXOPTIONS=") {
				last = line
			}
		}
		if !strings.Contains(last, "loopback=1") {
			t.Fatalf("last X2GO_NXOPTIONS assignment in x2goagent.options is %q, want loopback=1", last)
		}
	})

	t.Run("client display", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "xdpyinfo")
		cmd.Env = lab.ClientEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdpyinfo on %s: %v\n%s", lab.Display, err, out)
		}
	})
}
