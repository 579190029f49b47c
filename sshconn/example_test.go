package sshconn_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/x2go-go/x2go/sshconn"
)

// A connection through a jump host that asks the user about unknown host
// keys and for key passphrases. The time the user takes to answer does
// not count against ConnectTimeout.
func ExampleDial() {
	in := bufio.NewReader(os.Stdin)
	ask := func(ctx context.Context, info sshconn.HostKeyInfo) (bool, error) {
		fmt.Printf("Host %s presents %s key %s. Trust it? [y/N] ", info.LookupName, info.KeyType, info.Fingerprint)
		line, err := in.ReadString('\n')
		return strings.TrimSpace(line) == "y", err
	}
	cfg := sshconn.Config{
		Host: "x2go.example.org", User: "alice",
		Auth: sshconn.Auth{
			KeyFiles: []string{os.ExpandEnv("$HOME/.ssh/id_ed25519")},
			PassphrasePrompt: func(ctx context.Context, keyFile string) (string, error) {
				fmt.Printf("Passphrase for %s: ", keyFile)
				line, err := in.ReadString('\n')
				return strings.TrimSpace(line), err
			},
		},
		HostKeys:       sshconn.HostKeyConfig{Ask: ask},
		ConnectTimeout: 10 * time.Second,
		Jump: &sshconn.Config{
			Host: "gateway.example.org", User: "alice",
			Auth:     sshconn.Auth{AllowAgent: true},
			HostKeys: sshconn.HostKeyConfig{Ask: ask},
		},
	}
	conn, err := sshconn.Dial(context.Background(), cfg)
	var hk *sshconn.HostKeyError
	switch {
	case errors.As(err, &hk) && hk.Changed:
		log.Fatalf("possible attack: %v", err)
	case errors.Is(err, sshconn.ErrAuthFailed):
		log.Fatalf("login refused: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	defer conn.Close()

	out, err := conn.Output(context.Background(), "x2golistsessions")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(out)
}

// A reverse port forward: the server listens on a port of its loopback
// interface and hands every connection to the client, as folder sharing
// does for the server's sshfs.
func ExampleConn_ListenRemote() {
	var conn *sshconn.Conn // from Dial
	ln, err := conn.ListenRemote(context.Background(), "127.0.0.1:0")
	if errors.Is(err, sshconn.ErrForwardDenied) {
		log.Fatalf("the server does not allow port forwarding: %v", err)
	} else if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	fmt.Println("server side port:", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return // the listener or the connection was closed
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

// Forward the local SSH agent (ssh -A, pyhoca-cli -A) so that programs in
// the X2Go session can use it, e.g. to log in elsewhere with the user's
// keys. Dial fails with ErrNoAgent when $SSH_AUTH_SOCK has no agent.
func ExampleConfig_forwardAgent() {
	cfg := sshconn.Config{
		Host: "x2go.example.org", User: "alice",
		Auth:         sshconn.Auth{AllowAgent: true},
		ForwardAgent: true,
	}
	conn, err := sshconn.Dial(context.Background(), cfg)
	if errors.Is(err, sshconn.ErrNoAgent) {
		log.Fatal("start ssh-agent and add a key first")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.Run(context.Background(), "ssh-add -l")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(res.Stdout)
}
