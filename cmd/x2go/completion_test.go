package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompletionScripts: x2go completion bash loads in bash and completes
// subcommands and flags through the built binary; the zsh and fish
// scripts are generated for the same program.
func TestCompletionScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs bash")
	}
	// cobra's bash script builds on the bash-completion package, as every
	// distribution's bash set-up does.
	if _, err := os.Stat("/usr/share/bash-completion/bash_completion"); err != nil {
		t.Fatalf("this test needs the bash-completion package: %v", err)
	}
	bin, _ := buildCLI(t)
	dir := t.TempDir()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, err := exec.Command(bin, "completion", shell).Output()
		if err != nil || !strings.Contains(string(out), "x2go") {
			t.Fatalf("x2go completion %s: %v", shell, err)
		}
		if err := os.WriteFile(filepath.Join(dir, shell), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Complete as bash does on Tab: COMP_WORDS/COMP_CWORD, then the
	// function the script registered for x2go.
	complete := func(line string) []string {
		t.Helper()
		script := `source /usr/share/bash-completion/bash_completion || exit 1
source "$1" || exit 1
words=($2)
[[ $2 == *" " ]] && words+=("")
COMP_WORDS=("${words[@]}"); COMP_CWORD=$((${#words[@]}-1)); COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
f=$(complete -p x2go | sed -E 's/.*-F ([^ ]+) .*/\1/')
"$f" x2go "${words[-1]}" "${words[-2]}"
printf '%s\n' "${COMPREPLY[@]}"`
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", script, "bash", filepath.Join(dir, "bash"), strings.Replace(line, "x2go", bin, 1))
		// (stderr has compopt's complaint that no real Tab is being
		// completed.)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash completing %q: %v\n%s", line, err, out)
		}
		return strings.Fields(string(out))
	}
	if got := complete("x2go su"); strings.Join(got, " ") != "suspend" {
		t.Errorf("x2go su<Tab>: %q", got)
	}
	got := complete("x2go ")
	for _, name := range subcommands(t) {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+name+" ") {
			t.Errorf("x2go <Tab> lacks %s: %q", name, got)
		}
	}
	if got := complete("x2go check --add"); strings.Join(got, " ") != "--add-to-known-hosts" {
		t.Errorf("x2go check --add<Tab>: %q", got)
	}
}
