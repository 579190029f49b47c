package x2go_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/x2go-go/x2go"
)

// Example starts a rootless xterm on an X2Go server, shows it on $DISPLAY
// and keeps it until it is suspended or terminated.
func Example() {
	ctx := context.Background()
	s, err := x2go.NewSession(x2go.Options{
		Server:   "x2go.example.org",
		Username: "alice",
		KeyFiles: []string{"/home/alice/.ssh/id_ed25519"},
		Params:   x2go.Params{Command: "xterm"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		var hk *x2go.HostKeyError
		switch {
		case errors.As(err, &hk) && errors.Is(err, x2go.ErrHostKeyChanged):
			log.Fatalf("the server's host key changed: %v", err)
		case errors.Is(err, x2go.ErrHostKeyUnknown):
			log.Fatalf("unknown host key; set AddToKnownHosts after checking it: %v", err)
		case errors.Is(err, x2go.ErrAuthFailed):
			log.Fatalf("login refused: %v", err)
		}
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("started", s.Name())
	st, err := s.Wait(ctx)
	fmt.Println("session ended:", st, err)
}

// ExampleSession_ListSessions prints the user's sessions on a server.
func ExampleSession_ListSessions() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := x2go.NewSession(x2go.Options{
		Server:      "x2go.example.org",
		Username:    "alice",
		LookForKeys: true, // ~/.ssh/id_*
		AllowAgent:  true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	list, err := s.ListSessions(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, si := range x2go.SortByTimestamp(list) {
		fmt.Println(si.Name, si.Status)
	}
}

// ExampleOptions_controlSession runs two X2Go sessions over one SSH
// connection: the second Session is given the first one's control
// session.
func ExampleOptions_controlSession() {
	ctx := context.Background()
	editor, err := x2go.NewSession(x2go.Options{
		Server:      "x2go.example.org",
		Username:    "alice",
		LookForKeys: true,
		Params:      x2go.Params{Command: "gedit"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer editor.Disconnect() // suspends both sessions and closes the connection
	if err := editor.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	terminal, err := x2go.NewSession(x2go.Options{
		ControlSession: editor.ControlSession(),
		Params:         x2go.Params{Command: "xterm"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []*x2go.Session{editor, terminal} {
		if err := s.Start(ctx); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(editor.Name(), terminal.Name())
}

// ExampleHooks sets only the hooks it needs.
func ExampleHooks() {
	s, err := x2go.NewSession(x2go.Options{
		Server:   "x2go.example.org",
		Username: "alice",
		Hooks: x2go.Hooks{
			StatusChanged: func(s *x2go.Session, c x2go.StatusChange) {
				fmt.Printf("%s: %v -> %v\n", c.Name, c.From, c.To)
			},
			Progress: func(s *x2go.Session, percent int) {
				fmt.Printf("%s: %d%%\n", s.ProfileName(), percent)
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
}
