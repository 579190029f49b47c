package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/x2go-go/x2go/internal/pyhoca"
)

// Secrets on the command line (--password and friends) are readable by
// every local user through /proc/<pid>/cmdline, ps and top. Go cannot
// rewrite its argv in place, so x2go re-executes itself at once, before
// any network work: the same program, the same process id, the command
// line without the secrets, and the secrets in a pipe whose descriptor
// the new image inherits (named by secretsFDEnv; the environment of a
// process is readable by its owner only, and holds only a number). The
// new image reads the pipe, closes it and drops the variable, so that no
// child process (nxproxy) inherits either.
const (
	secretsFDEnv = "X2GO_SECRETS_FD"
	// passwordEnv is the safe way to give a password without a file.
	passwordEnv = "X2GO_SSH_PASSWORD"
	// maxSecrets bounds what goes through the pipe: it must fit the pipe
	// buffer, as nobody reads before the exec.
	maxSecrets = 8 << 10
)

// isPyhocaInvocation reports whether args (argv) call the pyhoca-cli
// front end: through a program named pyhoca-cli, or as x2go pyhoca-cli.
func isPyhocaInvocation(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if progName(args[0]) == "pyhoca-cli" {
		return true
	}
	return len(args) > 1 && args[1] == "pyhoca-cli"
}

// progName is the program name of argv[0], without directory and .exe.
func progName(arg0 string) string {
	return strings.TrimSuffix(filepath.Base(arg0), ".exe")
}

// splitSecrets takes the secret options out of argv. For the pyhoca-cli
// front end the values are keyed by pyhoca-cli's dest names (password,
// ssh_passphrase, broker_password); for the subcommands by flag name
// (password, passphrase).
func splitSecrets(args []string) ([]string, map[string]string) {
	if len(args) < 2 {
		return args, nil
	}
	head := 1
	if progName(args[0]) != "pyhoca-cli" {
		head = 2 // x2go SUBCOMMAND ...
	}
	var rest []string
	var secrets map[string]string
	if isPyhocaInvocation(args) {
		rest, secrets = pyhoca.SplitSecrets(args[head:])
	} else {
		rest, secrets = splitFlagSecrets(args[head:], args[1])
	}
	if secrets == nil {
		return args, nil
	}
	return append(append([]string(nil), args[:head]...), rest...), secrets
}

// secretFlags are the subcommands' flags whose values are secrets.
var secretFlags = map[string]bool{"password": true, "passphrase": true}

// secretFlag returns the name of the secret flag a names (--password,
// --password=..., the same for --passphrase), or "". pflag takes long
// flags only by their full name, so no shorter word names one.
func secretFlag(a string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
	if strings.HasPrefix(a, "--") && secretFlags[name] {
		return name
	}
	return ""
}

// splitFlagSecrets is splitSecrets for the subcommands, whose flags
// follow pflag's rules: --flag=value or --flag value (any next word), no
// abbreviations, nothing after "--". To know which other flags take the
// next word as their value, it looks the subcommand up in the command
// tree; a command line without a secret flag needs none of that.
func splitFlagSecrets(args []string, sub string) ([]string, map[string]string) {
	if !slices.ContainsFunc(args, func(a string) bool { return secretFlag(a) != "" }) {
		return args, nil
	}
	takesValue := flagValueTable(sub)
	var rest []string
	var secrets map[string]string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case secretFlag(a) != "":
			if !hasVal {
				if i+1 >= len(args) {
					rest = append(rest, a) // pflag reports the missing value
					continue
				}
				i++
				val = args[i]
			}
			if secrets == nil {
				secrets = map[string]string{}
			}
			secrets[name] = val
		case strings.HasPrefix(a, "--") && !hasVal && takesValue(name, false) && i+1 < len(args):
			rest = append(rest, a, args[i+1])
			i++
		case len(a) == 2 && a[0] == '-' && a[1] != '-' && takesValue(a[1:], true) && i+1 < len(args):
			rest = append(rest, a, args[i+1])
			i++
		default:
			rest = append(rest, a)
		}
	}
	return rest, secrets
}

// secretsFromPipe reads the secrets a re-executing x2go left in the pipe
// named by secretsFDEnv, closes it and removes the variable. It returns
// nil when the variable is not set.
func secretsFromPipe() (map[string]string, error) {
	v, ok := os.LookupEnv(secretsFDEnv)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(secretsFDEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not a descriptor this program left", secretsFDEnv, v)
	}
	f := os.NewFile(uintptr(fd), "secrets")
	if f == nil {
		return nil, fmt.Errorf("%s: no descriptor %d", secretsFDEnv, fd)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, fmt.Errorf("%s: descriptor %d is not the pipe this program left", secretsFDEnv, fd)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecrets+1))
	if err != nil {
		return nil, fmt.Errorf("reading the secrets handed over: %w", err)
	}
	secrets := map[string]string{}
	if err := json.Unmarshal(b, &secrets); err != nil {
		return nil, errors.New("the secrets handed over are garbled")
	}
	return secrets, nil
}

// childEnviron is this process's environment without what must not reach
// a child process: the password variable and the secrets descriptor.
func childEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == passwordEnv || k == secretsFDEnv {
			continue
		}
		out = append(out, kv)
	}
	return out
}
