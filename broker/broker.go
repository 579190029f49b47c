package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/x2go-go/x2go/profile"
)

// Broker is what HTTP and SSH have in common: the two things a client
// asks a session broker.
type Broker interface {
	// ListProfiles returns the session profiles the broker offers the
	// user.
	ListProfiles(ctx context.Context) (*profile.Sessions, error)
	// SelectSession asks where to start or resume a session of a profile.
	SelectSession(ctx context.Context, profileID string) (*Selection, error)
	// Cookie is the auth cookie handed out last ("" if none).
	Cookie() string
	// Close releases the connection to the broker.
	Close() error
}

// cookieJar is what HTTP and SSH share: the auth cookie the broker
// handed out last, and the lock that serialises calls (each cookie is good
// for one request) and guards the cookie and the rest of the client's
// state.
type cookieJar struct {
	mu     sync.Mutex
	cookie string
}

// Cookie is the auth cookie the broker handed out last ("" if none yet).
// Whoever has it can use the broker as the user until it is used up or
// expires.
func (b *cookieJar) Cookie() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cookie
}

// call runs exchange, which sends one request, with the lock held. A
// refused cookie is forgotten and the request sent again once without it
// (with the password), as the cookie may have expired.
func (b *cookieJar) call(exchange func() (*Answer, error)) (*Answer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ans, err := exchange()
	if errors.Is(err, ErrAuthFailed) && b.cookie != "" {
		b.cookie = ""
		ans, err = exchange()
	}
	return ans, err
}

// profilesOf is what ListProfiles returns for an answer.
func profilesOf(ans *Answer, err error) (*profile.Sessions, error) {
	if ans == nil || ans.Profiles == nil {
		return nil, err
	}
	return ans.Profiles, err
}

// selectionOf is what SelectSession returns for an answer.
func selectionOf(ans *Answer, err error, profileID string) (*Selection, error) {
	if err != nil {
		return nil, err
	}
	if err := checkSelection(ans.Selection, profileID); err != nil {
		return nil, err
	}
	return ans.Selection, nil
}

// ReadAuthIDFile reads a pre-shared auth cookie from a file, as X2Go
// Client's --auth-id=<file> does: the first line that is neither blank nor
// a '#' comment, up to its first blank (x2gobroker's own cookie file,
// my-cookie-file, has that form).
func ReadAuthIDFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("x2go broker: reading the auth ID file: %w", err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return strings.Fields(l)[0], nil
	}
	return "", fmt.Errorf("%w: auth ID file %s holds no auth ID", ErrConfig, path)
}
