package protocol

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Every fuzzer checks that the parser never panics, that a failure is a
// *ParseError, and that a successful result, formatted back into server
// output, parses to the same value. Seeds are the real answers of the lab
// trace; testdata/fuzz/FuzzX holds inputs the fuzzers found.

// checkErr fails unless err is nil or a *ParseError.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var pe *ParseError
	if err != nil && (!errors.As(err, &pe) || !errors.Is(err, ErrMalformed)) {
		t.Fatalf("error is not a *ParseError: %#v", err)
	}
}

// seedTrace adds the inner stdout of every trace record whose command
// starts with one of prefixes.
func seedTrace(f *testing.F, prefixes ...string) {
	for _, r := range loadTrace(f) {
		for _, p := range prefixes {
			if strings.HasPrefix(r.Cmd, p) {
				f.Add(innerStdout(f, r))
				break
			}
		}
	}
}

func FuzzUnwrap(f *testing.F) {
	for i, r := range loadTrace(f) {
		if i%10 == 0 {
			f.Add(r.ID, ourStdout(r))
		}
	}
	f.Add(testID, []byte("motdX2GODATABEGIN:"+testID+"\nfooX2GODATAEND:"+testID+":7\nbye"))
	f.Fuzz(func(t *testing.T, id string, raw []byte) {
		out, status, err := Unwrap(id, raw)
		checkErr(t, err)
		if err != nil {
			return
		}
		if status < 0 || status > 255 {
			t.Fatalf("status %d", status)
		}
		again := "noise\nX2GODATABEGIN:" + id + "\n" + out + "X2GODATAEND:" + id + ":" + strconv.Itoa(status) + "\nbye"
		out2, status2, err := Unwrap(id, []byte(again))
		if err != nil || out2 != out || status2 != status {
			t.Fatalf("round trip: %q %d %v, want %q %d", out2, status2, err, out, status)
		}
	})
}

// formatSessionName is the inverse of ParseSessionName.
func formatSessionName(sn SessionName) string {
	typ := sn.Type
	if typ == TypePublished && sn.Command == "PUBLISHED" {
		typ = TypeRootless
	}
	s := fmt.Sprintf("%s-%02d-%09d_st%s%s_dp%d", sn.User, sn.Display, sn.Timestamp, typ, sn.Command, sn.Depth)
	if sn.XDMCP != "" {
		s += "_" + sn.XDMCP
	}
	return s
}

func FuzzParseSessionName(f *testing.F) {
	for _, s := range []string{
		"x2gotest-51-1795627586_stRxterm_dp24", "x2gotest-51-1795627705_stDxterm_dp24",
		"x2gotest-51-1795627846_stRPUBLISHED_dp24", "x2gotest-52-1795627724_stS1XSHADx2gotestXSHADPP51_dp24",
		"x2gotest-52-1795627925_stRxclock_dp24", "john_doe-50-1700000000_stRTERMINAL_dp24",
		"a-b-c-51-1795627586_stRxterm_dp24", "alice-53-1700000789_stDXDMCP_dp24_xdmcphost",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		sn, err := ParseSessionName(name)
		checkErr(t, err)
		if err != nil {
			return
		}
		if !strings.Contains("DRSKP", sn.Type) || len(sn.Type) != 1 {
			t.Fatalf("type %q", sn.Type)
		}
		sn2, err := ParseSessionName(formatSessionName(sn))
		if err != nil || sn2 != sn {
			t.Fatalf("round trip of %q via %q: %+v, %v; want %+v", name, formatSessionName(sn), sn2, err, sn)
		}
	})
}

func FuzzParseSessionList(f *testing.F) {
	f.Add(specList)
	seedTrace(f, ListSessionsCmd(true))
	f.Fuzz(func(t *testing.T, out string) {
		list, skipped := ParseSessionList(out)
		for _, pe := range skipped {
			checkErr(t, pe)
		}
		var lines []string
		for _, s := range list {
			if !ValidSessionName(s.Name) || !strings.Contains("RSF", s.Status) || len(s.Status) != 1 {
				t.Fatalf("invalid session accepted: %+v", s)
			}
			lines = append(lines, s.Line())
		}
		list2, skipped := ParseSessionList(strings.Join(lines, "\n"))
		if skipped != nil || !reflect.DeepEqual(list2, list) {
			t.Fatalf("round trip: %+v, %v; want %+v", list2, skipped, list)
		}
	})
}

func FuzzParseDesktops(f *testing.F) {
	seedTrace(f, ListDesktopsCmd())
	f.Add("alice@:50\nbob@example.org@:51.0\n\n")
	f.Fuzz(func(t *testing.T, out string) {
		list, err := ParseDesktops(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		list2, err := ParseDesktops(strings.Join(list, "\n"))
		if err != nil || !slices.Equal(list2, list) {
			t.Fatalf("round trip: %q, %v; want %q", list2, err, list)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	seedTrace(f, "export HOSTNAME && x2golistmounts")
	f.Add("127.0.0.1|/tmp/.x2go-x2gotest/media/disk/_run_x2go-lab_share\n")
	f.Fuzz(func(t *testing.T, out string) {
		list, err := ParseMounts(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, m := range list {
			b.WriteString(m.Client + "|" + m.Path + "\n")
		}
		list2, err := ParseMounts(b.String())
		if err != nil || !slices.Equal(list2, list) {
			t.Fatalf("round trip: %q, %v; want %q", list2, err, list)
		}
	})
}

func FuzzParseFeatures(f *testing.F) {
	seedTrace(f, FeatureListCmd())
	f.Fuzz(func(t *testing.T, out string) {
		list, err := ParseFeatures(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
			t.Fatalf("not sorted and unique: %q", list)
		}
		list2, err := ParseFeatures(strings.Join(list, "\n"))
		if err != nil || !slices.Equal(list2, list) {
			t.Fatalf("round trip: %q, %v; want %q", list2, err, list)
		}
	})
}

func FuzzParseVersions(f *testing.F) {
	seedTrace(f, VersionCmd())
	f.Fuzz(func(t *testing.T, out string) {
		m, err := ParseVersions(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + ": " + m[k] + "\n")
		}
		m2, err := ParseVersions(b.String())
		if err != nil || !reflect.DeepEqual(m2, m) {
			t.Fatalf("round trip: %v, %v; want %v", m2, err, m)
		}
	})
}

// formatApplications renders apps the way x2gogetapps does.
func formatApplications(apps []Application) string {
	var b strings.Builder
	for _, a := range apps {
		b.WriteString("<desktop>\n")
		for _, kv := range a.Entries {
			b.WriteString(kv.Key + "=" + kv.Value + "\n")
		}
		if a.Icon != nil {
			b.WriteString("<icon>\n")
			s := base64.StdEncoding.EncodeToString(a.Icon)
			for len(s) > 76 {
				b.WriteString(s[:76] + "\n")
				s = s[76:]
			}
			b.WriteString(s + "\n\n</icon>\n")
		}
		b.WriteString("</desktop>\n")
	}
	return b.String()
}

func FuzzParseApplications(f *testing.F) {
	f.Add(readTestdata(f, "x2gogetapps.txt"))
	f.Add(readTestdata(f, "x2gogetapps-trace-excerpt.txt"))
	f.Add("<desktop>\nName=A\nName[de]=B\nComment=c\nExec=a %U\nTerminal=true\nCategories=Game;\n<icon>\naGVs\n\nbG8=\n</icon>\n</desktop>\n")
	f.Fuzz(func(t *testing.T, out string) {
		apps, err := ParseApplications(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		apps2, err := ParseApplications(formatApplications(apps))
		if err != nil || !reflect.DeepEqual(apps2, apps) {
			t.Fatalf("round trip: %+v, %v; want %+v", apps2, err, apps)
		}
		withExec := 0
		for _, a := range apps {
			if _, ok := MenuEntryFor(a, "de_DE"); ok {
				withExec++
			}
		}
		for _, max := range []int{0, DefaultMaxNoSubmenus} {
			menu := BuildMenu(apps, "de_DE.UTF-8", max)
			n := 0
			for cat, entries := range menu {
				if len(entries) == 0 {
					t.Fatalf("empty category %q", cat)
				}
				if withExec <= max && cat != MenuTop {
					t.Fatalf("submenu %q with %d entries", cat, withExec)
				}
				for i, e := range entries {
					if e.Exec == "" || e.Name == "" || e.Comment == "" {
						t.Fatalf("incomplete entry %+v", e)
					}
					if i > 0 && entries[i-1].Name > e.Name {
						t.Fatalf("not sorted: %q > %q", entries[i-1].Name, e.Name)
					}
				}
				n += len(entries)
			}
			if n != withExec {
				t.Fatalf("%d menu entries for %d applications with Exec", n, withExec)
			}
		}
	})
}

func FuzzParseStartAgent(f *testing.F) {
	seedTrace(f, "X2GO_XINERAMA=false x2gostartagent")
	f.Add("51\nf1847cec37ed2687bd03f475f4753b71\n17128\nx2gotest-51-1795627586_stRxterm_dp24\n48176\n48177\n48178\n48179\n-1\n")
	f.Fuzz(func(t *testing.T, out string) {
		a, err := ParseStartAgent(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		lines := []string{strconv.Itoa(a.Display), a.Cookie, strconv.Itoa(a.AgentPID), a.Name,
			strconv.Itoa(a.GraphicsPort), strconv.Itoa(a.SoundPort), strconv.Itoa(a.SSHFSPort)}
		if a.TekiCtrlPort != -1 || a.TekiDataPort != -1 {
			lines = append(lines, strconv.Itoa(a.TekiCtrlPort), strconv.Itoa(a.TekiDataPort))
		}
		a2, err := ParseStartAgent(strings.Join(lines, "\n") + "\n")
		if err != nil || a2 != a {
			t.Fatalf("round trip: %+v, %v; want %+v", a2, err, a)
		}
	})
}

func FuzzParseResume(f *testing.F) {
	seedTrace(f, "x2goresume-session")
	f.Add("gr_port=1\nsound_port=2\nfs_port=3\ntekictrl_port=4\ntekidata_port=\nnew_key=x\n")
	f.Fuzz(func(t *testing.T, out string) {
		r, err := ParseResume(out)
		checkErr(t, err)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, kv := range []struct {
			k string
			v int
		}{{"gr_port", r.GraphicsPort}, {"sound_port", r.SoundPort}, {"fs_port", r.SSHFSPort},
			{"tekictrl_port", r.TekiCtrlPort}, {"tekidata_port", r.TekiDataPort}} {
			if kv.v != -1 {
				b.WriteString(kv.k + "=" + strconv.Itoa(kv.v) + "\n")
			}
		}
		r2, err := ParseResume(b.String())
		if err != nil || r2 != r {
			t.Fatalf("round trip: %+v, %v; want %+v", r2, err, r)
		}
	})
}
