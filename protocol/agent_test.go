package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStartAgentTrace(t *testing.T) {
	recs := traceWithPrefix(t, "X2GO_XINERAMA=false x2gostartagent")
	for _, r := range recs {
		out := innerStdout(t, r)
		a, err := ParseStartAgent(out)
		if err != nil {
			t.Fatalf("%s: %v", r.Cmd, err)
		}
		l := strings.Split(out, "\n")
		if a.Name != l[3] || a.Cookie != l[1] || a.TekiCtrlPort != -1 || a.TekiDataPort != -1 ||
			a.SoundPort != a.GraphicsPort+1 || a.SSHFSPort != a.GraphicsPort+2 {
			t.Errorf("%+v from %q", a, out)
		}
	}
	a, _ := ParseStartAgent(innerStdout(t, recs[0]))
	want := AgentInfo{Display: 51, Cookie: "f1847cec37ed2687bd03f475f4753b71", AgentPID: 17128,
		Name: "x2gotest-51-1795627586_stRxterm_dp24", GraphicsPort: 48176, SoundPort: 48177, SSHFSPort: 48178,
		TekiCtrlPort: -1, TekiDataPort: -1}
	if a != want {
		t.Errorf("first start:\n got %+v\nwant %+v", a, want)
	}
}

func TestParseStartAgent(t *testing.T) {
	base := "51\nf1847cec37ed2687bd03f475f4753b71\n17128\nx2gotest-51-1795627586_stRxterm_dp24\n48176\n48177\n48178\n"
	a, err := ParseStartAgent(base + "48179\n48180\n")
	if err != nil || a.TekiCtrlPort != 48179 || a.TekiDataPort != 48180 {
		t.Errorf("telekinesis: %+v, %v", a, err)
	}
	a, err = ParseStartAgent(base + "-1\n")
	if err != nil || a.TekiCtrlPort != -1 || a.TekiDataPort != -1 {
		t.Errorf("8 lines: %+v, %v", a, err)
	}
	l := strings.Split(base, "\n")
	with := func(i int, v string) string {
		g := append([]string(nil), l...)
		g[i] = v
		return strings.Join(g, "\n")
	}
	for _, bad := range []string{
		"", "51\n", base + "1\n2\n3\n", with(0, "x"), with(1, "cookie,port=1"), with(1, ""),
		with(2, "0"), with(3, "bad name"), with(4, "0"), with(5, "x"), with(6, "70000"),
		base + "-2\n", "ACCESS DENIED\n",
	} {
		_, err := ParseStartAgent(bad)
		wantMalformed(t, "ParseStartAgent", bad, err)
	}
}

func TestParseResume(t *testing.T) {
	for _, r := range traceWithPrefix(t, "x2goresume-session") {
		p, err := ParseResume(innerStdout(t, r))
		if err != nil || p.SoundPort != p.GraphicsPort+1 || p.SSHFSPort != p.GraphicsPort+2 ||
			p.TekiCtrlPort != -1 || p.TekiDataPort != -1 {
			t.Errorf("trace: %+v, %v", p, err)
		}
		if err := ResumeError(r.Stderr, 0); err != nil || !strings.Contains(r.Stderr, "Died at") {
			t.Errorf("the Died-at noise %q is not an error: %v", r.Stderr, err)
		}
	}
	p, err := ParseResume("gr_port=48176\nsound_port=48177\nfs_port=48178\n")
	if want := (ResumePorts{48176, 48177, 48178, -1, -1}); err != nil || p != want {
		t.Errorf("got %+v, %v", p, err)
	}
	p, err = ParseResume("gr_port=1\nsound_port=2\nfs_port=3\ntekictrl_port=4\ntekidata_port=\nnew_key=x\n")
	if want := (ResumePorts{1, 2, 3, 4, -1}); err != nil || p != want {
		t.Errorf("got %+v, %v", p, err)
	}
	p, err = ParseResume("gr_port=1\n")
	if want := (ResumePorts{1, -1, -1, -1, -1}); err != nil || p != want {
		t.Errorf("got %+v, %v", p, err)
	}
	for _, bad := range []string{"", "sound_port=1\nfs_port=2\n", "gr_port=\n", "gr_port=x\n",
		"gr_port=1\ngr_port=2\n", "gr_port=1\nnoise\n", "gr_port=1\nfs_port=-1\n"} {
		_, err := ParseResume(bad)
		wantMalformed(t, "ParseResume", bad, err)
	}
}

func TestStartError(t *testing.T) {
	if err := StartError("", 0); err != nil {
		t.Errorf("success: %v", err)
	}
	if err := StartError("some warning\n", 0); err != nil {
		t.Errorf("noise: %v", err)
	}
	for _, tc := range []struct {
		stderr string
		status int
		want   error
	}{
		{"ACCESS DENIED\n", 8, ErrAccessDenied},
		{"ACCESS DENIED\n", 0, ErrAccessDenied},
		{"LIMIT\n", 9, ErrSessionLimit},
		{"", 9, ErrSessionLimit},
		{"x\nLIMIT\n", 1, ErrSessionLimit},
		{"Failed to start X2Go Agent session with ID x. Check the logs.\n", 12, nil},
		{"", 1, nil},
	} {
		err := StartError(tc.stderr, tc.status)
		var se *ServerError
		if !errors.As(err, &se) || se.Status != tc.status || se.Stderr != tc.stderr ||
			se.Command != "x2gostartagent" || !errors.Is(err, ErrServerCommand) {
			t.Errorf("StartError(%q, %d) = %v", tc.stderr, tc.status, err)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("StartError(%q, %d) = %v, want %v", tc.stderr, tc.status, err, tc.want)
		}
		if tc.want == nil && (errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrSessionLimit)) {
			t.Errorf("StartError(%q, %d) = %v, want a generic error", tc.stderr, tc.status, err)
		}
		if err.Error() == "" {
			t.Error("empty message")
		}
	}
	if got := StartError("Failed to start X2Go Agent session with ID x.\n", 12).Error(); !strings.Contains(got, "Failed to start") {
		t.Errorf("message lacks the stderr: %s", got)
	}
	for _, tc := range []struct {
		stderr string
		status int
	}{{"", 3}, {"ERROR: failed to resume session with ID x\n", 0}} {
		if err := ResumeError(tc.stderr, tc.status); !errors.Is(err, ErrServerCommand) {
			t.Errorf("ResumeError(%q, %d) = %v", tc.stderr, tc.status, err)
		}
	}
}
