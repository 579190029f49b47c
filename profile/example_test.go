package profile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"path/filepath"

	"github.com/x2go-go/x2go/profile"
)

const sessionsFile = `[20240101123456789]
name=lab desktop
host=127.0.0.1
user=x2gotest
sshport=2222
command=XFCE
rootless=false
export="/home/alice/Documents:1;/tmp/share:0;"
; written by X2Go Client
krbdelegation=false
`

func ExampleParseSessions() {
	s, err := profile.ParseSessions([]byte(sessionsFile))
	if err != nil {
		log.Fatal(err)
	}
	p, err := s.Profile("lab desktop")
	if err != nil {
		log.Fatal(err)
	}
	port, _ := p.Int("sshport")
	fmt.Println(p.ID(), p.String("host"), port)
	fmt.Println(p.Exports())
	// An absent key reads as python-x2go's default.
	fmt.Println(p.String("clipboard"))
	// Output:
	// 20240101123456789 127.0.0.1 2222
	// [{/home/alice/Documents true} {/tmp/share false}]
	// both
}

func ExampleProfile_Params() {
	s, _ := profile.ParseSessions([]byte(sessionsFile))
	p, _ := s.Profile("lab desktop")
	sp, err := p.Params()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sp.Server, sp.Port, sp.User, sp.SessionType, sp.Command)
	fmt.Println(sp.Geometry, sp.Link, sp.Pack, sp.ShareLocalFolders)
	// Output:
	// 127.0.0.1 2222 x2gotest desktop XFCE
	// 800x600 adsl 16m-jpeg-9 [/home/alice/Documents /tmp/share]
}

func ExampleProfile_Option() {
	s, _ := profile.ParseSessions([]byte(sessionsFile))
	p, _ := s.Profile("20240101123456789")
	for _, name := range []string{"sshport", "rootless", "applications", "krbdelegation"} {
		v, err := p.Option(name)
		fmt.Printf("%s: %#v %v\n", name, v, err)
	}
	// Output:
	// sshport: 2222 <nil>
	// rootless: false <nil>
	// applications: []string{"WWWBROWSER", "MAILCLIENT", "OFFICE", "TERMINAL"} <nil>
	// krbdelegation: "false" <nil>
}

func ExampleSessions_AddWithID() {
	s := profile.NewSessions()
	p, err := s.AddWithID("20250101000000000", "new, with comma")
	if err != nil {
		log.Fatal(err)
	}
	p.SetList("host", []string{"server.example.org"})
	p.SetExports([]profile.Export{{Path: "/home/me/share", Mount: true}})
	for _, key := range []string{"name", "host", "export", "autologin"} {
		raw, _ := p.Raw(key)
		fmt.Printf("%s=%s\n", key, raw)
	}
	// Output:
	// name="new, with comma"
	// host=server.example.org
	// export="/home/me/share:1;"
	// autologin=true
}

func ExampleSection_SetString() {
	// Only the changed value differs when the file is written back.
	f, _ := profile.Parse([]byte("; comment\n[a]\nkey = old ; note\nother=1\n"))
	f.Section("a").SetString("key", "new value")
	fmt.Print(string(f.Bytes()))
	// Output:
	// ; comment
	// [a]
	// key = new value ; note
	// other=1
}

func ExampleLoadSessions() {
	dir, err := profile.ClientDir()
	if err != nil {
		log.Fatal(err)
	}
	s, err := profile.LoadSessions(filepath.Join(dir, profile.SessionsFile))
	var syntax *profile.SyntaxError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No profiles yet; s is empty and Save creates the file.
	case errors.As(err, &syntax):
		log.Printf("line %d of %s skipped: %s", syntax.Line, syntax.Path, syntax.Msg)
	case err != nil:
		log.Fatal(err)
	}
	for _, p := range s.Profiles() {
		fmt.Println(p.ID(), p.Name())
	}
}

func ExamplePrinting_Action() {
	pr, _ := profile.ParsePrinting([]byte("[General]\npdfview=false\n[CUPS]\ndefaultprinter=Office\n"))
	a, err := pr.Action(false)
	fmt.Println(a.Action, a.Arg, err)
	pr.SetAction(profile.PrintSetup{Action: profile.PrintCommand, Arg: "lpr -P office"})
	a, _ = pr.Action(false)
	fmt.Println(a.Action, a.Arg)
	// Output:
	// PRINT Office <nil>
	// PRINTCMD lpr -P office
}
