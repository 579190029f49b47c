package broker_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/sshconn"
	"golang.org/x/crypto/ssh"
)

// List the profiles an HTTPS broker offers, pick one, and turn the
// broker's selection into the SSH login of the session.
func ExampleNewHTTP() {
	b, err := broker.NewHTTP(broker.HTTPConfig{
		URL:      "https://broker.example.org/json/",
		User:     "alice",
		Password: os.Getenv("BROKER_PASSWORD"),
		CAFile:   "/etc/ssl/certs/example-ca.pem",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	profiles, err := b.ListProfiles(ctx)
	switch {
	case errors.Is(err, broker.ErrAuthFailed):
		log.Fatal("wrong broker password")
	case errors.Is(err, broker.ErrUnreachable):
		log.Fatalf("broker down: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	p := profiles.Profiles()[0]
	params, err := p.Params()
	if err != nil {
		log.Fatal(err)
	}

	sel, err := b.SelectSession(ctx, p.ID())
	if err != nil {
		log.Fatal(err)
	}
	login := sshconn.Config{Host: sel.Server, Port: sel.Port, User: params.User}
	if login.Port == 0 {
		login.Port = params.Port
	}
	if signer, err := sel.Signer(); err != nil {
		log.Fatal(err)
	} else if signer != nil {
		// The broker made a key for this login: use it and nothing else.
		login.Auth = sshconn.Auth{Signers: []ssh.Signer{signer}}
	}
	if sel.Resume != nil {
		fmt.Println("resume", sel.Resume.Name)
	}
	fmt.Println("connect to", sel.Addr(), "as", login.User)
}

// The SSH broker of X2Go Client's ssh:// broker URLs: the SSH login is the
// broker authentication; host keys are checked as for any SSH login.
func ExampleDialSSH() {
	cfg, err := broker.SSHConfigFromURL("ssh://alice@broker.example.org/usr/bin/x2gobroker-ssh")
	if err != nil {
		log.Fatal(err)
	}
	cfg.SSH.Auth = sshconn.Auth{AllowAgent: true, LookForKeys: true}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := broker.DialSSH(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	sel, err := b.SelectSession(ctx, "lab")
	if errors.Is(err, broker.ErrNoServer) {
		log.Fatal("no X2Go server is up for this profile")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sel.Addr())
}

// A selectsession answer of the plain-text dialect, as x2gobroker sends it.
func ExampleParsePlain() {
	ans, err := broker.ParsePlain(broker.TaskSelect, []byte(
		"AUTHID:90294eef-9a7a-4852-9b69-97aa87fd2654\n"+
			"Access granted\n"+
			"SERVER:127.0.0.2:2222\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ans.Selection.Server, ans.Selection.Port)
	fmt.Println("next cookie:", ans.AuthID)
	// Output:
	// 127.0.0.2 2222
	// next cookie: 90294eef-9a7a-4852-9b69-97aa87fd2654
}

// A listprofiles answer of the JSON dialect, as x2gobroker sends it
// (shortened): the profiles become an X2Go Client sessions file.
func ExampleParseJSON() {
	ans, err := broker.ParseJSON(broker.TaskList, []byte(`{
    "auth-status": "Access granted",
    "next-authid": "637a63e3-3855-4981-84af-97af1d0cbb6c",
    "profiles": {
        "desk": {"command": "XFCE", "host": ["127.0.0.1"], "name": "B\u00fcro-Desktop",
                 "rootless": false, "sshport": 2222, "user": "x2gotest"}
    },
    "task": "listprofiles"
}`))
	if err != nil {
		log.Fatal(err)
	}
	p, _ := ans.Profiles.ProfileByID("desk")
	params, _ := p.Params()
	fmt.Println(params.ProfileName, params.Command, params.SessionType, params.Server, params.Port)
	// Output:
	// Büro-Desktop XFCE desktop 127.0.0.1 2222
}

// A pre-shared auth cookie, kept in a file as X2Go Client's --auth-id
// expects it.
func ExampleReadAuthIDFile() {
	id, err := broker.ReadAuthIDFile("/etc/x2go/broker-client.authid")
	if err != nil {
		log.Fatal(err)
	}
	b, err := broker.NewHTTP(broker.HTTPConfig{URL: "https://broker.example.org/plain/", User: "alice", AuthID: id})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}

// The parts of an SSH broker URL.
func ExampleSSHConfigFromURL() {
	cfg, err := broker.SSHConfigFromURL("ssh://alice@broker.example.org:2022/usr/bin/x2gobroker-ssh")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.SSH.User, cfg.SSH.Host, cfg.SSH.Port, cfg.Command)
	// Output:
	// alice broker.example.org 2022 /usr/bin/x2gobroker-ssh
}
