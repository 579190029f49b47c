package protocol

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGetAppsTestdataMatchesTrace(t *testing.T) {
	full, excerpt := readTestdata(t, "x2gogetapps.txt"), readTestdata(t, "x2gogetapps-trace-excerpt.txt")
	if len(excerpt) < 3000 || !strings.HasPrefix(full, excerpt) {
		t.Fatal("x2gogetapps.txt does not continue the trace's excerpt")
	}
	// The excerpt is cut inside the first <desktop>: truncated output.
	_, err := ParseApplications(excerpt)
	wantMalformed(t, "ParseApplications", "trace excerpt", err)
}

func TestParseApplications(t *testing.T) {
	apps, err := ParseApplications(readTestdata(t, "x2gogetapps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 4 {
		t.Fatalf("%d applications, want 4", len(apps))
	}
	vim := apps[0]
	if v, _ := vim.Value("Name"); v != "Vim" {
		t.Errorf("vim Name = %q", v)
	}
	if v, _ := vim.Value("Comment[de]"); v != "Textdateien bearbeiten" {
		t.Errorf("vim Comment[de] = %q", v)
	}
	if v, _ := vim.Value("Exec"); v != "vim %F" {
		t.Errorf("vim Exec = %q", v)
	}
	if !bytes.HasPrefix(vim.Icon, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("vim icon is not a PNG: %q", vim.Icon[:min(len(vim.Icon), 16)])
	}
	if n := len(vim.Entries); n != 87 {
		t.Errorf("vim has only %d entries", n)
	}
	if v, _ := apps[1].Value("Name"); v != "ImageMagick (color depth=q16)" {
		t.Errorf("Name with '=' = %q", v) // python-x2go would cut it at the second '='
	}
	for _, a := range apps[1:] {
		if a.Icon != nil {
			t.Errorf("unexpected icon in %v", a.Entries)
		}
	}
}

func TestParseApplicationsShapes(t *testing.T) {
	apps, err := ParseApplications("\n<desktop>\nName = Spaced\nExec=a=b c\nbroken line\n=novalue\n<icon>\naGVs\n\nbG8=\n\n</icon>\n</desktop>\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyValue{{"Name", "Spaced"}, {"Exec", "a=b c"}}
	if len(apps) != 1 || len(apps[0].Entries) != 2 || apps[0].Entries[0] != want[0] ||
		apps[0].Entries[1] != want[1] || string(apps[0].Icon) != "hello" {
		t.Errorf("got %+v", apps)
	}
	if apps, err := ParseApplications(""); err != nil || apps != nil {
		t.Errorf("empty: %v, %v", apps, err)
	}
	for _, bad := range []string{
		"Name=x\n", "<desktop>\nName=x\n", "</desktop>\n", "<desktop>\n<desktop>\n</desktop>\n",
		"<desktop>\n<icon>\n!!!\n</icon>\n</desktop>\n", "<desktop>\n<icon>\naGVs\n</desktop>\n",
		"<desktop>\n</icon>\n</desktop>\n", "<desktop>\n</desktop>\ntrailing\n",
	} {
		_, err := ParseApplications(bad)
		wantMalformed(t, "ParseApplications", bad, err)
	}
}

func TestBuildMenuTrace(t *testing.T) {
	apps, err := ParseApplications(readTestdata(t, "x2gogetapps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	menu := BuildMenu(apps, "de_DE.UTF-8", DefaultMaxNoSubmenus)
	if len(menu) != 1 || len(menu[MenuTop]) != 4 {
		t.Fatalf("4 entries should all be in TOP: %v", menu)
	}
	var names []string
	for _, e := range menu[MenuTop] {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, ","); got != "ImageMagick (color depth=q16),UXTerm,Vim,XTerm" {
		t.Errorf("order: %s", got)
	}
	vim := menu[MenuTop][2]
	if vim.Exec != "x-terminal-emulator -e 'vim'" || vim.Comment != "Textdateien bearbeiten" || vim.Icon == nil {
		t.Errorf("vim entry: %+v", vim)
	}
	im := menu[MenuTop][0]
	if im.Exec != "/usr/bin/display-im6.q16 -nostdin" {
		t.Errorf("ImageMagick exec: %q", im.Exec)
	}

	menu = BuildMenu(apps, "en", 0)
	want := map[string][]string{MenuUtilities: {"Vim"}, MenuGraphics: {"ImageMagick (color depth=q16)"}, MenuSystem: {"UXTerm", "XTerm"}}
	if len(menu) != len(want) {
		t.Fatalf("categories: %v", menu)
	}
	for cat, ws := range want {
		if len(menu[cat]) != len(ws) {
			t.Fatalf("%s: %v", cat, menu[cat])
		}
		for i, w := range ws {
			if menu[cat][i].Name != w {
				t.Errorf("%s[%d] = %q, want %q", cat, i, menu[cat][i].Name, w)
			}
		}
	}
	if c := menu[MenuUtilities][0].Comment; c != "Edit text files" {
		t.Errorf("en comment: %q", c)
	}
}

func TestBuildMenuRules(t *testing.T) {
	app := func(kv ...string) Application {
		var a Application
		for i := 0; i+1 < len(kv); i += 2 {
			a.Entries = append(a.Entries, KeyValue{kv[i], kv[i+1]})
		}
		return a
	}
	apps := []Application{
		app("Name", "B", "Name[pt]", "B-pt", "Name[pt_BR]", "B-br", "Exec", "b %U", "Categories", "AudioVideo;"),
		app("Name", "A", "Exec", "it's %f", "Terminal", "TRUE", "Categories", "Settings;System;"),
		app("Name", "NoExec", "Categories", "Office;"),
		app("Name", "Top", "Exec", "t", "Categories", "X2Go-Top;Office;"),
		app("Exec", "nameless", "Comment[pt]", "c-pt"),
		app("Name", "G", "Exec", "g", "Categories", "Game;"),
	}
	menu := BuildMenu(apps, "pt_BR", 0)
	check := func(cat string, i int, name, comment, exec string) {
		t.Helper()
		if i >= len(menu[cat]) {
			t.Fatalf("%s has %d entries", cat, len(menu[cat]))
		}
		e := menu[cat][i]
		if e.Name != name || e.Comment != comment || e.Exec != exec {
			t.Errorf("%s[%d] = %+v, want %q %q %q", cat, i, e, name, comment, exec)
		}
	}
	check(MenuMultimedia, 0, "B-br", "B-br", "b")
	check(MenuOther, 0, "A", "A", `x-terminal-emulator -e 'it'\''s'`)
	check(MenuOther, 1, "nameless", "c-pt", "nameless")
	check(MenuTop, 0, "Top", "Top", "t")
	check(MenuGames, 0, "G", "G", "g")
	if len(menu) != 4 {
		t.Errorf("categories: %v", menu)
	}
	if m := BuildMenu(apps, "pt", 5); len(m) != 1 || len(m[MenuTop]) != 5 || m[MenuTop][0].Name != "A" || m[MenuTop][1].Name != "B-pt" {
		t.Errorf("TOP only: %+v", m)
	}
	if m := BuildMenu(nil, "", 10); m == nil || len(m) != 0 {
		t.Errorf("empty: %v", m)
	}
}
