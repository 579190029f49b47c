// Command x2go is an X2Go client: it lists, starts, resumes, suspends and
// terminates sessions on an X2Go server and shows them on the local
// display, and checks a server for what X2Go needs.
//
// It has subcommands (x2go list --json, x2go start, x2go check, ...) and a
// pyhoca-cli compatible front end: called as pyhoca-cli (e.g. through a
// symlink), or as `x2go pyhoca-cli ARGS...`, it accepts pyhoca-cli's
// options and prints what pyhoca-cli prints, so scripts and front ends
// that drive pyhoca-cli can switch to it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is the program's version, printed by x2go version.
const version = "0.1.0"

func main() {
	os.Exit(mainWith(os.Args))
}

// mainWith hides the secrets of the command line (re-executing the
// program, see secrets.go), then runs it. Ctrl-C, SIGTERM and SIGHUP end
// the context: a one-shot command gives up, an attended session is
// suspended (or terminated, if asked).
func mainWith(args []string) int {
	secrets, err := secretsFromPipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", progName(args[0]), err)
		return exitError
	}
	if secrets == nil {
		if clean, found := splitSecrets(args); found != nil {
			err := reexec(clean, found) // returns only on failure
			fmt.Fprintf(os.Stderr, "%s: %v\n", progName(args[0]), err)
			if isPyhocaInvocation(args) {
				return 222 // pyhoca-cli's status for --password where it cannot be used
			}
			return exitUsage
		}
	}
	envPassword, hasEnvPassword := os.LookupEnv(passwordEnv)
	os.Unsetenv(passwordEnv) // no child process inherits it
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	e := newEnv(os.Stdin, os.Stdout, os.Stderr)
	e.secrets = secrets
	if hasEnvPassword {
		e.envPassword = envPassword
	}
	return e.run(ctx, args)
}

// env is what a command needs from its surroundings; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// secrets are the values taken off the command line (see secrets.go).
	secrets map[string]string
	// envPassword is the value of X2GO_SSH_PASSWORD, which main removes
	// from the environment.
	envPassword string
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
}

// run runs the command line args (argv) as main does, without the secret
// handling and the signals; tests call it in process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newEnv(stdin, stdout, stderr).run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	if progName(args[0]) == "pyhoca-cli" {
		return runPyhoca(ctx, e, progName(args[0]), args[1:])
	}
	return runCobra(ctx, e, args[1:])
}
