package broker

import (
	"context"
	"fmt"
	"os"
	"strings"

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
