// Command x2go is an X2Go client: it lists, starts, resumes, suspends and
// terminates sessions on an X2Go server and shows them on the local display.
//
// It has modern subcommands (x2go list --json, ...) and a pyhoca-cli
// compatible front end: called as pyhoca-cli (e.g. through a symlink), or as
// `x2go pyhoca-cli ARGS...`, it accepts pyhoca-cli's options and prints what
// pyhoca-cli prints, so scripts and front ends that drive pyhoca-cli can
// switch to it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// version is the program's version, printed by --version.
const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command needs from its surroundings; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	prog := filepath.Base(args[0])
	if prog == "pyhoca-cli" {
		return runPyhoca(ctx, e, prog, args[1:])
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[1] {
	case "pyhoca-cli":
		return runPyhoca(ctx, e, "pyhoca-cli", args[2:])
	case "list", "ls":
		return cmdList(ctx, e, args[2:])
	case "desktops":
		return cmdDesktops(ctx, e, args[2:])
	case "info":
		return cmdInfo(ctx, e, args[2:])
	case "apps":
		return cmdApps(ctx, e, args[2:])
	case "version", "--version", "-V":
		fmt.Fprintf(stdout, "x2go %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if extra, ok := lifecycleCommands[args[1]]; ok {
			return extra(ctx, e, args[2:])
		}
		fmt.Fprintf(stderr, "x2go: unknown command %q\n\n%s", args[1], usage)
		return 2
	}
}

// lifecycleCommands are the session subcommands (start, resume, ...),
// registered by lifecycle.go.
var lifecycleCommands = map[string]func(context.Context, *env, []string) int{}

const usage = `usage: x2go COMMAND [options] [user@]host[:port]

Commands:
  list        list the user's X2Go sessions (--json for machine output)
  desktops    list desktops available for sharing (--json)
  info        server versions, features and remote home (--json)
  apps        published applications menu (--json)
  start       start a new session and show it (-c COMMAND, -t desktop, -g WxH)
  resume      resume a session (NAME, NEWEST or OLDEST) and show it
  suspend     suspend a session (NAME or ALL)
  terminate   terminate a session (NAME or ALL)
  pyhoca-cli  run with pyhoca-cli's options and output (also when called as pyhoca-cli)
  version     print the version

Connection options (every command):
  -p PORT                SSH port (default 22)
  -u USER                login name (default: current user)
  -i KEYFILE             private key (repeatable); ~/.ssh/id_* and the agent are tried too
  --password-file FILE   read the password from FILE ("-" = standard input);
                         the environment variable X2GO_SSH_PASSWORD works too
  --passphrase-file FILE read the key passphrase from FILE
  --known-hosts FILE     known_hosts file (default ~/.ssh/known_hosts)
  --add-to-known-hosts   accept and store an unknown host key (a changed key is always refused)
  --jump [user@]host[:port]  connect through an SSH jump host
  --timeout DURATION     connect timeout (default 30s)
  -v                     debug log on stderr

Run "x2go COMMAND -h" for a command's own options.
`
