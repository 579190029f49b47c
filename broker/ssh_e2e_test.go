package broker_test

import (
	"errors"
	"net"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/x2go-go/x2go/broker"
	"github.com/x2go-go/x2go/internal/brokertest"
	"github.com/x2go-go/x2go/protocol"
)

// sshBrokerCommand is the broker program the lab user runs: x2gobroker's
// setuid wrapper x2gobroker-ssh if the user may (group x2gobroker-users),
// else the same broker code run as the user (/usr/bin/x2gobroker in its
// SSH mode), both with the test's configuration.
func sshBrokerCommand(t *testing.T, srv *brokertest.Broker, login string) string {
	u, err := user.Lookup(login)
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := u.GroupIds()
	if g, err := user.LookupGroup("x2gobroker-users"); err == nil && slices.Contains(groups, g.Gid) {
		t.Logf("%s is in x2gobroker-users: using the setuid x2gobroker-ssh", login)
		brokertest.TrackCookies(t, filepath.Join(homeOf(t, "x2gobroker"), ".x2go", "broker-cookies"))
		return srv.SetuidSSHCommand
	}
	t.Logf("%s is not in x2gobroker-users: running x2gobroker's SSH mode as %s", login, login)
	brokertest.TrackCookies(t, filepath.Join(u.HomeDir, ".x2go", "broker-cookies"))
	return srv.SSHCommand
}

// The SSH broker on the lab host: log in as the lab user, run the broker
// there for each request, as X2Go Client does.
func TestSSHE2E(t *testing.T) {
	lab, srv := startBroker(t, brokertest.Options{})
	cmd := sshBrokerCommand(t, srv, lab.User)
	ctx := testCtx(t)

	b, err := broker.DialSSH(ctx, broker.SSHConfig{SSH: labSSH(lab), Command: cmd})
	if err != nil {
		t.Fatalf("DialSSH: %v", err)
	}
	closeBroker(t, b)

	profiles, err := b.ListProfiles(ctx)
	if err != nil {
		t.Fatalf("ListProfiles: %v", err)
	}
	if got := ids(profiles); !reflect.DeepEqual(got, []string{"desk", "failover", "lab", "pool"}) {
		t.Fatalf("profiles %v", got)
	}
	// The broker answers for the logged-in user.
	if ps := params(t, profiles); ps["lab"].User != lab.User || ps["pool"].User != lab.User {
		t.Errorf("users %q %q", ps["lab"].User, ps["pool"].User)
	}
	first := b.Cookie()
	if first == "" {
		t.Error("no cookie")
	}

	sel, err := b.SelectSession(ctx, brokertest.ProfileLab)
	if err != nil || sel.Server != lab.Host || sel.Port != lab.Port {
		t.Fatalf("lab: %v, %v", sel, err)
	}
	if c := b.Cookie(); c == first || c == "" {
		t.Errorf("the cookie did not change: %q", c)
	}

	port := strconv.Itoa(lab.Port)
	servers := map[string]bool{net.JoinHostPort(lab.Host, port): true, net.JoinHostPort(srv.SecondHost, port): true}
	seen := map[string]int{}
	for i := 0; i < 30 && len(seen) < 2; i++ {
		sel, err := b.SelectSession(ctx, brokertest.ProfilePool)
		if err != nil {
			t.Fatalf("pool: %v", err)
		}
		if !servers[sel.Addr()] {
			t.Errorf("pool gave %s", sel.Addr())
		}
		seen[sel.Addr()]++
	}
	if len(seen) != 2 {
		t.Errorf("pool: only %v", seen)
	}
	t.Logf("pool selections: %v", seen)

	sel, err = b.SelectSession(ctx, brokertest.ProfileFailover)
	if err != nil || sel.Server != lab.Host {
		t.Errorf("failover: %v, %v", sel, err)
	}
	sel, err = b.SelectSession(ctx, brokertest.ProfileAutologin)
	if k, kerr := sel.Signer(); err != nil || kerr != nil || k == nil {
		t.Errorf("desk: %v, %v, %v", sel, err, kerr)
	}
	if _, err := b.SelectSession(ctx, "no-such-profile"); !errors.Is(err, broker.ErrNoServer) {
		t.Errorf("unknown profile: %v", err)
	}

	// Someone uses the cookie up (the broker, run directly as the lab
	// user, accepts it once): the next request falls back to a request
	// without a cookie, which the SSH login authenticates.
	stolen := b.Cookie()
	out, err := lab.ServerCommand(ctx, protocol.Join(cmd, "--user", lab.User, "--authid", stolen, "--task", "listsessions"))
	if err != nil {
		t.Fatalf("using the cookie: %v", err)
	}
	if _, err := broker.ParsePlain(broker.TaskList, []byte(out)); err != nil {
		t.Fatalf("using the cookie: %v", err)
	}
	sel, err = b.SelectSession(ctx, brokertest.ProfileLab)
	if err != nil || sel.Server != lab.Host {
		t.Fatalf("after the cookie was used up: %v, %v", sel, err)
	}
}

// A broker program that is not there, and a refused SSH login.
func TestSSHE2EErrors(t *testing.T) {
	lab, _ := startBroker(t, brokertest.Options{})
	ctx := testCtx(t)
	b, err := broker.DialSSH(ctx, broker.SSHConfig{SSH: labSSH(lab), Command: "/nonexistent/x2gobroker-ssh"})
	if err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)
	_, err = b.ListProfiles(ctx)
	var ce *broker.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, broker.ErrBrokerFailed) || ce.Status != 127 {
		t.Errorf("missing broker program: %v", err)
	}

	cfg := labSSH(lab)
	cfg.Auth = sshconnPassword("not-the-password")
	_, err = broker.DialSSH(ctx, broker.SSHConfig{SSH: cfg})
	var ae *broker.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, broker.ErrAuthFailed) || ae.Err == nil {
		t.Errorf("wrong SSH password: %v", err)
	}
}
