// Package protocol is the X2Go client/server command protocol without any I/O:
// shell quoting, the marker wrapper around every remote command, builders for
// the x2goserver command lines and pure parsers for their answers.
//
// Everything here is a pure function of its inputs so it can be unit tested
// with real captured server output and fuzzed. The package imports nothing
// else of this module.
package protocol

// Status letters of x2golistsessions field 4.
const (
	StatusRunning   = "R"
	StatusSuspended = "S"
	StatusFinished  = "F"
)

// Session type letters as they appear in session names (_st<T>...).
const (
	TypeDesktop   = "D"
	TypeRootless  = "R"
	TypeShadow    = "S"
	TypeKDrive    = "K"
	TypePublished = "P" // reported as R + command PUBLISHED by the server
)

// SessionInfo is one line of x2golistsessions (16 fields) or
// x2golistshadowsessions (14 fields). Field numbers are 0-based as in
// server-protocol.md §5.
type SessionInfo struct {
	AgentPID     int    // 0
	Name         string // 1
	Display      int    // 2
	Hostname     string // 3: the server's own host name
	Status       string // 4: "R" or "S"
	CreatedAt    string // 5: YYYY-MM-DDTHH:MM:SS, server local time, kept verbatim
	Cookie       string // 6: 32 hex chars
	ClientIP     string // 7
	GraphicsPort int    // 8
	SoundPort    int    // 9
	LastChangeAt string // 10: YYYY-MM-DDTHH:MM:SS, kept verbatim
	Username     string // 11
	AgeSeconds   int    // 12
	SSHFSPort    int    // 13
	TekiCtrlPort int    // 14, -1 when absent or disabled
	TekiDataPort int    // 15, -1 when absent or disabled
}

// SessionName is a parsed X2Go session name
// <user>-<display>-<unixtime>_st<T><command>_dp<depth>[_<xdmcp>].
type SessionName struct {
	User      string
	Display   int
	Timestamp int64
	Type      string // D, R, S, K; P when R + PUBLISHED
	Command   string // as encoded in the name (PP for ':' in shadow names)
	Depth     int
	XDMCP     string
	// ShareMode and shadow owner/display are set for type S only.
	ShareMode     int    // 0 view only, 1 full access
	ShadowUser    string // owner of the shadowed desktop
	ShadowDisplay string // e.g. ":51"
}

// Mount is one line of x2golistmounts: <client>|<mount path>.
type Mount struct {
	Client string
	Path   string
}

// AgentInfo is the answer of x2gostartagent (server-protocol.md §6.10).
type AgentInfo struct {
	Display      int
	Cookie       string
	AgentPID     int
	Name         string
	GraphicsPort int
	SoundPort    int
	SSHFSPort    int
	TekiCtrlPort int // -1 when absent
	TekiDataPort int // -1 when absent
}

// ResumePorts is the answer of x2goresume-session (server-protocol.md §6.12).
type ResumePorts struct {
	GraphicsPort int
	SoundPort    int
	SSHFSPort    int
	TekiCtrlPort int // -1 when absent
	TekiDataPort int // -1 when absent
}

// Application is one <desktop> entry of x2gogetapps.
type Application struct {
	// Entries holds every key=value line of the entry in server order,
	// localised keys (Name[de]) included.
	Entries []KeyValue
	// Icon is the decoded icon file, nil when the server sent none.
	Icon []byte
}

// KeyValue is one line of a .desktop entry.
type KeyValue struct {
	Key   string
	Value string
}

// MenuEntry is one published application as a menu shows it.
type MenuEntry struct {
	Name    string
	Comment string
	Exec    string
	Icon    []byte
}

// Menu maps a category name ("TOP", "Multimedia", "Development", ...) to
// its entries sorted by name; empty categories are left out.
type Menu map[string][]MenuEntry
