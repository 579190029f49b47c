package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/internal/fakesshd"
	"go.uber.org/goleak"
)

// TestManyReadsPasswordFileOnce: with --hosts and --password-file -,
// standard input is read once (TestManyPasswordFromStdin shows that every
// server gets the password); the server, port and user come from each
// entry unless -p or -u are given. Nothing connects: run only looks at
// what was registered (the Client does not show passwords).
func TestManyReadsPasswordFileOnce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cf         connFlags
		wantUser   map[string]string
		wantPort   map[string]int
		wantServer map[string]string
	}{
		{
			name:       "from the entries",
			cf:         connFlags{passwordFile: "-"},
			wantUser:   map[string]string{"alice@one.example:2222": "alice", "carol@two.example": "carol"},
			wantPort:   map[string]int{"alice@one.example:2222": 2222, "carol@two.example": 0},
			wantServer: map[string]string{"alice@one.example:2222": "one.example", "carol@two.example": "two.example"},
		},
		{
			name:       "-p and -u first",
			cf:         connFlags{passwordFile: "-", user: "bob", port: 2200},
			wantUser:   map[string]string{"alice@one.example:2222": "bob", "carol@two.example": "bob"},
			wantPort:   map[string]int{"alice@one.example:2222": 2200, "carol@two.example": 2200},
			wantServer: map[string]string{"alice@one.example:2222": "one.example", "carol@two.example": "two.example"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := &countingReader{r: strings.NewReader("s3cret\nnot this\n")}
			e := newEnv(stdin, io.Discard, io.Discard)
			m := &manyFlags{hosts: []string{"alice@one.example:2222", " carol@two.example "}}
			seen := map[string]x2go.Options{}
			run := func(_ context.Context, cl *x2go.Client, _ []string) ([]x2go.ServerResult, error) {
				for _, s := range cl.Sessions() {
					o := s.Options()
					seen[o.ProfileName] = o
				}
				return nil, nil
			}
			if err := runMany(context.Background(), e, &globalFlags{}, &tc.cf, m, nil, false, "list", run); err != nil {
				t.Fatal(err)
			}
			if stdin.reads == 0 || stdin.eofs != 1 {
				t.Fatalf("standard input read to its end %d times, want once", stdin.eofs)
			}
			if len(seen) != len(tc.wantUser) {
				t.Fatalf("registered %d servers, want %d: %v", len(seen), len(tc.wantUser), seen)
			}
			for h, o := range seen {
				if o.Server != tc.wantServer[h] || o.Port != tc.wantPort[h] || o.Username != tc.wantUser[h] {
					t.Errorf("%s: server %q port %d user %q, want %q %d %q", h, o.Server, o.Port, o.Username,
						tc.wantServer[h], tc.wantPort[h], tc.wantUser[h])
				}
			}
		})
	}
}

// countingReader counts the reads of r and how often it reported the end.
type countingReader struct {
	r           io.Reader
	reads, eofs int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.eofs++
	}
	return n, err
}

// TestManyPasswordFromStdin: x2go list --hosts a,b --password-file - logs
// in to every server with the password given on standard input, not only
// to the first.
func TestManyPasswordFromStdin(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the servers' cleanup
	a, b := fakesshd.New(t, nil), fakesshd.New(t, nil)
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	var known []byte
	for _, s := range []*fakesshd.Server{a, b} {
		k, err := os.ReadFile(s.KnownHostsFile(t))
		if err != nil {
			t.Fatal(err)
		}
		known = append(known, k...)
	}
	if err := os.WriteFile(kh, known, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir) // no keys of the person running the tests
	t.Setenv("SSH_AUTH_SOCK", "")
	e := &env{stdin: strings.NewReader(a.Password() + "\n")}
	out, errOut, code := runIn(t, e, "x2go", "list", "--hosts", a.Addr()+","+b.Addr(), "-u", "x2gotest",
		"--known-hosts", kh, "--password-file", "-")
	if code != 0 || errOut != "" || strings.Count(out, "no sessions") != 2 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}
