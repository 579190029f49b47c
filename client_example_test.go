package x2go_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/x2go-go/x2go"
	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/profile"
)

// ExampleClient starts a session from a profile of X2Go Client's sessions
// file, and is told when another client suspends it.
func ExampleClient() {
	ctx := context.Background()
	dir, err := profile.ClientDir()
	if err != nil {
		log.Fatal(err)
	}
	profiles, err := profile.LoadSessions(filepath.Join(dir, profile.SessionsFile))
	if err != nil {
		log.Fatal(err)
	}
	c, err := x2go.NewClient(x2go.ClientOptions{
		Profiles: profiles,
		Hooks: x2go.ClientHooks{
			SessionSuspended: func(e x2go.SessionEvent) {
				if !e.ByMe {
					log.Printf("%s (profile %s) was suspended elsewhere", e.Name, e.ProfileName)
				}
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // suspends what still runs, as python-x2go does

	s, err := c.RegisterProfile(ctx, "office desktop", func(o *x2go.Options) {
		o.Params.Geometry = "1280x800" // as pyhoca-cli -P "office desktop" -g 1280x800
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	if err := c.StartSession(ctx, s); err != nil {
		log.Fatal(err)
	}
	st, err := s.Wait(ctx)
	fmt.Println(c.UUID(s), st, err)
}

// ExampleClient_broker asks an x2gobroker where to start a session of a
// load-balanced profile.
func ExampleClient_broker() {
	ctx := context.Background()
	b, err := broker.NewHTTP(broker.HTTPConfig{
		URL: "https://broker.example.org/json/", User: "alice", Password: "secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	c, err := x2go.NewClient(x2go.ClientOptions{Broker: b})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := c.RegisterProfile(ctx, "pool", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the broker chose", c.BrokerSelection(s).Addr())
	if err := s.Connect(ctx); err == nil {
		err = c.StartSession(ctx, s) // resumes the session the broker names, if any
	}
	if err != nil {
		log.Fatal(err)
	}
}

// ExampleClient_ListServers lists the sessions on several servers at
// once; a server that is down has its own error.
func ExampleClient_ListServers() {
	c, err := x2go.NewClient(x2go.ClientOptions{RefreshInterval: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, host := range []string{"a.example.org", "b.example.org", "c.example.org"} {
		if _, err := c.Register(x2go.Options{Server: host, Username: "alice", LookForKeys: true, AllowAgent: true}); err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range c.ListServers(context.Background()) {
		if r.Err != nil {
			fmt.Printf("%s: %v\n", r.Server, r.Err)
			continue
		}
		for _, si := range r.Sessions {
			fmt.Printf("%s: %s %s\n", r.Server, si.Name, si.Status)
		}
	}
}

// ExampleProfileOptions turns a profile into the Options of a session.
func ExampleProfileOptions() {
	ss := profile.NewSessions()
	p, err := ss.Add("lab")
	if err != nil {
		log.Fatal(err)
	}
	p.SetList("host", []string{"x2go.example.org"})
	p.SetString("user", "alice")
	p.SetString("command", "xterm")
	p.SetBool("usesshproxy", true)
	p.SetString("sshproxyhost", "gw.example.org:2222")
	p.SetBool("sshproxysameuser", true)
	sp, err := p.Params()
	if err != nil {
		log.Fatal(err)
	}
	o, err := x2go.ProfileOptions(x2go.Options{}, sp, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Username+"@"+o.Server, o.Params.Command, o.Params.Geometry, "via", o.Jump.Username+"@"+o.Jump.Host, o.Jump.Port)
	// Output: alice@x2go.example.org xterm 800x600 via alice@gw.example.org 2222
}
