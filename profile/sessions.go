package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The file names X2Go Client and python-x2go use in ClientDir.
const (
	SessionsFile = "sessions"
	SettingsFile = "settings"
	PrintingFile = "printing"
)

// ClientDir is the directory of the user's X2Go Client configuration,
// ~/.x2goclient.
func ClientDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("x2go: finding the X2Go Client directory: %w", err)
	}
	return filepath.Join(home, ".x2goclient"), nil
}

// Sessions is X2Go Client's `sessions` file: one section per session
// profile, named by the profile's ID, holding the profile's keys (see
// ProfileKeys). Sections that are not profiles (`none`, `embedded`,
// `General`) and keys nobody here knows are kept as they are.
type Sessions struct {
	f *File
}

// NewSessions returns an empty sessions file, not yet bound to a path.
func NewSessions() *Sessions { return &Sessions{f: &File{kind: sessionsFile}} }

// ParseSessions reads a sessions file from memory. If some lines cannot be
// read, the error joins a *SyntaxError naming each line, and the returned
// Sessions holds every profile it could read.
func ParseSessions(data []byte) (*Sessions, error) {
	f, err := parseFile(data, "", sessionsFile)
	return &Sessions{f: f}, err
}

// LoadSessions reads a sessions file, leniently as ParseSessions does. A
// file that does not exist gives an error matching fs.ErrNotExist together
// with an empty Sessions bound to path, so that Save creates it.
func LoadSessions(path string) (*Sessions, error) {
	f, err := readFile(path, sessionsFile)
	if f == nil {
		return nil, err
	}
	return &Sessions{f: f}, err
}

// File gives access to the whole file, including the sections that are not
// profiles.
func (s *Sessions) File() *File { return s.f }

// Bytes renders the file; see File.Bytes.
func (s *Sessions) Bytes() []byte { return s.f.Bytes() }

// Save writes the file back atomically; see File.Save.
func (s *Sessions) Save() error { return s.f.Save() }

// WriteFile writes the file to path atomically; see File.WriteFile.
func (s *Sessions) WriteFile(path string) error { return s.f.WriteFile(path) }

// isProfileSection tells profile sections from the others: the keys
// before any header, `none`, `embedded` and Qt's root group `General`.
// (python-x2go skips every name that is part of the word "embedded", which
// is a bug; this package skips only the word itself.)
func isProfileSection(name string) bool {
	return name != "" && name != "none" && name != "embedded" && !strings.EqualFold(name, "general")
}

// CheckID reports whether id can be a session profile's ID, that is the
// name of a profile section: it must not be empty, none, embedded or
// general (the last in any letter case), nor hold a '/' or '\'. The error
// matches ErrInvalidName.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("empty profile ID: %w", ErrInvalidName)
	case !isProfileSection(id):
		return fmt.Errorf("profile ID %q is reserved in a sessions file: %w", id, ErrInvalidName)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("profile ID %q has a '/' or '\\': %w", id, ErrInvalidName)
	}
	return nil
}

// Profile is one session profile. It is a Section of the sessions file:
// String, Int, Bool, List and Value read its keys with python-x2go's
// defaults, the Set methods change them.
type Profile struct {
	Section
}

// ID is the profile's ID, the name of its section.
func (p *Profile) ID() string { return p.name }

// Name is the profile's name (the `name` key).
func (p *Profile) Name() string { return p.String("name") }

// Option looks up a profile option by its python-x2go name, with
// python-x2go's default for an absent one: the equivalent of
// get_session_profile_option. See Section.Value for the types.
func (p *Profile) Option(name string) (any, error) { return p.Value(name) }

// Exports returns the folders of the `export` key.
func (p *Profile) Exports() []Export { return ParseExports(p.String("export")) }

// SetExports stores the folders to share in the `export` key.
func (p *Profile) SetExports(e []Export) { p.SetString("export", FormatExports(e)) }

// Profiles lists the profiles in file order.
func (s *Sessions) Profiles() []*Profile {
	var out []*Profile
	for _, name := range s.f.Sections() {
		if isProfileSection(name) {
			out = append(out, s.profile(name))
		}
	}
	return out
}

func (s *Sessions) profile(id string) *Profile {
	return &Profile{Section{f: s.f, name: id}}
}

// ProfileByID returns the profile with that ID.
func (s *Sessions) ProfileByID(id string) (*Profile, bool) {
	if !isProfileSection(id) || !s.f.HasSection(id) {
		return nil, false
	}
	return s.profile(id), true
}

// ProfilesByName returns the profiles called name (normally one).
func (s *Sessions) ProfilesByName(name string) []*Profile {
	var out []*Profile
	for _, p := range s.Profiles() {
		if p.Name() == name {
			out = append(out, p)
		}
	}
	return out
}

// Profile finds a profile by name or by ID, the name first (as
// python-x2go does). A name shared by several profiles fails with
// ErrAmbiguous, an unknown one with ErrNotFound.
func (s *Sessions) Profile(nameOrID string) (*Profile, error) {
	switch byName := s.ProfilesByName(nameOrID); len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		if p, ok := s.ProfileByID(nameOrID); ok {
			return p, nil
		}
		return nil, fmt.Errorf("x2go: session profile %q: %w", nameOrID, ErrNotFound)
	default:
		return nil, fmt.Errorf("x2go: session profile %q: %d profiles have this name: %w", nameOrID, len(byName), ErrAmbiguous)
	}
}

// NewProfileID makes a profile ID the way X2Go Client does, from the local
// time to the millisecond (yyyyMMddhhmmsszzz), counting up past IDs already
// in the file.
func (s *Sessions) NewProfileID() string {
	t := time.Now()
	for {
		id := t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
		if !s.f.HasSection(id) {
			return id
		}
		t = t.Add(time.Millisecond)
	}
}

// Add creates a profile with a new ID (see NewProfileID) and every key
// python-x2go knows set to its default, name set to name; see AddWithID.
func (s *Sessions) Add(name string) (*Profile, error) {
	return s.AddWithID(s.NewProfileID(), name)
}

// AddWithID creates a profile with the given ID. Like python-x2go it
// writes every known key, with its default, so that X2Go Client (whose own
// defaults differ in places, e.g. autologin) sees the same profile; keys
// are written in alphabetical order, as Qt writes a new section. The name
// must be non-empty and unused, the ID unused and usable (see CheckID).
func (s *Sessions) AddWithID(id, name string) (*Profile, error) {
	if name == "" {
		return nil, fmt.Errorf("x2go: adding a session profile: empty name: %w", ErrInvalidName)
	}
	if err := CheckID(id); err != nil {
		return nil, fmt.Errorf("x2go: adding session profile %q: %w", name, err)
	}
	if s.f.HasSection(id) {
		return nil, fmt.Errorf("x2go: adding session profile %q: ID %s: %w", name, id, ErrExists)
	}
	if len(s.ProfilesByName(name)) > 0 {
		return nil, fmt.Errorf("x2go: adding session profile %q: name %w", name, ErrExists)
	}
	p := s.profile(id)
	fillSection(&p.Section, newProfileKeys())
	p.SetString("name", name)
	return p, nil
}

// Remove deletes a profile, found by name or ID as Profile does.
func (s *Sessions) Remove(nameOrID string) error {
	p, err := s.Profile(nameOrID)
	if err != nil {
		return err
	}
	s.f.RemoveSection(p.ID())
	return nil
}

// Rename gives a profile, found by name or ID, a new name. The name must
// be non-empty and not used by another profile.
func (s *Sessions) Rename(nameOrID, newName string) error {
	p, err := s.Profile(nameOrID)
	if err != nil {
		return err
	}
	if newName == "" {
		return fmt.Errorf("x2go: renaming session profile %q: empty name: %w", nameOrID, ErrInvalidName)
	}
	for _, q := range s.ProfilesByName(newName) {
		if q.ID() != p.ID() {
			return fmt.Errorf("x2go: renaming session profile %q to %q: name %w", nameOrID, newName, ErrExists)
		}
	}
	p.SetString("name", newName)
	return nil
}

// ChangeID moves a profile, found by name or ID, to a new ID (renames its
// section). The new ID must be unused and usable (see CheckID).
func (s *Sessions) ChangeID(nameOrID, newID string) error {
	p, err := s.Profile(nameOrID)
	if err != nil {
		return err
	}
	if err := CheckID(newID); err != nil {
		return fmt.Errorf("x2go: changing the ID of session profile %q: %w", nameOrID, err)
	}
	return s.f.RenameSection(p.ID(), newID)
}

// Export is one folder of a profile's `export` key.
type Export struct {
	Path  string
	Mount bool // share it when the session starts (flag 1); else only remembered (flag 0)
}

// ParseExports reads the `export` format: entries separated by ';' (a ','
// counts as ';'), each path:1 or path:0, the path being everything before
// the last ':'; an entry without a :0 or :1 flag is mounted. Stray quotes
// and separators around the whole value are ignored, empty entries
// skipped, and a path listed twice keeps its first place and its last
// flag.
func ParseExports(s string) []Export {
	s = strings.ReplaceAll(s, ",", ";")
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`))
	s = strings.TrimSpace(strings.Trim(s, ";"))
	var out []Export
	seen := map[string]int{}
	for _, e := range strings.Split(s, ";") {
		if e == "" {
			continue
		}
		mount := true
		if strings.HasSuffix(e, ":1") || strings.HasSuffix(e, ":0") {
			mount = strings.HasSuffix(e, ":1")
			e = e[:len(e)-2]
		}
		if k, dup := seen[e]; dup {
			out[k].Mount = mount
			continue
		}
		seen[e] = len(out)
		out = append(out, Export{Path: e, Mount: mount})
	}
	return out
}

// FormatExports writes folders in the `export` format: "path:1;path:0;"
// ("" for none).
func FormatExports(e []Export) string {
	var b strings.Builder
	for _, x := range e {
		b.WriteString(x.Path)
		if x.Mount {
			b.WriteString(":1;")
		} else {
			b.WriteString(":0;")
		}
	}
	return b.String()
}
