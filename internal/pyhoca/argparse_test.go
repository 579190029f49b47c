package pyhoca

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// argparseVector is one recorded argparse result, see argparseVectors.
type argparseVector struct {
	args   []string
	values map[string]string
	help   bool
	err    string
}

func TestArgparseMatchesPython(t *testing.T) {
	for _, v := range argparseVectors {
		t.Run(strings.Join(v.args, " "), func(t *testing.T) {
			r, err := argparse(v.args)
			switch {
			case v.help:
				if !errors.Is(err, ErrHelp) {
					t.Fatalf("got %v, want ErrHelp", err)
				}
			case v.err != "":
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Code != 2 || ue.Msg != v.err {
					t.Fatalf("got error %#v, want code 2 %q", err, v.err)
				}
			default:
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				got := maps.Clone(r.values)
				if r.hasHost {
					got["host"] = r.host
				}
				if !maps.Equal(got, v.values) {
					t.Fatalf("got %v, want %v", got, v.values)
				}
			}
		})
	}
}

func TestAmbiguousPrefixHidesValue(t *testing.T) {
	_, err := argparse([]string{"--pa=s3cret", "h"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v, want an ambiguity error without the value", err)
	}
	if want := "ambiguous option: --pa could match --password, --pack"; err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"foo":    "'foo'",
		"":       "''",
		"it's":   `"it's"`,
		`a'b"c`:  `'a\'b"c'`,
		"a\nb":   `'a\nb'`,
		`back\s`: `'back\\s'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}
