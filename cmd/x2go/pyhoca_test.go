package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/internal/pyhoca"
	"go.uber.org/goleak"
)

// helpEnv is an env whose COLUMNS is columns ("" = unset), writing into
// buffers (not a terminal).
func helpEnv(columns string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string {
			if k == "COLUMNS" {
				return columns
			}
			return ""
		},
	}, &out, &errOut
}

func TestPyhocaHelpFollowsColumns(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range []struct {
		env  string
		want int
	}{
		{"100", 100},
		{" 132 ", 132},
		{"", pyhoca.DefaultColumns},
		{"0", pyhoca.DefaultColumns},
		{"-5", pyhoca.DefaultColumns},
		{"wide", pyhoca.DefaultColumns},
	} {
		e, out, errOut := helpEnv(c.env)
		if code := runPyhoca(context.Background(), e, "pyhoca-cli", []string{"--help"}); code != 0 {
			t.Errorf("COLUMNS=%q: --help exited %d", c.env, code)
		}
		if want := pyhoca.Help("pyhoca-cli", c.want); out.String() != want || errOut.Len() != 0 {
			t.Errorf("COLUMNS=%q: --help did not print the help for %d columns on stdout alone", c.env, c.want)
		}
	}
}

func TestPyhocaUsageErrorFollowsColumns(t *testing.T) {
	defer goleak.VerifyNone(t)
	e, out, errOut := helpEnv("120")
	code := runPyhoca(context.Background(), e, "pyhoca-cli", []string{"--no-such-option", "host"})
	want := pyhoca.Usage("pyhoca-cli", 120) + "pyhoca-cli: error: unrecognized arguments: --no-such-option\n"
	if code != 2 || errOut.String() != want || out.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 and stderr %q", code, errOut, out, want)
	}
}

func TestPyhocaHelpThroughRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Setenv("COLUMNS", "90")
	for _, args := range [][]string{
		{"x2go", "pyhoca-cli", "--help"},
		{"/usr/local/bin/pyhoca-cli", "-h"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Errorf("%q exited %d: %s", args, code, errOut.String())
		}
		if want := pyhoca.Help("pyhoca-cli", 90); out.String() != want {
			t.Errorf("%q printed %q..., want the help for 90 columns", args, firstLine(out.String()))
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
