package x2go_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/x2go-go/x2go"
)

// ExampleSession_ShareDesktop shows bob's desktop on the server to a
// helpdesk user, with keyboard and mouse, once bob accepts in his desktop
// sharing applet.
func ExampleSession_ShareDesktop() {
	ctx := context.Background()
	s, err := x2go.NewSession(x2go.Options{
		Server:      "x2go.example.org",
		Username:    "helpdesk",
		LookForKeys: true,
		Hooks: x2go.Hooks{
			DesktopSharingDenied: func(_ *x2go.Session, desktop string) {
				fmt.Println("refused:", desktop)
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	desktop, err := x2go.ParseDesktop("bob@:52") // as ListDesktops names it
	if err != nil {
		log.Fatal(err)
	}
	switch err := s.ShareDesktop(ctx, desktop, x2go.FullAccess); {
	case errors.Is(err, x2go.ErrNoSuchDesktop):
		log.Fatalf("bob does not offer %s", desktop)
	case errors.Is(err, x2go.ErrAccessDenied):
		log.Fatal("bob said no")
	case err != nil:
		log.Fatal(err)
	}
	st, err := s.Wait(ctx) // until the sharing ends
	fmt.Println(st, err)
}

// ExampleControlSession_ExecPublishedApplication starts a published
// application by the name of its menu entry in a published applications
// session that another client shows.
func ExampleControlSession_ExecPublishedApplication() {
	ctx := context.Background()
	c, err := x2go.NewControlSession(x2go.Options{
		Server:      "x2go.example.org",
		Username:    "alice",
		LookForKeys: true,
		Timeouts:    x2go.Timeouts{Menu: 10 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	menu, err := c.PublishedApplications(ctx, "de_DE", 0)
	if errors.Is(err, x2go.ErrMenuTimeout) {
		log.Fatal("the server is too slow today")
	} else if err != nil {
		log.Fatal(err)
	}
	const provider = "alice-51-1795627846_stRPUBLISHED_dp24" // from ListSessions
	for _, e := range menu[x2go.MenuTop] {
		if e.Name == "XTerm" {
			if err := c.ExecPublishedApplication(ctx, provider, e.Exec); err != nil {
				log.Fatal(err)
			}
		}
	}
}
